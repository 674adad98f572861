"""Figures: each one draws what it should and writes a PNG that is not blank."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from growthcast import plot

mpimg = pytest.importorskip("matplotlib.image")
from matplotlib import dates as mdates  # noqa: E402
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


# ---------------------------------------------------------------- structure: each figure read back
def _bound_lines(ax, value: float) -> list:
    """The horizontal lines drawn at ``value`` across the axes."""
    return [ln for ln in ax.get_lines()
            if len(ln.get_ydata()) == 2 and np.allclose(np.asarray(ln.get_ydata(), float), value)]


class _SameBands:
    """A fit whose interval does not depend on the level (as ``auto``'s does from horizon 3 on)."""

    def __init__(self, result, from_step: int = 0):
        self._result = result
        self._from = from_step

    def __getattr__(self, name):
        return getattr(self._result, name)

    def forecast(self, *, until, level, steps=None):
        fc = self._result.forecast(until=until, level=level, steps=steps)
        ref = self._result.forecast(until=until, level=0.8, steps=steps)
        fc.loc[self._from:, ["lower", "upper"]] = ref.loc[self._from:, ["lower", "upper"]].to_numpy()
        return fc


def test_fan_chart_structure(logistic):
    fig = plot.fan_chart(logistic, until="2028-12-31", title="Penetration", ylabel="Penetration (%)")
    (ax,) = fig.axes
    assert ax.get_title() == "Penetration"
    assert ax.get_xlabel() == "date" and ax.get_ylabel() == "Penetration (%)"
    assert _legend_texts(fig)[:2] == ["fitted (logistic)", "observed"]
    assert {"95% interval", "80% interval", "forecast (mean)", "100% (the whole population)"} <= set(_legend_texts(fig))
    assert len(_bound_lines(ax, 100.0)) == 1  # a percentage is bounded by 100%
    # the wider band is the paler one
    alphas = [c.get_alpha() for c in ax.collections]
    assert len(alphas) == 2 and alphas[0] < alphas[1]


def test_fan_chart_bound_can_be_a_population_or_none(cnnic):
    res = gc.fit("logistic", cnnic["as_of"], cnnic["netizens_million"])
    fig = plot.fan_chart(res, bound=1409.0, bound_label="population 1,409 million")
    assert "population 1,409 million" in _legend_texts(fig)
    assert len(_bound_lines(fig.axes[0], 1409.0)) == 1
    fig = plot.fan_chart(res)  # a count has no bound unless one is given
    assert not any("100%" in t or "bound" in t for t in _legend_texts(fig))
    pct = gc.fit("logistic", cnnic["as_of"], cnnic["penetration_pct"])
    assert _bound_lines(plot.fan_chart(pct, bound=False).axes[0], 100.0) == []


def test_fan_chart_says_when_two_bands_coincide(logistic):
    legend = _legend_texts(plot.fan_chart(_SameBands(logistic), until="2028-12-31"))
    assert "95% interval (identical to the 80% interval)" in legend
    legend = _legend_texts(plot.fan_chart(_SameBands(logistic, from_step=3), until="2028-12-31"))
    fc = logistic.forecast(until="2028-12-31", level=0.8)
    assert f"95% interval (identical to the 80% from {fc['date'].iloc[3]:%Y-%m-%d})" in legend
    # distinct bands say nothing of the kind
    assert not any("identical" in t for t in _legend_texts(plot.fan_chart(logistic, until="2028-12-31")))


def test_fitted_curves_structure_and_coinciding_paths(cnnic, logistic):
    gompertz = gc.fit("gompertz", cnnic["as_of"], cnnic["penetration_pct"])
    fig = plot.fitted_curves({"logistic": logistic, "gompertz": gompertz, "again": gompertz},
                             title="Curves", ylabel="Penetration (%)")
    (ax,) = fig.axes
    assert ax.get_title() == "Curves" and ax.get_xlabel() == "date" and ax.get_ylabel() == "Penetration (%)"
    legend = _legend_texts(fig)
    assert legend[:3] == ["observed", "logistic", "gompertz"]
    assert "again (same path as gompertz)" in legend and "last observation" in legend
    assert "100% (the whole population)" in legend and len(_bound_lines(ax, 100.0)) == 1
    again = next(ln for ln in ax.get_lines() if ln.get_label() == "again (same path as gompertz)")
    assert again.get_linestyle() == "--"  # dashed, so the curve under it shows


def test_fitted_curves_lists_a_failed_fit():
    failed = gc.fit("logistic", [2000.0, 2001.0], [1.0, 2.0])
    ok = gc.fit("linear", [2000.0, 2001.0, 2002.0], [1.0, 2.0, 3.5])
    fig = plot.fitted_curves({"linear": ok, "logistic": failed}, until=2004.0)
    assert "logistic (failed)" in _legend_texts(fig)
    assert fig.axes[0].get_xlabel() == "time (decimal year)"


def test_backtest_errors_structure(forecasts):
    scores = (forecasts.assign(abs_error=forecasts["error"].abs())
              .groupby(["series_id", "model", "horizon"], as_index=False)["abs_error"].mean()
              .rename(columns={"abs_error": "MAE"}))
    fig = plot.backtest_errors(scores)
    (ax,) = fig.axes
    assert ax.get_ylabel() == "MAE (percentage points)"  # a percentage's errors are in points
    assert ax.get_xlabel() == "horizon (steps ahead)"
    assert "MAE" in ax.get_title() and ax.get_legend().get_title().get_text() == "model"
    assert plot.backtest_errors(scores, unit="million").axes[0].get_ylabel() == "MAE (million)"
    mase = scores.rename(columns={"MAE": "MASE"})
    assert "no unit" in plot.backtest_errors(mase, metric="MASE").axes[0].get_ylabel()


def test_backtest_errors_of_one_of_several_series(forecasts):
    scores = (forecasts.assign(abs_error=forecasts["error"].abs())
              .groupby(["series_id", "model", "horizon"], as_index=False)["abs_error"].mean()
              .rename(columns={"abs_error": "MAE"}))
    two = pd.concat([scores, scores.assign(series_id="netizens_million", MAE=scores["MAE"] * 10)])
    with pytest.raises(gc.DataError, match="series="):
        plot.backtest_errors(two, ax=Figure().add_subplot())  # one axes cannot hold two series
    fig = plot.backtest_errors(two, series="netizens_million", unit="million")
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == "drift")
    np.testing.assert_allclose(line.get_ydata(), [5.0, 10.0])
    assert fig.axes[0].get_title().startswith("netizens_million")


def test_origin_forecasts_structure(forecasts):
    fig = plot.origin_forecasts(forecasts, ylabel="Penetration (%)", title="From each origin")
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    (bar,) = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert "origin" in bar.get_ylabel()
    assert bar.get_ylim() == (46.0, 48.0)  # the key spans the origin editions
    assert fig.get_suptitle() == "From each origin"
    assert [ax.get_ylabel() for ax in panels] == ["Penetration (%)", ""]  # shared y: the left panel names it
    assert [ax.get_xlabel() for ax in panels] == ["target date", "target date"]
    assert _legend_texts(fig) == ["observed", "100% (the whole population)", "forecast from one origin"]
    for ax in panels:
        assert len(_bound_lines(ax, 100.0)) == 1


def _saturation_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "series_id": "penetration_pct",
        "model": ["logistic"] * 4 + ["gompertz"] * 4 + ["richards"] * 4,
        "origin_edition": [50, 51, 52, 53] * 3,
        "value": [76.0, 77.0, 78.5, 79.0] + [450.0, 90.0, 88.0, 86.0] + [450.0, 90.0, 88.0, 86.0],
        "lower": [70.0, 72.0, 74.0, 75.0] + [80.0, 85.0, 84.0, 83.0] * 2,
        "upper": [77.0, 85.0, 84.0, 83.0] + [900.0, 95.0, 93.0, 90.0] * 2,
        "later_max": [79.7, 79.7, 79.7, 79.7] * 3,
        "held": pd.array([False, True, True, True] + [True] * 8, dtype="boolean"),
    })


def test_saturation_drift_structure():
    fig = plot.saturation_drift(_saturation_frame(), ylabel="Penetration (%)")
    (ax,) = fig.axes
    assert ax.get_ylabel() == "Penetration (%)" and "origin" in ax.get_xlabel() and ax.get_title()
    legend = _legend_texts(fig)
    assert legend[:2] == ["logistic", "gompertz"]
    assert "richards (same ceilings as gompertz)" in legend
    assert "highest value observed after the origin" in legend
    assert "open: a later value passed the upper bound" in legend
    assert "estimate above the axis" in legend and "100% (the whole population)" in legend
    assert len(_bound_lines(ax, 100.0)) == 1
    assert ax.get_ylim()[1] < 130  # a ceiling of 450% does not squash the plausible ones
    later = next(ln for ln in ax.get_lines() if ln.get_label() == "highest value observed after the origin")
    assert np.allclose(np.asarray(later.get_ydata(), float), 79.7)
    # the one wrong ceiling is drawn open (white face), in its model's colour
    open_markers = [ln for ln in ax.get_lines() if ln.get_markerfacecolor() == "white" and len(ln.get_xdata())]
    assert sum(len(ln.get_xdata()) for ln in open_markers) == 1


def test_saturation_drift_without_later_data_or_bound():
    sat = _saturation_frame().drop(columns=["later_max", "held"]).assign(series_id="netizens_million")
    fig = plot.saturation_drift(sat)
    legend = _legend_texts(fig)
    assert not any("observed" in t or "100%" in t or "open" in t for t in legend)
    assert len(_bound_lines(fig.axes[0], 1409.0)) == 0
    fig = plot.saturation_drift(sat, bound=1409.0, bound_label="population")
    assert "population" in _legend_texts(fig)


def test_long_titles_are_wrapped_not_cut():
    sat = _saturation_frame()
    title = "Internet penetration (% of population): saturation drift, the ceiling estimated at each origin"
    ax = plot.saturation_drift(sat, title=title).axes[0]
    assert "\n" in ax.get_title() and ax.get_title().replace("\n", " ") == title


def test_backtest_frames_of_several_series_need_one_chosen(forecasts):
    two = pd.concat([forecasts, forecasts.assign(series_id="rural_penetration_pct")])
    with pytest.raises(gc.DataError, match="series="):
        plot.origin_forecasts(two)
    fig = plot.origin_forecasts(two, series="rural_penetration_pct")
    assert fig.axes[0].get_ylabel() == "rural_penetration_pct"
    sat = pd.concat([_saturation_frame(), _saturation_frame().assign(series_id="other_pct")])
    with pytest.raises(gc.DataError, match="series="):
        plot.saturation_drift(sat)
    assert _legend_texts(plot.saturation_drift(sat, series="other_pct"))[0] == "logistic"


# ---------------------------------------------------------------- plot methods and small multiples
def _render(fig: Figure) -> Figure:
    """Draw the figure (the layout runs then: a collapsed panel would warn, and warnings are errors)."""
    import io

    fig.savefig(io.BytesIO(), format="png")
    return fig


def _band_vertices(collection) -> np.ndarray:
    """The (x, y) outline of a fill_between band."""
    return np.concatenate([path.vertices for path in collection.get_paths()])


def test_result_plot_draws_the_forecast_and_nested_bands(logistic):
    fig = _render(logistic.plot(steps=6, levels=[0.8, 0.95]))
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    fc = logistic.forecast(steps=6, level=[0.8, 0.95])
    bands = {c.get_label(): c for c in ax.collections}
    assert set(bands) == {"80% interval", "95% interval"}
    x_fc = mdates.date2num(fc["date"])
    for lv in ("80", "95"):
        xy = _band_vertices(bands[f"{lv}% interval"])
        # every forecast bound is a vertex of its band, at its date (the band starts at the last observation)
        for bound in (f"lower_{lv}", f"upper_{lv}"):
            for x, y in zip(x_fc, fc[bound]):
                assert np.any(np.isclose(xy[:, 0], x) & np.isclose(xy[:, 1], y, rtol=1e-9, atol=1e-9)), (bound, x, y)
    # nested: the 95% band holds the 80% band
    assert (fc["lower_95"] <= fc["lower_80"]).all() and (fc["upper_80"] <= fc["upper_95"]).all()
    mean = next(ln for ln in ax.get_lines() if ln.get_label() == "forecast (mean)")
    np.testing.assert_allclose(np.asarray(mean.get_ydata(), float)[1:], fc["mean"])
    observed = next(ln for ln in ax.get_lines() if ln.get_label() == "observed")
    np.testing.assert_array_equal(np.asarray(observed.get_ydata(), float), logistic.y)


def test_result_plot_of_numeric_years_counts_in_years():
    years = np.arange(2005, 2020)
    y = 80.0 / (1.0 + np.exp(-0.45 * (years - 2012.0)))
    res = gc.fit("logistic", years, y + np.sin(years) * 0.3, name="ruritania")
    fig = _render(res.plot(steps=4, levels=0.9))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "time (decimal year)"
    mean = next(ln for ln in ax.get_lines() if ln.get_label() == "forecast (mean)")
    np.testing.assert_allclose(mean.get_xdata(), [2019.0, 2020.0, 2021.0, 2022.0, 2023.0])  # yearly steps
    assert [c.get_label() for c in ax.collections] == ["90% interval"]


def test_result_plot_on_a_given_axes(logistic):
    fig = Figure()
    ax = fig.add_subplot()
    assert logistic.plot(ax=ax, steps=3) is fig


@pytest.fixture(scope="module")
def three_countries() -> pd.DataFrame:
    panel = gc.load_panel("fixed_broadband")
    return panel[panel["series_id"].isin(["France", "Chile", "Kenya"])].reset_index(drop=True)


def test_batch_plot_one_panel_per_series(three_countries):
    many = gc.fit_many("logistic", three_countries, date="year")
    fig = _render(many.plot(steps=5))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert sorted(ax.get_title() for ax in panels) == sorted(many.series_ids)
    for ax in panels:
        sid = ax.get_title()
        observed = next(ln for ln in ax.get_lines() if ln.get_label() == "observed")
        np.testing.assert_array_equal(np.asarray(observed.get_ydata(), float), many[sid].y)
        if many[sid].status >= 0:
            fc = many[sid].forecast(steps=5, level=0.95)
            upper = _band_vertices(next(c for c in ax.collections if c.get_label() == "95% interval"))[:, 1]
            assert np.isclose(upper.max(), max(fc["upper"].max(), many[sid].y[-1]))
    chosen = many.plot(ids=["Kenya"], steps=2)
    assert [ax.get_title() for ax in chosen.axes if ax.get_visible()] == ["Kenya"]


def test_batch_plot_caps_the_panels_and_says_how_to_choose():
    panel = gc.load_panel("fixed_broadband")
    names = list(pd.unique(panel["series_id"]))[:30]
    many = gc.fit_many("linear", panel[panel["series_id"].isin(names)], date="year")
    with pytest.raises(gc.DataError, match=r"30 series .*max_panels=24.*ids="):
        many.plot()
    fig = many.plot(ids=names[:5], steps=2)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == names[:5]
    assert len(many.plot(max_panels=30, steps=2).axes) >= 30
    with pytest.raises(gc.DataError, match="no series"):
        many.plot(ids=["Atlantis"])


def test_batch_plot_shows_a_failed_fit_with_its_reason():
    long = pd.DataFrame({"series_id": ["a"] * 6 + ["b"] * 2, "date": [2000, 2001, 2002, 2003, 2004, 2005, 2000, 2001],
                         "value": [1.0, 2.0, 4.5, 8.0, 12.0, 14.5, 1.0, 2.0]})
    many = gc.fit_many("logistic", long)
    assert many["b"].status < 0
    fig = _render(many.plot(steps=2))
    ax_b = next(ax for ax in fig.axes if ax.get_title() == "b")
    assert any(t.get_text().startswith("fit failed:") for t in ax_b.texts)
    assert not ax_b.collections  # no band without a fit


@pytest.fixture(scope="module")
def three_country_backtest(three_countries):
    return gc.backtest(three_countries, date="year", models=["logistic", "drift", "naive"], horizons=range(1, 4),
                       min_train=10)


def test_backtest_plot_one_panel_per_series_and_no_zigzag(three_country_backtest):
    bt = three_country_backtest
    fig = _render(bt.plot())
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert sorted(ax.get_title() for ax in panels) == ["Chile", "France", "Kenya"]
    scores = bt.scores(by="horizon")
    for ax in panels:
        lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        assert sorted(ln.get_label() for ln in lines) == ["drift", "logistic", "naive"]
        for ln in lines:
            x = np.asarray(ln.get_xdata(), float)
            assert np.all(np.diff(x) > 0)  # one point per horizon, in order: no jump between series
            want = scores[(scores["series_id"] == ax.get_title()) & (scores["model"] == ln.get_label())]
            np.testing.assert_allclose(ln.get_ydata(), want.sort_values("horizon")["MAE"])
    # a model has the same colour in every panel
    colours = {(ln.get_label(), ln.get_color()) for ax in panels for ln in ax.get_lines()}
    assert len(colours) == 3


def test_backtest_plot_of_several_interval_kinds(three_countries):
    bt = gc.backtest(three_countries[three_countries["series_id"] == "Chile"], date="year",
                     models=["linear"], horizons=range(1, 3), min_train=10, intervals=["delta", "bootstrap"],
                     n_boot=20, random_state=1)
    (ax,) = bt.plot(metric="MAE").axes  # point errors do not depend on the interval: one line
    assert [ln.get_label() for ln in ax.get_lines()] == ["linear"]
    (ax,) = bt.plot(metric="winkler").axes  # interval scores do: one line per kind
    assert sorted(ln.get_label() for ln in ax.get_lines()) == ["linear bootstrap", "linear delta"]
    for ln in ax.get_lines():
        assert np.all(np.diff(np.asarray(ln.get_xdata(), float)) > 0)


def test_backtest_errors_refuses_rows_that_would_zigzag(forecasts):
    by_origin = (forecasts.assign(MAE=forecasts["error"].abs())[["model", "horizon", "origin_edition", "MAE"]])
    with pytest.raises(gc.DataError, match="repeat"):
        plot.backtest_errors(by_origin)


def test_backtest_plot_other_kinds(three_country_backtest):
    bt = three_country_backtest
    fig = _render(bt.plot(kind="origins", series="Chile"))
    assert any("Chile" in t.get_text() for t in fig.texts) or "Chile" in fig.get_suptitle()
    assert bt.plot(kind="saturation", series="Kenya").axes[0].get_ylabel()
    with pytest.raises(gc.DataError, match="kind"):
        bt.plot(kind="pie")


def test_plot_methods_without_matplotlib_name_the_extra(logistic, three_country_backtest, monkeypatch):
    many = gc.fit_many("linear", pd.DataFrame({"series_id": ["a"] * 3, "date": [2000, 2001, 2002],
                                               "value": [1.0, 2.0, 3.5]}))
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for draw in (logistic.plot, many.plot, three_country_backtest.plot):
        with pytest.raises(ImportError, match=r'pip install "growthcast\[plot\]"'):
            draw()


def test_backtest_panels_name_their_own_units(forecasts):
    scores = (forecasts.assign(abs_error=forecasts["error"].abs())
              .groupby(["series_id", "model", "horizon"], as_index=False)["abs_error"].mean()
              .rename(columns={"abs_error": "MAE"}))
    two = pd.concat([scores, scores.assign(series_id="netizens_million", MAE=scores["MAE"] * 10)])
    fig = _render(plot.backtest_errors(two))
    labels = {ax.get_title(): ax.get_ylabel() for ax in fig.axes if ax.get_visible()}
    assert labels == {"penetration_pct": "MAE (percentage points)", "netizens_million": "MAE"}
    line = next(ln for ax in fig.axes if ax.get_title() == "netizens_million" for ln in ax.get_lines()
                if ln.get_label() == "drift")
    np.testing.assert_allclose(line.get_ydata(), [5.0, 10.0])
