"""Speed of the generated KL kernel against a streaming floor: ns/element over 1e6 and 1e7 elements.

Run by hand (not collected by pytest):

    python3 benchmarks/kernels.py [--reps 7] [--sizes 1000000 10000000]

Variants, all computing KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)) elementwise over four float64
arrays into one (except the floor, which does no math):

- ``C derive_kl_normal_normal_n``: generated/c/derive_gaussian.c compiled with the header's
  ``Recommended flags:`` line into a shared library, called through cffi on numpy buffers;
- ``numpy kl_normal_normal (validate=False)`` and ``(validate=True)``: generated/numpy/derive_gaussian.py;
- ``numpy, hand-written``: ``np.log(s2/s1) + (s1**2 + (m1-m2)**2)/(2*s2**2) - 0.5``, what a user
  would type;
- ``C streaming floor``: ``out[i] = mu1[i] + sigma1[i] + mu2[i] + sigma2[i]`` compiled with the same
  flags: it reads the same four arrays and writes one, with three adds and no log/divide, so it is
  a floor set by memory traffic (an acceptable floor: three adds cost next to nothing against
  the loads and stores).

Timing is interleaved: every repetition runs each variant once, round-robin, so drift in
machine load hits all variants alike; the table reports medians over the repetitions and the
ratio to the floor's median at the same n. Inputs are seeded: mu uniform in [-5, 5], sigma
log-uniform in [1e-2, 1e2].
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


def compile_shared(cc: str, source: Path, out: Path, flags: list[str], include: Path | None = None) -> None:
    command = [cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", *flags, "-fPIC", "-shared",
               *([f"-I{include}"] if include else []), str(source), "-o", str(out), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")


def load_numpy_module():
    spec = importlib.util.spec_from_file_location("_bench_derive_gaussian", GENERATED_NUMPY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inputs(n: int, seed: int = 12345):
    rng = np.random.default_rng(seed)
    mu1 = rng.uniform(-5.0, 5.0, n)
    sigma1 = 10.0 ** rng.uniform(-2.0, 2.0, n)
    mu2 = rng.uniform(-5.0, 5.0, n)
    sigma2 = 10.0 ** rng.uniform(-2.0, 2.0, n)
    return mu1, sigma1, mu2, sigma2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=7, help="interleaved repetitions (default 7)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**6, 10**7], help="elements per call")
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
        compile_shared(cc, GENERATED_C / "derive_gaussian.c", kernel_lib, flags, include=GENERATED_C)
        (tmp / "floor.c").write_text(FLOOR_SOURCE)
        compile_shared(cc, tmp / "floor.c", floor_lib, flags)
        ffi = cffi.FFI()
        ffi.cdef(header_cdef(header))
        ffi.cdef(FLOOR_CDEF)
        kernels_c = ffi.dlopen(str(kernel_lib))
        floor_c = ffi.dlopen(str(floor_lib))
        np_kernels = load_numpy_module()

        compiler = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        cpu = platform.processor() or platform.machine()
        try:
            cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                       if ln.startswith("model name"))
        except (OSError, StopIteration):
            pass
        print(f"# derive kernel benchmark: KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)), float64")
        print(f"CPU: {cpu} ({os.cpu_count()} logical CPUs); Python {platform.python_version()}; "
              f"numpy {np.__version__}; {compiler}")
        print(f"C flags: -std=c99 -Wall -Wextra -Werror -pedantic {' '.join(flags)} -fPIC -shared "
              f"(the header's 'Recommended flags' line); {args.reps} interleaved repetitions, medians")
        print()

        rows = []
        for n in args.sizes:
            mu1, sigma1, mu2, sigma2 = inputs(n)
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
                "numpy, hand-written formula": hand_written,
                "C streaming floor (3 adds)": lambda: floor_c.stream_floor(n, *ptr, ptr_out_floor),
            }
            # warm-up: page in every buffer, load code, and check the variants agree
            reference = hand_written()
            for name, run in variants.items():
                result = run()
                if name.startswith("numpy"):
                    np.testing.assert_allclose(result, reference, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(out_c, reference, rtol=1e-12, atol=1e-12)

            times: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(args.reps):
                for name, run in variants.items():
                    start = time.perf_counter()
                    result = run()
                    times[name].append(time.perf_counter() - start)
                    del result
            floor = statistics.median(times["C streaming floor (3 adds)"])
            for name in variants:
                median = statistics.median(times[name])
                rows.append((name, n, median / n * 1e9, median / floor))
            del mu1, sigma1, mu2, sigma2, out_c, out_floor, ptr

        print("| variant | n | ns/element | × floor |")
        print("|---|---:|---:|---:|")
        for name, n, ns, ratio in rows:
            print(f"| {name} | {n:.0e} | {ns:.2f} | {ratio:.1f} |".replace("e+0", "e"))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
