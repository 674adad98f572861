"""``saturating`` on raw adoption series: zeros before launch are left out, later zeros fail the series."""

import numpy as np
import pandas as pd

import growthcast as gc


def _panel(seed: int = 5) -> pd.DataFrame:
    """Six yearly logistic series to 2022; the first two start with zeros (before their launch)."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(6):
        t = np.arange(1995.0, 2023.0)
        y = (60.0 + 8 * k) / (1.0 + np.exp(-0.35 * (t - 2006.0 - k))) * np.exp(rng.normal(0.0, 0.03, t.size))
        if k < 2:
            y[: 3 + k] = 0.0
        parts.append(pd.DataFrame({"series_id": f"s{k}", "date": t, "value": y}))
    return pd.concat(parts, ignore_index=True)


def test_leading_zeros_are_left_out_as_if_the_rows_were_not_there():
    raw = _panel()
    launched = raw[raw.groupby("series_id")["value"].transform(lambda v: (v > 0).cumsum() > 0)]
    assert len(launched) == len(raw) - 3 - 4
    with_zeros = gc.fit_many("saturating", raw, progress=False)
    without = gc.fit_many("saturating", launched, progress=False)
    assert (with_zeros.fitted.status > 0).all()
    a = with_zeros.forecast(steps=5, level=0.8)
    b = without.forecast(steps=5, level=0.8)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


def test_a_zero_after_launch_still_fails_that_series_only():
    raw = _panel()
    raw.loc[(raw["series_id"] == "s3") & (raw["date"] == 2015.0), "value"] = 0.0
    many = gc.fit_many("saturating", raw, progress=False)
    status = dict(zip(many.series_ids, many.fitted.status))
    assert status["s3"] < 0
    assert all(v > 0 for sid, v in status.items() if sid != "s3")
    assert "positive values" in many.summary().loc["s3", "message"]
