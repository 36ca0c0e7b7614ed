"""Accuracy of every kernel against mpmath at 60 digits, over a grid of hard inputs.

Run by hand:  python benchmarks/accuracy.py
Side by side: the generated numpy and C kernels, the textbook formula and torch's formula
(both written in numpy; torch's own distributions too when torch is installed).
The tests import the grids and references from here (tests/codegen/test_accuracy.py).
"""
from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import mpmath as mp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated"
DIGITS = 60
EPSILONS = [10.0**-k for k in range(1, 16)]
SCALES = [1e-300, 1e-150, 1e-10, 1e-3, 1.0, 1e3, 1e10, 1e150, 1e300]

mp.mp.dps = DIGITS


# ---- exact references (published closed forms, evaluated at the exact double inputs) ----

def _mpf(*values: float) -> list[mp.mpf]:
    return [mp.mpf(float(v)) for v in values]


def ref_kl_normal_normal(m1: float, s1: float, m2: float, s2: float) -> mp.mpf:
    m1, s1, m2, s2 = _mpf(m1, s1, m2, s2)
    return mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2


def ref_kl_normal_std_normal(m: float, s: float) -> mp.mpf:
    m, s = _mpf(m, s)
    return -(1 + mp.log(s**2) - m**2 - s**2) / 2


def ref_entropy_normal(s: float) -> mp.mpf:
    (s,) = _mpf(s)
    return mp.log(2 * mp.pi * mp.e * s**2) / 2


def ref_cross_entropy_normal_normal(m1: float, s1: float, m2: float, s2: float) -> mp.mpf:
    m1, s1, m2, s2 = _mpf(m1, s1, m2, s2)
    return mp.log(2 * mp.pi * s2**2) / 2 + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2)


# ---- hard input grids ----

def switch_ratios() -> list[float]:
    """σ_q/σ_p on both sides of every point where the kernels change method: the ends of the
    series' range (7/13 and 13/7), where r = 2ᵏm changes k (m = √2), and the bottom of the
    normal range (below it the batched C loop recomputes an element by the scalar code)."""
    edges = [7 / 13, 13 / 7] + [2.0**0.5 * 2.0**k for k in (-1000, -500, -60, -3, -2, -1, 0, 1, 2, 3, 60, 500, 1000)]
    edges.append(2.0**-1022)
    ratios = []
    for edge in edges:
        below = above = edge
        for _ in range(2):
            below, above = np.nextafter(below, 0.0), np.nextafter(above, np.inf)
            ratios += [float(below), float(above)]
        ratios.append(float(edge))
    return ratios


def grid_kl_normal_normal() -> np.ndarray:
    """The cross-entropy's grid, and a seeded sample around the series' edge (``around_the_switch``)."""
    log_ratios, scales, gaps = around_the_switch(np.random.default_rng(20261128), 2000)
    switch = [(0.0, scale * np.exp(lr), gap * scale, scale) for lr, scale, gap in zip(log_ratios, scales, gaps)]
    return np.concatenate([grid_cross_entropy_normal_normal(), switch])


def grid_cross_entropy_normal_normal() -> np.ndarray:
    """σ₁/σ₂ = 1 ± ε at scales 1e-300…1e300; tiny to huge mean gaps; equal distributions; both
    sides of every switch point; 200 seeded random pairs.  (Not the KL's sample around the
    switch: the cross-entropy has roots there, where no double-precision evaluation is accurate
    to 1e-15 relative; tests/codegen/test_accuracy.py bounds its error by its terms' size there.)"""
    rows = []
    for scale in SCALES:
        for eps in EPSILONS:
            for ratio in (1 + eps, 1 - eps):
                rows.append((0.0, scale * ratio, 0.0, scale))
                rows.append((scale * 3.0, scale, scale * 3.0 + scale * eps, scale * ratio))
        for gap in (1e-8, 1e-4, 1.0, 1e4, 1e8):
            rows.append((scale * gap, scale, 0.0, scale))
            rows.append((scale, scale * 0.5, scale + scale * gap, scale * 2.0))
        rows.append((scale, scale, scale, scale))
    # scale ratios at the ends of the double range: r² overflows, or σ₁/σ₂ is subnormal or 0
    rows += [(0.0, 1.5e308, 0.0, 1e308), (0.0, 1e200, 0.0, 1e-200), (0.0, 1e-200, 0.0, 1e200),
             (0.0, 1e-320, 0.0, 1.0), (1.0, 1e-310, -1.0, 1e10), (0.0, 3e-308, 0.0, 7e-308),
             (0.0, 1e-320, 0.0, 2e-320), (0.0, 5e-324, 0.0, 5e-324), (0.0, 1.5e-320, 1e-320, 1e-320),
             (0.0, 1e300, 0.0, 1e-300), (0.0, 1e-300, 0.0, 1e300), (0.0, 1e-300, 0.0, 1e290),
             (1.0, 5e-324, 0.0, 1.7e308), (0.0, 1.7e308, 0.0, 5e-324),
             (1.5e154, 1.0, 0.0, 1.0), (1.8e154, 1.0, 0.0, 1.0), (0.0, 1.5e154, 0.0, 1.0)]  # d² or r² overflows, d²/2 not
    rows += [(0.5 * scale, ratio * scale, 0.0, scale) for ratio in switch_ratios() for scale in (1.0, 1e-300, 1e300)
             if np.isfinite(ratio * scale) and ratio * scale > 0]
    rng = np.random.default_rng(20261127)
    for _ in range(200):
        s1, s2 = 10.0 ** rng.uniform(-3, 3, 2)
        rows.append((rng.normal() * 10, s1, rng.normal() * 10, s2))
    return np.array(rows)


def around_the_switch(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded sample where the kernels are least accurate: log(σ_q/σ_p) uniform on ±1.5, across
    the series' edge at ±log(13/7) ≈ ±0.62 (on one side the series' truncation, on the other the
    formula's rounding: neither is at its worst exactly at the edge, so a grid of edge points
    misses both), at scales 1e-10…1e10, half with equal means and half with mean gaps of
    1e-8…1 scale."""
    log_ratios = rng.uniform(-1.5, 1.5, n)
    scales = 10.0 ** rng.uniform(-10, 10, n)
    gaps = np.where(rng.uniform(size=n) < 0.5, 0.0, rng.normal(size=n) * 10.0 ** rng.uniform(-8, 0, n))
    return log_ratios, scales, gaps


def grid_kl_normal_std_normal() -> np.ndarray:
    rows = [(mu, 1 + sign * eps) for eps in EPSILONS for sign in (1, -1) for mu in (0.0, 1e-8, 1e-4, 0.5)]
    rows += [(mu, s) for s in (1e-300, 1e-150, 1e-10, 1e-3, 0.5, 2.0, 1e3, 1e10, 1e100)
             for mu in (0.0, 1e-12, 1.0, 1e3)]
    rows += [(mu, s) for s in switch_ratios() + [1e-310, 5e-324] for mu in (0.0, 1e-3)]
    rows += [(1.5e154, 1.0), (1.8e154, 0.5)]  # μ² overflows, μ²/2 does not
    rng = np.random.default_rng(7)
    rows += [(rng.normal() * 3, 10.0 ** rng.uniform(-3, 3)) for _ in range(200)]
    log_sigmas, _, gaps = around_the_switch(rng, 2000)
    rows += [(gap, np.exp(ls)) for ls, gap in zip(log_sigmas, gaps)]
    return np.array(rows)


def grid_entropy_normal() -> np.ndarray:
    exponents = np.arange(-300, 301, 5, dtype=float)
    rng = np.random.default_rng(11)
    return np.concatenate([10.0**exponents, 10.0 ** rng.uniform(-300, 300, 200), [0.5, 1.0, 2.0]])[:, None]


def ref_kl_normal_laplace(mu: float, s: float, m: float, b: float) -> mp.mpf:
    """−H(q) + log 2b + E_q|z − m|/b, with the folded-normal mean (Leone, Nelson & Nottingham 1961)."""
    mu, s, m, b = _mpf(mu, s, m, b)
    d = mu - m
    folded = s * mp.sqrt(2 / mp.pi) * mp.exp(-d**2 / (2 * s**2)) + d * mp.erf(d / (s * mp.sqrt(2)))
    return -mp.log(2 * mp.pi * mp.e * s**2) / 2 + mp.log(2 * b) + folded / b


def ref_entropy_laplace(b: float) -> mp.mpf:
    (b,) = _mpf(b)
    return 1 + mp.log(2 * b)


def grid_kl_normal_laplace() -> np.ndarray:
    """Scales 1e-300…1e300, b/σ from 1e-300 to 1e3 (and √(2/π), where the KL is smallest), gaps
    (μ − m)/σ from 0 to 1e5, and a seeded sample of ordinary inputs."""
    rows = [(0.0, scale, -t * scale, scale / ratio) for scale in SCALES
            for ratio in (1e-300, 1e-3, 0.5, np.sqrt(2 / np.pi), 0.8, 1.0, 2.0, 1e3)
            for t in (0.0, 1e-8, 0.3, 1.0, 3.0, 8.0, 40.0, 1e5)]
    rng = np.random.default_rng(5)
    rows += [(rng.uniform(-5, 5), 10 ** rng.uniform(-2, 2), rng.uniform(-5, 5), 10 ** rng.uniform(-2, 2))
             for _ in range(2000)]
    return np.array(rows)


CASES: dict[str, tuple[Callable[..., mp.mpf], Callable[[], np.ndarray]]] = {
    "kl_normal_normal": (ref_kl_normal_normal, grid_kl_normal_normal),
    "kl_normal_std_normal": (ref_kl_normal_std_normal, grid_kl_normal_std_normal),
    "entropy_normal": (ref_entropy_normal, grid_entropy_normal),
    "cross_entropy_normal_normal": (ref_cross_entropy_normal_normal, grid_cross_entropy_normal_normal),
    "kl_normal_laplace": (ref_kl_normal_laplace, grid_kl_normal_laplace),
    "entropy_laplace": (ref_entropy_laplace, grid_entropy_normal),
}
BOUNDS = {"kl_normal_laplace": 1e-14}
"""Where the issue's 1e-15 relative is not owed: KL(N ‖ Laplace) is at least 0.048, at b = σ√(2/π),
where its terms (of order 1) cancel to a twentieth: a condition number of about 30."""


# ---- formulas people write (the comparison rows) ----

def textbook(name: str) -> Callable[..., np.ndarray]:
    return {
        "kl_normal_normal": lambda m1, s1, m2, s2: np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5,
        "kl_normal_std_normal": lambda m, s: -0.5 * (1 + np.log(s**2) - m**2 - s**2),
        "entropy_normal": lambda s: 0.5 * np.log(2 * np.pi * np.e * s**2),
        "cross_entropy_normal_normal": lambda m1, s1, m2, s2:
            0.5 * np.log(2 * np.pi * s2**2) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2),
        "kl_normal_laplace": lambda mu, s, m, b: np.log(2 * b) - 0.5 * np.log(2 * np.pi * np.e * s**2) + (
            s * np.sqrt(2 / np.pi) * np.exp(-(mu - m) ** 2 / (2 * s**2))
            + (mu - m) * np.vectorize(math.erf)((mu - m) / (s * np.sqrt(2)))) / b,
        "entropy_laplace": lambda b: 1 + np.log(2 * b),
    }[name]


def torch_formula(name: str) -> Callable[..., np.ndarray] | None:
    """torch.distributions' formulas (kl._kl_normal_normal, Normal.entropy), transcribed to numpy."""
    def kl(m1, s1, m2, s2):
        var_ratio = (s1 / s2) ** 2
        t1 = ((m1 - m2) / s2) ** 2
        return 0.5 * (var_ratio + t1 - 1 - np.log(var_ratio))
    return {
        "kl_normal_normal": kl,
        "kl_normal_std_normal": lambda m, s: kl(m, s, 0.0, 1.0),
        "entropy_normal": lambda s: 0.5 + 0.5 * np.log(2 * np.pi) + np.log(s),
    }.get(name)


def torch_distributions(name: str) -> Callable[..., np.ndarray] | None:
    """torch's own kl_divergence / entropy on float64 tensors, if torch is importable."""
    try:
        import torch
    except ImportError:
        return None

    def normal(mean, std):
        mean, std = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(std, dtype=float))
        return torch.distributions.Normal(torch.from_numpy(mean.copy()), torch.from_numpy(std.copy()),
                                          validate_args=False)

    def kl(m1, s1, m2, s2):
        return torch.distributions.kl_divergence(normal(m1, s1), normal(m2, s2)).numpy()
    return {
        "kl_normal_normal": kl,
        "kl_normal_std_normal": lambda m, s: kl(m, s, 0.0, 1.0),
        "entropy_normal": lambda s: normal(0.0, s).entropy().numpy(),
    }.get(name)


# ---- the generated kernels ----

def load_numpy():
    spec = importlib.util.spec_from_file_location("derive_gaussian_accuracy", GENERATED / "numpy" / "derive_gaussian.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_c(flags: str | None = None, workdir: Path | None = None):
    """Compile generated/c with ``flags`` (default: the header's recommended ones); returns (ffi, lib)."""
    import cffi

    header = (GENERATED / "c" / "derive_gaussian.h").read_text()
    if flags is None:
        flags = next(line.split(":", 1)[1] for line in header.splitlines() if "Recommended flags:" in line)
    workdir = workdir or Path(tempfile.mkdtemp())
    library = workdir / "libderive_gaussian_accuracy.so"
    subprocess.run(["cc", "-std=c99", *flags.split(), "-shared", "-fPIC", str(GENERATED / "c" / "derive_gaussian.c"),
                    "-o", str(library), "-lm"], check=True)
    ffi = cffi.FFI()
    declarations = [line for line in header.splitlines()
                    if line.startswith(("double ", "void ", "int ")) and line.rstrip().endswith(");")]
    ffi.cdef("\n".join(declarations))
    return ffi, ffi.dlopen(str(library))


def c_scalar(lib, name: str) -> Callable[..., float]:
    function = getattr(lib, f"derive_{name}")
    return np.vectorize(lambda *args: function(*map(float, args)), otypes=[float])


# ---- measuring ----

def errors(values: np.ndarray, references: list[mp.mpf]) -> tuple[np.ndarray, np.ndarray]:
    """Relative error and error in ulps of each value; inf == inf counts as exact."""
    rel, ulps = [], []
    for v, ref in zip(values, references):
        exact = float(ref) if abs(ref) < mp.mpf("1.7976931348623157e308") else np.copysign(np.inf, float(ref))
        if np.isinf(exact) and v == exact:
            rel.append(0.0), ulps.append(0.0)
            continue
        if not np.isfinite(v):
            rel.append(np.inf), ulps.append(np.inf)
            continue
        difference = abs(mp.mpf(float(v)) - ref)
        rel.append(float(difference / abs(ref)) if ref != 0 else (0.0 if v == 0 else np.inf))
        ulps.append(float(difference / mp.mpf(np.spacing(abs(exact)))) if exact != 0 else rel[-1])
    return np.array(rel), np.array(ulps)


def references(name: str) -> tuple[np.ndarray, list[mp.mpf]]:
    reference, grid = CASES[name]
    inputs = grid()
    return inputs, [reference(*row) for row in inputs]


def table(include_c: bool = True) -> str:
    numpy_kernels = load_numpy()
    lib = load_c()[1] if include_c else None
    have_torch = torch_distributions("kl_normal_normal") is not None
    lines = ["| kernel | implementation | max rel. error | max ulps | inputs |", "| --- | --- | --- | --- | --- |"]
    for name in CASES:
        inputs, refs = references(name)
        columns = inputs.T
        variants = [("derive numpy", lambda *a: getattr(numpy_kernels, name)(*a, validate=False))]
        if lib is not None:
            variants.append(("derive C", c_scalar(lib, name)))
        variants.append(("textbook (numpy)", textbook(name)))
        if torch_formula(name):
            variants.append(("torch's formula (numpy)", torch_formula(name)))
        if torch_distributions(name):
            variants.append(("torch (float64)", torch_distributions(name)))
        for label, function in variants:
            with np.errstate(all="ignore"):
                values = np.asarray(function(*columns), dtype=float)
            rel, ulps = errors(values, refs)
            lines.append(f"| {name} | {label} | {np.max(rel):.2g} | {np.max(ulps):.3g} | {len(inputs)} |")
    if not have_torch:
        lines.append("")
        lines.append("(torch is not installed: its formula is transcribed to numpy above.)")
    return "\n".join(lines)


def near_equal_table() -> str:
    """Relative error of KL(q ‖ p) as q → p: σ₁ = σ₂(1 + ε) with equal means, and equal σ with a
    mean gap of ε·σ -- where a VAE encoder starting at the prior sits."""
    numpy_kernels = load_numpy()
    formulas = [("derive", lambda *a: numpy_kernels.kl_normal_normal(*a, validate=False)),
                ("textbook", textbook("kl_normal_normal")), ("torch's formula", torch_formula("kl_normal_normal"))]
    if torch_distributions("kl_normal_normal"):
        formulas.append(("torch (float64)", torch_distributions("kl_normal_normal")))
    lines = ["| case | ε | " + " | ".join(label for label, _ in formulas) + " |",
             "| --- | --- |" + " --- |" * len(formulas)]
    for case, row in (("σ₁ = σ₂(1 + ε)", lambda e: (0.0, 1.0 + e, 0.0, 1.0)),
                      ("μ₁ − μ₂ = εσ", lambda e: (e, 1.0, 0.0, 1.0))):
        for eps in (1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12):
            args = row(eps)
            ref = ref_kl_normal_normal(*args)
            cells = []
            for _, f in formulas:
                with np.errstate(all="ignore"):
                    value = float(f(*[np.float64(a) for a in args]))
                cells.append(f"{float(abs(mp.mpf(value) - ref) / ref):.1e}")
            lines.append(f"| {case} | {eps:.0e} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---- full covariance near q = p (issue 16) ----

U = 2.0**-53
"""The unit roundoff: the bound on a kernel's relative error is 16u(κ + 1)."""
NEAR_EPSILONS = [10.0**-k for k in range(2, 15)]
NEAR_CONDITIONS = [1.0, 1e3, 1e6, 1e9, 1e12]


def _mp_matrix(a: np.ndarray) -> mp.matrix:
    return mp.matrix([[mp.mpf(float(x)) for x in row] for row in np.atleast_2d(a)])


def ref_kl_mvn(mu1, cov1, mu2, cov2, tril: bool = False) -> tuple[mp.mpf, mp.mpf]:
    """(KL, κ) at the exact double inputs, from the closed form
    KL = ½[tr(Σ₂⁻¹Σ₁) + gᵀΣ₂⁻¹g − d + log det Σ₂ − log det Σ₁], g = μ₂ − μ₁, at 60 digits.
    κ = Σₖ |xₖ ∂KL/∂xₖ| / KL, the componentwise relative condition number over the inputs the
    kernels read: the means and the lower triangles (of Σ, or of L for ``tril``, Σ = LLᵀ), with
    ∂KL/∂Σ₁ = ½(Σ₂⁻¹ − Σ₁⁻¹), ∂KL/∂Σ₂ = ½(Σ₂⁻¹ − Σ₂⁻¹Σ₁Σ₂⁻¹ − Σ₂⁻¹ggᵀΣ₂⁻¹) and ∂KL/∂L = 2(∂KL/∂Σ)L."""
    d = len(mu1)
    m1, m2 = _mp_matrix(np.tril(cov1) if tril else cov1), _mp_matrix(np.tril(cov2) if tril else cov2)
    s1, s2 = (m1 * m1.T, m2 * m2.T) if tril else (m1, m2)
    gap = mp.matrix([mp.mpf(float(b)) - mp.mpf(float(a)) for a, b in zip(mu1, mu2)])
    i1, i2 = s1**-1, s2**-1
    y = i2 * gap
    kl = (sum((i2 * s1)[k, k] for k in range(d)) + sum(gap[k] * y[k] for k in range(d)) - d
          + mp.log(mp.det(s2)) - mp.log(mp.det(s1))) / 2
    g1, g2 = (i2 - i1) / 2, (i2 - i2 * s1 * i2 - y * y.T) / 2
    if tril:
        g1, g2 = 2 * g1 * m1, 2 * g2 * m2
    total = mp.mpf(0)
    for k in range(d):
        total += abs(mp.mpf(float(mu1[k])) * y[k]) + abs(mp.mpf(float(mu2[k])) * y[k])
        for j in range(k + 1):
            weight = 1 if (j == k or tril) else 2  # a symmetric entry stands for two
            total += weight * (abs(m1[k, j] * g1[k, j]) + abs(m2[k, j] * g2[k, j]))
    return kl, (total / abs(kl) if kl != 0 else mp.mpf(0))


def quadrature_kl_mvn_2d(mu1, cov1, mu2, cov2) -> mp.mpf:
    """E_q[log q(z) − log p(z)] for d = 2 by Gauss–Hermite quadrature in q's frame (z = μ₁ + L₁t,
    L₁ by mpmath), the 2 × 2 log-densities written out by hand: the defining integral, not the
    closed form.  The integrand is a quadratic in t, so 4 points a coordinate are exact."""
    a1, b1, c1 = (mp.mpf(float(cov1[0][0])), mp.mpf(float(cov1[1][0])), mp.mpf(float(cov1[1][1])))
    m = [mp.mpf(float(x)) for x in mu1]
    l11 = mp.sqrt(a1)
    l21 = b1 / l11
    l22 = mp.sqrt(c1 - l21**2)

    def log_density(z1, z2, mean, cov):
        a, b, c = (mp.mpf(float(cov[0][0])), mp.mpf(float(cov[1][0])), mp.mpf(float(cov[1][1])))
        det = a * c - b * b
        x, y = z1 - mp.mpf(float(mean[0])), z2 - mp.mpf(float(mean[1]))
        return -mp.log(2 * mp.pi) - mp.log(det) / 2 - (c * x * x - 2 * b * x * y + a * y * y) / (2 * det)

    # probabilists' Gauss–Hermite, 4 points (weight e^{-t²/2}/√(2π)): roots of t⁴ − 6t² + 3
    nodes = [-mp.sqrt(3 + mp.sqrt(6)), -mp.sqrt(3 - mp.sqrt(6)), mp.sqrt(3 - mp.sqrt(6)), mp.sqrt(3 + mp.sqrt(6))]
    weights = [(3 - mp.sqrt(6)) / 12, (3 + mp.sqrt(6)) / 12, (3 + mp.sqrt(6)) / 12, (3 - mp.sqrt(6)) / 12]
    total = mp.mpf(0)
    for t1, w1 in zip(nodes, weights):
        for t2, w2 in zip(nodes, weights):
            z1, z2 = m[0] + l11 * t1, m[1] + l21 * t1 + l22 * t2
            total += w1 * w2 * (log_density(z1, z2, mu1, cov1) - log_density(z1, z2, mu2, cov2))
    return total


def _spd(rng: np.random.Generator, d: int, condition: float) -> np.ndarray:
    """Q Λ Qᵀ with eigenvalues log-uniform between 1 and ``condition`` (both ends taken), at a
    scale 10^U(-3, 3), made exactly symmetric from its lower triangle."""
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    eigenvalues = np.exp(rng.uniform(0.0, np.log(condition), d))
    eigenvalues[0], eigenvalues[-1] = 1.0, (condition if d > 1 else 1.0)
    s = (q * eigenvalues) @ q.T * 10.0 ** rng.uniform(-3, 3)
    return np.tril(s) + np.tril(s, -1).T


def grid_kl_mvn_near_equal(seed: int = 20261203, repeats: int = 2, dimensions=range(1, 11),
                           epsilons=None, conditions=None) -> list[tuple[str, float, float, tuple]]:
    """(form, ε, cond Σ₂, (μ₁, Σ₁ or L₁, μ₂, Σ₂ or L₂)) near q = p, d = 1…10.

    Covariances: Σ₂ = QΛQᵀ (well conditioned, or cond up to 1e12), a diagonal Σ₂ and a Wishart
    one (cond 1 rows); Σ₁ = Σ₂ + εS with S = L₂RL₂ᵀ, R random symmetric, ‖R‖₂ ≤ 1 (so Σ₁ stays
    positive definite at every condition), rounded and made exactly symmetric.  Factors:
    L₂ = chol(Σ₂), L₁ = L₂ + εL₂T with T random lower triangular, ‖T‖₂ ≤ 1.  Means apart by
    ε: μ₁ = μ₂ + εL₂z.  Plus q = p exactly, once per form and dimension."""
    rng = np.random.default_rng(seed)
    epsilons = NEAR_EPSILONS if epsilons is None else epsilons
    conditions = NEAR_CONDITIONS if conditions is None else conditions
    rows = []
    for d in dimensions:
        for condition in [*conditions, "diagonal", "wishart"]:
            for eps in epsilons:
                for _ in range(repeats):
                    if condition == "diagonal":
                        cov2 = np.diag(10.0 ** rng.uniform(-3, 3, d))
                    elif condition == "wishart":
                        a = rng.normal(size=(d, d + 2))
                        cov2 = a @ a.T
                        cov2 = np.tril(cov2) + np.tril(cov2, -1).T
                    else:
                        cov2 = _spd(rng, d, condition)
                    l2 = np.linalg.cholesky(cov2)
                    r = rng.normal(size=(d, d))
                    r = (r + r.T) / 2
                    r /= max(1.0, np.linalg.norm(r, 2))
                    cov1 = cov2 + eps * (l2 @ r @ l2.T)
                    cov1 = np.tril(cov1) + np.tril(cov1, -1).T
                    mu2 = rng.normal(size=d)
                    mu1 = mu2 + eps * (l2 @ rng.normal(size=d))
                    label = condition if isinstance(condition, str) else float(condition)
                    rows.append(("cov", eps, label, (mu1, cov1, mu2, cov2)))
                    t = np.tril(rng.normal(size=(d, d)))
                    t /= max(1.0, np.linalg.norm(t, 2))
                    rows.append(("tril", eps, label, (mu1, l2 + eps * (l2 @ t), mu2, l2)))
        cov = _spd(rng, d, 10.0)
        mu = rng.normal(size=d)
        rows.append(("cov", 0.0, 10.0, (mu, cov, mu, cov)))
        rows.append(("tril", 0.0, 10.0, (mu, np.linalg.cholesky(cov), mu, np.linalg.cholesky(cov))))
    return rows


def old_kl_mvn(mu1, cov1, mu2, cov2, tril: bool = False) -> float:
    """derive's kl_mvn_mvn before issue 16 (the negative control): separate Cholesky factors,
    ½(‖L₂⁻¹L₁‖²_F + ‖L₂⁻¹(μ₂ − μ₁)‖² − d) + Σᵢ log(L₂ᵢᵢ/L₁ᵢᵢ)."""
    l1, l2 = (np.tril(cov1), np.tril(cov2)) if tril else (np.linalg.cholesky(cov1), np.linalg.cholesky(cov2))
    trace = np.sum(np.linalg.solve(l2, l1) ** 2)
    mahalanobis = np.sum(np.linalg.solve(l2, mu2 - mu1) ** 2)
    return float((trace + mahalanobis - len(mu1)) / 2 + np.sum(np.log(np.diag(l2) / np.diag(l1))))


def torch_kl_mvn(mu1, cov1, mu2, cov2, tril: bool = False) -> float:
    """torch.distributions.kl._kl_multivariatenormal_multivariatenormal, transcribed to numpy:
    half_term1 + ½(term2 + term3 − n), term2 = ‖L₂⁻¹L₁‖²_F, term3 the Mahalanobis term."""
    l1, l2 = (np.tril(cov1), np.tril(cov2)) if tril else (np.linalg.cholesky(cov1), np.linalg.cholesky(cov2))
    half_term1 = np.sum(np.log(np.diag(l2))) - np.sum(np.log(np.diag(l1)))
    term2 = np.sum(np.linalg.solve(l2, l1) ** 2)
    term3 = np.sum(np.linalg.solve(l2, mu2 - mu1) ** 2)
    return float(half_term1 + 0.5 * (term2 + term3 - len(mu1)))


def c_kl_mvn(lib, ffi, form: str) -> Callable[..., float]:
    function = lib.derive_kl_mvn_mvn if form == "cov" else lib.derive_kl_mvn_mvn_tril

    def call(mu1, m1, mu2, m2):
        arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (mu1, m1, mu2, m2)]
        out = ffi.new("double *")
        status = function(len(mu1), *(ffi.cast("const double *", ffi.from_buffer(a)) for a in arrays), out)
        return out[0] if status == 0 else np.nan
    return call


def near_equal_mvn_measure(implementations: dict[str, Callable[[str], Callable[..., float]]], rows=None):
    """For each implementation: {(form, ε): (max error/bound, max rel. error, negatives, count)}
    and the rows that broke the bound, with the exact values."""
    rows = grid_kl_mvn_near_equal() if rows is None else rows
    results = {label: {} for label in implementations}
    for form, eps, _, args in rows:
        reference, kappa = ref_kl_mvn(*args, tril=(form == "tril"))
        bound = 16 * U * (kappa + 1)
        for label, make in implementations.items():
            value = make(form)(*args)
            if reference == 0:
                ratio = rel = 0.0 if value == 0 else np.inf
            else:
                rel = float(abs(mp.mpf(float(value)) - reference) / abs(reference)) if np.isfinite(value) else np.inf
                ratio = rel / float(bound)
            worst, worst_rel, negatives, count = results[label].get((form, eps), (0.0, 0.0, 0, 0))
            results[label][(form, eps)] = (max(worst, ratio), max(worst_rel, rel), negatives + (value < 0), count + 1)
    return results


def near_equal_mvn_table(include_c: bool = True) -> str:
    """Max error as a fraction of 16u(κ + 1), per ε, for derive's kernels (numpy and C), derive's
    kernel before issue 16 and torch's formula in numpy, with how many values were negative."""
    numpy_kernels = load_numpy()
    implementations = {
        "derive numpy": lambda form: (lambda *a: numpy_kernels.kl_mvn_mvn(*a, validate=False)) if form == "cov"
        else (lambda *a: numpy_kernels.kl_mvn_mvn_tril(*a, validate=False))}
    if include_c:
        ffi, lib = load_c()
        implementations["derive C"] = lambda form: c_kl_mvn(lib, ffi, form)
    implementations["derive before issue 16"] = lambda form: lambda *a: old_kl_mvn(*a, tril=(form == "tril"))
    implementations["torch's formula (numpy)"] = lambda form: lambda *a: torch_kl_mvn(*a, tril=(form == "tril"))
    results = near_equal_mvn_measure(implementations)
    labels = list(implementations)
    lines = ["| inputs | ε | " + " | ".join(labels) + " |", "| --- | --- |" + " --- |" * len(labels)]
    keys = sorted(results[labels[0]], key=lambda k: (k[0], -k[1]))
    for form, eps in keys:
        cells = []
        for label in labels:
            worst, rel, negatives, count = results[label][(form, eps)]
            cells.append(f"{worst:.2g} ({rel:.1e}){f', {negatives} < 0' if negatives else ''}")
        name = "covariances" if form == "cov" else "factors (_tril)"
        lines.append(f"| {name} | {eps:.0e} | " + " | ".join(cells) + " |")
    count = sum(c for *_, c in results[labels[0]].values())
    lines.append("")
    lines.append(f"Each cell: the largest error over the row's pairs as a fraction of 16u(κ + 1) (≤ 1 meets the "
                 f"bound), the largest relative error in brackets, and how many values were negative; "
                 f"{count} pairs, d = 1…10, cond(Σ₂) = 1…1e12, diagonal and Wishart covariances.")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(include_c="--no-c" not in sys.argv))
    print()
    print(near_equal_table())
    print()
    print(near_equal_mvn_table(include_c="--no-c" not in sys.argv))
