"""Speed of the generated kernels, each against a streaming floor or a hand-written equivalent.

Run by hand (not collected by pytest):

    python3 benchmarks/kernels.py [--reps 15] [--short-reps 15] [--sizes 1000 1000000 4000000 10000000]
                                  [--near-sizes 4000000] [--only univariate vae mvn] [--baseline DIR]

Four sections, each printed as a Markdown table for the README.

1. Univariate KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)), ns/element over 1e3 (where a call's own
   cost shows), 1e6, 4e6 (the accuracy issue's size) and 1e7 elements, four float64 arrays into one (except the floor, which does no
   math); one call per sample, as a caller makes it:

   - ``C derive_kl_normal_normal_n``: generated/c/derive_gaussian.c compiled with the header's
     ``Recommended flags:`` line into a shared library, called through cffi on numpy buffers;
   - ``numpy kl_normal_normal (validate=False)`` and ``(validate=True)``: generated/numpy/derive_gaussian.py;
   - ``numpy, hand-written``: ``np.log(s2/s1) + (s1**2 + (m1-m2)**2)/(2*s2**2) - 0.5``, what a user
     would type;
   - torch's formula (``torch.distributions.kl._kl_normal_normal``) transcribed to numpy, and
     torch's own ``kl_divergence(Normal, Normal)`` on float64 CPU tensors if torch is importable;
   - ``C streaming floor``: ``out[i] = mu1[i] + sigma1[i] + mu2[i] + sigma2[i]`` compiled with the same
     flags: it reads the same four arrays and writes one, with three adds and no log/divide, so it is
     a floor set by memory traffic (an acceptable floor: three adds cost next to nothing against
     the loads and stores).

   Inputs are seeded: random (mu uniform in [-5, 5], sigma log-uniform in [1e-2, 1e2]; 13 % of
   the elements have |log(sigma1/sigma2)| < log(13/7), where the kernels use their series) at
   every size, and near q = p (every element on the series, as for a VAE encoder that starts at
   its prior) at 4e6.

2. The VAE term KL(N(mu, diag(exp(logvar))) || N(0, I)) summed over D, for B = 4096 rows and
   D = 8, 64 and 512 (mu, logvar uniform in [-5, 5]), and D = 64 at the prior (mu ~ N(0, 0.1),
   |logvar| < 0.45: every element on the series): ns/row and ns/element (B x D elements):

   - ``C derive_kl_diag_std_normal_logvar_n`` (16 compensated lane sums per row; rows shorter
     than 16, as D = 8, computed across rows and summed one by one);
   - numpy ``kl_diag_std_normal_logvar``, validated and ``validate=False``;
   - numpy hand-written ``-0.5*np.sum(1 + logvar - mu**2 - np.exp(logvar), axis=-1)``;
   - torch's formula ``-0.5*torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)`` on float64
     CPU tensors, if torch is importable (the row is skipped otherwise);
   - ``C streaming floor``: ``out[i] = sum_j (mu[i, j] + logvar[i, j])``, two arrays in and one value
     per row out, summed in 8 partial sums so that it vectorizes with the recommended flags (never
     -ffast-math: loading a library linked with it flushes subnormals to zero in the whole
     process): a floor set by memory traffic, not a kernel.

3. Full-covariance KL(N(mu1, S1) || N(mu2, S2)) for d = 2, 4, 8, 16, 32, 64, ns per pair over N
   pairs (N from 100000 at d = 2 down to 64 at d = 64; random SPD S = A A^T/d + I/2):

   - ``C derive_kl_mvn_mvn``: one call per pair, looped in C over the batch (a small driver
     compiled with the kernels, with the recommended flags);
   - numpy ``kl_mvn_mvn`` batched over the N pairs, validated and ``validate=False``;
   - numpy by hand, batched: ``np.linalg.cholesky`` of both, ``np.linalg.solve`` for L2^-1 L1 and
     L2^-1 (mu2 - mu1), log-diagonals for the determinants;
   - with ``--baseline DIR`` (a copy of an older ``generated/``, e.g. from ``git show``), the same
     C and numpy rows from it, timed in the same interleaved runs, and each kernel's time over
     its baseline's (its C symbols renamed ``base_*`` so that both libraries load side by side).

   Inputs: random pairs (far from q = p), and near q = p (S1 = S2 + 1e-6 L2 R L2^T, R random
   symmetric, means 1e-6 apart), where the kernels' difference recurrence runs to the end.

4. The Rényi family (α = 0.5 and 0.9, Bhattacharyya, squared Hellinger) at 4e6 random elements:
   the C ``_n`` kernels, numpy with and without validation, the closed form as a user types it in
   numpy, and the streaming floor.

Timing is interleaved: every repetition runs each variant once, round-robin, starting one variant
later each repetition, so drift in machine load hits all variants alike; a sample of a short
variant repeats the call enough times to last ~50 ms.  Tables report medians over the
repetitions and the interquartile range as a percentage of the median, as a measure of the
noise; the univariate table also gives each variant's time over the hand-written formula's.
Every variant's result is checked against the others before timing.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
GENERATED_C = REPO / "generated" / "c"
GENERATED_NUMPY = REPO / "generated" / "numpy" / "derive_gaussian.py"

FLOOR_SOURCE = """\
#include <stddef.h>

void stream_floor(size_t n, const double *mu1, const double *sigma1, const double *mu2,
                  const double *sigma2, double *out)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        out[i] = mu1[i] + sigma1[i] + mu2[i] + sigma2[i];
    }
}
"""
FLOOR_CDEF = ("void stream_floor(size_t n, const double *mu1, const double *sigma1, const double *mu2, "
              "const double *sigma2, double *out);")

ROWS_FLOOR_SOURCE = """\
#include <stddef.h>

void stream_rows_floor(size_t n, size_t d, const double *a, const double *b, double *out)
{
    size_t i, j, k;
    for (i = 0; i < n; ++i) {
        double lanes[8] = {0.0}, sum = 0.0;  /* 8 partial sums: a loop compilers vectorize */
        for (j = 0; j + 8 <= d; j += 8) {
            for (k = 0; k < 8; ++k) {
                lanes[k] += a[i*d + j + k] + b[i*d + j + k];
            }
        }
        for (; j < d; ++j) {
            sum += a[i*d + j] + b[i*d + j];
        }
        for (k = 0; k < 8; ++k) {
            sum += lanes[k];
        }
        out[i] = sum;
    }
}
"""
ROWS_FLOOR_CDEF = "void stream_rows_floor(size_t n, size_t d, const double *a, const double *b, double *out);"

MVN_LOOP_SOURCE = """\
#include "derive_gaussian.h"

int kl_mvn_loop(size_t n, size_t d, const double *mu1, const double *cov1, const double *mu2,
                const double *cov2, double *out)
{
    size_t i;
    int status = 0;
    for (i = 0; i < n; ++i) {
        status |= derive_kl_mvn_mvn(d, mu1 + i*d, cov1 + i*d*d, mu2 + i*d, cov2 + i*d*d, out + i);
    }
    return status;
}

int renyi_mvn_loop(size_t n, size_t d, const double *mu1, const double *cov1, const double *mu2,
                   const double *cov2, double alpha, double *out)
{
    size_t i;
    int status = 0;
    for (i = 0; i < n; ++i) {
        status |= derive_renyi_mvn_mvn(d, mu1 + i*d, cov1 + i*d*d, mu2 + i*d, cov2 + i*d*d, alpha, out + i);
    }
    return status;
}
"""
RENYI_MVN_LOOP_CDEF = ("int renyi_mvn_loop(size_t n, size_t d, const double *mu1, const double *cov1, "
                       "const double *mu2, const double *cov2, double alpha, double *out);")
MVN_LOOP_CDEF = ("int kl_mvn_loop(size_t n, size_t d, const double *mu1, const double *cov1, const double *mu2, "
                 "const double *cov2, double *out);")
BASE_MVN_LOOP_CDEF = MVN_LOOP_CDEF.replace("kl_mvn_loop", "base_kl_mvn_loop")

FLOOR = "C streaming floor (3 adds)"
HAND_WRITTEN = "numpy, hand-written formula"
VAE_ROWS = 4096
VAE_DIMS = (8, 64, 512)
MVN_DIMS = (2, 4, 8, 16, 32, 64)
SAMPLE_SECONDS = 0.05
"""A timing sample of a short variant repeats its call until it lasts about this long."""


def recommended_flags(header: str) -> list[str]:
    lines = [ln for ln in header.splitlines() if "Recommended flags:" in ln]
    if len(lines) != 1:
        sys.exit(f"expected one 'Recommended flags:' line in the header, found {len(lines)}")
    return lines[0].split("Recommended flags:", 1)[1].split()


def header_cdef(header: str) -> str:
    """Declarations for cffi: the header without preprocessor lines and the extern "C" block."""
    lines = [ln for ln in header.splitlines() if not ln.lstrip().startswith("#")]
    lines = [ln for ln in lines if ln.strip() not in ('extern "C" {', "}")]
    return "\n".join(lines)


def compile_shared(cc: str, sources: Path | list[Path], out: Path, flags: list[str],
                   include: Path | None = None) -> None:
    sources = [sources] if isinstance(sources, Path) else sources
    command = [cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", *flags, "-fPIC", "-shared",
               *([f"-I{include}"] if include else []), *map(str, sources), "-o", str(out), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")


def load_numpy_module():
    spec = importlib.util.spec_from_file_location("_bench_derive_gaussian", GENERATED_NUMPY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


INPUTS = {
    "random": "mu uniform in [-5, 5], sigma log-uniform in [1e-2, 1e2] (13 % of the elements near q = p)",
    "near q = p": "sigma1/sigma2 = exp(U(-0.6, 0.6)), mu1 - mu2 = sigma2 N(0, 0.1): every element is on the "
                  "series (as a VAE encoder that starts at its prior)",
}


def inputs(n: int, kind: str = "random", seed: int = 12345):
    rng = np.random.default_rng(seed)
    if kind == "near q = p":
        sigma2 = 10.0 ** rng.uniform(-2.0, 2.0, n)
        mu2 = rng.uniform(-5.0, 5.0, n)
        return mu2 + sigma2 * rng.normal(0.0, 0.1, n), sigma2 * np.exp(rng.uniform(-0.6, 0.6, n)), mu2, sigma2
    mu1 = rng.uniform(-5.0, 5.0, n)
    sigma1 = 10.0 ** rng.uniform(-2.0, 2.0, n)
    mu2 = rng.uniform(-5.0, 5.0, n)
    sigma2 = 10.0 ** rng.uniform(-2.0, 2.0, n)
    return mu1, sigma1, mu2, sigma2


def measure(variants: dict, reps: int, repeat_short: bool = True) -> dict[str, list[float]]:
    """Seconds per call of each variant, ``reps`` samples each, interleaved: every repetition
    runs every variant once, starting one variant later each time.  With ``repeat_short``, a
    sample repeats a short call (timed once beforehand) until it lasts about SAMPLE_SECONDS;
    without, every sample is one call, as a caller makes it."""
    inner = {}
    for name, run in variants.items():
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
        inner[name] = max(1, int(SAMPLE_SECONDS / max(elapsed, 1e-9))) if repeat_short else 1
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            run, k = variants[name], inner[name]
            start = time.perf_counter()
            for _ in range(k):
                run()
            times[name].append((time.perf_counter() - start) / k)
    return times


def iqr_percent(samples: list[float]) -> float:
    q1, _, q3 = statistics.quantiles(samples, n=4)
    return 100.0 * (q3 - q1) / statistics.median(samples)


def c_array(ffi, a: np.ndarray, kind: str = "const double *"):
    return ffi.cast(kind, ffi.from_buffer(a))


# ---------------------------------------------------------------- 1. univariate KL

def torch_kl_formula(mu1, sigma1, mu2, sigma2):
    """torch.distributions.kl._kl_normal_normal, transcribed to numpy line for line."""
    var_ratio = (sigma1 / sigma2) ** 2
    t1 = ((mu1 - mu2) / sigma2) ** 2
    return 0.5 * (var_ratio + t1 - 1 - np.log(var_ratio))


def univariate_section(args, ffi, kernels_c, floor_c, np_kernels) -> None:
    try:
        import torch
    except ImportError:
        torch = None
    rows = []
    for kind, n in [("random", n) for n in args.sizes] + [("near q = p", n) for n in args.near_sizes]:
        mu1, sigma1, mu2, sigma2 = inputs(n, kind)
        out_c = np.zeros(n)
        out_floor = np.zeros(n)
        ptr = [ffi.cast("const double *", ffi.from_buffer(a)) for a in (mu1, sigma1, mu2, sigma2)]
        ptr_out_c = ffi.cast("double *", ffi.from_buffer(out_c))
        ptr_out_floor = ffi.cast("double *", ffi.from_buffer(out_floor))

        def hand_written():
            return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5

        variants = {
            "C `derive_kl_normal_normal_n`": lambda: kernels_c.derive_kl_normal_normal_n(n, *ptr, ptr_out_c),
            "numpy `kl_normal_normal(validate=False)`":
                lambda: np_kernels.kl_normal_normal(mu1, sigma1, mu2, sigma2, validate=False),
            "numpy `kl_normal_normal` (validated)":
                lambda: np_kernels.kl_normal_normal(mu1, sigma1, mu2, sigma2),
            HAND_WRITTEN: hand_written,
            "torch's formula, in numpy": lambda: torch_kl_formula(mu1, sigma1, mu2, sigma2),
        }
        if torch is not None:
            normals = [torch.distributions.Normal(torch.from_numpy(m), torch.from_numpy(s), validate_args=False)
                       for m, s in ((mu1, sigma1), (mu2, sigma2))]
            variants["torch `kl_divergence(Normal, Normal)` (float64, CPU)"] = (
                lambda: torch.distributions.kl_divergence(*normals))
        variants[FLOOR] = lambda: floor_c.stream_floor(n, *ptr, ptr_out_floor)
        # warm-up: page in every buffer, load code, and check the variants agree
        reference = hand_written()
        for name, run in variants.items():
            result = run()
            if not name.startswith("C"):
                np.testing.assert_allclose(np.asarray(result), reference, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(out_c, reference, rtol=1e-12, atol=1e-12)

        times = measure(variants, args.reps, repeat_short=False)  # every call takes milliseconds
        floor, hand = (statistics.median(times[name]) for name in (FLOOR, HAND_WRITTEN))
        for name, samples in times.items():
            median = statistics.median(samples)
            rows.append((name, kind, n, median / n * 1e9, median / floor, median / hand, iqr_percent(samples)))
        del mu1, sigma1, mu2, sigma2, out_c, out_floor, ptr

    print("## Univariate KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)), elementwise")
    print()
    for kind, description in INPUTS.items():
        print(f"- {kind}: {description}")
    print()
    print("| variant | inputs | n | ns/element | × floor | × hand-written | IQR |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, kind, n, ns, ratio, versus_hand, iqr in rows:
        print(f"| {name} | {kind} | {n:.0e} | {ns:.2f} | {ratio:.2f} | {versus_hand:.2f} | {iqr:.0f}% |"
              .replace("e+0", "e"))
    if torch is None:
        print()
        print("(torch is not installed: its row is skipped; its formula, transcribed to numpy, is not.)")
    print()


# ---------------------------------------------------------------- 2. the VAE term

def vae_section(args, ffi, kernels_c, rows_floor_c, np_kernels) -> None:
    try:
        import torch
    except ImportError:
        torch = None
    rows = []
    for kind, dims in [("random", dims) for dims in VAE_DIMS] + [("at the prior", 64)]:
        rng = np.random.default_rng(4096 + dims)
        if kind == "random":
            mu, logvar = rng.uniform(-5.0, 5.0, (VAE_ROWS, dims)), rng.uniform(-5.0, 5.0, (VAE_ROWS, dims))
        else:  # every element on the series (|logvar| < 1/2)
            mu, logvar = rng.normal(0.0, 0.1, (VAE_ROWS, dims)), rng.uniform(-0.45, 0.45, (VAE_ROWS, dims))
        out_c, out_floor = np.zeros(VAE_ROWS), np.zeros(VAE_ROWS)
        p_mu, p_logvar = c_array(ffi, mu), c_array(ffi, logvar)
        p_out_c, p_out_floor = c_array(ffi, out_c, "double *"), c_array(ffi, out_floor, "double *")

        def hand_written():
            return -0.5 * np.sum(1 + logvar - mu**2 - np.exp(logvar), axis=-1)

        variants = {
            "C `derive_kl_diag_std_normal_logvar_n`":
                lambda: kernels_c.derive_kl_diag_std_normal_logvar_n(VAE_ROWS, dims, p_mu, p_logvar, p_out_c),
            "numpy `kl_diag_std_normal_logvar(validate=False)`":
                lambda: np_kernels.kl_diag_std_normal_logvar(mu, logvar, validate=False),
            "numpy `kl_diag_std_normal_logvar` (validated)": lambda: np_kernels.kl_diag_std_normal_logvar(mu, logvar),
            "numpy, hand-written formula": hand_written,
        }
        if torch is not None:
            t_mu, t_logvar = torch.from_numpy(mu), torch.from_numpy(logvar)
            variants["torch's formula (float64, CPU)"] = (
                lambda: -0.5 * torch.sum(1 + t_logvar - t_mu.pow(2) - t_logvar.exp(), dim=-1))
        variants["C streaming floor (2 arrays in, 1 value/row out)"] = (
            lambda: rows_floor_c.stream_rows_floor(VAE_ROWS, dims, p_mu, p_logvar, p_out_floor))
        reference = hand_written()
        for name, run in variants.items():
            result = run()
            if not name.startswith("C"):
                np.testing.assert_allclose(np.asarray(result), reference, rtol=1e-12)
        np.testing.assert_allclose(out_c, reference, rtol=1e-12)
        np.testing.assert_allclose(out_floor, (mu + logvar).sum(axis=1), rtol=1e-9, atol=1e-9)
        times = measure(variants, args.short_reps)
        floor = statistics.median(times["C streaming floor (2 arrays in, 1 value/row out)"])
        for name, samples in times.items():
            median = statistics.median(samples)
            rows.append((name, kind, dims, median / VAE_ROWS * 1e9, median / (VAE_ROWS * dims) * 1e9,
                         median / floor, iqr_percent(samples)))

    print(f"## The VAE term -1/2 sum_d (1 + logvar - mu^2 - exp(logvar)), B = {VAE_ROWS} rows")
    print()
    print("- random: mu, logvar uniform in [-5, 5]")
    print("- at the prior: mu ~ N(0, 0.1), logvar uniform in [-0.45, 0.45]: every element on the series")
    print()
    print("| variant | inputs | B × D | ns/row | ns/element | × floor | IQR |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, kind, dims, per_row, per_element, ratio, iqr in rows:
        print(f"| {name} | {kind} | {VAE_ROWS} × {dims} | {per_row:.1f} | {per_element:.2f} | {ratio:.1f} | {iqr:.0f}% |")
    if torch is None:
        print()
        print("(torch is not installed: its row is skipped.)")
    print()


# ---------------------------------------------------------------- 3. full covariance

def mvn_pairs(d: int) -> int:
    return int(min(100_000, max(64, 4e6 / d**3)))


def spd_stack(rng, n: int, d: int) -> np.ndarray:
    a = rng.standard_normal((n, d, d))
    s = a @ np.swapaxes(a, -1, -2) / d + 0.5 * np.eye(d)
    return np.ascontiguousarray((s + np.swapaxes(s, -1, -2)) / 2)


def kl_mvn_by_hand(mu1, cov1, mu2, cov2):
    """numpy written by hand, batched: Cholesky factors, two solves, log-diagonals."""
    l1, l2 = np.linalg.cholesky(cov1), np.linalg.cholesky(cov2)
    trace = np.sum(np.linalg.solve(l2, l1) ** 2, axis=(-2, -1))
    z = np.linalg.solve(l2, (mu2 - mu1)[..., None])[..., 0]
    log_det_ratio = 2 * np.sum(np.log(np.diagonal(l2, axis1=-2, axis2=-1) / np.diagonal(l1, axis1=-2, axis2=-1)),
                               axis=-1)
    return 0.5 * (trace + np.sum(z**2, axis=-1) - mu1.shape[-1] + log_det_ratio)


def near_pairs(rng, cov2: np.ndarray, eps: float = 1e-6):
    """S1 = S2 + eps L2 R L2^T (R random symmetric, ||R||_2 <= 1), made exactly symmetric."""
    l2 = np.linalg.cholesky(cov2)
    r = rng.standard_normal(cov2.shape)
    r = (r + np.swapaxes(r, -1, -2)) / 2
    r /= np.maximum(1.0, np.linalg.norm(r, 2, axis=(-2, -1)))[..., None, None]
    s = cov2 + eps * (l2 @ r @ np.swapaxes(l2, -1, -2))
    return np.ascontiguousarray(np.tril(s) + np.swapaxes(np.tril(s, -1), -1, -2))


C_MVN = "C `derive_kl_mvn_mvn` (one call per pair, C loop)"
NUMPY_MVN = "numpy `kl_mvn_mvn(validate=False)` (batched)"
NUMPY_MVN_VALIDATED = "numpy `kl_mvn_mvn` (validated, batched)"


def mvn_section(args, ffi, mvn_c, np_kernels, baseline=None) -> None:
    """``baseline``: (C library with base_kl_mvn_loop, numpy module) of an older generated/."""
    rows = []
    for kind in ("random", "near q = p"):
        for d in MVN_DIMS:
            n = mvn_pairs(d)
            rng = np.random.default_rng(640 + d)
            cov1, cov2 = spd_stack(rng, n, d), spd_stack(rng, n, d)
            mu1, mu2 = rng.uniform(-1.0, 1.0, (n, d)), rng.uniform(-1.0, 1.0, (n, d))
            if kind == "near q = p":
                cov1, mu1 = near_pairs(rng, cov2), mu2 + 1e-6 * rng.uniform(-1.0, 1.0, (n, d))
            out_c = np.zeros(n)
            pointers = [c_array(ffi, a) for a in (mu1, cov1, mu2, cov2)]
            p_out = c_array(ffi, out_c, "double *")

            variants = {
                C_MVN: lambda: mvn_c.kl_mvn_loop(n, d, *pointers, p_out),
                NUMPY_MVN: lambda: np_kernels.kl_mvn_mvn(mu1, cov1, mu2, cov2, validate=False),
                NUMPY_MVN_VALIDATED: lambda: np_kernels.kl_mvn_mvn(mu1, cov1, mu2, cov2),
                "numpy cholesky + solve by hand (batched)": lambda: kl_mvn_by_hand(mu1, cov1, mu2, cov2),
            }
            if baseline is not None:
                base_c, base_np = baseline
                variants |= {
                    C_MVN + ", baseline": lambda: base_c.base_kl_mvn_loop(n, d, *pointers, p_out),
                    NUMPY_MVN + ", baseline": lambda: base_np.kl_mvn_mvn(mu1, cov1, mu2, cov2, validate=False),
                    NUMPY_MVN_VALIDATED + ", baseline": lambda: base_np.kl_mvn_mvn(mu1, cov1, mu2, cov2),
                }
            reference = kl_mvn_by_hand(mu1, cov1, mu2, cov2)
            for name, run in variants.items():
                result = run()
                if name.startswith("C"):
                    assert result == 0, f"kl_mvn_loop returned status {result}"
                    result = out_c
                # near q = p the hand-written formula is itself off by ~1e-16 absolute
                np.testing.assert_allclose(result, reference, rtol=1e-10, atol=1e-12)
            times = measure(variants, args.short_reps)
            medians = {name: statistics.median(samples) for name, samples in times.items()}
            for name, samples in times.items():
                base = medians.get(name + ", baseline")
                rows.append((name, kind, d, n, medians[name] / n * 1e9, medians[name] / medians[C_MVN],
                             f"{medians[name] / base:.2f}" if base else "", iqr_percent(samples)))

    print("## Full covariance KL(N(mu1, S1) || N(mu2, S2)), ns per pair")
    print()
    print("| variant | inputs | d | pairs | ns/pair | × C | × baseline | IQR |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, kind, d, n, ns, ratio, over_base, iqr in rows:
        print(f"| {name} | {kind} | {d} | {n} | {ns:,.0f} | {ratio:.2f} | {over_base} | {iqr:.0f}% |")
    print()


def renyi_mvn_by_hand(mu1, cov1, mu2, cov2, alpha):
    """The closed form in numpy, batched: Cholesky factors of S_α, S₁, S₂, one solve, log-diagonals."""
    combined = alpha * cov2 + (1 - alpha) * cov1
    lc, l1, l2 = (np.linalg.cholesky(s) for s in (combined, cov1, cov2))
    z = np.linalg.solve(lc, (mu1 - mu2)[..., None])[..., 0]
    logs = [2 * np.sum(np.log(np.diagonal(f, axis1=-2, axis2=-1)), axis=-1) for f in (lc, l1, l2)]
    return alpha * np.sum(z**2, axis=-1) / 2 - (logs[0] - (1 - alpha) * logs[1] - alpha * logs[2]) / (2 * (alpha - 1))


C_RENYI_MVN = "C `derive_renyi_mvn_mvn` (one call per pair, C loop)"


def renyi_mvn_section(args, ffi, mvn_c, np_kernels, alpha: float = 0.5) -> None:
    rows = []
    for d in MVN_DIMS:
        n = max(64, mvn_pairs(d) // 4)
        rng = np.random.default_rng(650 + d)
        cov1, cov2 = spd_stack(rng, n, d), spd_stack(rng, n, d)
        mu1, mu2 = rng.uniform(-1.0, 1.0, (n, d)), rng.uniform(-1.0, 1.0, (n, d))
        out_c = np.zeros(n)
        pointers = [c_array(ffi, a) for a in (mu1, cov1, mu2, cov2)]
        p_out = c_array(ffi, out_c, "double *")
        variants = {
            C_RENYI_MVN: lambda: mvn_c.renyi_mvn_loop(n, d, *pointers, alpha, p_out),
            "numpy `renyi_mvn_mvn(validate=False)` (batched)":
                lambda: np_kernels.renyi_mvn_mvn(mu1, cov1, mu2, cov2, alpha, validate=False),
            "numpy cholesky + solve by hand (batched)": lambda: renyi_mvn_by_hand(mu1, cov1, mu2, cov2, alpha),
        }
        reference = renyi_mvn_by_hand(mu1, cov1, mu2, cov2, alpha)
        for name, run in variants.items():
            result = run()
            if name.startswith("C"):
                assert result == 0, f"renyi_mvn_loop returned status {result}"
                result = out_c
            np.testing.assert_allclose(result, reference, rtol=1e-9, atol=1e-12)
        times = measure(variants, args.short_reps)
        medians = {name: statistics.median(samples) for name, samples in times.items()}
        for name, samples in times.items():
            rows.append((name, d, n, medians[name] / n * 1e9, medians[name] / medians[C_RENYI_MVN],
                         iqr_percent(samples)))
    print(f"## Full covariance Rényi D_α(N(mu1, S1) || N(mu2, S2)), α = {alpha}, ns per pair")
    print()
    print("| variant | d | pairs | ns/pair | × C | IQR |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, d, n, ns, ratio, iqr in rows:
        print(f"| {name} | {d} | {n} | {ns:,.0f} | {ratio:.2f} | {iqr:.0f}% |")
    print()


# ---------------------------------------------------------------- main

# ---------------------------------------------------------------- 4. the Rényi family

RENYI_ORDERS = (0.5, 0.9)
"""Orders for the Rényi-α rows (α < 1: finite for every input, so the hand-written formula is comparable)."""


def renyi_hand_written(mu1, sigma1, mu2, sigma2, alpha):
    variance = alpha * sigma2**2 + (1 - alpha) * sigma1**2
    return (np.log(sigma2 / sigma1) + np.log(sigma2**2 / variance) / (2 * (alpha - 1))
            + alpha * (mu1 - mu2) ** 2 / (2 * variance))


def bhattacharyya_hand_written(mu1, sigma1, mu2, sigma2):
    total = sigma1**2 + sigma2**2
    return (mu1 - mu2) ** 2 / (4 * total) + 0.5 * np.log(total / (2 * sigma1 * sigma2))


def renyi_section(args, ffi, kernels_c, floor_c, np_kernels) -> None:
    """The univariate Rényi-family kernels at 4e6 random elements, beside the closed forms as a
    user would type them in numpy and the streaming floor (the same four arrays in, one out)."""
    n = args.renyi_size
    mu1, sigma1, mu2, sigma2 = inputs(n)
    out, out_floor = np.zeros(n), np.zeros(n)
    ptr = [c_array(ffi, a) for a in (mu1, sigma1, mu2, sigma2)]
    ptr_out, ptr_floor = c_array(ffi, out, "double *"), c_array(ffi, out_floor, "double *")
    groups = []
    for alpha in RENYI_ORDERS:
        groups.append((f"renyi_normal_normal, α = {alpha}", {
            "C `derive_renyi_normal_normal_n`": lambda a=alpha: kernels_c.derive_renyi_normal_normal_n(n, *ptr, a, ptr_out),
            "numpy `renyi_normal_normal(validate=False)`":
                lambda a=alpha: np_kernels.renyi_normal_normal(mu1, sigma1, mu2, sigma2, a, validate=False),
            "numpy `renyi_normal_normal` (validated)":
                lambda a=alpha: np_kernels.renyi_normal_normal(mu1, sigma1, mu2, sigma2, a),
            HAND_WRITTEN: lambda a=alpha: renyi_hand_written(mu1, sigma1, mu2, sigma2, a),
        }))
    groups.append(("bhattacharyya_normal_normal", {
        "C `derive_bhattacharyya_normal_normal_n`": lambda: kernels_c.derive_bhattacharyya_normal_normal_n(n, *ptr, ptr_out),
        "numpy `bhattacharyya_normal_normal(validate=False)`":
            lambda: np_kernels.bhattacharyya_normal_normal(mu1, sigma1, mu2, sigma2, validate=False),
        HAND_WRITTEN: lambda: bhattacharyya_hand_written(mu1, sigma1, mu2, sigma2),
    }))
    groups.append(("hellinger_squared_normal_normal", {
        "C `derive_hellinger_squared_normal_normal_n`":
            lambda: kernels_c.derive_hellinger_squared_normal_normal_n(n, *ptr, ptr_out),
        "numpy `hellinger_squared_normal_normal(validate=False)`":
            lambda: np_kernels.hellinger_squared_normal_normal(mu1, sigma1, mu2, sigma2, validate=False),
        HAND_WRITTEN: lambda: -np.expm1(-bhattacharyya_hand_written(mu1, sigma1, mu2, sigma2)),
    }))
    _elementwise_table(args, f"Rényi family, elementwise, {n:.0e} random elements ({INPUTS['random']})", groups,
                       out, lambda: floor_c.stream_floor(n, *ptr, ptr_floor), n)


def _elementwise_table(args, title: str, groups, out: np.ndarray, floor, n: int) -> None:
    """One table for groups of variants of elementwise kernels, each beside the floor and the
    hand-written formula (all checked to agree before they are timed)."""
    print(f"## {title}".replace("e+0", "e"))
    print()
    print("| kernel | variant | ns/element | × floor | × hand-written | IQR |")
    print("|---|---|---:|---:|---:|---:|")
    for kernel, variants in groups:
        variants = dict(variants)
        variants[FLOOR] = floor
        reference = variants[HAND_WRITTEN]()
        for name, run in variants.items():
            result = run()
            checked = out if name.startswith("C `") else (None if name == FLOOR else np.asarray(result))
            if checked is not None:
                np.testing.assert_allclose(checked, reference, rtol=1e-9, atol=1e-12)
        times = measure(variants, args.reps, repeat_short=False)
        floor_time, hand = (statistics.median(times[name]) for name in (FLOOR, HAND_WRITTEN))
        for name, samples in times.items():
            median = statistics.median(samples)
            print(f"| {kernel} | {name} | {median / n * 1e9:.2f} | {median / floor_time:.2f} | {median / hand:.2f} | "
                  f"{iqr_percent(samples):.0f}% |")
    print()


def jeffreys_section(args, ffi, kernels_c, floor_c, np_kernels) -> None:
    """jeffreys_normal_normal at 4e6 random elements beside the closed form as a user would type it."""
    n = args.renyi_size
    mu1, sigma1, mu2, sigma2 = inputs(n)
    out, out_floor = np.zeros(n), np.zeros(n)
    ptr = [c_array(ffi, a) for a in (mu1, sigma1, mu2, sigma2)]
    ptr_out, ptr_floor = c_array(ffi, out, "double *"), c_array(ffi, out_floor, "double *")

    def hand_written():
        gap = (mu1 - mu2) ** 2
        return (sigma1**2 + gap) / (2 * sigma2**2) + (sigma2**2 + gap) / (2 * sigma1**2) - 1

    groups = [("jeffreys_normal_normal", {
        "C `derive_jeffreys_normal_normal_n`": lambda: kernels_c.derive_jeffreys_normal_normal_n(n, *ptr, ptr_out),
        "numpy `jeffreys_normal_normal(validate=False)`":
            lambda: np_kernels.jeffreys_normal_normal(mu1, sigma1, mu2, sigma2, validate=False),
        "numpy `jeffreys_normal_normal` (validated)": lambda: np_kernels.jeffreys_normal_normal(mu1, sigma1, mu2, sigma2),
        HAND_WRITTEN: hand_written,
    })]
    _elementwise_table(args, f"Jeffreys divergence, elementwise, {n:.0e} random elements ({INPUTS['random']})",
                       groups, out, lambda: floor_c.stream_floor(n, *ptr, ptr_floor), n)


SECTIONS = ("univariate", "vae", "mvn", "renyi", "renyi-mvn", "jeffreys")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=15,
                        help="interleaved repetitions, univariate section (default 15)")
    parser.add_argument("--short-reps", type=int, default=15,
                        help="interleaved repetitions of the ~50 ms samples of sections 2 and 3 (default 15)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**3, 10**6, 4 * 10**6, 10**7],
                        help="elements per call in the univariate section, random inputs")
    parser.add_argument("--near-sizes", type=int, nargs="*", default=[4 * 10**6],
                        help="elements per call in the univariate section, inputs near q = p")
    parser.add_argument("--renyi-size", type=int, default=4 * 10**6, help="elements per call in the Rényi section")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="sections to run")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="an older generated/ (numpy/derive_gaussian.py, c/derive_gaussian.{h,c}) to time "
                             "the full-covariance kernels beside")
    args = parser.parse_args(argv)

    import cffi

    cc = shutil.which("cc")
    if cc is None:
        sys.exit("no C compiler `cc` on PATH")
    header = (GENERATED_C / "derive_gaussian.h").read_text(encoding="utf-8")
    flags = recommended_flags(header)
    tmp = Path(tempfile.mkdtemp(prefix="derive-bench-"))
    try:
        kernel_lib, floor_lib = tmp / "libderive_gaussian.so", tmp / "libfloor.so"
        rows_floor_lib, mvn_lib = tmp / "librowsfloor.so", tmp / "libmvnloop.so"
        compile_shared(cc, GENERATED_C / "derive_gaussian.c", kernel_lib, flags, include=GENERATED_C)
        (tmp / "floor.c").write_text(FLOOR_SOURCE)
        compile_shared(cc, tmp / "floor.c", floor_lib, flags)
        (tmp / "rows_floor.c").write_text(ROWS_FLOOR_SOURCE)
        compile_shared(cc, tmp / "rows_floor.c", rows_floor_lib, flags)
        (tmp / "mvn_loop.c").write_text(MVN_LOOP_SOURCE)
        compile_shared(cc, [tmp / "mvn_loop.c", GENERATED_C / "derive_gaussian.c"], mvn_lib, flags,
                       include=GENERATED_C)
        ffi = cffi.FFI()
        ffi.cdef(header_cdef(header))
        ffi.cdef(FLOOR_CDEF)
        ffi.cdef(ROWS_FLOOR_CDEF)
        ffi.cdef(MVN_LOOP_CDEF)
        ffi.cdef(RENYI_MVN_LOOP_CDEF)
        kernels_c = ffi.dlopen(str(kernel_lib))
        floor_c = ffi.dlopen(str(floor_lib))
        rows_floor_c = ffi.dlopen(str(rows_floor_lib))
        mvn_c = ffi.dlopen(str(mvn_lib))
        np_kernels = load_numpy_module()
        baseline = None
        if args.baseline is not None:
            base = tmp / "base"
            base.mkdir()
            for name in ("derive_gaussian.h", "derive_gaussian.c"):  # derive_* -> base_*: both load side by side
                text = (args.baseline / "c" / name).read_text(encoding="utf-8")
                (base / name.replace("derive_", "base_")).write_text(
                    text.replace("derive_", "base_").replace("DERIVE_", "BASE_"))
            (base / "mvn_loop.c").write_text(MVN_LOOP_SOURCE.replace("derive_", "base_").replace(
                "kl_mvn_loop", "base_kl_mvn_loop"))
            compile_shared(cc, [base / "mvn_loop.c", base / "base_gaussian.c"], base / "libbase.so", flags,
                           include=base)
            ffi.cdef(BASE_MVN_LOOP_CDEF)
            spec = importlib.util.spec_from_file_location("_bench_base_gaussian",
                                                          args.baseline / "numpy" / "derive_gaussian.py")
            base_np = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(base_np)
            baseline = (ffi.dlopen(str(base / "libbase.so")), base_np)

        compiler = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        cpu = platform.processor() or platform.machine()
        try:
            cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                       if ln.startswith("model name"))
        except (OSError, StopIteration):
            pass
        try:
            load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
        except OSError:
            load = "unknown"
        print("# derive kernel benchmark, float64")
        print(f"CPU: {cpu} ({os.cpu_count()} logical CPUs); Python {platform.python_version()}; "
              f"numpy {np.__version__}; {compiler}")
        print(f"C flags: -std=c99 -Wall -Wextra -Werror -pedantic {' '.join(flags)} -fPIC -shared "
              f"(the header's 'Recommended flags' line); medians of {args.reps} (univariate) and "
              f"{args.short_reps} (VAE, full covariance) interleaved repetitions; "
              f"load average at start {load}")
        print()

        started = time.perf_counter()
        if "univariate" in args.only:
            univariate_section(args, ffi, kernels_c, floor_c, np_kernels)
        if "vae" in args.only:
            vae_section(args, ffi, kernels_c, rows_floor_c, np_kernels)
        if "mvn" in args.only:
            mvn_section(args, ffi, mvn_c, np_kernels, baseline)
        if "renyi" in args.only:
            renyi_section(args, ffi, kernels_c, floor_c, np_kernels)
        if "renyi-mvn" in args.only:
            renyi_mvn_section(args, ffi, mvn_c, np_kernels)
        if "jeffreys" in args.only:
            jeffreys_section(args, ffi, kernels_c, floor_c, np_kernels)
        print(f"(measured in {time.perf_counter() - started:.0f} s)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
