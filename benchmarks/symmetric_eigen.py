"""Speed of the C template ``symmetric_eigen.c`` against ``numpy.linalg.eigh``, side by side.

Run by hand (not collected by pytest):

    python3 benchmarks/symmetric_eigen.py [--reps 9] [--sizes 2 4 8 16 32 64]

For each d, N seeded random symmetric matrices (N from 20000 at d = 2 down to 200 at d = 64),
time per matrix (µs) for:

- ``C, looped in C``: the template compiled with the header's ``Recommended flags:`` line into a
  shared library with a small driver that, for each matrix, copies it into the scratch matrix and
  calls ``derive_symmetric_eigen`` (what a kernel does: one call per matrix, no Python between);
- ``C, one cffi call each``: the same function called from Python once per matrix (cffi ABI mode);
- ``numpy eigh, one call each``: ``numpy.linalg.eigh(a)`` once per matrix;
- ``numpy eigh, stacked``: one ``numpy.linalg.eigh`` on the (N, d, d) stack, per matrix.

Timing is interleaved: every repetition runs each variant once, round-robin, so drift in machine
load hits all alike; the table gives medians over the repetitions and the C routine's time over
numpy's per-call time.  Eigenvalues are checked against numpy's before timing.
"""
from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "derive" / "codegen" / "c" / "templates" / "symmetric_eigen.c"
HEADER = REPO / "generated" / "c" / "derive_gaussian.h"
DRIVER = """
int eigen_entry(size_t d, double *a, double *values, double *work);
int eigen_batch(size_t n, size_t d, const double *in, double *a, double *values, double *work);

int eigen_entry(size_t d, double *a, double *values, double *work)
{
    return derive_symmetric_eigen(d, a, values, work);
}

/* For each of the n matrices in ``in``: copy it into a, solve; values n x d out, the vectors of
 * the last one left in a.  Returns the number of failures. */
int eigen_batch(size_t n, size_t d, const double *in, double *a, double *values, double *work)
{
    size_t m, i;
    int failures = 0;
    for (m = 0; m < n; ++m) {
        for (i = 0; i < d*d; ++i) {
            a[i] = in[m*d*d + i];
        }
        failures += derive_symmetric_eigen(d, a, values + m*d, work);
    }
    return failures;
}
"""
CDEF = """
int eigen_entry(size_t d, double *a, double *values, double *work);
int eigen_batch(size_t n, size_t d, const double *in, double *a, double *values, double *work);
"""


def recommended_flags() -> list[str]:
    lines = [ln for ln in HEADER.read_text(encoding="utf-8").splitlines() if "Recommended flags:" in ln]
    return lines[0].split("Recommended flags:", 1)[1].split()


def build(folder: Path, cc: str, flags: list[str]):
    import cffi

    source = folder / "symmetric_eigen.c"
    body = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(internal="derive_")
    source.write_text("#include <math.h>\n#include <stddef.h>\n\n" + body + DRIVER, encoding="utf-8")
    out = folder / "libsymmetric_eigen.so"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", *flags, "-fPIC", "-shared",
                    str(source), "-o", str(out), "-lm"], check=True)
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    return ffi, ffi.dlopen(str(out))


def count(d: int) -> int:
    return max(200, min(20000, 800000 // (d * d * d)))


def measure(variants: dict, reps: int) -> dict[str, list[float]]:
    times = {name: [] for name in variants}
    names = list(variants)
    for rep in range(reps):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            start = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8, 16, 32, 64])
    args = parser.parse_args(argv)
    cc = shutil.which("cc")
    if cc is None:
        print("no C compiler `cc` on PATH", file=sys.stderr)
        return 1
    flags = recommended_flags()
    compiler = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"{platform.processor() or platform.machine()}, {compiler}, flags {' '.join(flags)}, numpy {np.__version__}")
    print(f"µs per matrix, median of {args.reps} interleaved repetitions\n")
    print("| d | N | C, looped in C | C, one cffi call each | numpy eigh, one call each | numpy eigh, stacked "
          "| C looped / numpy per call |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        ffi, lib = build(Path(folder), cc, flags)
        for d in args.sizes:
            n = count(d)
            rng = np.random.default_rng(1000 + d)
            x = rng.standard_normal((n, d, d))
            stack = np.ascontiguousarray((x + np.swapaxes(x, 1, 2)) / 2)
            a, values, work = np.empty((d, d)), np.empty((n, d)), np.empty(d)
            p_stack, p_a = ffi.from_buffer("double[]", stack), ffi.from_buffer("double[]", a)
            p_values, p_work = ffi.from_buffer("double[]", values), ffi.from_buffer("double[]", work)
            scratch = [np.empty((d, d)) for _ in range(n)]
            p_scratch = [ffi.from_buffer("double[]", s) for s in scratch]
            p_rows = [ffi.from_buffer("double[]", row) for row in values]

            def c_looped():
                assert lib.eigen_batch(n, d, p_stack, p_a, p_values, p_work) == 0

            def c_per_call():
                for m in range(n):
                    scratch[m][...] = stack[m]
                    lib.eigen_entry(d, p_scratch[m], p_rows[m], p_work)

            def numpy_per_call():
                for m in range(n):
                    np.linalg.eigh(stack[m])

            def numpy_stacked():
                np.linalg.eigh(stack)

            c_looped()
            expected = np.linalg.eigvalsh(stack)
            error = np.max(np.abs(values - expected) / np.linalg.norm(stack, 2, axis=(1, 2))[:, None])
            assert error < 8 * d * 2.0 ** -53, (d, error)
            times = measure({"c": c_looped, "cffi": c_per_call, "np": numpy_per_call, "stack": numpy_stacked},
                            args.reps)
            us = {k: statistics.median(v) / n * 1e6 for k, v in times.items()}
            print(f"| {d} | {n} | {us['c']:.2f} | {us['cffi']:.2f} | {us['np']:.2f} | {us['stack']:.2f} "
                  f"| {us['c'] / us['np']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
