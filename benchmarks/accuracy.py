"""Accuracy of every kernel against mpmath at 60 digits, over a grid of hard inputs.

Run by hand:  python benchmarks/accuracy.py
Side by side: the generated numpy and C kernels, the textbook formula and torch's formula
(both written in numpy; torch's own distributions too when torch is installed).
The tests import the grids and references from here (tests/codegen/test_accuracy.py).
"""
from __future__ import annotations

import importlib.util
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


CASES: dict[str, tuple[Callable[..., mp.mpf], Callable[[], np.ndarray]]] = {
    "kl_normal_normal": (ref_kl_normal_normal, grid_kl_normal_normal),
    "kl_normal_std_normal": (ref_kl_normal_std_normal, grid_kl_normal_std_normal),
    "entropy_normal": (ref_entropy_normal, grid_entropy_normal),
    "cross_entropy_normal_normal": (ref_cross_entropy_normal_normal, grid_cross_entropy_normal_normal),
}


# ---- formulas people write (the comparison rows) ----

def textbook(name: str) -> Callable[..., np.ndarray]:
    return {
        "kl_normal_normal": lambda m1, s1, m2, s2: np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5,
        "kl_normal_std_normal": lambda m, s: -0.5 * (1 + np.log(s**2) - m**2 - s**2),
        "entropy_normal": lambda s: 0.5 * np.log(2 * np.pi * np.e * s**2),
        "cross_entropy_normal_normal": lambda m1, s1, m2, s2:
            0.5 * np.log(2 * np.pi * s2**2) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2),
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


if __name__ == "__main__":
    print(table(include_c="--no-c" not in sys.argv))
    print()
    print(near_equal_table())
