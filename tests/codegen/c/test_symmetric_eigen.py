"""The C template ``symmetric_eigen.c`` (a symmetric eigen-solver for the full-covariance kernels),
compiled on its own: the template rendered with ``internal="derive_"`` and wrapped in a file with a
non-static entry point, built with the strict flags into a shared library and loaded by cffi.

Eigenvalues are judged against mpmath's ``eigsy`` at 40 digits on the very doubles passed in (an
independent route); vectors by their orthonormality and by the residual A V - V diag(values),
formed in long double.  The bounds are backward-stability bounds: a few n u ||A||_2 for the
eigenvalues and the residual, a few n u for ||V^T V - I||_2 (u = 2^-53, n = max(d, 8): below
d = 8 the rounding errors are a handful of u, not a multiple of d of them)."""
from __future__ import annotations

import functools
import string
import subprocess
from pathlib import Path

import mpmath
import numpy as np
import pytest

from tests.helpers import REPO

TEMPLATE = REPO / "derive" / "codegen" / "c" / "templates" / "symmetric_eigen.c"
U = 2.0 ** -53
C = 4.0   # the "few": the cases below measure at most 0.85, 3000 fuzzed matrices (d = 1 .. 64:
          # integer, rank one, sparse, Wilkinson, Clement, graded, 1e+-300 and subnormal scales; against
          # numpy, residual in double) 2.2
SIZES = (1, 2, 3, 5, 8, 16, 33, 64)
ENTRY = """
int eigen_entry(size_t d, double *a, double *values, double *work);
int eigen_entry(size_t d, double *a, double *values, double *work)
{
    return derive_symmetric_eigen(d, a, values, work);
}
"""
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]


def rendered() -> str:
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(internal="derive_")


@pytest.fixture(scope="module", params=["-O0", "recommended", "GNU C, contracted"])
def eigen(request, build_c, header_text, c_tools, tmp_path_factory):
    """The template as a shared library, at -O0, with the header's recommended flags, and with them
    less ``-ffp-contract=off`` in GNU C (where GCC then contracts a*b + c into FMAs: what a caller
    gets who drops the flag), called as ``eigen(A) -> (status, values, vectors)``; A is copied, its
    copy passed as ``a``."""
    import cffi

    folder = tmp_path_factory.mktemp("symmetric-eigen")
    source = folder / "symmetric_eigen.c"
    source.write_text("#include <math.h>\n#include <stddef.h>\n\n" + rendered() + ENTRY, encoding="utf-8")
    flags = {"-O0": ["-O0"], "recommended": c_tools.recommended_flags(header_text),
             "GNU C, contracted": [*(f for f in c_tools.recommended_flags(header_text) if f != "-ffp-contract=off"),
                                   "-std=gnu11", "-ffp-contract=fast"]}[request.param]
    build_c([source], folder / "libeigen.so", flags)
    ffi = cffi.FFI()
    ffi.cdef("int eigen_entry(size_t d, double *a, double *values, double *work);")
    lib = ffi.dlopen(str(folder / "libeigen.so"))

    def call(a: np.ndarray):
        d = a.shape[0]
        a = np.array(a, dtype=np.float64, order="C", copy=True)
        values, work = np.full(d + 1, -7.0), np.full(d + 1, -7.0)   # one extra: a guard element
        status = lib.eigen_entry(d, ffi.from_buffer("double[]", a), ffi.from_buffer("double[]", values),
                                 ffi.from_buffer("double[]", work))
        assert values[d] == -7.0 and work[d] == -7.0, "wrote past d doubles"
        return status, values[:d], a

    return call


# ---------------------------------------------------------------- the matrices

def random_orthogonal(rng, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def with_spectrum(rng, values) -> np.ndarray:
    """Q diag(values) Q^T for a random orthogonal Q, symmetrised (the reference is taken from this
    double matrix, not from ``values``)."""
    q = random_orthogonal(rng, len(values))
    a = (q * values) @ q.T
    return (a + a.T) / 2


def whitened_difference(rng, d: int, eps: float) -> np.ndarray:
    """W = L2^-1 (S1 - S2) L2^-T for S1 = S2 + eps L2 R L2^T (R random symmetric, O(1)): what the
    kernels near q = p will hand over, eigenvalues O(eps)."""
    x = rng.standard_normal((d, d))
    s2 = x @ x.T / d + np.eye(d) / 2
    l2 = np.linalg.cholesky(s2)
    r = rng.standard_normal((d, d))
    s1 = s2 + eps * (l2 @ ((r + r.T) / 2) @ l2.T)
    s1 = (s1 + s1.T) / 2
    w = np.linalg.solve(l2, np.linalg.solve(l2, s1 - s2).T)
    return (w + w.T) / 2


def cases():
    rng = np.random.default_rng(20261204)
    out = []
    for d in SIZES:
        x = rng.standard_normal((d, d))
        out.append((f"random d={d}", (x + x.T) / 2))
    for d in (2, 5, 16, 33):      # (d = 64 only once, above: mpmath takes 1.4 s for it)
        signs = rng.choice([-1.0, 1.0], d)
        out.append((f"spread 1e-10..1e10 d={d}", with_spectrum(rng, signs * np.logspace(-10, 10, d))))
    for d in (3, 8, 33):
        x = rng.standard_normal((d, d))
        out.append((f"tiny 1e-12 d={d}", 1e-12 * (x + x.T) / 2))
        out.append((f"whitened near q = p d={d}", whitened_difference(rng, d, 1e-12)))
    for d in (5, 16):
        out.append((f"clustered d={d}", with_spectrum(rng, np.repeat([-1.0, 2.0, 2.0 + 1e-14], d)[:d])))
    return out


CASES = cases()


@functools.cache
def reference(label: str) -> np.ndarray:
    """The eigenvalues of the double matrix of case ``label``, ascending, by mpmath at 40 digits."""
    a = dict(CASES)[label]
    with mpmath.workdps(40):
        values = mpmath.eigsy(mpmath.matrix(a.tolist()), eigvals_only=True)
        return np.array(sorted(float(v) for v in values))


def check(a: np.ndarray, status: int, values: np.ndarray, vectors: np.ndarray, expected: np.ndarray) -> dict:
    """Assert the three bounds; return the errors in their units (for the record)."""
    d = a.shape[0]
    n = max(d, 8)
    norm = np.linalg.norm(a, 2)
    assert status == 0
    assert np.all(np.diff(values) >= 0), "values not ascending"
    value_error = np.max(np.abs(values - expected)) / (n * U * norm)
    v = vectors.astype(np.longdouble)
    orthonormality = np.linalg.norm((v.T @ v - np.eye(d)).astype(np.float64), 2) / (n * U)
    residual = np.linalg.norm((a.astype(np.longdouble) @ v - v * values.astype(np.longdouble)).astype(np.float64),
                              2) / (n * U * norm) if norm > 0 else 0.0
    assert value_error <= C and orthonormality <= C and residual <= C, (value_error, orthonormality, residual)
    return {"values": value_error, "orthonormality": orthonormality, "residual": residual}


# ---------------------------------------------------------------- the tests

@pytest.mark.parametrize("label", [label for label, _ in CASES])
def test_against_mpmath(eigen, label):
    a = dict(CASES)[label]
    status, values, vectors = eigen(a)
    check(a, status, values, vectors, reference(label))


@pytest.mark.parametrize("d", SIZES)
def test_repeated_eigenvalues(eigen, d):
    """The identity and a permuted diagonal with repeats: exact values, and still an orthonormal
    basis of each eigenspace (here the Householder step does nothing and every e is 0)."""
    status, values, vectors = eigen(np.eye(d))
    assert status == 0 and np.array_equal(values, np.ones(d))
    check(np.eye(d), status, values, vectors, np.ones(d))
    diagonal = np.random.default_rng(d).permutation(np.arange(d) // 3 - 2.0)
    status, values, vectors = eigen(np.diag(diagonal))
    assert np.array_equal(values, np.sort(diagonal))
    check(np.diag(diagonal), status, values, vectors, np.sort(diagonal))


def test_diagonal_spread_is_exact(eigen):
    """A diagonal matrix with entries 1e-10 .. 1e10 in random order comes back exactly: a tiny
    eigenvalue is not perturbed by the large ones when nothing couples them."""
    diagonal = np.random.default_rng(5).permutation(np.logspace(-10, 10, 16) * (-1.0) ** np.arange(16))
    status, values, vectors = eigen(np.diag(diagonal))
    assert status == 0 and np.array_equal(values, np.sort(diagonal))
    assert np.array_equal(np.abs(vectors), np.eye(16)[:, np.argsort(diagonal)])


def test_well_separated_tiny_eigenvalues_are_relatively_accurate(eigen):
    """Near q = p every eigenvalue of W is tiny and W is tiny with them: the bound above is
    relative to ||W||, not to 1, so eigenvalues of 1e-12 .. 1e-11 (one decade) come out to
    C n u ||W|| / min |lambda| = 10 C n u relative (measured: under 0.7 n u)."""
    rng = np.random.default_rng(11)
    for d in (4, 12):
        a = with_spectrum(rng, 1e-12 * np.linspace(1.0, 10.0, d) * rng.choice([-1.0, 1.0], d))
        with mpmath.workdps(40):
            expected = np.array(sorted(float(v) for v in mpmath.eigsy(mpmath.matrix(a.tolist()), eigvals_only=True)))
        status, values, _ = eigen(a)
        assert status == 0
        assert np.max(np.abs(values - expected) / np.abs(expected)) <= 10 * C * max(d, 8) * U


def test_scaling_by_powers_of_two_is_exact(eigen):
    """Every step is homogeneous and the rows are scaled before their norms are squared, so
    2^±900 A (entries near 1e-271 and 1e+271) neither underflows nor overflows: the same
    vectors and 2^±900 times the values, bit for bit."""
    x = np.random.default_rng(3).standard_normal((9, 9))
    a = (x + x.T) / 2
    status, values, vectors = eigen(a)
    for k in (-900, 900):
        scaled = eigen(np.ldexp(a, k))
        assert scaled[0] == 0 and np.array_equal(scaled[1], np.ldexp(values, k))
        assert np.array_equal(scaled[2], vectors)


def test_reads_the_lower_triangle_only(eigen):
    x = np.random.default_rng(4).standard_normal((7, 7))
    a = (x + x.T) / 2
    garbage = np.tril(a) + np.triu(np.full((7, 7), np.nan), 1)
    expected = eigen(a)
    got = eigen(garbage)
    assert got[0] == 0 and np.array_equal(got[1], expected[1]) and np.array_equal(got[2], expected[2])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [(0, 0), (4, 1), (5, 5)])
def test_non_finite_input_returns_1(eigen, bad, where):
    x = np.random.default_rng(6).standard_normal((6, 6))
    a = (x + x.T) / 2
    a[where] = a[where[::-1]] = bad
    assert eigen(a)[0] == 1


def test_overflowing_eigenvalue_returns_1(eigen):
    """Finite entries whose eigenvalue is not a double (1e308 [[1, 1], [1, 1]] has 2e308)."""
    assert eigen(np.full((2, 2), 1e308))[0] == 1
    status, values, _ = eigen(np.full((2, 2), 4e307))
    assert status == 0 and values[1] == pytest.approx(8e307, rel=1e-15)


def test_empty_and_one(eigen):
    assert eigen(np.zeros((0, 0)))[0] == 0
    status, values, vectors = eigen(np.array([[-3.5]]))
    assert status == 0 and values[0] == -3.5 and vectors[0, 0] == 1.0


# ---------------------------------------------------------------- sanitizers

DRIVER = r"""
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    static const size_t sizes[] = {0, 1, 2, 3, 7, 33, 64};
    unsigned long state = 12345;
    int failures = 0;
    size_t s, i, j;
    for (s = 0; s < sizeof sizes / sizeof sizes[0]; ++s) {
        size_t d = sizes[s];
        /* exactly d*d and d doubles (one for d = 0: no malloc(0)), so that the address
         * sanitizer sees any access past them */
        size_t n = d ? d : 1;
        double *a = malloc(n*n*sizeof(double)), *values = malloc(n*sizeof(double));
        double *work = malloc(n*sizeof(double));
        for (i = 0; i < d; ++i) {
            for (j = 0; j <= i; ++j) {
                state = state*6364136223846793005UL + 1442695040888963407UL;
                a[i*d + j] = a[j*d + i] = (double)(state >> 11) / 9007199254740992.0 - 0.5;
            }
        }
        failures += derive_symmetric_eigen(d, a, values, work) != 0;
        if (d > 1) {
            a[d] = NAN;     /* row 1, column 0: in the lower triangle */
            failures += derive_symmetric_eigen(d, a, values, work) != 1;
        }
        free(a);
        free(values);
        free(work);
    }
    printf("%d failures\n", failures);
    return failures != 0;
}
"""


def test_clean_under_asan_and_ubsan(cc, c_tools, tmp_path):
    probe = tmp_path / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    built = subprocess.run([cc, *SANITIZE, str(probe), "-o", str(tmp_path / "probe")], capture_output=True, text=True)
    if built.returncode != 0 or subprocess.run([str(tmp_path / "probe")], capture_output=True).returncode != 0:
        pytest.skip(f"{cc} cannot build and run with -fsanitize=address,undefined: {built.stderr.strip()[:200]}")
    source = tmp_path / "driver.c"
    source.write_text("#include <math.h>\n#include <stddef.h>\n\n" + rendered() + DRIVER, encoding="utf-8")
    exe = tmp_path / "driver"
    subprocess.run([cc, *c_tools.STRICT_FLAGS, "-O2", *SANITIZE, str(source), "-o", str(exe), "-lm"], check=True)
    result = subprocess.run([str(exe)], capture_output=True, text=True,
                            env={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "0 failures\n" and "runtime error" not in result.stderr, result.stderr
