"""The generated C kernels (generated/c/derive_gaussian.{h,c}), compiled here with the system
``cc`` and the strict flags ``-std=c99 -Wall -Wextra -Werror -pedantic``, once at ``-O0`` and once
with the header's ``Recommended flags:`` line, and loaded with cffi in ABI mode.

Every value test runs against both builds (the ``c_lib`` fixture is parametrised).
"""
from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

import derive
from derive import models

# Tolerances (see test_numpy_kernels.py for the reasoning behind each):
SCIPY_RTOL = 1e-10                 # scipy quad reference good to ~1e-12 relative
SCIPY_ATOL_PER_MAGNITUDE = 1e-12   # ... of the log-densities that cancel in it
MPMATH_RTOL = 1e-13                # 30-digit references; kernels round to a few ulp of their terms
MPMATH_ATOL_PER_MAGNITUDE = 4e-15  # ~20 ulp of the terms that cancel (value near 0)
# C against numpy: the same expression in double precision, but libm's log and numpy's log may
# differ by an ulp or so, and both round a dozen operations: 1e-14 relative + 1e-15 x magnitude.
C_NUMPY_RTOL = 1e-14
C_NUMPY_ATOL_PER_MAGNITUDE = 1e-15
MC_N = 10**6
MC_STANDARD_ERRORS = 5.0

SYMBOL = {"mu": models.mu, "sigma": models.sigma, "mu1": models.mu1, "sigma1": models.sigma1,
          "mu2": models.mu2, "sigma2": models.sigma2}


# ---------------------------------------------------------------- build

def test_compiles_without_any_diagnostic(c_lib):
    """-Werror already fails the build on a warning; no output at all means no notes either."""
    assert c_lib.compiler_output == "", c_lib.compiler_output


@pytest.mark.parametrize("level", ["-O0", "-O1", "-O2", "-O3", "-Os", "-Og"])
def test_compiles_cleanly_at_every_optimisation_level(cc, c_tools, tmp_path, level):
    """CONTRACT.md: the C compiles cleanly with ``cc -std=c99 -Wall -Wextra -Werror -pedantic`` and
    stays correct with any standard-conforming flags -- so at every -O level, where GCC's flow
    analysis (and so its -Wmaybe-uninitialized) differs."""
    command = [cc, *c_tools.STRICT_FLAGS, level, "-c", f"-I{c_tools.GENERATED_C}",
               str(c_tools.GENERATED_C / "derive_gaussian.c"), "-o", str(tmp_path / "derive_gaussian.o")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", f"{' '.join(command)}:\n{result.stderr}"


@pytest.mark.parametrize("flags", ["-ffast-math", "-ffinite-math-only", "-funsafe-math-optimizations",
                                   "-freciprocal-math", "-fassociative-math -fno-signed-zeros -fno-trapping-math"])
def test_refuses_to_compile_with_unsafe_math(cc, c_tools, tmp_path, flags):
    """Under -ffinite-math-only the compiler may drop every NaN test: invalid input would no
    longer give NaN, and the batched loops would not see the elements they must recompute.
    Reassociation folds the compensated sums' corrections to zero, and reciprocals round the
    divisions twice.  So the source stops the build and says why, rather than compute wrong values."""
    command = [cc, *c_tools.STRICT_FLAGS, "-O2", *flags.split(), "-c", f"-I{c_tools.GENERATED_C}",
               str(c_tools.GENERATED_C / "derive_gaussian.c"), "-o", str(tmp_path / "derive_gaussian.o")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode != 0 and "without -ffast-math" in result.stderr, result.stderr


def test_recommended_flags_line(header_text, c_tools):
    flags = c_tools.recommended_flags(header_text)
    assert all(f.startswith("-") for f in flags), flags


def test_exports_exactly_the_declared_kernels(c_lib, kernels, exports):
    """Exactly the published forms of every kernel in SPECS (elementwise and summing kernels:
    name and name_n; full-covariance kernels: name and name_tril), which include everything
    CONTRACT.md lists; the linear-algebra and special-function helpers stay static."""
    result = subprocess.run(["nm", "-D", "--defined-only", str(c_lib.path)], capture_output=True, text=True,
                            check=True)
    text_symbols = {ln.split()[-1] for ln in result.stdout.splitlines() if ln.split()[1:2] == ["T"]}
    want = exports.names("c")
    assert {f"derive_{k}" for k in kernels} | {f"derive_{k}_n" for k in kernels} <= want
    assert exports.CONTRACT_C <= want, exports.CONTRACT_C - want
    assert text_symbols == want, (text_symbols - want, want - text_symbols)


def test_links_with_libm_only(c_lib, c_tools):
    """Linked with ``-lm`` and ``-Wl,--no-undefined`` (the fixture), the library needs nothing
    beyond glibc's libm (with libmvec, which -lm brings in) and libc."""
    dynamic = subprocess.run(["readelf", "-d", str(c_lib.path)], capture_output=True, text=True, check=True).stdout
    needed = {ln.split("[", 1)[1].split("]", 1)[0] for ln in dynamic.splitlines() if "(NEEDED)" in ln}
    assert needed <= c_tools.LIBM_AND_LIBC, needed


# ---------------------------------------------------------------- values against the defining integrals

def test_matches_scipy_quadrature(c_lib, reference, kernel_name):
    cases = reference.scipy_cases(kernel_name)
    params = reference.KERNELS[kernel_name]
    expected = np.array([c.reference for c in cases])
    slack = SCIPY_RTOL * np.abs(expected) + SCIPY_ATOL_PER_MAGNITUDE * np.array([c.magnitude for c in cases])
    scalar = np.array([c_lib.scalar(kernel_name, *(c.params[p] for p in params)) for c in cases])
    batched = c_lib.batched(kernel_name, *(np.array([c.params[p] for c in cases]) for p in params))
    for got in (scalar, batched):
        worst = np.max(np.abs(got - expected) / slack)
        assert worst <= 1.0, f"{kernel_name} ({' '.join(c_lib.flags)}): off by {worst:.3g} x tolerance"


def test_matches_mpmath_at_30_digits(c_lib, reference, kernel_name):
    params = reference.KERNELS[kernel_name]
    for case in reference.mpmath_cases(kernel_name):
        got = c_lib.scalar(kernel_name, *(case.params[p] for p in params))
        tol = MPMATH_RTOL * abs(case.reference) + MPMATH_ATOL_PER_MAGNITUDE * case.magnitude
        assert abs(got - case.reference) <= tol, (c_lib.flags, case, got)


@pytest.mark.parametrize("seed", range(3))
def test_kl_normal_normal_monte_carlo(c_lib, reference, seed):
    """Mean of log q(x) - log p(x), x ~ q, N = 10^6: within 5 standard errors of the kernel."""
    v = {k: float(a[0]) for k, a in reference.draw_parameters("kl_normal_normal", 1, 3000 + seed).items()}
    x = np.random.default_rng(seed).normal(v["mu1"], v["sigma1"], MC_N)

    def logpdf(z, m, s):
        return -0.5 * np.log(2.0 * np.pi * s * s) - (z - m) ** 2 / (2.0 * s * s)

    terms = logpdf(x, v["mu1"], v["sigma1"]) - logpdf(x, v["mu2"], v["sigma2"])
    mean, se = terms.mean(), terms.std(ddof=1) / math.sqrt(MC_N)
    got = c_lib.scalar("kl_normal_normal", v["mu1"], v["sigma1"], v["mu2"], v["sigma2"])
    assert abs(got - mean) <= MC_STANDARD_ERRORS * se, (v, got, mean, se)


# ---------------------------------------------------------------- C against numpy against SymPy

_SYMPY_CACHE: dict = {}


def _sympy_route(reference, name: str, n: int):
    """Seeded parameters, and the derivation's explicit result evaluated with mpmath at 30 digits:
    the value, and the magnitude of its terms (sum of |term| of the expanded expression)."""
    if name not in _SYMPY_CACHE:
        expr = derive.get(reference.DERIVATION[name]).explicit_result
        params = reference.KERNELS[name]
        symbols = [SYMBOL[p] for p in params]
        assert expr.free_symbols <= set(symbols), (expr, symbols)
        value = sp.lambdify(symbols, expr, modules="mpmath")
        terms = [sp.lambdify(symbols, t, modules="mpmath") for t in sp.Add.make_args(sp.expand(expr))]
        draws = reference.draw_parameters(name, n, seed=4242 + list(reference.KERNELS).index(name))
        exact, magnitude = [], []
        with mpmath.workdps(reference.MP_DPS):
            for i in range(n):
                args = [mpmath.mpf(float(draws[p][i])) for p in params]
                exact.append(float(value(*args)))
                magnitude.append(float(sum(abs(t(*args)) for t in terms)))
        _SYMPY_CACHE[name] = (draws, np.array(exact), np.array(magnitude))
    return _SYMPY_CACHE[name]


def test_c_numpy_and_sympy_agree(c_lib, np_kernels, reference, kernel_name):
    draws, exact, magnitude = _sympy_route(reference, kernel_name, 300)
    params = reference.KERNELS[kernel_name]
    c_values = c_lib.batched(kernel_name, *(draws[p] for p in params))
    np_values = getattr(np_kernels, kernel_name)(**draws)
    for got, what in ((c_values, "C"), (np_values, "numpy")):
        err = np.abs(got - exact) / (MPMATH_RTOL * np.abs(exact) + MPMATH_ATOL_PER_MAGNITUDE * magnitude)
        assert err.max() <= 1.0, f"{what} {kernel_name}: worst {err.max():.3g} x tolerance at {err.argmax()}"
    err = np.abs(c_values - np_values) / (C_NUMPY_RTOL * np.abs(np_values) + C_NUMPY_ATOL_PER_MAGNITUDE * magnitude)
    assert err.max() <= 1.0, f"C vs numpy {kernel_name}: worst {err.max():.3g} x tolerance"


# ---------------------------------------------------------------- batched == scalar

# The KL kernels compute ψ without libm (ScaleTerm's branch-free recipe), in both forms.
WITHOUT_LIBM = {"kl_normal_normal", "kl_normal_std_normal"}
LIBM_CALL = re.compile(r"(?<![\w.])(log|log1p|exp|expm1|erf|erfc|pow|sqrt|hypot|cbrt|sin|cos|tan|atan|atanh|lgamma)\(")


def _header_libm_free(header: str) -> set[str]:
    """The loops the header says call no libm function (and so equal the scalar function's bits)."""
    text = " ".join(line.lstrip(" *") for line in header.splitlines())
    found = re.search(r"the loops of ((?:derive_\w+_n, )*derive_\w+_n) call no libm function", text)
    assert found, "the header names no loop that calls no libm function"
    return {name[len("derive_"):-len("_n")] for name in found.group(1).split(", ")}


def _loop_body(source: str, name: str) -> str:
    """The function the _n loop of ``name`` evaluates per element: the branch-free one if there is one."""
    for suffix in ("_fast_value", "_fast_term", "_value", "_term"):
        found = re.search(rf"static inline double derive_{name}{suffix}\(.*?\n\{{\n(.*?)\n\}}", source, re.S)
        if found:
            return found.group(1)
    raise AssertionError(f"no per-element function for {name}")


def _helper_bodies(source: str) -> dict[str, str]:
    return dict(re.findall(r"static inline double (derive_\w+)\(.*?\n\{\n(.*?)\n\}", source, re.S))


def test_header_names_the_loops_that_call_no_libm(header_text):
    """The header's bitwise claim: exactly the elementwise loops whose per-element function, with
    the helpers it calls, calls no libm function; the KL kernels tested bitwise below among them."""
    source = (Path(__file__).resolve().parents[2] / "generated" / "c" / "derive_gaussian.c").read_text()
    helpers = _helper_bodies(source)
    elementwise = re.findall(r"void derive_(\w+)_n\(size_t n,", header_text)

    def calls_libm(body: str, seen: frozenset = frozenset()) -> bool:
        if LIBM_CALL.search(body):
            return True
        called = set(re.findall(r"\b(derive_\w+)\(", body)) - seen
        return any(calls_libm(helpers[h], seen | called) for h in called if h in helpers)

    free = {name for name in elementwise if not calls_libm(_loop_body(source, name))}
    assert _header_libm_free(header_text) == free
    assert WITHOUT_LIBM <= free


def test_batched_equals_scalar(c_lib, reference, kernel_name, header_text):
    """Bitwise at -O0, and at every flag for the loops the header says call no libm function
    (the KL kernels).
    At the recommended flags the other batched loops call glibc's vector log (libmvec), which
    may round its last bit differently from the scalar log: there the two must agree to 1e-15
    of (1 + |value|) -- one ulp of the log term -- and NaN exactly.  The batch includes invalid
    scales, NaN means and scale ratios below the normal range, which the loops recompute
    element by element."""
    params = reference.KERNELS[kernel_name]
    n = 2000
    draws = reference.draw_parameters(kernel_name, n, seed=99 + list(reference.KERNELS).index(kernel_name))
    scales = reference.SCALES[kernel_name]
    rng = np.random.default_rng(3)
    for p in params:
        idx = rng.choice(n, 20, replace=False)
        draws[p][idx] = rng.choice([0.0, -0.0, -1.0, np.nan] if p in scales else [np.nan, np.inf], 20)
    tiny = rng.choice(n, 10, replace=False)  # σ_q/σ_p = 1e-200/1e110 or 5e-324/1e110: subnormal or 0
    draws[scales[0]][tiny] = rng.choice([1e-200, 5e-324], 10)
    if len(scales) > 1:
        draws[scales[1]][tiny] = 1e110
    batched = c_lib.batched(kernel_name, *(draws[p] for p in params))
    scalar = np.array([c_lib.scalar(kernel_name, *(draws[p][i] for p in params)) for i in range(n)])
    assert np.isfinite(scalar[tiny]).any()
    differ = np.nonzero(batched.view(np.uint64) != scalar.view(np.uint64))[0]
    vectorised = "-O0" not in c_lib.flags and kernel_name not in _header_libm_free(header_text)
    if vectorised:
        assert np.array_equal(np.isnan(batched), np.isnan(scalar))
        number = ~np.isnan(scalar)
        # equal values (an infinite mean gives inf in both: inf - inf would be NaN) or within 1 ulp of the log term
        with np.errstate(invalid="ignore"):
            close = (batched[number] == scalar[number]) | (
                np.abs(batched[number] - scalar[number]) <= 1e-15 * (1 + np.abs(scalar[number])))
        differ = np.nonzero(number)[0][~close]
    if differ.size:
        i = differ[0]
        ulps = np.abs(batched.view(np.int64)[differ] - scalar.view(np.int64)[differ])
        pytest.fail(f"{kernel_name}_n ({' '.join(c_lib.flags)}): {differ.size} of {n} elements differ from the "
                    f"scalar function (up to {ulps.max()} ulp); first at "
                    f"{tuple(float(draws[p][i]) for p in params)}: _n gives {float(batched[i])!r}, scalar {float(scalar[i])!r}")


def test_batched_with_zero_elements_writes_nothing(c_lib, kernels, kernel_name):
    ffi = c_lib.ffi
    out = np.array([123.0])
    ins = [ffi.cast("const double *", 0) for _ in kernels[kernel_name]]
    getattr(c_lib.lib, f"derive_{kernel_name}_n")(0, *ins, ffi.cast("double *", ffi.from_buffer(out)))
    assert out[0] == 123.0


# ---------------------------------------------------------------- invalid parameters give NaN

_INVALID_SCALES = [0.0, -0.0, -1.0, -1e-300, -math.inf, math.nan]


def _good(p):
    return 1.3 if p.startswith("sigma") else 0.4


@pytest.mark.parametrize("bad", _INVALID_SCALES, ids=repr)
def test_invalid_scale_gives_nan(c_lib, reference, kernel_name, bad):
    params = reference.KERNELS[kernel_name]
    for scale in reference.SCALES[kernel_name]:
        values = [bad if p == scale else _good(p) for p in params]
        assert math.isnan(c_lib.scalar(kernel_name, *values)), (scale, bad)
        batched = c_lib.batched(kernel_name, *(np.array([v, _good(p)]) if p == scale else np.array([v, v])
                                               for p, v in zip(params, values)))
        assert math.isnan(batched[0]) and math.isfinite(batched[1]), (scale, bad, batched)


def test_negative_zero_sigma_gives_nan(c_lib):
    assert math.isnan(c_lib.scalar("entropy_normal", -0.0))
    assert math.isnan(c_lib.scalar("kl_normal_std_normal", 0.0, -0.0))
    assert math.isnan(c_lib.scalar("kl_normal_normal", 0.0, 1.0, 0.0, -0.0))
    assert math.isnan(c_lib.scalar("kl_normal_normal", 0.0, -0.0, 0.0, 1.0))


def test_nan_mean_gives_nan(c_lib, reference, kernel_name):
    params = reference.KERNELS[kernel_name]
    for p in params:
        if p in reference.SCALES[kernel_name]:
            continue
        values = [math.nan if q == p else _good(q) for q in params]
        assert math.isnan(c_lib.scalar(kernel_name, *values)), p


# ---------------------------------------------------------------- the header

_HEADER_USE = """\
#include "derive_gaussian.h"
#include "derive_gaussian.h"  /* twice: the include guard */
#include <stdio.h>

int main(void)
{
    double mu1[2] = {1.0, 0.0}, s1[2] = {1.0, 2.0}, mu2[2] = {0.0, 0.0}, s2[2] = {1.0, 1.0}, out[2];
    derive_kl_normal_normal_n(2, mu1, s1, mu2, s2, out);
    printf("%.17g %.17g %.17g %.17g %.17g\\n", derive_kl_normal_normal(1.0, 1.0, 0.0, 1.0), out[1],
           derive_entropy_normal(1.0), derive_cross_entropy_normal_normal(0.0, 1.0, 0.0, 1.0),
           derive_kl_normal_std_normal(0.0, 2.0));
    return 0;
}
"""


def _check_printed(stdout: str):
    """Textbook values: KL(N(1,1) || N(0,1)) = 1/2; KL(N(0,2^2) || N(0,1)) = (4 - 1 - log 4)/2;
    H(N(0,1)) = H(N(0,1), N(0,1)) = (1 + log 2 pi)/2."""
    kl, kl2, h, ce, kls = map(float, stdout.split())
    assert kl == pytest.approx(0.5, rel=1e-15)
    assert kl2 == pytest.approx(0.5 * (3.0 - math.log(4.0)), rel=1e-15)
    assert kls == pytest.approx(0.5 * (3.0 - math.log(4.0)), rel=1e-15)
    assert h == pytest.approx(0.5 * (1.0 + math.log(2.0 * math.pi)), rel=1e-15)
    assert ce == pytest.approx(0.5 * (1.0 + math.log(2.0 * math.pi)), rel=1e-15)


def test_header_is_self_contained_c99_program(cc, c_tools, tmp_path):
    (tmp_path / "use.c").write_text(_HEADER_USE)
    exe = tmp_path / "use"
    command = [cc, *c_tools.STRICT_FLAGS, "-O0", f"-I{c_tools.GENERATED_C}", str(tmp_path / "use.c"),
               str(c_tools.GENERATED_C / "derive_gaussian.c"), "-o", str(exe), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    _check_printed(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout)


def test_header_parses_as_cxx(cxx, c_tools, tmp_path):
    (tmp_path / "use.cpp").write_text(_HEADER_USE)
    result = subprocess.run([cxx, "-x", "c++", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-pedantic",
                             f"-I{c_tools.GENERATED_C}", str(tmp_path / "use.cpp")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_source_compiles_as_cxx_too(cxx, c_tools, tmp_path):
    """For projects that build every file as C++: the source, not only the header."""
    result = subprocess.run([cxx, "-x", "c++", "-std=c++11", "-c", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2",
                             f"-I{c_tools.GENERATED_C}", str(c_tools.GENERATED_C / "derive_gaussian.c"),
                             "-o", str(tmp_path / "derive_gaussian.o")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_cxx_program_links_against_the_c_object(cc, cxx, c_tools, tmp_path):
    """Without the extern "C" guard the C++ side would look for mangled names and fail to link."""
    obj = tmp_path / "derive_gaussian.o"
    subprocess.run([cc, *c_tools.STRICT_FLAGS, "-O2", "-c", f"-I{c_tools.GENERATED_C}",
                    str(c_tools.GENERATED_C / "derive_gaussian.c"), "-o", str(obj)], check=True)
    (tmp_path / "use.cpp").write_text(_HEADER_USE)
    exe = tmp_path / "use"
    result = subprocess.run([cxx, "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{c_tools.GENERATED_C}",
                             str(tmp_path / "use.cpp"), str(obj), "-o", str(exe), "-lm"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    _check_printed(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout)
