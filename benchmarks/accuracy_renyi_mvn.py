"""Accuracy of the full-covariance Rényi-family kernels against mpmath at 60 digits.

Run by hand:  python benchmarks/accuracy_renyi_mvn.py [--no-c]
Side by side: the generated numpy and C kernels (covariance and ``_tril`` forms) and the
textbook closed forms typed in numpy (Cholesky log-determinants and a solve, as a careful user
would write them).  Grids:
- near q = p: Σ₁ = Σ₂ + εS, μ₁ = μ₂ + εL₂z for ε = 1e-2 … 1e-14, cond Σ₂ up to 1e6, d = 1 … 6
  (``benchmarks.accuracy.grid_kl_mvn_near_equal``): every value is O(ε²), the textbook form
  loses it all;
- far: random pairs with cond Σ up to 1e6 and scales 1e-3 … 1e3;
at orders α from 1e-8 to 10, both sides of 1 and at 1.  The error is relative to the value; far
from p the problem's own conditioning (a relative change u in an entry moves the value by about
u·d·cond(Σ₁)·cond(Σ₂)·(1 + |log det terms|)) bounds what any double-precision route can keep.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

import mpmath as mp
import numpy as np

from benchmarks.accuracy import _mp_matrix, _spd, grid_kl_mvn_near_equal, load_c, load_numpy

mp.mp.dps = 60
ORDERS = (1e-8, 0.25, 0.5, 1 - 1e-9, 1.0, 1 + 1e-9, 2.0, 10.0)


def _vector(v) -> mp.matrix:
    return mp.matrix([mp.mpf(float(x)) for x in v])


def _covariance(m, tril: bool) -> mp.matrix:
    if not tril:
        return _mp_matrix(m)
    factor = _mp_matrix(np.tril(m))
    return factor * factor.T


def ref_renyi(mu1, m1, mu2, m2, alpha, tril: bool = False) -> mp.mpf:
    """D_α = α/2 ΔᵀS_α⁻¹Δ − log(det S_α / (det S₁^{1−α} det S₂^α))/(2(α − 1)), S_α = αS₂ + (1 − α)S₁
    (Gil, Alajaji & Linder 2013); the KL at α = 1; +inf where S_α is not positive definite."""
    s1, s2, a = _covariance(m1, tril), _covariance(m2, tril), mp.mpf(alpha)
    gap = _vector(mu1) - _vector(mu2)
    if a == 1:
        inverse = mp.inverse(s2)
        trace = sum((inverse * s1)[i, i] for i in range(s1.rows))
        return (trace + (gap.T * inverse * gap)[0, 0] - s1.rows + mp.log(mp.det(s2) / mp.det(s1))) / 2
    combined = a * s2 + (1 - a) * s1
    try:
        mp.cholesky(combined)
    except ValueError:
        return mp.inf
    logs = mp.log(mp.det(combined)) - (1 - a) * mp.log(mp.det(s1)) - a * mp.log(mp.det(s2))
    return a * (gap.T * mp.inverse(combined) * gap)[0, 0] / 2 - logs / (2 * (a - 1))


def ref_bhattacharyya(mu1, m1, mu2, m2, tril: bool = False) -> mp.mpf:
    s1, s2 = _covariance(m1, tril), _covariance(m2, tril)
    mean, gap = (s1 + s2) / 2, _vector(mu1) - _vector(mu2)
    return (gap.T * mp.inverse(mean) * gap)[0, 0] / 8 + mp.log(mp.det(mean) / mp.sqrt(mp.det(s1) * mp.det(s2))) / 2


def textbook_renyi(mu1, m1, mu2, m2, alpha, tril: bool = False) -> float:
    """The closed form in numpy: log-determinants from Cholesky diagonals, one solve."""
    s1, s2 = (m1 @ m1.T, m2 @ m2.T) if tril else (m1, m2)
    combined = alpha * s2 + (1 - alpha) * s1
    try:
        lc = np.linalg.cholesky(combined)
    except np.linalg.LinAlgError:
        return np.inf
    half_log_det = [np.sum(np.log(np.diag(np.linalg.cholesky(s)))) for s in (s1, s2)]
    gap = mu1 - mu2
    y = np.linalg.solve(lc, gap)
    logs = 2 * (np.sum(np.log(np.diag(lc))) - (1 - alpha) * half_log_det[0] - alpha * half_log_det[1])
    return alpha * (y @ y) / 2 - logs / (2 * (alpha - 1))


def textbook_bhattacharyya(mu1, m1, mu2, m2, tril: bool = False) -> float:
    s1, s2 = (m1 @ m1.T, m2 @ m2.T) if tril else (m1, m2)
    mean = (s1 + s2) / 2
    gap = mu1 - mu2
    logs = [np.sum(np.log(np.diag(np.linalg.cholesky(s)))) for s in (mean, s1, s2)]
    return gap @ np.linalg.solve(mean, gap) / 8 + logs[0] - (logs[1] + logs[2]) / 2


def grid_far(seed: int = 20261204, count: int = 40) -> list[tuple[str, float, float, tuple]]:
    """Random pairs, d = 1 … 6, cond Σ up to 1e6, scales 1e-3 … 1e3 apart; covariance and factor forms."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(count):
        d = 1 + k % 6
        condition = float(10.0 ** rng.integers(0, 7))
        cov1, cov2 = _spd(rng, d, condition), _spd(rng, d, condition)
        mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
        rows.append(("cov", 1.0, condition, (mu1, cov1, mu2, cov2)))
        rows.append(("tril", 1.0, condition, (mu1, np.linalg.cholesky(cov1), mu2, np.linalg.cholesky(cov2))))
    return rows


def c_call(lib, ffi, name: str) -> Callable[..., float]:
    function = getattr(lib, f"derive_{name}")

    def call(mu1, m1, mu2, m2, *scalars):
        arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (mu1, m1, mu2, m2)]
        out = ffi.new("double *")
        status = function(len(mu1), *(ffi.cast("const double *", ffi.from_buffer(a)) for a in arrays), *scalars, out)
        return out[0] if status == 0 else np.nan
    return call


def _relative(value: float, reference: mp.mpf) -> float:
    """|value − reference|/|reference|; a reference below 1e-50 is zero (q = p: the 60-digit closed
    form leaves noise of that size), which only an exact 0 matches."""
    if reference != mp.inf and abs(reference) < mp.mpf("1e-50"):
        reference = mp.mpf(0)
    if reference == mp.inf:
        return 0.0 if value == np.inf else np.inf
    if reference == 0:
        return 0.0 if value == 0 else np.inf
    return float(abs(mp.mpf(value) - reference) / abs(reference)) if np.isfinite(value) else np.inf


def measure(include_c: bool = True, near=None, far=None) -> dict[tuple[str, str, str], float]:
    """{(kernel and α, regime, implementation): max relative error} over the grids."""
    numpy_kernels = load_numpy()
    ffi, lib = load_c() if include_c else (None, None)
    near = grid_kl_mvn_near_equal(repeats=1, dimensions=range(1, 7), conditions=[1.0, 1e3, 1e6]) if near is None else near
    far = grid_far() if far is None else far
    worst: dict[tuple[str, str, str], float] = {}

    def record(key, value, reference):
        worst[key] = max(worst.get(key, 0.0), _relative(value, reference))

    for regime, rows in (("near q = p", near), ("far", far)):
        for form, _, _, (mu1, m1, mu2, m2) in rows:
            tril = form == "tril"
            suffix = "_tril" if tril else ""
            for alpha in ORDERS:
                reference = ref_renyi(mu1, m1, mu2, m2, alpha, tril)
                kernel = f"renyi_mvn_mvn α = {alpha:.12g}"
                with np.errstate(all="ignore"):
                    record((kernel, regime, f"derive numpy ({form})"),
                           getattr(numpy_kernels, "renyi_mvn_mvn" + suffix)(mu1, m1, mu2, m2, alpha, validate=False),
                           reference)
                    if alpha != 1.0:
                        record((kernel, regime, "textbook (numpy)"), textbook_renyi(mu1, m1, mu2, m2, alpha, tril),
                               reference)
                if lib is not None:
                    record((kernel, regime, f"derive C ({form})"),
                           c_call(lib, ffi, "renyi_mvn_mvn" + suffix)(mu1, m1, mu2, m2, alpha), reference)
            reference = ref_bhattacharyya(mu1, m1, mu2, m2, tril)
            hellinger = -mp.expm1(-reference)
            with np.errstate(all="ignore"):
                record(("bhattacharyya_mvn_mvn", regime, f"derive numpy ({form})"),
                       getattr(numpy_kernels, "bhattacharyya_mvn_mvn" + suffix)(mu1, m1, mu2, m2), reference)
                record(("bhattacharyya_mvn_mvn", regime, "textbook (numpy)"),
                       textbook_bhattacharyya(mu1, m1, mu2, m2, tril), reference)
                record(("hellinger_squared_mvn_mvn", regime, f"derive numpy ({form})"),
                       getattr(numpy_kernels, "hellinger_squared_mvn_mvn" + suffix)(mu1, m1, mu2, m2), hellinger)
                record(("hellinger_squared_mvn_mvn", regime, "textbook (numpy)"),
                       -np.expm1(-textbook_bhattacharyya(mu1, m1, mu2, m2, tril)), hellinger)
            if lib is not None:
                record(("bhattacharyya_mvn_mvn", regime, f"derive C ({form})"),
                       c_call(lib, ffi, "bhattacharyya_mvn_mvn" + suffix)(mu1, m1, mu2, m2), reference)
                record(("hellinger_squared_mvn_mvn", regime, f"derive C ({form})"),
                       c_call(lib, ffi, "hellinger_squared_mvn_mvn" + suffix)(mu1, m1, mu2, m2), hellinger)
    return worst


def table(include_c: bool = True) -> str:
    """One row per kernel (and α) and implementation: the worst over both grids' covariance and
    factor forms, near q = p and far, side by side."""
    worst = measure(include_c)
    merged: dict[tuple[str, str], dict[str, float]] = {}
    for (kernel, regime, label), error in worst.items():
        row = merged.setdefault((kernel, label.split(" (")[0] if label.startswith("derive") else label), {})
        row[regime] = max(row.get(regime, 0.0), error)
    lines = ["| kernel | implementation | near q = p | far |", "| --- | --- | --- | --- |"]
    lines += [f"| {kernel} | {label} | {row.get('near q = p', 0.0):.2g} | {row.get('far', 0.0):.2g} |"
              for (kernel, label), row in merged.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(include_c="--no-c" not in sys.argv))
