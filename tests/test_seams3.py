"""Where percentages with zeros, re-validated frames and the CLI's --percent meet: regressions found in review."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import logit

import growthcast as gc
from growthcast.cli import main

T = np.arange(1990.0, 2016.0)
LEAD = 3  # zeros before the launch


def _share() -> np.ndarray:
    """A noisy logistic penetration (percent) with LEAD zeros before its launch."""
    rng = np.random.default_rng(11)
    y = 80.0 / (1.0 + np.exp(-0.4 * (T - 2008.0))) * np.exp(rng.normal(0.0, 0.02, T.size))
    y[:LEAD] = 0.0
    return y


def _line_through(link, y):
    """Least squares of link(y) on centred time over the launched points, by hand: slope, its se, R^2, n."""
    tk, z = T[LEAD:], link(y[LEAD:])
    X = np.column_stack([np.ones_like(tk), tk - tk.mean()])
    beta = np.linalg.solve(X.T @ X, X.T @ z)
    resid = z - X @ beta
    n = len(z)
    se = np.sqrt(resid @ resid / (n - 2) * np.linalg.inv(X.T @ X)[1, 1])
    return beta[1], se, 1.0 - (resid @ resid) / np.sum((z - z.mean()) ** 2), n


LINKS = {"exponential": (np.log, "growth"), "logit_linear": (lambda v: logit(v / 100.0), "slope")}


# ---------------------------------------------------------------- zeros before a launch
@pytest.mark.parametrize("model", list(LINKS))
def test_the_bootstrap_of_a_trend_on_log_or_logit_leaves_the_zeros_before_launch_out(model):
    # the residuals of the left-out zeros (link -inf) were NaN and made every replicate NaN: NaN intervals
    # beside a success status
    link, slope = LINKS[model]
    y = _share()
    res = gc.fit(model, T, y, percent=True, interval="bootstrap", n_boot=400, random_state=1)
    assert res.status > 0
    assert re.search(r"residual bootstrap, 400 of 400 refits usable", str(res.summary()))
    b, se, _, n = _line_through(link, y)
    half = stats.t.ppf(0.95, n - 2) * se  # the regression's own 90% interval: the bootstrap's should be close
    ci = res.conf_int(0.9).loc[slope]
    assert abs(ci["lower"] - (b - half)) < 0.15 * half and abs(ci["upper"] - (b + half)) < 0.15 * half
    fc = res.forecast(steps=3, level=0.9)
    bounds = fc[["mean", "lower", "upper"]].to_numpy()
    assert np.isfinite(bounds).all() and (bounds >= 0).all() and (bounds <= 100).all()
    assert (fc["lower"] <= fc["mean"]).all() and (fc["mean"] <= fc["upper"]).all()


@pytest.mark.parametrize("model", list(LINKS))
def test_a_backtest_bootstrap_of_a_trend_with_zeros_has_bounds_wherever_it_has_a_forecast(model):
    df = pd.DataFrame({"series_id": "web_pct", "date": T, "value": _share()})
    bt = gc.backtest(df, models=[model], min_train=8, horizons=[1, 2], intervals=["bootstrap"], n_boot=50,
                     random_state=0, progress=False)
    fc = bt.forecasts
    made = fc["mean"].notna()
    assert made.sum() >= 10
    assert fc.loc[made, ["lower", "upper"]].notna().all().all()


@pytest.mark.parametrize("model", list(LINKS))
def test_the_summary_r_squared_on_the_link_scale_leaves_the_zeros_before_launch_out(model):
    # it read "R-squared there not defined": the link of the zeros the fit left out is not finite
    link, _ = LINKS[model]
    y = _share()
    *_, r2, _ = _line_through(link, y)
    text = str(gc.fit(model, T, y, percent=True).summary())
    assert f"R-squared\n  there {r2:.4f}" in text or f"R-squared there {r2:.4f}" in re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("model", list(LINKS))
def test_two_points_after_the_launch_fail_as_too_few_after_it(model):
    # a line through 2 points has no residual: it failed as "as many points as free parameters", which a
    # series of 12 observations does not explain; 1 point said "fewer than 2 points from the first positive value"
    y = np.r_[np.zeros(10), 5.0, 9.0]
    res = gc.fit(model, np.arange(2000.0, 2012.0), y, percent=True)
    assert res.status == gc.errors.FAILED_TOO_FEW_POINTS
    assert "fewer than 3 points from the first positive value on" in res.message
    assert gc.fit(model, np.arange(2000.0, 2013.0), np.r_[y, 14.0], percent=True).status > 0


@pytest.mark.parametrize("model", ["exponential", "logit_linear", "auto", "saturating"])
def test_a_series_that_never_launched_is_forecast_as_a_failure_not_left_out(model):
    # its last observation was taken among the launched points only, so it had none: the series had no
    # forecast rows, and a batch of such series only raised "no series has an observation to forecast from"
    t = np.arange(2000.0, 2012.0)
    zeros = pd.DataFrame({"series_id": "zero_pct", "date": t, "value": 0.0})
    rising = pd.DataFrame({"series_id": "ok_pct", "date": t, "value": np.linspace(1.0, 50.0, t.size)})
    fc = gc.fit_many(model, pd.concat([zeros, rising], ignore_index=True), progress=False).forecast(steps=2)
    assert fc["series_id"].tolist() == ["zero_pct", "zero_pct", "ok_pct", "ok_pct"]
    mine = fc[fc["series_id"] == "zero_pct"]
    assert mine["t"].tolist() == [2012.0, 2013.0]
    assert (mine["status"] == gc.errors.FAILED_TOO_FEW_POINTS).all() and mine["mean"].isna().all()
    alone = gc.fit_many(model, zeros, progress=False).forecast(steps=2)
    assert alone["t"].tolist() == [2012.0, 2013.0] and alone["mean"].isna().all()


def test_the_cli_names_the_reason_for_a_file_of_zeros(tmp_path, capsys):
    path = tmp_path / "zeros.csv"
    pd.DataFrame({"series_id": "z", "date": [2000, 2001, 2002, 2003], "value": 0.0}).to_csv(path, index=False)
    code = main(["forecast", "--csv", str(path), "--percent", "--model", "exponential", "--until", "2005", "-q"])
    out, err = capsys.readouterr()
    assert code == 1 and err == ""
    assert "z: failed: fewer than 3 points from the first positive value on" in out


# ---------------------------------------------------------------- frames taken again
def _validated_numeric():
    raw = pd.DataFrame({"id": "a", "year": np.arange(2000.0, 2012.0), "users": 1.0 + np.arange(12.0)})
    return gc.from_frame(raw, date="year", value="users", series_id="id")


@pytest.mark.parametrize("attrs", [True, False])
def test_a_value_naming_another_column_of_a_validated_frame_is_the_one_fitted(attrs):
    # the validated frame's own "value" was fitted whatever value= said (since this session also when its
    # attrs were lost, where the named column was fitted before)
    frame = _validated_numeric().assign(tenfold=lambda d: 10.0 * d["value"])
    if not attrs:
        frame.attrs = {}
    slope = gc.fit_many("linear", frame, value="tenfold", progress=False).params.loc["a", "slope"]
    assert slope == pytest.approx(10.0, rel=1e-12)  # the column is 10 + 10 (t - 2000)
    # the names the frame was validated with, no longer its columns, still mean its own
    again = gc.fit_many("linear", frame, date="year", value="users", series_id="id", progress=False)
    assert again.params.loc["a", "slope"] == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("attrs", [True, False])
def test_a_series_id_naming_another_column_of_a_validated_frame_splits_the_series(attrs):
    frame = _validated_numeric().assign(half=lambda d: np.where(d["t"] < 2006, "early", "late"))
    if not attrs:
        frame.attrs = {}
    many = gc.fit_many("linear", frame, series_id="half", progress=False)
    assert many.params.index.tolist() == ["early", "late"]
    np.testing.assert_allclose(many.params["slope"], [1.0, 1.0], rtol=1e-12)
    bt = gc.backtest(frame, series_id="half", models=["linear"], min_train=3, horizons=[1], progress=False)
    assert bt.forecasts["series_id"].unique().tolist() == ["early", "late"]
    assert len(bt.forecasts) == 6  # origins at the 3rd to 5th of each half's 6 points


def test_a_backtest_takes_a_validated_frame_whose_attrs_were_lost_as_fit_many_does():
    # fit_many took it (times in t, date all NaT); the backtest read the date column and failed on "missing dates"
    frame = _validated_numeric()
    frame.attrs = {}
    bt = gc.backtest(frame, models=["linear"], min_train=5, horizons=[1], progress=False)
    fc = bt.forecasts
    assert len(fc) == 7  # origins at the 5th to 11th of 12 points
    np.testing.assert_allclose(fc["mean"], fc["actual"], rtol=1e-9)  # a straight line is forecast exactly
    np.testing.assert_allclose(fc["actual"], 1.0 + (fc["target_t"] - 2000.0))


# ---------------------------------------------------------------- CLI
@pytest.fixture()
def dated_csv(tmp_path):
    """A dated file: series 'a' with one missing value, 'b' with every value missing, 'Korea, Rep.' complete."""
    dates = [f"{y}-12-31" for y in range(2000, 2010)]
    a = [0.0, 0.0, 1.5, np.nan, 4.0, 8.0, 15.0, 25.0, 38.0, 50.0]
    k = [1.0, 2.0, 4.0, 8.0, 15.0, 25.0, 38.0, 50.0, 60.0, 68.0]
    frame = pd.concat([pd.DataFrame({"series_id": "a", "date": dates, "value": a}),
                       pd.DataFrame({"series_id": "b", "date": dates[:2], "value": [np.nan, np.nan]}),
                       pd.DataFrame({"series_id": "Korea, Rep.", "date": dates, "value": k})])
    path = tmp_path / "dated.csv"
    frame.to_csv(path, index=False)
    return path


def _summary(capsys, path, *extra):
    code = main(["data", "--validate", str(path), "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return {s["series_id"]: (s["points"], s["missing_dropped"], s["percent"]) for s in json.loads(out)["series"]}


def test_percent_ids_keep_the_missing_counts_of_a_dated_file(capsys, dated_csv):
    # the file was validated again from its long frame: the missing values counted, and series 'b' (every
    # value missing), were lost, and '--percent b' said there was no series 'b'
    assert _summary(capsys, dated_csv) == {"a": (9, 1, False), "b": (0, 2, False), "Korea, Rep.": (10, 0, False)}
    assert _summary(capsys, dated_csv, "--percent", "a") == {
        "a": (9, 1, True), "b": (0, 2, False), "Korea, Rep.": (10, 0, False)}
    assert _summary(capsys, dated_csv, "--percent", "b") == {
        "a": (9, 1, False), "b": (0, 2, True), "Korea, Rep.": (10, 0, False)}


def test_series_keeps_only_the_series_asked_for(capsys, dated_csv):
    # the missing counts of the others came along and brought them back: "Not forecast: a: failed", "left out
    # of the backtest as too short: a (0 observed points)"
    code = main(["forecast", "--csv", str(dated_csv), "--series", "Korea, Rep.", "--model", "linear",
                 "--until", "2011", "--format", "json", "--percent", "Korea, Rep."])
    out, _ = capsys.readouterr()
    doc = json.loads(out)
    assert code == 0
    assert [s["series_id"] for s in doc["status"]] == ["Korea, Rep."]
    assert {r["series_id"] for r in doc["forecast"]} == {"Korea, Rep."}
    code = main(["backtest", "--csv", str(dated_csv), "--series", "Korea, Rep.", "--models", "linear",
                 "--horizons", "1", "--min-train", "5", "--format", "json", "-q"])
    out, err = capsys.readouterr()
    assert code == 0 and "too short" not in err
    assert json.loads(out)["skipped"] == []


# ---------------------------------------------------------------- statistics of exact or empty fits
@pytest.mark.parametrize("model", ["naive", "drift", "logistic", "exponential", "logit_linear", "auto", "saturating"])
@pytest.mark.parametrize("level", [0.0, 5.0])
def test_the_statistics_of_a_constant_series_raise_no_warning(model, level):
    # a series of zeros (a percentage before launch) or a constant: log(sse = 0) warned, log(nobs = 0) warned,
    # and auto's sse / nobs with no point left raised ZeroDivisionError, from aic, bic, summary() and to_dict()
    res = gc.fit(model, np.arange(2000.0, 2012.0), np.full(12, level), percent=True)
    doc = res.to_dict()
    json.dumps(doc, allow_nan=False)
    str(res.summary())
    n, stats_ = res.nobs, (res.loglike, res.aic, res.bic)
    if n == 0:  # nothing fitted (a model that starts at the launch, on a series that never launched)
        assert all(np.isnan(v) for v in stats_)
    elif res.status >= 0 and res.sse == 0.0:  # an exact fit: a Gaussian of zero variance, likelihood +inf
        assert stats_ == (np.inf, -np.inf, -np.inf) and doc["aic"] is None and doc["bic"] is None


def test_percent_ids_are_exactly_the_percentages_of_a_file(capsys, tmp_path):
    # the file was first read with the default flags, so a series named *_pct above 100 failed the file even
    # when --percent named only the others (which the second read then marked, and only them)
    path = tmp_path / "named.csv"
    pd.DataFrame({"series_id": ["users_pct", "users_pct", "fr", "fr", "fr"], "date": [2000, 2001, 2000, 2001, 2002],
                  "value": [50.0, 150.0, 0.0, 10.0, 20.0]}).to_csv(path, index=False)
    assert _summary(capsys, path, "--percent", "fr") == {"users_pct": (2, 0, False), "fr": (3, 0, True)}
    code = main(["data", "--validate", str(path), "--percent", "users_pct"])
    _, err = capsys.readouterr()
    assert code == 1 and "percentages must lie in [0, 100], got [150.0]" in err


@pytest.mark.parametrize("model", list(LINKS))
def test_the_pseudo_r_squared_is_of_the_points_fitted(model):
    # it took the zeros before the launch too, which the fit left out (its nobs did not count them)
    y = _share()
    res = gc.fit(model, T, y, percent=True)
    yk = y[LEAD:]
    link, _ = LINKS[model]
    slope, intercept = np.polyfit(T[LEAD:] - T[LEAD:].mean(), link(yk), 1)  # the line, by hand
    line = intercept + slope * (T[LEAD:] - T[LEAD:].mean())
    by_hand = np.exp(line) if model == "exponential" else 100.0 / (1.0 + np.exp(-line))
    expected = 1.0 - np.sum((yk - by_hand) ** 2) / np.sum((yk - yk.mean()) ** 2)
    assert res.rsquared == pytest.approx(expected, rel=1e-9)
    assert res.to_dict()["rsquared"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("model", list(LINKS))
def test_the_summary_of_a_series_that_never_launched_states_no_time_origin(model):
    # it read "Time origin t_ref = 0.0000 (mean observed time)" for a series observed from 2000 to 2011
    res = gc.fit(model, np.arange(2000.0, 2012.0), np.zeros(12), percent=True)
    text = str(res.summary())
    assert "fewer than 3 points from the first positive value on" in text
    assert "t_ref" not in text
    fine = str(gc.fit(model, T, _share(), percent=True).summary())
    assert f"t_ref = {T[LEAD:].mean():.4f} (mean observed time)" in fine
