"""``gc.fit`` on one series takes its own route (``_numerics.lone``); its results must be the batch path's.

The reference is the batch path itself: ``gc.fit_many`` on a frame holding
the series, and ``gc.fit`` with the lone route switched off. Both are
compared on every number a result holds (parameters, standard errors,
covariance, sums of squares, iterations, status, message, forecasts and
their intervals) for equality to the last bit (the lone route repeats the
batch's arithmetic operation for operation; issue 16 asks for 1e-9), on the
CNNIC series, on country panels and on synthetic curves drawn by hypothesis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import growthcast as gc
import growthcast.fitting as fitting
from growthcast._numerics import lone

CURVES = ["logistic", "gompertz", "richards", "bass", "weibull"]
RTOL = 0.0  # the same bits (assert_allclose only to let -0.0 equal 0.0)


def _batch_fit(monkeypatch, *args, **kwargs):
    """``gc.fit`` through the batch path: the lone route switched off."""
    with monkeypatch.context() as m:
        m.setattr(fitting, "_fit_lone", lambda *a, **k: None)
        return gc.fit(*args, **kwargs)


def _close(a, b, what):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, what
    assert np.array_equal(np.isnan(a), np.isnan(b)), what
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=RTOL, atol=0.0, err_msg=what)


def _same(res: gc.FitResult, ref: gc.FitResult) -> None:
    """Every number of two results is equal (RTOL); labels and flags are equal."""
    assert res.status == ref.status and res.message == ref.message
    assert res.series_id == ref.series_id and res.has_dates == ref.has_dates
    assert res.percent == ref.percent and res.n_missing == ref.n_missing
    assert (res.step, res.months, res.frequency) == (ref.step, ref.months, ref.frequency)
    np.testing.assert_array_equal(res.t, ref.t)
    np.testing.assert_array_equal(res.y, ref.y)
    assert res.n_iter == ref.n_iter and res.nobs == ref.nobs and res.df_resid == ref.df_resid
    for name in ("params", "stderr", "cov"):
        _close(getattr(res, name), getattr(ref, name), name)
    for name in ("sse", "sigma2", "t_last", "y_last"):
        _close(getattr(res.fitted, name), getattr(ref.fitted, name), name)
    if ref.status >= 0:
        a, b = res.forecast(steps=8), ref.forecast(steps=8)
        pd.testing.assert_index_equal(a.columns, b.columns)
        for col in ("mean", "lower", "upper"):
            _close(a[col], b[col], f"forecast {col}")


@pytest.fixture(scope="module")
def cnnic():
    return gc.load_cnnic()


def _lone_calls(monkeypatch):
    """A counter of the lone route's solver calls that succeed."""
    calls = []
    real = fitting.fit_one

    def counting(*args):
        out = real(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(fitting, "fit_one", counting)
    return calls


@pytest.mark.parametrize("model", CURVES)
@pytest.mark.parametrize("column", ["penetration_pct", "netizens_million"])
def test_cnnic_dates_match_fit_many(cnnic, model, column, monkeypatch):
    calls = _lone_calls(monkeypatch)
    res = gc.fit(model, cnnic["as_of"], cnnic[column])
    assert calls == [True]  # the lone route did the fit
    frame = pd.DataFrame({"series_id": column, "date": cnnic["as_of"], "value": cnnic[column]})
    ref = gc.fit_many(model, frame)[column]
    _same(res, ref)
    assert res.has_dates and res.n_missing == int(cnnic[column].isna().sum())


@pytest.mark.parametrize("model", CURVES)
def test_cnnic_plain_arrays_match_batch(cnnic, model, monkeypatch):
    from growthcast.data import to_decimal_year

    kept = cnnic["penetration_pct"].notna().to_numpy()
    t = to_decimal_year(cnnic["as_of"])[kept]
    y = cnnic["penetration_pct"].to_numpy()[kept]
    calls = _lone_calls(monkeypatch)
    res = gc.fit(model, t, y)
    assert calls == [True]
    _same(res, _batch_fit(monkeypatch, model, t, y))
    assert res.series_id == "y" and not res.has_dates and not res.percent


@pytest.mark.parametrize("model", ["logistic", "gompertz", "weibull"])
def test_fixed_ceiling_percent_and_freq_match_batch(cnnic, model, monkeypatch):
    args = (model, cnnic["as_of"], cnnic["penetration_pct"])
    kwargs = dict(fixed={"K": 100}, freq="quarterly")
    calls = _lone_calls(monkeypatch)
    res = gc.fit(*args, **kwargs)
    assert calls == [True]
    assert res.percent and res.months == 3 and res.stderr["K"] == 0.0
    _same(res, _batch_fit(monkeypatch, *args, **kwargs))


@pytest.fixture(scope="module")
def mobile_full():
    """The countries of the mobile-cellular panel observed in every year (136 series of 60 points)."""
    data = gc.load_panel("mobile_cellular")
    data = data[data["value"].notna()]
    size = data.groupby("series_id")["year"].transform("size")
    return data[size == size.max()]


@pytest.mark.parametrize("model", CURVES)
def test_panel_series_match_fit_many(mobile_full, model, monkeypatch):
    """Each country fitted alone gives its numbers in one ``fit_many`` batch of all of them.

    The series have equal lengths: in a batch of series of different lengths
    the shorter ones are padded, and the batch core's sums then run over
    more terms, which moves ill-conditioned fits (a Richards ``nu``) by far
    more than 1e-9; a series alone is compared with ``fit_many`` on it alone
    (:func:`test_panel_series_of_any_length_match_fit_many`).
    """
    many = gc.fit_many(model, mobile_full, date="year")
    calls = _lone_calls(monkeypatch)
    statuses = []
    for sid, one in mobile_full.groupby("series_id", sort=False):
        res = gc.fit(model, one["year"].to_numpy(), one["value"].to_numpy(), name=sid)
        _same(res, many[sid])
        statuses.append(res.status)
    assert len(statuses) == 136 and sum(calls) >= 120  # nearly all take the lone route


@pytest.mark.parametrize("model", CURVES)
def test_panel_series_of_any_length_match_fit_many(model, monkeypatch):
    """Every 8th country of the broadband panel, with its zeros and gaps: successes and failures alike."""
    data = gc.load_panel("fixed_broadband")
    for sid in list(pd.unique(data["series_id"]))[::8]:
        one = data[data["series_id"] == sid]
        res = gc.fit(model, one["year"].to_numpy(), one["value"].to_numpy(), name=sid)
        _same(res, gc.fit_many(model, one, date="year")[sid])


def test_failures_give_the_batch_status_and_message(monkeypatch):
    """A fit the batch fails (too few points, not identifiable, implausible) has its status and message."""
    t = np.arange(12.0)
    far = 1000.0 / (1.0 + np.exp(-0.4 * (t - 25.0))) * (1.0 + 0.01 * np.random.default_rng(0).standard_normal(12))
    cases = [
        ("logistic", t[:3], np.array([1.0, 2.0, 3.0]), {}),  # as many points as parameters
        ("logistic", t, np.exp(0.3 * t), {}),  # still growing exponentially: not identifiable
        ("gompertz", t, far, {}),  # a fitted ceiling far above the data
        ("logistic", t, 5.0 / (1.0 + np.exp(-(t - 4.0))), {"K": 3.0}),  # a fixed ceiling below the data
        ("richards", t, np.full(12, 2.0), {}),
        ("logistic", t, 5.0 / (1.0 + np.exp(-(t - 4.0))), {"t0": 3000.0}),  # a fixed time far from the data
    ]
    for model, tt, yy, fixed in cases:
        res = gc.fit(model, tt, yy, fixed=fixed)
        ref = _batch_fit(monkeypatch, model, tt, yy, fixed=fixed)
        assert res.status < 0, (model, fixed)
        _same(res, ref)


def test_input_the_fast_checks_do_not_cover_goes_the_full_way(monkeypatch):
    """Unsorted times, strings, booleans and bad values: the full validation (its errors, its sorting)."""
    t = np.array([2003.0, 2001.0, 2002.0, 2004.0, 2005.0, 2006.0])
    y = np.array([30.0, 10.0, 20.0, 40.0, 48.0, 52.0])
    res = gc.fit("logistic", t, y)
    np.testing.assert_array_equal(res.t, np.sort(t))
    _same(res, _batch_fit(monkeypatch, "logistic", t, y))
    with pytest.raises(gc.DataError, match="negative values"):
        gc.fit("logistic", np.arange(6.0), [1.0, 2.0, -3.0, 4.0, 5.0, 6.0])
    with pytest.raises(gc.DataError, match="duplicate"):
        gc.fit("logistic", [1.0, 1.0, 2.0, 3.0, 4.0, 5.0], np.arange(1.0, 7.0))
    with pytest.raises(gc.DataError, match="infinite"):
        gc.fit("logistic", np.arange(6.0), [1.0, 2.0, np.inf, 4.0, 5.0, 6.0])
    with pytest.raises(gc.DataError, match="percentages"):
        gc.fit("logistic", np.arange(6.0), pd.Series([1.0, 2.0, 300.0, 4.0, 5.0, 6.0], name="x_pct"))
    strings = ["2001-06-30", "2002-06-30", "2003-06-30", "2004-06-30", "2005-06-30", "2006-06-30"]
    _same(gc.fit("logistic", strings, y), _batch_fit(monkeypatch, "logistic", strings, y))


def test_plain_series_agrees_with_full_validation(cnnic):
    """The fast validator's times, values and flags are those of ``series_from_arrays``."""
    from growthcast.data import plain_series, series_from_arrays

    old_dates = pd.Series(pd.to_datetime(["1899-12-31", "1950-03-01 13:45", "1969-12-31 23:59:59.5", "1970-01-01",
                                          "2000-02-29"], format="ISO8601"))
    cases = [(cnnic["as_of"], cnnic["penetration_pct"]), (np.arange(5), np.array([1, 2, 3, 5, 8])),
             (old_dates, np.array([1.0, np.nan, 3.0, 4.0, 5.0])), (old_dates.to_numpy().astype("datetime64[s]"),
                                                                    np.arange(1, 6))]
    for t, y in cases:
        fast = plain_series(t, y)
        full = series_from_arrays(t, y)
        np.testing.assert_array_equal(fast.t, full.t)
        np.testing.assert_array_equal(fast.y, full.y)
        assert fast.name == full.ids[0]
        assert fast.percent == full.percent[0]
        assert fast.n_missing == full.n_missing[0]
        assert fast.has_dates == full.has_dates
    # a missing date or one below a microsecond: left to the full validation (its error, its rounding)
    for unit, first in (("us", "NaT"), ("ns", "2001-01-01"), ("s", "NaT")):
        t = np.array([first, "2002-01-01T00:00:00.000000500", "2003-01-01"], dtype=f"datetime64[{unit}]")
        assert plain_series(t, np.array([1.0, 2.0, 3.0])) is None
        assert plain_series(pd.Series(t), np.array([1.0, 2.0, 3.0])) is None


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), unit=st.sampled_from(["us", "ns"]), as_series=st.booleans(),
       first=st.integers(1843, 2200))
def test_plain_series_dates_are_those_of_full_validation(seed, unit, as_series, first):
    """Thousands of increasing dates, to the microsecond, over a few years to centuries: the fast
    validator's decimal years are ``to_decimal_year``'s to the last bit (the times the fits see)."""
    from growthcast.data import plain_series, series_from_arrays

    rng = np.random.default_rng(seed)
    origin = (np.datetime64(f"{first}-01-01", "us") - np.datetime64("1970-01-01", "us")).astype(np.int64)
    span = int(rng.choice([3, 30, 60])) * 31_622_400 * 10**6  # years, in microseconds
    steps = rng.integers(10**6, 2 * span // 2000, 2000)  # at least a second apart
    moments = (origin + np.cumsum(steps)).astype("datetime64[us]").astype(f"datetime64[{unit}]")
    t = pd.Series(moments) if as_series else moments
    y = np.linspace(1.0, 2.0, len(moments))
    fast = plain_series(t, y)
    full = series_from_arrays(t, y)
    np.testing.assert_array_equal(fast.t, full.t)
    assert fast.has_dates and full.has_dates


def test_settings_are_the_batch_cores():
    """The lone solver's tolerances and damping are ``lm.solve``'s, its starts ``curvefit``'s."""
    import inspect

    from growthcast._numerics import curvefit, lm

    defaults = inspect.signature(lm.solve).parameters
    assert (lone.XTOL, lone.FTOL, lone.GTOL) == tuple(defaults[k].default for k in ("xtol", "ftol", "gtol"))
    assert (lone.RHO_MIN, lone.LAM_MAX, lone.TINY, lone.LAM0) == (lm._RHO_MIN, lm._LAM_MAX, lm._TINY, lm._LAM0)
    assert lone._MAX_ITER == inspect.signature(curvefit.fit_curve).parameters["max_iter"].default
    np.testing.assert_array_equal(lone._CEILINGS, curvefit._CEILINGS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    model=st.sampled_from(CURVES),
    n=st.integers(6, 60),
    start=st.floats(-50.0, 2020.0),
    spacing=st.sampled_from([0.25, 0.5, 1.0]),
    level=st.floats(1e-3, 1e6),
    rate=st.floats(0.1, 2.0),
    centre=st.floats(0.1, 0.9),
    noise=st.floats(0.0, 0.05),
    seed=st.integers(0, 2**16),
    fix_ceiling=st.booleans(),
    gaps=st.booleans(),
)
def test_synthetic_curves_match_batch(monkeypatch, model, n, start, spacing, level, rate, centre, noise, seed,
                                      fix_ceiling, gaps):
    """Any noisy S-curve (or part of one), any scale and time origin, with a fixed ceiling or not and missing
    values or not: the lone route gives the batch's result, success or failure."""
    t = start + spacing * np.arange(n)
    mid = t[0] + centre * (t[-1] - t[0])
    rng = np.random.default_rng(seed)
    y = level / (1.0 + np.exp(-rate * (t - mid))) * (1.0 + noise * rng.standard_normal(n))
    y = np.abs(y)
    if gaps:
        y[1::5] = np.nan
    fixed = {"m" if model == "bass" else "K": 1.05 * level} if fix_ceiling else None
    with monkeypatch.context() as patch:  # the fixture lives across examples: undo the patch each time
        calls = _lone_calls(patch)
        res = gc.fit(model, t, y, fixed=fixed)
    event(f"lone route: {'fitted' if calls == [True] else 'declined' if calls else 'not taken'}")
    _same(res, _batch_fit(monkeypatch, model, t, y, fixed=fixed))


def test_a_curve_model_with_its_own_fitting_goes_the_batch_way():
    """A subclass that changes ``fit_arrays`` gets its own fitting, not the lone route's copy of the base one."""
    from dataclasses import dataclass

    @dataclass(frozen=True, kw_only=True, repr=False)
    class Flagged(gc.Logistic):
        def fit_arrays(self, t, y, mask, percent, *, start=None, weights=None):
            fitted = super().fit_arrays(t, y, mask, percent, start=start, weights=weights)
            return fitted.replace(n_iter=fitted.n_iter + 1000)

    t = np.arange(20.0)
    y = 50.0 / (1.0 + np.exp(-0.5 * (t - 10.0))) + 0.1 * np.sin(t)
    assert gc.fit(Flagged(), t, y).n_iter == gc.fit("logistic", t, y).n_iter + 1000


def _batch_evaluation(curve, tc, ys, u, free):
    """``lm._evaluate`` and ``lm._fix`` on one problem, with ``fit_curve``'s model: cost, J'J and J'r."""
    from growthcast._numerics import lm

    positive = np.array([name in curve.positive for name in curve.params])

    def model(x, rows):
        with np.errstate(over="ignore"):
            v = np.where(positive, np.exp(x), x)
        f, J = curve.evaluate(tc[None, :][rows], v)
        return f, J, np.where(positive, v, 1.0)

    lay = lm._Layout(len(u))
    point = np.empty((lay.point, 1))
    point[lay.x, 0] = u
    lm._evaluate(model, point, lay, np.arange(1), ys[None, :], None)
    fixed = ~np.array(free)[:, None]
    lm._fix(point, lay, None if not fixed.any() else fixed)
    return point[lay.cost, 0], lay.jtj(point)[:, :, 0], point[lay.g, 0]


@settings(max_examples=150, deadline=None)
@given(model=st.sampled_from(CURVES), n=st.integers(3, 40), seed=st.integers(0, 2**32 - 1),
       log_rate=st.floats(-8.0, 9.0), shift=st.floats(-300.0, 300.0), fix=st.integers(0, 15))
def test_evaluation_is_the_batch_evaluation(model, n, seed, log_rate, shift, fix):
    """The lone route's model at any point, far ones included (rates in the thousands, where the kernels'
    exponents reach their caps, or next to nothing): the batch's cost, J'J and J'r to the last bit."""
    from growthcast.curves import CURVES as KINDS

    curve = KINDS[model]
    rng = np.random.default_rng(seed)
    tc = np.sort(rng.uniform(-15.0, 15.0, n))
    ys = rng.uniform(0.0, 1.0, n)
    P = len(curve.params)
    u = rng.normal(0.0, 1.0, P)
    u[curve.params.index(curve.saturation)] = rng.normal(0.0, 0.5)
    u[1] = log_rate  # the rate (Bass: p) on the log scale
    u[2] = shift if curve.params[2] in curve.time else rng.normal(-1.0, 1.0)
    free = [not (fix >> p) & 1 for p in range(P)]
    sh = lone._shape(curve)
    work = lone._work(sh, n, free)
    work.tc[:], work.ys[:] = tc, ys
    work.problem.ends[:] = float(tc[0]), float(tc[-1])
    with np.errstate(all="ignore"):
        cost, H, g, *_ = work.problem.evaluate(u.tolist())
        want_cost, want_H, want_g = _batch_evaluation(curve, tc, ys, u, free)
    np.testing.assert_array_equal(cost, want_cost)
    np.testing.assert_array_equal(np.array(H), want_H)
    np.testing.assert_array_equal(np.array(g), want_g)


def test_threads_fitting_at_once_get_the_same_results():
    """Each thread has its own workspace: fits running side by side give the numbers of fits one by one."""
    from concurrent.futures import ThreadPoolExecutor

    t = np.arange(30.0)
    rng = np.random.default_rng(3)
    cases = [(model, 40.0 / (1.0 + np.exp(-0.4 * (t - 12.0 - k))) * (1.0 + 0.02 * rng.standard_normal(30)))
             for k in range(8) for model in ("logistic", "gompertz", "richards")]
    alone = [gc.fit(model, t, y).params.to_numpy() for model, y in cases]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda case: gc.fit(case[0], t, case[1]).params.to_numpy(), cases * 4))
    for k, params in enumerate(together):
        np.testing.assert_array_equal(params, alone[k % len(cases)])


@pytest.mark.parametrize("model", CURVES)
def test_implausible_one_is_the_batch_check(model):
    """The lone route's plausibility check on Python numbers flags what ``_implausible`` flags."""
    spec = gc.models.get_model(model)
    ceiling = spec.curve.params.index(spec.curve.saturation)
    for fixed in ({}, {spec.curve.saturation: 50.0}):
        one = spec.with_fixed(fixed) if fixed else spec
        for value in (1.0, 19.9 * 3.0, 20.0 * 3.0, 20.1 * 3.0, 1e300, np.inf, np.nan):
            for top in (0.0, 3.0, 49.9, 50.0, 50.1, 60.0):
                for status in (2, 0, -3):
                    params = np.full(len(spec.curve.params), 1.0)
                    params[ceiling] = fixed.get(spec.curve.saturation, value)
                    with np.errstate(all="ignore"):
                        want = one._implausible(params[None, :], np.array([status]), np.array([top]))[0][0]
                    assert one._implausible_one(params.tolist(), status, top) == bool(want), (fixed, value, top)


@pytest.mark.parametrize("model", CURVES)
def test_fixed_one_is_fixed_array(model):
    """The single fit's fixed values on Python floats are ``_fixed_array``'s (Bass: the start at the first
    time unless fitted or fixed)."""
    spec = gc.models.get_model(model)
    t = np.array([2001.25, 2002.5, 2004.0])
    options = [{}] + [{name: 0.5 + k} for k, name in enumerate(spec.curve.params)]
    specs = [spec.with_fixed(fixed) if fixed else spec for fixed in options]
    if model == "bass":
        specs += [gc.Bass(fit_start=True), gc.Bass(fit_start=True, fixed={"ts": 2000.0})]
    for one in specs:
        assert one._fixed_one_matches()
        want = one._fixed_array(t[None, :], np.ones((1, 3), dtype=bool))[0]
        np.testing.assert_array_equal(np.array(one._fixed_one(float(t[0]))), want)


def test_a_curve_model_with_its_own_fixed_values_goes_its_own_way():
    """A subclass that changes ``_fixed_array`` keeps it: the single fit asks it, not its Python twin."""
    from dataclasses import dataclass

    @dataclass(frozen=True, kw_only=True, repr=False)
    class Capped(gc.Logistic):
        def _fixed_array(self, t, mask):
            fixed = super()._fixed_array(t, mask)
            fixed[:, 0] = 60.0
            return fixed

    t = np.arange(20.0)
    y = 50.0 / (1.0 + np.exp(-0.5 * (t - 10.0))) + 0.1 * np.sin(t)
    assert not Capped()._fixed_one_matches()
    assert gc.fit(Capped(), t, y).params["K"] == 60.0


@settings(max_examples=200, deadline=None)
@given(model=st.sampled_from(CURVES), n=st.integers(3, 40), seed=st.integers(0, 2**32 - 1), fix=st.integers(0, 15),
       level=st.floats(0.0, 1.0), noise=st.floats(0.0, 0.5))
def test_start_is_the_batch_start(model, n, seed, fix, level, noise):
    """``lone._start`` on any scaled series, with any parameters fixed: ``curvefit.self_start``'s values, to
    the bit (the straight lines, the curves' guesses and the choice among the candidate ceilings)."""
    from growthcast._numerics import curvefit
    from growthcast.curves import CURVES as KINDS

    curve = KINDS[model]
    rng = np.random.default_rng(seed)
    tc = np.sort(rng.uniform(-10.0, 10.0, n))
    tc -= tc.sum() / n
    ys = np.clip(level / (1.0 + np.exp(-rng.uniform(0.1, 2.0) * (tc - rng.uniform(-5, 5))))
                 + noise * rng.standard_normal(n), 0.0, None)
    ys /= max(ys.max(), 1e-300) if ys.max() > 0 else 1.0
    P = len(curve.params)
    guesses = rng.uniform(0.2, 3.0, P)
    fixed = [float(guesses[p]) if (fix >> p) & 1 else np.nan for p in range(P)]
    free = [v != v for v in fixed]
    sh = lone._shape(curve)
    work = lone._work(sh, n, free)
    work.tc[:], work.ys[:] = tc, ys
    work.problem.ends[:] = float(tc[0]), float(tc[-1])
    with np.errstate(all="ignore"):
        got = lone._start(sh, work, fixed, float(ys.max()))
        want = curvefit.self_start(curve, tc[None, :], ys[None, :], np.ones((1, n), dtype=bool),
                                   np.array([fixed]), ymax=np.array([ys.max()]))[0]
    np.testing.assert_array_equal(np.array(got), want)


@pytest.mark.parametrize(("model", "fixed"), [
    ("bass", {"m": 60.0, "p": 0.01, "q": 0.5}),  # every parameter fixed (ts at the first time)
    ("bass", {"m": 60.0, "p": 0.01}),
    ("weibull", {"K": 60.0, "r": 0.4, "k": 2.0}),
    ("richards", {"nu": 0.5}),
    ("logistic", {"K": 60.0, "r": 0.5}),
])
def test_fixed_parameters_match_batch(model, fixed, monkeypatch):
    """Any set of fixed parameters but a time, all of them included: the lone route, the batch's numbers."""
    t = np.arange(2000.0, 2015.0)
    y = 50.0 / (1.0 + np.exp(-0.5 * (t - 2007.0))) + 0.3 * np.sin(t)
    calls = _lone_calls(monkeypatch)
    res = gc.fit(model, t, y, fixed=fixed)
    assert calls == [True]
    _same(res, _batch_fit(monkeypatch, model, t, y, fixed=fixed))
