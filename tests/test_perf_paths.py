"""The fast paths give the same results as the plain ones: lazy imports, bootstrap blocks, look-ups, order.

Nothing here is timed (speed is measured by ``benchmarks/``); these tests pin
what the faster code must not change.
"""

from __future__ import annotations

import subprocess
import sys
import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from growthcast import uncertainty


def _logistic_frame(ids, n=24, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2000-01-31", periods=n, freq="6ME")
    t = np.arange(n) / 2.0
    rows = []
    for k, sid in enumerate(ids):
        K, r, t0 = 60 + 5 * k, 0.5 + 0.05 * k, 5 + 0.3 * k
        y = K / (1 + np.exp(-r * (t - t0))) * (1 + 0.02 * rng.standard_normal(n))
        rows.append(pd.DataFrame({"series_id": sid, "date": dates, "value": y}))
    return pd.concat(rows, ignore_index=True)


# ------------------------------------------------------------------ start-up
def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True,
    )
    return set(out.stdout.split())


def test_import_loads_no_heavy_dependency():
    loaded = _modules_after("import growthcast")
    assert not loaded & {"pandas", "scipy", "statsmodels", "matplotlib"}


def test_a_fit_loads_neither_scipy_stats_nor_statsmodels_nor_matplotlib():
    loaded = _modules_after(
        "import growthcast as gc\n"
        "gc.fit('logistic', [2000.0 + i / 2 for i in range(12)], [1, 2, 4, 8, 15, 25, 37, 48, 56, 61, 64, 65])"
    )
    assert "growthcast.fitting" in loaded
    assert not loaded & {"scipy.stats", "statsmodels", "matplotlib"}


def test_lazy_public_names():
    assert set(gc.__all__) <= set(dir(gc))
    for name in gc.__all__:
        assert getattr(gc, name) is not None
    from growthcast.fitting import fit_many
    from growthcast.models import Logistic

    assert gc.fit_many is fit_many and gc.Logistic is Logistic
    import growthcast.backtest  # noqa: F401  the subpackage must not hide the function

    assert callable(gc.backtest) and gc.backtest.__name__ == "backtest"
    with pytest.raises(AttributeError):
        gc.no_such_name  # noqa: B018


def test_diebold_mariano_p_value_matches_scipy_stats():
    stats = pytest.importorskip("scipy.stats")
    from growthcast.backtest import diebold_mariano

    rng = np.random.default_rng(3)
    for h in (1, 3):
        stat, p, _ = diebold_mariano(rng.standard_normal(30) + 0.3, h=h)
        assert p == float(2.0 * stats.t.sf(abs(stat), df=29))


# ------------------------------------------------------------------ bootstrap in blocks
@pytest.fixture
def small_blocks(monkeypatch):
    def use(elements: int) -> None:
        monkeypatch.setattr(uncertainty, "BOOT_CHUNK_ELEMENTS", elements)
    return use


def test_bootstrap_blocks_change_no_bit(small_blocks):
    df = _logistic_frame(["a", "b", "c", "d", "e"])
    whole = gc.fit_many("logistic", df, interval="bootstrap", n_boot=40, random_state=7)
    fc_whole = whole.forecast(steps=4)
    small_blocks(1)  # one series per block, in the refits and in the forecast
    blocks = gc.fit_many("logistic", df, interval="bootstrap", n_boot=40, random_state=7)
    fc_blocks = blocks.forecast(steps=4)
    np.testing.assert_array_equal(whole.fitted.bootstrap.params, blocks.fitted.bootstrap.params)
    pd.testing.assert_frame_equal(fc_whole, fc_blocks, check_exact=True)
    small_blocks(2 * 40 * 24)  # two series per block: a partial last block
    pd.testing.assert_frame_equal(
        gc.fit_many("logistic", df, interval="bootstrap", n_boot=40, random_state=7).forecast(steps=4),
        fc_whole, check_exact=True,
    )


def test_bootstrap_forecast_memory_is_linear_in_replicates(small_blocks):
    """A block of series is evaluated at a time: nothing of size batch x replicates x batch."""
    df = _logistic_frame(["a", "b", "c"])
    many = gc.fit_many("logistic", df, interval="bootstrap", n_boot=30, random_state=1)
    B, R, _ = many.fitted.bootstrap.params.shape
    assert (B, R) == (3, 30)
    single = gc.fit("logistic", df[df["series_id"] == "b"]["date"], df[df["series_id"] == "b"]["value"],
                    interval="bootstrap", n_boot=30, random_state=1)
    assert single.forecast(steps=3).shape[0] == 3


# ------------------------------------------------------------------ look-up and order
def test_batch_keeps_the_input_order_of_series():
    ids = ["10", "2", "b", "1", "a"]
    many = gc.fit_many("logistic", _logistic_frame(ids))
    assert list(many.series_ids) == ids
    assert list(many.params.index) == ids
    assert list(many.results()) == ids
    # the same numbers as each series fitted alone
    df = _logistic_frame(ids)
    for sid in ids:
        part = df[df["series_id"] == sid]
        alone = gc.fit("logistic", part["date"], part["value"])
        np.testing.assert_array_equal(many[sid].fitted.params, alone.fitted.params)


def test_integer_ids_keep_their_order_and_type():
    df = _logistic_frame([10, 2, 1])
    many = gc.fit_many("logistic", df)
    assert list(many.series_ids) == [10, 2, 1] and many.series_ids.dtype == np.int64
    assert 2 in many and "2" not in many and [] not in many
    assert many[2].series_id == 2 and type(many[2].series_id) is int
    with pytest.raises(KeyError, match="no series"):
        many["2"]
    with pytest.raises(KeyError, match="no series"):
        many[[1]]


def test_lookup_uses_the_row_of_the_id():
    ids = [f"s{i}" for i in range(7)]
    many = gc.fit_many("logistic", _logistic_frame(ids))
    for b, sid in enumerate(ids):
        assert many[sid].series_id == sid
        np.testing.assert_array_equal(many[sid].fitted.params, many.fitted.params[b:b + 1])


# ------------------------------------------------------------------ fit_many in blocks of series
def _ragged_frame() -> pd.DataFrame:
    """Seven series of different lengths (one with a gap), percentages, so that every model can fit."""
    df = _logistic_frame([f"s{i}" for i in range(7)], n=26, seed=5)
    df = df[~((df["series_id"] == "s2") & (df.index % 26 >= 20))]  # a shorter series
    df = df[~((df["series_id"] == "s4") & (df.index % 26 == 7))]  # a gap
    df = df.assign(value=df["value"].clip(0.5, 99.0))
    return df.reset_index(drop=True)


def _same(a, b, rtol: float = 0.0) -> None:
    if isinstance(a, np.ndarray):
        if rtol and a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=rtol, atol=0)
        else:
            np.testing.assert_array_equal(a, b)
    elif isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            _same(x, y, rtol)
    elif isinstance(a, gc.models.Fitted):
        for name in ("params", "cov", "sigma2", "sse", "n_obs", "n_params", "n_iter", "status", "t_last", "y_last",
                     "percent", "message", "loglike"):
            _same(getattr(a, name), getattr(b, name), rtol)
        assert set(a.state) == set(b.state)
        for k in a.state:
            _same(a.state[k], b.state[k], rtol)
    elif dataclasses.is_dataclass(a):  # a kernel's fit (exponential smoothing, ARIMA)
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), rtol)
    else:
        assert a == b


@pytest.mark.parametrize("model", list(gc.models.model_names()))
def test_fit_many_in_blocks_changes_no_bit(model, monkeypatch):
    from growthcast import fitting

    df = _ragged_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels on short series
        whole = gc.fit_many(model, df)
        monkeypatch.setattr(fitting, "FIT_CHUNK_ELEMENTS", 2 * 26)  # two series per block, a partial last block
        blocks = gc.fit_many(model, df)
        assert whole.series_ids.equals(blocks.series_ids)
        # ARIMA's regular grids are as long as the longest series of the block, and its likelihood sums move
        # in the last bits with that padding; every other model gives the same bits
        rtol = 1e-9 if model == "arima" else 0.0
        _same(whole.fitted, blocks.fitted, rtol)
        ok = whole.fitted.status > 0
        if ok.any():
            pd.testing.assert_frame_equal(whole.forecast(steps=3), blocks.forecast(steps=3), check_exact=not rtol,
                                          rtol=rtol or 1e-5)

