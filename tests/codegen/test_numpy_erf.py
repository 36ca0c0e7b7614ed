"""The numpy module's own erf (numpy has none), against mpmath at 40 digits."""
from __future__ import annotations

import mpmath as mp
import numpy as np


def test_erf_to_a_few_ulp(np_kernels):
    xs = np.concatenate([np.linspace(-7, 7, 4001), 10.0 ** np.linspace(-300, 0.85, 600),
                         -(10.0 ** np.linspace(-300, 0.85, 600)), np.nextafter(3.0, [0.0, 9.0])])
    values = np_kernels._erf(xs)
    with mp.workdps(40):
        ulps = [abs(mp.mpf(v) - mp.erf(mp.mpf(x))) / (abs(mp.erf(mp.mpf(x))) * 2.0**-53) if x else abs(v)
                for x, v in zip(xs, values)]
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= 16, f"erf({xs[worst]!r}): {float(ulps[worst]):.1f} ulp"


def test_erf_at_the_ends(np_kernels):
    values = np_kernels._erf(np.array([0.0, -0.0, 6.0, 40.0, np.inf, -np.inf, np.nan]))
    assert values[0] == 0.0 and np.signbit(values[1])
    assert values[2] == 1.0 and values[3] == 1.0 and values[4] == 1.0 and values[5] == -1.0
    assert np.isnan(values[6])
