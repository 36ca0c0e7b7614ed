"""Shared test helpers: published formulas typed in by hand, an outside evaluator, a golden-file check.

Nothing here is imported from ``derive``: the symbols, densities and closed forms are written
out from the textbook so that tests compare the package against an independent route.
"""
from __future__ import annotations

import difflib
import functools
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mpmath as mp
import pytest
import sympy as sp

REPO = Path(__file__).resolve().parent.parent
GENERATED = REPO / "generated"

def required_tool(*names: str, missing: str, in_ci: str = "") -> str:
    """The path of the first of ``names`` on PATH.  Missing, it fails the test in CI, where
    .ci/run installs every tool (with ``in_ci`` added to the message), and skips it elsewhere."""
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    if os.environ.get("CI"):
        pytest.fail(missing + in_ci)
    pytest.skip(missing)


UNIVARIATE = ("entropy-normal", "cross-entropy-normal-std-normal", "kl-normal-std-normal",
              "cross-entropy-normal-normal", "kl-normal-normal")
"""The contract's univariate derivation names (CONTRACT.md, "Derivation names")."""
LEMMAS = ("normal-normalisation", "normal-mean", "normal-second-moment", "normal-expected-square-distance")

# The symbols, with the assumptions the contract says srepr carries (means real, deviations positive).
z = sp.Symbol("z", real=True)
mu, sigma = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
mu1, sigma1 = sp.Symbol("mu_1", real=True), sp.Symbol("sigma_1", positive=True)
mu2, sigma2 = sp.Symbol("mu_2", real=True), sp.Symbol("sigma_2", positive=True)
a = sp.Symbol("a", real=True)
MEANS = (mu, mu1, mu2, a)
DEVIATIONS = (sigma, sigma1, sigma2)


def density(x: sp.Expr, m: sp.Expr, s: sp.Expr) -> sp.Expr:
    """N(x; m, s²) = exp(−(x − m)²/(2s²)) / √(2πs²), typed from the textbook."""
    return sp.exp(-(x - m) ** 2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)


HALF = sp.Rational(1, 2)

PUBLISHED = {
    # Differential entropy of N(μ, σ²) (Cover & Thomas, Elements of Information Theory, eq. 8.10).
    "entropy-normal": sp.log(2 * sp.pi * sigma**2) / 2 + HALF,
    # Cross-entropy of N(μ, σ²) against N(0, 1): ½ log 2π + ½(μ² + σ²).
    "cross-entropy-normal-std-normal": sp.log(2 * sp.pi) / 2 + (mu**2 + sigma**2) / 2,
    # The VAE regulariser (Kingma & Welling 2013, Appendix B): −½(1 + log σ² − μ² − σ²).
    "kl-normal-std-normal": -HALF * (1 + sp.log(sigma**2) - mu**2 - sigma**2),
    # Cross-entropy of N(μ₁, σ₁²) against N(μ₂, σ₂²): ½ log(2πσ₂²) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²).
    "cross-entropy-normal-normal":
        sp.log(2 * sp.pi * sigma2**2) / 2 + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2),
    # KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½.
    "kl-normal-normal": sp.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - HALF,
    # Moments of N(μ, σ²).
    "normal-normalisation": sp.Integer(1),
    "normal-mean": mu,
    "normal-second-moment": mu**2 + sigma**2,
    "normal-expected-square-distance": sigma**2 + (mu - a) ** 2,
}

_q, _q1, _p01, _p2 = density(z, mu, sigma), density(z, mu1, sigma1), density(z, 0, 1), density(z, mu2, sigma2)
DEFINITION = {
    # The defining integrals, written out by hand: H(q) = −∫ q log q, H(q, p) = −∫ q log p, KL = ∫ q log(q/p).
    "entropy-normal": -sp.Integral(_q * sp.log(_q), (z, -sp.oo, sp.oo)),
    "cross-entropy-normal-std-normal": -sp.Integral(_q * sp.log(_p01), (z, -sp.oo, sp.oo)),
    "kl-normal-std-normal": sp.Integral(_q * sp.log(_q / _p01), (z, -sp.oo, sp.oo)),
    "cross-entropy-normal-normal": -sp.Integral(_q1 * sp.log(_p2), (z, -sp.oo, sp.oo)),
    "kl-normal-normal": sp.Integral(_q1 * sp.log(_q1 / _p2), (z, -sp.oo, sp.oo)),
    "normal-normalisation": sp.Integral(_q, (z, -sp.oo, sp.oo)),
    "normal-mean": sp.Integral(z * _q, (z, -sp.oo, sp.oo)),
    "normal-second-moment": sp.Integral(z**2 * _q, (z, -sp.oo, sp.oo)),
    "normal-expected-square-distance": sp.Integral((z - a) ** 2 * _q, (z, -sp.oo, sp.oo)),
}


def sample(rng, symbols, *, sigma_range=(1e-2, 1e2), mean_range=(-5.0, 5.0)) -> dict[sp.Symbol, float]:
    """A seeded parameter point: positive symbols log-uniform in ``sigma_range``, real ones uniform."""
    lo, hi = (math.log(x) for x in sigma_range)
    return {s: math.exp(rng.uniform(lo, hi)) if s.is_positive else rng.uniform(*mean_range)
            for s in sorted(symbols, key=lambda s: s.name)}


# --- an outside numeric evaluator --------------------------------------------------------------------

QUAD_DIGITS = 30
BREAKS = [-mp.inf, -40, -20, -10, -6, -3, -1.5, 0, 1.5, 3, 6, 10, 20, 40, mp.inf]
"""Where mpmath's tanh-sinh splits the real line: every density in these tests is centred in
[−2, 2] with a deviation of at least ¼, so its bulk sits across a few of these short pieces."""


def mp_value(expr: sp.Expr, point: dict[sp.Symbol, float], dps: int = QUAD_DIGITS) -> mp.mpf:
    """``expr`` at ``point`` with every ∫ over ℝ done by mpmath quadrature at ``dps`` digits.

    Floats in ``point`` are taken exactly (their binary value), so two evaluations of equal
    expressions agree to the quadrature's accuracy, about ``dps − 5`` digits.
    """
    exact = {s: sp.Float(v, dps + 10) for s, v in point.items()}
    with mp.workdps(dps):
        def quad(integral: sp.Integral) -> sp.Expr:
            (var, lo, hi), = integral.limits
            if (lo, hi) != (-sp.oo, sp.oo):
                raise AssertionError(f"expected an integral over the real line, got {integral}")
            integrand = sp.lambdify(var, integral.function.xreplace(exact), "mpmath")
            value, error = mp.quad(integrand, BREAKS, error=True)
            assert error < mp.mpf(10) ** (5 - dps), f"quadrature did not converge: error {error}"
            return sp.Float(value, dps)
        numeric = expr.xreplace(exact).replace(lambda e: isinstance(e, sp.Integral), quad)
        value = sp.N(numeric, dps)
        assert value.is_number and value.is_real, f"{expr} did not evaluate to a real number: {value}"
        return mp.mpf(value)


# --- golden files --------------------------------------------------------------------------------------

def assert_same_text(actual: str, expected_path: Path) -> None:
    """Fail with a unified diff unless ``expected_path`` holds exactly ``actual`` (UTF-8, byte for byte)."""
    relative = expected_path.relative_to(REPO) if expected_path.is_relative_to(REPO) else expected_path
    if not expected_path.is_file():
        pytest.fail(f"{relative} is missing: regenerate with `derive generate`", pytrace=False)
    expected_bytes = expected_path.read_bytes()
    if expected_bytes == actual.encode("utf-8"):
        return
    expected = expected_bytes.decode("utf-8", errors="replace")
    diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                        fromfile=f"{relative} (committed)", tofile=f"{relative} (rendered now)"))
    if not diff:  # same lines, different bytes: line endings or a final newline
        diff = f"(no line differs: line endings or the final newline; {len(expected_bytes)} committed bytes " \
               f"vs {len(actual.encode('utf-8'))} rendered)\n"
    pytest.fail(f"{relative} is out of date; regenerate with `derive generate`.\n{diff}", pytrace=False)


# --- the command line --------------------------------------------------------------------------------

def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """``derive ARGS`` in this process: (exit status, stdout, stderr)."""
    from derive.cli import main

    capsys.readouterr()
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def run_captured(*args: str) -> tuple[int, str, str]:
    """Like ``run_main`` without pytest's capsys, for module- and session-scoped fixtures."""
    import contextlib
    import io

    from derive.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


@functools.cache
def show(name: str, form: str = "json") -> str:
    """The stdout of ``derive show NAME --format FORM``, run once per session (rendering costs ~½ s)."""
    status, out, err = run_captured("show", name, "--format", form)
    assert status == 0, err
    return out


def run_module(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m derive ARGS`` in a fresh interpreter, from the repository root."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "derive", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def assert_one_line_usage_error(status: int, err: str) -> None:
    """Contract: bad usage exits 2 with a one-line message on stderr and no traceback."""
    assert status == 2, f"exit status {status}, stderr: {err!r}"
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"want exactly one line on stderr, got {lines!r}"


GENERATE_FROM_JSON = """
import json, sys
from pathlib import Path
from derive import cli, generate
files = {Path(k): v for k, v in json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")).items()}
generate.render_all = lambda progress=None, loaded=False: dict(files)
sys.exit(cli.main(sys.argv[2:]))
"""
"""``python -c GENERATE_FROM_JSON FILES.json generate …``: the command with its render replaced by
the {relative path: text} of FILES.json, for tests of how it writes that need not wait ~20 s for
the checking (its reading and writing are the real code)."""
