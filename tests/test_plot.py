"""Figures: each one draws what it should and writes a PNG that is not blank."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from growthcast import plot

mpimg = pytest.importorskip("matplotlib.image")
from matplotlib.figure import Figure  # noqa: E402


def _png_ok(path) -> None:
    """The file decodes as an image and is not one flat colour."""
    pixels = mpimg.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert float(pixels[..., :3].std()) > 0


def _legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


@pytest.fixture(scope="module")
def cnnic() -> pd.DataFrame:
    return gc.load_cnnic()


@pytest.fixture(scope="module")
def logistic(cnnic):
    return gc.fit("logistic", cnnic["as_of"], cnnic["penetration_pct"])


@pytest.fixture(scope="module")
def forecasts() -> pd.DataFrame:
    """A small hand-made backtest frame: two models, three origins, two horizons."""
    dates = pd.to_datetime(["2020-06-30", "2020-12-31", "2021-06-30", "2021-12-31", "2022-06-30"])
    actual = np.array([67.0, 70.4, 71.6, 73.0, 74.4])
    rows = []
    for model, bias in (("logistic", -1.0), ("drift", 0.5)):
        for o in range(3):
            for h in (1, 2):
                mean = actual[o + h] + bias * h
                rows.append({
                    "series_id": "penetration_pct", "model": model, "origin_edition": 46 + o,
                    "origin_date": dates[o], "target_edition": 46 + o + h, "target_date": dates[o + h],
                    "horizon": h, "years_ahead": 0.5 * h, "actual": actual[o + h], "mean": mean,
                    "lower": mean - 1.0, "upper": mean + 1.0, "error": actual[o + h] - mean,
                })
    return pd.DataFrame(rows)


def test_fan_chart_draws_both_bands_and_the_saturation_level(logistic, tmp_path):
    out = tmp_path / "fan.png"
    fig = plot.fan_chart(logistic, until="2028-12-31", path=out)
    assert isinstance(fig, Figure)
    legend = " | ".join(_legend_texts(fig))
    assert "80% interval" in legend and "95% interval" in legend
    assert "saturation" in legend and "observed" in legend and "forecast" in legend
    _png_ok(out)


def test_fan_chart_of_a_model_without_a_ceiling_has_no_saturation_line(cnnic):
    res = gc.fit("drift", cnnic["as_of"], cnnic["penetration_pct"])
    fig = plot.fan_chart(res, until="2027-12-31", levels=(0.5, 0.9))
    legend = " | ".join(_legend_texts(fig))
    assert "saturation" not in legend
    assert "50% interval" in legend and "90% interval" in legend


def test_fan_chart_on_a_given_axes_returns_its_figure(logistic):
    fig = Figure()
    ax = fig.add_subplot()
    assert plot.fan_chart(logistic, ax=ax) is fig
    assert len(ax.collections) >= 2  # the two bands


def test_fitted_curves_draw_every_model(cnnic, tmp_path):
    fits = {m: gc.fit(m, cnnic["as_of"], cnnic["netizens_million"]) for m in ("logistic", "gompertz", "linear")}
    fig = plot.fitted_curves(fits, until="2030-12-31", path=tmp_path / "curves.png")
    assert set(fits) <= set(_legend_texts(fig))
    _png_ok(tmp_path / "curves.png")


def test_backtest_errors_by_horizon(forecasts, tmp_path):
    scores = (forecasts.assign(abs_error=forecasts["error"].abs())
              .groupby(["model", "horizon"], as_index=False)["abs_error"].mean().rename(columns={"abs_error": "MAE"}))
    fig = plot.backtest_errors(scores, metric="MAE", path=tmp_path / "errors.png")
    assert set(_legend_texts(fig)) == {"logistic", "drift"}
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == "drift")
    np.testing.assert_allclose(line.get_ydata(), [0.5, 1.0])
    _png_ok(tmp_path / "errors.png")


def test_backtest_errors_names_a_missing_metric(forecasts):
    with pytest.raises(gc.DataError, match="MASE"):
        plot.backtest_errors(forecasts[["model", "horizon"]], metric="MASE")


def test_origin_forecasts_one_panel_per_model(forecasts, tmp_path):
    fig = plot.origin_forecasts(forecasts, path=tmp_path / "origins.png")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert titles == ["logistic", "drift"]
    # one unlabelled line per origin, beside the labelled observed editions, bound and key
    assert len([ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("_")]) == 3
    _png_ok(tmp_path / "origins.png")


def test_saturation_drift_leaves_out_models_without_a_ceiling(tmp_path):
    sat = pd.DataFrame({
        "model": ["logistic"] * 4 + ["drift"] * 4,
        "origin_edition": [50, 51, 52, 53] * 2,
        "value": [76.0, 77.0, 78.5, 79.0] + [np.nan] * 4,
        "lower": [70.0, 72.0, 74.0, 75.0] + [np.nan] * 4,
        "upper": [90.0, 85.0, 84.0, 83.0] + [np.nan] * 4,
    })
    fig = plot.saturation_drift(sat, path=tmp_path / "drift.png")
    assert _legend_texts(fig) == ["logistic"]
    _png_ok(tmp_path / "drift.png")


def test_no_pyplot_figures_are_left_open(logistic):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot.fan_chart(logistic)
    assert plt.get_fignums() == before


def test_missing_matplotlib_names_the_extra(logistic, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "growthcast\[plot\]"'):
        plot.fan_chart(logistic)


def test_plots_of_a_real_backtest(cnnic, tmp_path):
    backtest = pytest.importorskip("growthcast.backtest").backtest
    bt = backtest(cnnic, series="penetration_pct", models=["logistic", "drift"], min_train=30,
                  horizons=range(1, 3), level=0.8)
    for name, fig in {
        "errors": plot.backtest_errors(bt),
        "origins": plot.origin_forecasts(bt),
        "drift": plot.saturation_drift(bt),
    }.items():
        fig.savefig(tmp_path / f"{name}.png")
        _png_ok(tmp_path / f"{name}.png")
