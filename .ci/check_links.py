"""Check every internal link of a built HTML site: the file exists and so does the #anchor in it.

Usage: ``python .ci/check_links.py docs/api/_build/html``. Links to other sites (http:, https:,
mailto:) are counted, not fetched, so the check does not depend on the network; ``sphinx-build -n``
has already failed on any cross-reference that does not resolve. Exits 1 listing the broken links.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class Page(HTMLParser):
    """The links (href, src) and the anchors (id, name) of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if value is None:
                continue
            if key in ("href", "src"):
                self.links.append(value)
            elif key == "id" or (key == "name" and tag == "a"):
                self.anchors.add(value)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(root: Path) -> tuple[list[str], int, int]:
    """(broken links as 'page: link (why)', internal links checked, external links skipped)."""
    pages = {p.resolve(): parse(p) for p in sorted(root.rglob("*.html"))}
    broken, checked, external = [], 0, 0
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto", "data", "javascript") or parts.netloc:
                external += 1
                continue
            checked += 1
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            where = f"{path.relative_to(root.resolve())}: {link}"
            if not target.exists():
                broken.append(f"{where} (no such file)")
            elif target.is_dir() and not (target / "index.html").exists():
                broken.append(f"{where} (a directory without index.html)")
            elif parts.fragment and target.suffix == ".html":
                anchors = pages[target].anchors if target in pages else parse(target).anchors
                if unquote(parts.fragment) not in anchors:
                    broken.append(f"{where} (no anchor #{parts.fragment})")
    return broken, checked, external


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python .ci/check_links.py BUILT_HTML_DIRECTORY", file=sys.stderr)
        return 2
    root = Path(argv[0])
    broken, checked, external = broken_links(root)
    for line in broken:
        print(f"broken link: {line}")
    print(f"{checked} internal links checked in {len(list(root.rglob('*.html')))} pages, {len(broken)} broken; "
          f"{external} links to other sites not fetched")
    return 1 if broken or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
