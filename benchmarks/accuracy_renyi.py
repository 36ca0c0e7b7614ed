"""Accuracy of the Rényi-family kernels against mpmath at 60 digits, over grids of hard inputs.

Run by hand:  python benchmarks/accuracy_renyi.py   (also printed by benchmarks/accuracy.py)
Side by side: the generated numpy and C kernels and the textbook closed forms of Gil, Alajaji &
Linder (2013), written in numpy.  The tests import the grids, references and bounds from here
(tests/codegen/test_renyi_kernels.py).

The hard places: q ≈ p (every divergence vanishes), α → 1 (1/(α − 1) times a vanishing log),
α → 0 and large α, ratios σ₁/σ₂ from 1e-300 to 1e300, and α > 1 near σ_α² = 0, where the
divergence is ill-conditioned itself (there the bound is by the condition number of σ_α²).
"""
from __future__ import annotations

import sys
from collections.abc import Callable

import mpmath as mp
import numpy as np

from benchmarks.accuracy import EPSILONS, SCALES, c_scalar, errors, load_c, load_numpy

mp.mp.dps = 60
U = 2.0**-53
ORDERS = (1e-8, 1e-3, 0.25, 0.5, 1 - 1e-9, 1.0, 1 + 1e-9, 2.0, 10.0)
"""The orders α of the Rényi grids: near 0, ordinary, both sides of 1 and at 1, large."""


# ---- exact references (Gil, Alajaji & Linder 2013, Table 2; at the exact double inputs) ----

def _mpf(*values: float) -> list[mp.mpf]:
    return [mp.mpf(float(v)) for v in values]


def ref_renyi(m1: float, s1: float, m2: float, s2: float, alpha: float) -> mp.mpf:
    m1, s1, m2, s2, a = _mpf(m1, s1, m2, s2, alpha)
    if a == 1:
        return mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2
    variance = a * s2**2 + (1 - a) * s1**2
    if variance <= 0:
        return mp.inf
    return mp.log(s2 / s1) + mp.log(s2**2 / variance) / (2 * (a - 1)) + a * (m1 - m2) ** 2 / (2 * variance)


def ref_bhattacharyya(m1: float, s1: float, m2: float, s2: float) -> mp.mpf:
    m1, s1, m2, s2 = _mpf(m1, s1, m2, s2)
    return (m1 - m2) ** 2 / (4 * (s1**2 + s2**2)) + mp.log((s1**2 + s2**2) / (2 * s1 * s2)) / 2


def ref_hellinger_squared(m1: float, s1: float, m2: float, s2: float) -> mp.mpf:
    return -mp.expm1(-ref_bhattacharyya(m1, s1, m2, s2))


def ref_renyi_entropy(s: float, alpha: float) -> mp.mpf:
    s, a = _mpf(s, alpha)
    return mp.log(2 * mp.pi * s**2) / 2 + (mp.mpf(1) / 2 if a == 1 else mp.log(a) / (2 * (a - 1)))


# ---- grids ----

def grid_pairs(seed: int = 20261203) -> np.ndarray:
    """(μ₁, σ₁, μ₂, σ₂): σ₁/σ₂ = 1 ± ε at scales 1e-300…1e300, mean gaps from 1e-8 to 1e8 scales,
    q = p, ratios at the ends of the double range, and a seeded sample of ordinary pairs."""
    rows = []
    for scale in SCALES:
        for eps in EPSILONS[::2]:
            for ratio in (1 + eps, 1 - eps):
                rows.append((0.0, scale * ratio, 0.0, scale))
                rows.append((scale * 3.0, scale, scale * 3.0 + scale * eps, scale * ratio))
        for gap in (1e-8, 1e-4, 1.0, 1e4, 1e8):
            rows.append((scale * gap, scale, 0.0, scale))
            rows.append((scale, scale * 0.5, scale + scale * gap, scale * 2.0))
        rows.append((scale, scale, scale, scale))
    rows += [(0.0, 1e200, 0.0, 1e-200), (0.0, 1e-200, 0.0, 1e200), (0.0, 1e-300, 0.0, 1e300),
             (1.0, 1e-310, -1.0, 1e10), (0.0, 1e-320, 0.0, 1.0), (0.0, 1.5e308, 0.0, 1e308), (0.0, 1e154, 0.0, 1e-154)]
    rng = np.random.default_rng(seed)
    for _ in range(150):
        s1, s2 = 10.0 ** rng.uniform(-3, 3, 2)
        rows.append((rng.normal() * s2, s1, rng.normal() * s2, s2))
    return np.array(rows)


def grid_scales() -> np.ndarray:
    return np.concatenate([10.0 ** np.arange(-300, 301, 25, dtype=float), [0.5, 1.0, 2.0, 5e-324]])


# ---- bounds ----

def renyi_bound(m1: float, s1: float, m2: float, s2: float, alpha: float) -> float:
    """The relative error the Rényi kernel owes: (16 + 2|u|)u, u = 2 log(σ₁/σ₂) (the scale part
    goes through e^{αu}, whose rounding is |u| ulps), times the condition number of σ_α²
    (αb² + |1 − α|a²)/σ_α² in a, b = σ₁/s, σ₂/s, which is 1 for α ≤ 1 and large only near the
    divergence of α > 1."""
    s = max(s1, s2)
    a, b = s1 / s, s2 / s
    u = 2 * abs(float(mp.log(mp.mpf(s1) / mp.mpf(s2))))
    v = float(mp.mpf(alpha) * mp.mpf(b) ** 2 + (1 - mp.mpf(alpha)) * mp.mpf(a) ** 2)
    condition = (alpha * b * b + abs(1 - alpha) * a * a) / v if v > 0 else 1.0
    return (16 + 2 * u) * U * max(1.0, condition)


# ---- formulas people write ----

def textbook_renyi(m1, s1, m2, s2, alpha):
    variance = alpha * s2**2 + (1 - alpha) * s1**2
    return np.log(s2 / s1) + np.log(s2**2 / variance) / (2 * (alpha - 1)) + alpha * (m1 - m2) ** 2 / (2 * variance)


def textbook_bhattacharyya(m1, s1, m2, s2):
    return (m1 - m2) ** 2 / (4 * (s1**2 + s2**2)) + 0.5 * np.log((s1**2 + s2**2) / (2 * s1 * s2))


def textbook_hellinger_squared(m1, s1, m2, s2):
    return 1 - np.sqrt(2 * s1 * s2 / (s1**2 + s2**2)) * np.exp(-(m1 - m2) ** 2 / (4 * (s1**2 + s2**2)))


def textbook_renyi_entropy(s, alpha):
    return 0.5 * np.log(2 * np.pi * s**2) + np.log(alpha) / (2 * (alpha - 1))


PAIRS: dict[str, tuple[Callable[..., mp.mpf], Callable[..., np.ndarray]]] = {
    "bhattacharyya_normal_normal": (ref_bhattacharyya, textbook_bhattacharyya),
    "hellinger_squared_normal_normal": (ref_hellinger_squared, textbook_hellinger_squared),
}


def table(include_c: bool = True) -> str:
    """Max relative error, and max ratio to the bound for the Rényi-α rows, per kernel and order."""
    numpy_kernels = load_numpy()
    lib = load_c()[1] if include_c else None
    pairs = grid_pairs()
    lines = ["| kernel | α | implementation | max rel. error | inputs |", "| --- | --- | --- | --- | --- |"]

    def rows(name, alpha, inputs, refs, variants):
        for label, function in variants:
            with np.errstate(all="ignore"):
                values = np.asarray(function(*inputs.T), dtype=float)
            rel, _ = errors(values, refs)
            lines.append(f"| {name} | {alpha} | {label} | {np.max(rel):.2g} | {len(inputs)} |")

    for alpha in ORDERS:
        refs = [ref_renyi(*row, alpha) for row in pairs]
        variants = [("derive numpy", lambda *c: numpy_kernels.renyi_normal_normal(*c, alpha, validate=False))]
        if lib is not None:
            variants.append(("derive C", lambda *c: c_scalar(lib, "renyi_normal_normal")(*c, alpha)))
        if alpha != 1.0:
            variants.append(("textbook (numpy)", lambda *c: textbook_renyi(*c, alpha)))
        rows("renyi_normal_normal", f"{alpha:.12g}", pairs, refs, variants)
    for name, (reference, textbook) in PAIRS.items():
        refs = [reference(*row) for row in pairs]
        variants = [("derive numpy", lambda *c: getattr(numpy_kernels, name)(*c, validate=False))]
        if lib is not None:
            variants.append(("derive C", c_scalar(lib, name)))
        rows(name, "", pairs, refs, variants + [("textbook (numpy)", textbook)])
    sigmas = grid_scales()[:, None]
    for alpha in ORDERS:
        refs = [ref_renyi_entropy(s, alpha) for (s,) in sigmas]
        variants = [("derive numpy", lambda s: numpy_kernels.renyi_entropy_normal(s, alpha, validate=False))]
        if alpha != 1.0:
            variants.append(("textbook (numpy)", lambda s: textbook_renyi_entropy(s, alpha)))
        rows("renyi_entropy_normal", f"{alpha:.12g}", sigmas, refs, variants)
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(include_c="--no-c" not in sys.argv))
