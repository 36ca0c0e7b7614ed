"""Fixtures for the code-generation tests: the generated numpy module, the generated C
compiled into shared libraries, and reference values from routes independent of the package.

Everything the tests compare against is computed here from the *defining integrals*
(entropy H = -∫ q log q, cross-entropy -∫ q log p, KL ∫ q log(q/p)), written out by hand
with hand-written log-densities; nothing is taken from the code under test.

The helpers are handed to the tests as fixtures (not imported), so these tests work under
any pytest import mode and without ``__init__.py`` files.
"""
from __future__ import annotations

import importlib.util
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest
from scipy import integrate

from tests.helpers import required_tool

REPO = Path(__file__).resolve().parents[2]
GENERATED_C = REPO / "generated" / "c"
GENERATED_NUMPY = REPO / "generated" / "numpy" / "derive_gaussian.py"
STRICT_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
# What a library linked with `-lm` alone may need at run time: glibc's libm.so is a linker script
# that also pulls in libmvec (its vector math) as needed, so libmvec counts as part of -lm.
LIBM_AND_LIBC = {"libm.so.6", "libmvec.so.1", "libc.so.6"}

# The public kernels and their arguments, typed in from /work/shared/CONTRACT.md.
KERNELS: dict[str, tuple[str, ...]] = {
    "entropy_normal": ("sigma",),
    "cross_entropy_normal_normal": ("mu1", "sigma1", "mu2", "sigma2"),
    "kl_normal_normal": ("mu1", "sigma1", "mu2", "sigma2"),
    "kl_normal_std_normal": ("mu", "sigma"),
}
SCALES = {name: tuple(p for p in params if p.startswith("sigma")) for name, params in KERNELS.items()}
DERIVATION = {  # kernel -> the derivation it is printed from (CONTRACT.md, "Derivation names")
    "entropy_normal": "entropy-normal",
    "cross_entropy_normal_normal": "cross-entropy-normal-normal",
    "kl_normal_normal": "kl-normal-normal",
    "kl_normal_std_normal": "kl-normal-std-normal",
}
# KERNELS above are the elementwise kernels every value test is parametrised over.  The later
# kernels (issue 5) have tests of their own (test_diagonal_kernels.py, test_mvn_kernels.py);
# here are all of them, with their derivations, typed in from CONTRACT.md.
ALL_DERIVATION = {
    **DERIVATION,
    "kl_diag_std_normal_logvar": "kl-diag-normal-std-normal-logvar",
    "entropy_mvn": "entropy-mvn",
    "kl_mvn_mvn": "kl-mvn-mvn",
    "kl_normal_laplace": "kl-normal-laplace",
    "entropy_laplace": "entropy-laplace",
}
# What CONTRACT.md requires each backend to export (its "numpy kernels" and "C kernels" lists).
CONTRACT_NUMPY = frozenset(ALL_DERIVATION)
CONTRACT_C = frozenset({f"derive_{k}" for k in ALL_DERIVATION}
                       | {f"derive_{k}_n" for k in (*DERIVATION, "kl_diag_std_normal_logvar")})
# How a kernel of each kind (KernelSpec.reduction) is published, from CONTRACT.md and issue 5:
# an elementwise ("") or summing ("sum") kernel is a scalar function and a batched ``_n`` form
# in C and one broadcasting function in numpy; a full-covariance ("cholesky") kernel is the
# function taking covariances and a ``_tril`` form taking lower Cholesky factors, in both.
# A kernel kind not listed here fails the export tests (KeyError) until it is added.
PUBLISHED_FORMS = {"c": {"": ("", "_n"), "sum": ("", "_n"), "cholesky": ("", "_tril")},
                   "numpy": {"": ("",), "sum": ("",), "cholesky": ("", "_tril")}}


def published_names(language: str, prefix: str | None = None, names=None) -> set[str]:
    """Every function the ``language`` backend should export for the kernels ``names`` (all of
    ``derive.codegen.kernels.SPECS`` by default), with the given prefix (the backend's default
    if None): the published forms above, nothing else."""
    from derive.codegen.kernels import SPECS

    prefix = {"c": "derive_", "numpy": ""}[language] if prefix is None else prefix
    specs = [s for s in SPECS if names is None or s.name in names]
    assert names is None or {s.name for s in specs} == set(names), names
    return {prefix + s.name + suffix for s in specs for suffix in PUBLISHED_FORMS[language][s.reduction]}


# ---------------------------------------------------------------- seeded parameters

def draw_parameters(name: str, n: int, seed: int) -> dict[str, np.ndarray]:
    """Seeded parameters for kernel ``name``: sigma log-uniform in [1e-2, 1e2], mu uniform in [-5, 5]."""
    rng = np.random.default_rng(seed)
    out = {}
    for p in KERNELS[name]:
        out[p] = 10.0 ** rng.uniform(-2.0, 2.0, n) if p.startswith("sigma") else rng.uniform(-5.0, 5.0, n)
    return out


def distributions(name: str, values: dict[str, float], mu_q: float = 0.0) -> tuple[tuple, tuple | None]:
    """``(q, p)`` as ``(mean, sd)`` pairs for one parameter set; p is None for the entropy.

    The entropy kernel takes sigma only (H does not depend on mu); its q is centred at ``mu_q``.
    """
    if name == "entropy_normal":
        return (mu_q, values["sigma"]), None
    if name == "kl_normal_std_normal":
        return (values["mu"], values["sigma"]), (0.0, 1.0)
    return (values["mu1"], values["sigma1"]), (values["mu2"], values["sigma2"])


# ---------------------------------------------------------------- defining integrals, scipy

def logpdf(z, m, s):
    """log N(z; m, s^2), written by hand: -1/2 log(2 pi s^2) - (z - m)^2 / (2 s^2)."""
    return -0.5 * math.log(2.0 * math.pi * s * s) - (z - m) ** 2 / (2.0 * s * s)


def phi(t):
    """Standard normal density."""
    return math.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)


QUAD_LIMIT = 40.0  # phi(40) ~ 1e-348 underflows to 0: [-40, 40] holds all of the mass of q in t
QUAD_EPSREL = 1e-13


def integrand(name: str, q: tuple, p: tuple | None):
    """f(t) such that the kernel's defining integral is ∫ phi(t) f(t) dt, with z = mu_q + sigma_q t.

    Substituting z = mu_q + sigma_q t turns q(z) dz into phi(t) dt, so a very narrow or very
    wide q becomes the same unit-width bump for the quadrature.
    """
    mq, sq = q

    def log_q(z):
        return logpdf(z, mq, sq)

    if name == "entropy_normal":
        return lambda t: -log_q(mq + sq * t)                       # H = -∫ q log q
    mp_, sp_ = p
    if name == "cross_entropy_normal_normal":
        return lambda t: -logpdf(mq + sq * t, mp_, sp_)            # H(q, p) = -∫ q log p
    return lambda t: log_q(mq + sq * t) - logpdf(mq + sq * t, mp_, sp_)  # KL = ∫ q (log q - log p)


def scipy_defining_integral(name: str, q: tuple, p: tuple | None) -> tuple[float, float]:
    """``(value, magnitude)``: the defining integral by scipy ``quad``, and ∫ phi |log q| + |log p|.

    The magnitude is the size of the terms that cancel inside the integrand; the integrand is
    evaluated with ~1e-16 relative error *of that size*, so it bounds the absolute error of the
    reference where the value itself is near 0 (KL with q ≈ p).
    """
    f = integrand(name, q, p)
    value, _ = integrate.quad(lambda t: phi(t) * f(t), -QUAD_LIMIT, QUAD_LIMIT, points=[0.0],
                              epsabs=0.0, epsrel=QUAD_EPSREL, limit=200)
    mq, sq = q

    def size(t):
        z = mq + sq * t
        return abs(logpdf(z, mq, sq)) + (abs(logpdf(z, *p)) if p is not None else 0.0)

    magnitude, _ = integrate.quad(lambda t: phi(t) * size(t), -QUAD_LIMIT, QUAD_LIMIT, points=[0.0],
                                  epsabs=0.0, epsrel=1e-8, limit=200)
    return value, magnitude


# ---------------------------------------------------------------- defining integrals, mpmath

MP_DPS = 30


def mpmath_defining_integral(name: str, q: tuple, p: tuple | None) -> mpmath.mpf:
    """The defining integral by mpmath tanh-sinh quadrature at 30 significant digits.

    Parameters are doubles and are converted exactly; the result is exact to ~30 digits for
    those doubles, so it also judges the kernels' own rounding.
    """
    with mpmath.workdps(MP_DPS + 10):
        mq, sq = mpmath.mpf(q[0]), mpmath.mpf(q[1])

        def lp(z, m, s):
            return -mpmath.log(2 * mpmath.pi * s * s) / 2 - (z - m) ** 2 / (2 * s * s)

        if p is None:
            def f(t):
                return -lp(mq + sq * t, mq, sq)
        else:
            mp_, sp_ = mpmath.mpf(p[0]), mpmath.mpf(p[1])
            if name == "cross_entropy_normal_normal":
                def f(t):
                    return -lp(mq + sq * t, mp_, sp_)
            else:
                def f(t):
                    z = mq + sq * t
                    return lp(z, mq, sq) - lp(z, mp_, sp_)

        def weighted(t):
            return mpmath.exp(-t * t / 2) / mpmath.sqrt(2 * mpmath.pi) * f(t)

        value, error = mpmath.quad(weighted, [-mpmath.inf, 0, mpmath.inf], error=True)
        assert error < mpmath.mpf(10) ** (-MP_DPS), f"mpmath quadrature did not converge: error {error}"
        return +value


# ---------------------------------------------------------------- cached reference sets

@dataclass(frozen=True)
class Case:
    name: str
    params: dict[str, float]
    reference: float          # the defining integral
    magnitude: float          # size of what cancels in it (see scipy_defining_integral)


@pytest.fixture(scope="session", params=list(KERNELS))
def kernel_name(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def kernels() -> dict[str, tuple[str, ...]]:
    return KERNELS


@pytest.fixture(scope="session")
def exports() -> SimpleNamespace:
    """What each backend should export: ``exports.names(language, prefix=None, names=None)``, and
    the contract's lists and derivation names for every kernel."""
    return SimpleNamespace(names=published_names, CONTRACT_C=CONTRACT_C, CONTRACT_NUMPY=CONTRACT_NUMPY,
                           ALL_DERIVATION=ALL_DERIVATION, PUBLISHED_FORMS=PUBLISHED_FORMS)


_SCIPY_CACHE: dict[str, list[Case]] = {}
_MPMATH_CACHE: dict[str, list[Case]] = {}


def scipy_cases(name: str) -> list[Case]:
    """30 seeded parameter sets for ``name`` with their scipy-quadrature references (cached)."""
    if name not in _SCIPY_CACHE:
        draws = draw_parameters(name, 30, seed=20240601 + list(KERNELS).index(name))
        mus = np.random.default_rng(7).uniform(-5.0, 5.0, 30)   # where the entropy's q is centred
        cases = []
        for i in range(30):
            values = {k: float(v[i]) for k, v in draws.items()}
            q, p = distributions(name, values, mu_q=float(mus[i]))
            ref, mag = scipy_defining_integral(name, q, p)
            cases.append(Case(name, values, ref, mag))
        _SCIPY_CACHE[name] = cases
    return _SCIPY_CACHE[name]


def mpmath_cases(name: str) -> list[Case]:
    """5 seeded parameter sets for ``name`` with 30-digit mpmath references (cached).

    Draws whose value is small against the terms that cancel in it (|value| < 0.05 x magnitude:
    q ≈ p for a KL, sigma ≈ 1/sqrt(2 pi e) for the entropy) are passed over: a double-precision
    kernel cannot be held to 1e-13 relative there, and accuracy near q ≈ p is a later issue's job.
    """
    if name not in _MPMATH_CACHE:
        draws = draw_parameters(name, 40, seed=31337 + list(KERNELS).index(name))
        cases = []
        for i in range(40):
            values = {k: float(v[i]) for k, v in draws.items()}
            q, p = distributions(name, values, mu_q=1.25)
            ref, mag = scipy_defining_integral(name, q, p)   # cheap screen for cancellation
            if abs(ref) < 0.05 * mag:
                continue
            cases.append(Case(name, values, float(mpmath_defining_integral(name, q, p)), mag))
            if len(cases) == 5:
                break
        assert len(cases) == 5
        _MPMATH_CACHE[name] = cases
    return _MPMATH_CACHE[name]


@pytest.fixture(scope="session")
def reference() -> SimpleNamespace:
    """The independent references, as a namespace of functions (see this module)."""
    return SimpleNamespace(scipy_cases=scipy_cases, mpmath_cases=mpmath_cases, draw_parameters=draw_parameters,
                           logpdf=logpdf, phi=phi, integrand=integrand, distributions=distributions,
                           scipy_defining_integral=scipy_defining_integral,
                           mpmath_defining_integral=mpmath_defining_integral,
                           QUAD_LIMIT=QUAD_LIMIT, QUAD_EPSREL=QUAD_EPSREL, MP_DPS=MP_DPS,
                           KERNELS=KERNELS, SCALES=SCALES, DERIVATION=DERIVATION,
                           ALL_DERIVATION=ALL_DERIVATION)


# ---------------------------------------------------------------- the generated numpy module

def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def np_kernels():
    """generated/numpy/derive_gaussian.py, imported from its file (not from the package)."""
    return load_module(GENERATED_NUMPY, "_codegen_test_derive_gaussian")


@pytest.fixture(scope="session")
def load_python_module():
    return load_module


# ---------------------------------------------------------------- the generated C

@pytest.fixture(scope="session")
def cc() -> str:
    """The system C compiler; missing it fails in CI and skips (with the reason) elsewhere."""
    return required_tool("cc", missing="no C compiler `cc` on PATH: the generated C kernels cannot be compiled")


@pytest.fixture(scope="session")
def cxx() -> str:
    """A C++ compiler, to check the header's extern "C" guard; as ``cc`` when missing."""
    return required_tool("g++", "c++", missing='no C++ compiler (g++ or c++) on PATH: the extern "C" guard cannot '
                                                'be checked')


def recommended_flags(header_text: str) -> list[str]:
    """The flags on the header's one ``Recommended flags: ...`` line."""
    lines = [ln for ln in header_text.splitlines() if "Recommended flags:" in ln]
    assert len(lines) == 1, f"expected one 'Recommended flags:' line in the header, got {lines}"
    flags = lines[0].split("Recommended flags:", 1)[1].strip().split()
    assert flags, "the 'Recommended flags:' line names no flags"
    return flags


def header_cdef(header_text: str) -> str:
    """Declarations for cffi from a header: drop preprocessor lines and the extern "C" block."""
    lines = [ln for ln in header_text.splitlines() if not ln.lstrip().startswith("#")]
    text = "\n".join(lines).replace('extern "C" {', "")
    text = re.sub(r"(?m)^\s*}\s*$", "", text)      # the extern "C" block's closing brace
    return text


def compile_shared(cc_path: str, sources: list[Path], out: Path, flags: list[str],
                   include: list[Path] = ()) -> subprocess.CompletedProcess:
    """Compile ``sources`` into a shared library ``out`` with the strict flags plus ``flags``, linking
    -lm only; ``--no-undefined`` makes the link fail if anything else were needed."""
    command = [cc_path, *STRICT_FLAGS, *flags, "-fPIC", "-shared", "-Wl,--no-undefined",
               *(f"-I{d}" for d in include), *map(str, sources), "-o", str(out), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr}"
    return result


@dataclass
class CLibrary:
    flags: list[str]
    ffi: object
    lib: object
    path: Path
    compiler_output: str

    def batched(self, name: str, *arrays) -> np.ndarray:
        """Call ``derive_<name>_n`` on float64 arrays, through cffi buffers."""
        arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in arrays]
        n = arrays[0].size
        assert all(a.shape == arrays[0].shape for a in arrays)
        out = np.empty_like(arrays[0])
        ptrs = [self.ffi.cast("const double *", self.ffi.from_buffer(a)) for a in arrays]
        getattr(self.lib, f"derive_{name}_n")(n, *ptrs, self.ffi.cast("double *", self.ffi.from_buffer(out)))
        return out

    def scalar(self, name: str, *values: float) -> float:
        return getattr(self.lib, f"derive_{name}")(*map(float, values))


@pytest.fixture(scope="session")
def header_text() -> str:
    return (GENERATED_C / "derive_gaussian.h").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def build_c(cc):
    return lambda sources, out, flags, include=(): compile_shared(cc, sources, out, flags, include)


@pytest.fixture(scope="session")
def c_tools() -> SimpleNamespace:
    return SimpleNamespace(recommended_flags=recommended_flags, header_cdef=header_cdef, STRICT_FLAGS=STRICT_FLAGS,
                           GENERATED_C=GENERATED_C, REPO=REPO, LIBM_AND_LIBC=LIBM_AND_LIBC)


_LEVELS = ["-O0", "recommended", "recommended, GNU C"]


@pytest.fixture(scope="session", params=_LEVELS)
def c_lib(request, cc, header_text, tmp_path_factory) -> CLibrary:
    """generated/c/derive_gaussian.c as a shared library: at -O0, with the header's recommended
    flags, and with them in GNU C (compilers' default mode, where GCC fuses a*b + c into FMAs
    unless told not to), always with ``-Wall -Wextra -Werror -pedantic``; loaded by cffi (ABI mode)."""
    import cffi

    if request.param not in _COMPILED:
        flags = {"-O0": ["-O0"], "recommended": recommended_flags(header_text),
                 "recommended, GNU C": [*recommended_flags(header_text), "-std=gnu11"]}[request.param]
        out = tmp_path_factory.mktemp("clib") / "libderive_gaussian.so"
        result = compile_shared(cc, [GENERATED_C / "derive_gaussian.c"], out, flags, include=[GENERATED_C])
        ffi = cffi.FFI()
        ffi.cdef(header_cdef(header_text))
        _COMPILED[request.param] = CLibrary(flags, ffi, ffi.dlopen(str(out)), out, result.stdout + result.stderr)
    return _COMPILED[request.param]


_COMPILED: dict[str, CLibrary] = {}
"""Each level's library, built once per process: pytest tears a parametrised session fixture down
whenever the next test needs another of its parameters, and test order interleaves the levels, so
without this the same library was compiled some twenty times a run."""

