"""Where today's fast paths meet: regressions found in review, one test each."""

import numpy as np
import pytest

import growthcast as gc


def _curves(B: int = 3, N: int = 12) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(2000.0, 2000.0 + N)
    scale = np.linspace(0.9, 1.1, B)[:, None]
    return t, scale * 80.0 / (1.0 + np.exp(-0.6 * (t - 2005.0)))


@pytest.mark.parametrize("model", ["logistic", "linear", "naive"])
@pytest.mark.parametrize("shared_axis", [True, False])
def test_fit_arrays_leaves_the_callers_arrays_writable_and_owns_its_own(model, shared_axis):
    # the regular-layout fast path kept the caller's arrays, and the result made them read-only
    t, y = _curves()
    t = t if shared_axis else np.tile(t, (len(y), 1))
    mask = np.ones(y.shape, dtype=bool)
    kept = y.copy()
    res = gc.fit_arrays(model, t, y, mask)
    assert t.flags.writeable and y.flags.writeable and mask.flags.writeable
    y[:] = 1.0  # the caller reuses its buffer
    mask[:, -1] = False
    np.testing.assert_array_equal(res.y, kept)
    assert res.mask.all()
