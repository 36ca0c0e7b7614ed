"""The Gaussian integral rules (derive.engine.gaussian_integrals), each checked by routes of its own.

Every rewrite is held to the value before it: both sides at seeded random parameter points,
integrals by ``mpmath.quad`` over the real line (written here, not the package's checker), and
SymPy's ``integrate`` at exact rational points where it finishes.  The matrix rule is checked at
n = 2 by scipy's ``dblquad`` with a concrete SPD matrix.  Each rule is also shown to refuse what
it must: an unknown or negative sign, finite limits, an integrand that does not match.
"""
from __future__ import annotations

import random

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy import integrate as scipy_integrate

from derive.engine import Context, DerivationBuilder
from derive.engine.gaussian_integrals import (
    COMBINE_EXPONENTIALS, COMPLETE_THE_SQUARE, GAUSSIAN_INTEGRAL, GAUSSIAN_INTEGRAL_MATRIX,
    PRODUCT_OF_GAUSSIAN_POWERS, PRODUCT_OF_GAUSSIAN_POWERS_MATRIX, WRITE_OUT_DENSITIES, as_exponential,
    completed_square, established_positive, established_positive_definite, gaussian_integral, gaussian_integral_matrix, product_of_gaussian_powers,
    product_of_gaussian_powers_matrix)
from derive.models import normal_1, normal_2
from derive.models.mvn import mvn_1, mvn_2, mvn_single, n, scalar, z_vector
from tests.helpers import density, mu1, mu2, sigma1, sigma2, z

R = (z, -sp.oo, sp.oo)
q, p = normal_1(), normal_2()
CONTEXT = Context((q, p))
alpha = sp.Symbol("alpha", positive=True)
beta = sp.Symbol("beta", positive=True)
EXPONENTS = {"alpha": alpha, "beta": beta}
HALF = sp.Rational(1, 2)
DIGITS = 30
TOLERANCE = mp.mpf(10) ** -20
"""Relative agreement demanded: mp.quad of a smooth Gaussian at 30 digits gives about 25 (checked by its
own error estimate below)."""


# --- an independent evaluator: the textbook densities and mpmath quadrature -----------------------------

def textbook(expr: sp.Expr) -> sp.Expr:
    """The placeholders q(z), p(z) replaced by the normal densities typed in tests.helpers."""
    return expr.replace(sp.Function("q", real=True), lambda x: density(x, mu1, sigma1)).replace(
        sp.Function("p", real=True), lambda x: density(x, mu2, sigma2))


def quadrature(integral: sp.Integral, point: dict) -> sp.Float:
    """∫ f over its limits by mpmath's tanh-sinh, split at −4, 0, 4 (the sampled peaks lie in between)."""
    (var, lo, hi), = integral.limits
    f = sp.lambdify(var, textbook(integral.function).xreplace(point), "mpmath")
    ends = [mp.mpf(sp.Float(x, DIGITS)) if x.is_finite else (mp.inf if x > 0 else -mp.inf) for x in (lo, hi)]
    inner = [x for x in (-4, 0, 4) if ends[0] < x < ends[1]]
    value, error = mp.quad(f, [ends[0], *inner, ends[1]], error=True)
    assert error <= TOLERANCE * 1e-3 * (1 + abs(value)), f"quadrature error estimate {error}"
    return sp.Float(value, DIGITS)


def value(expr: sp.Expr, point: dict) -> mp.mpf:
    """``expr`` at ``point``, each integral by ``quadrature``."""
    with mp.workdps(DIGITS):
        numeric = expr.replace(lambda e: isinstance(e, sp.Integral), lambda i: quadrature(i, point))
        return mp.mpf(sp.N(textbook(numeric).xreplace(point), DIGITS))


def points(count: int = 3, seed: str = "gaussian-integrals", **extra) -> list[dict]:
    """Seeded parameter points: means in [−2, 2], deviations in [½, 2], exponents from ``extra`` ranges."""
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        point = {mu1: rng.uniform(-2, 2), mu2: rng.uniform(-2, 2), sigma1: rng.uniform(0.5, 2),
                 sigma2: rng.uniform(0.5, 2)}
        point.update({EXPONENTS[name]: rng.uniform(*bounds) for name, bounds in extra.items()})
        result.append({k: sp.Float(v, DIGITS) for k, v in point.items()})
    return result


def same_value(before: sp.Expr, after: sp.Expr, point: dict) -> bool:
    a, b = value(before, point), value(after, point)
    return abs(a - b) <= TOLERANCE * (1 + abs(a))


def exact_integral(expr: sp.Expr, point: dict) -> sp.Expr:
    """Every integral done by SymPy's ``integrate`` (at rational points, where it finishes)."""
    return textbook(expr).xreplace(point).replace(lambda e: isinstance(e, sp.Integral),
                                                  lambda i: sp.integrate(i.function, *i.limits))


RATIONAL_POINT = {mu1: sp.Rational(1, 3), mu2: sp.Integer(-1), sigma1: sp.Rational(3, 2), sigma2: sp.Rational(1, 2)}
BHATTACHARYYA = sp.Integral(q.at() ** HALF * p.at() ** HALF, R)
RENYI_LIKE = sp.Integral(q.at() ** alpha * p.at() ** (1 - alpha), R)


def bhattacharyya_published(point: dict) -> mp.mpf:
    """BC(N(μ₁, σ₁²), N(μ₂, σ₂²)) = √(2σ₁σ₂/(σ₁² + σ₂²)) exp(−(μ₁ − μ₂)²/(4(σ₁² + σ₂²))): e^{−D_B} for the
    published Bhattacharyya distance of two normals, typed in here (not derived)."""
    with mp.workdps(DIGITS):
        m1, m2, s1, s2 = (mp.mpf(point[x]) for x in (mu1, mu2, sigma1, sigma2))
        return mp.sqrt(2 * s1 * s2 / (s1**2 + s2**2)) * mp.exp(-(m1 - m2) ** 2 / (4 * (s1**2 + s2**2)))


# --- 1. write the densities out ---------------------------------------------------------------------------

class TestWriteOutDensities:
    @pytest.mark.parametrize("definition", [BHATTACHARYYA, RENYI_LIKE, sp.Integral(z**2 * q.at(), R)])
    def test_value_unchanged_and_no_placeholder_left(self, definition):
        after = WRITE_OUT_DENSITIES(definition, CONTEXT)
        assert after.has(sp.Integral) and not after.has(q.placeholder, p.placeholder)
        for point in points(alpha=(0.25, 0.75)):
            assert same_value(definition, after, point)

    def test_only_inside_integrals(self):
        expr = q.at() + sp.Integral(p.at(), R)
        after = WRITE_OUT_DENSITIES(expr, CONTEXT)
        assert after.has(q.at()) and not after.has(p.placeholder)


# --- 2. combine the exponentials ---------------------------------------------------------------------------

def one_exponential(integral: sp.Integral) -> bool:
    """The integrand is C·exp(E) with C free of z."""
    constant, rest = integral.function.as_independent(z, as_Add=False)
    return isinstance(rest, sp.exp)


class TestCombineExponentials:
    @pytest.mark.parametrize("definition", [BHATTACHARYYA, RENYI_LIKE])
    def test_one_exponential_same_value(self, definition):
        written = WRITE_OUT_DENSITIES(definition, CONTEXT)
        after = COMBINE_EXPONENTIALS(written, CONTEXT)
        assert not one_exponential(written) and one_exponential(after)
        for point in points(seed="combine", alpha=(0.25, 0.75)):
            assert same_value(written, after, point)

    def test_sympy_integrate_agrees(self):
        written = WRITE_OUT_DENSITIES(BHATTACHARYYA, CONTEXT)
        after = COMBINE_EXPONENTIALS(written, CONTEXT)
        assert sp.simplify(exact_integral(written, RATIONAL_POINT) - exact_integral(after, RATIONAL_POINT)) == 0

    def test_leaves_other_factors_alone(self):
        # z·e^{−z²}: z is no exponential, so there is nothing the rule may claim.
        integral = sp.Integral(z * sp.exp(-z**2) * sp.exp(z), R)
        assert COMBINE_EXPONENTIALS(integral, CONTEXT) == integral
        assert as_exponential(sp.cos(z) * sp.exp(z), z) is None

    def test_power_of_a_signed_constant_not_split(self):
        # (c·e^{z})^α = c^α e^{αz} needs c > 0: with c of unknown sign the power stays whole.
        c = sp.Symbol("c", real=True)
        assert as_exponential((c * sp.exp(z)) ** alpha, z) is None
        assert as_exponential((c * sp.exp(z)) ** 2, z) == (c**2, 2 * z)


# --- 3. complete the square --------------------------------------------------------------------------------

class TestCompleteTheSquare:
    def combined(self, definition=BHATTACHARYYA):
        return COMBINE_EXPONENTIALS(WRITE_OUT_DENSITIES(definition, CONTEXT), CONTEXT)

    @pytest.mark.parametrize("definition", [BHATTACHARYYA, RENYI_LIKE])
    def test_square_visible_and_exponent_unchanged(self, definition):
        before = self.combined(definition)
        after = COMPLETE_THE_SQUARE(before, CONTEXT)
        (old,), (new,) = (i.function.atoms(sp.exp) - {sp.exp(sp.Integer(1))} for i in (before, after))
        # Symbolically: the same polynomial in z, now written −a(z − m)² + k.
        assert sp.cancel(sp.expand(old.args[0] - new.args[0])) == 0
        assert completed_square(old.args[0], z) is None and completed_square(new.args[0], z) is not None
        for point in points(seed="square", alpha=(0.25, 0.75)):
            assert same_value(before, after, point)

    def test_general_quadratic(self):
        a, b, c = sp.Symbol("a", positive=True), sp.Symbol("b", real=True), sp.Symbol("c", real=True)
        after = COMPLETE_THE_SQUARE(sp.Integral(sp.exp(-a * z**2 + b * z + c), R), CONTEXT)
        assert completed_square(after.function.args[0], z) == (a, b / (2 * a), (b**2 + 4 * a * c) / (4 * a))

    def test_refuses(self):
        linear = sp.Integral(sp.exp(3 * z + 1), (z, 0, 1))
        not_polynomial = sp.Integral(sp.exp(-z**2 + sp.cos(z)), R)
        already = sp.Integral(sp.exp(-(z - 1) ** 2 / 2 + 3), R)
        for integral in (linear, not_polynomial, already):
            assert COMPLETE_THE_SQUARE(integral, CONTEXT) == integral


# --- 4. the Gaussian integral ------------------------------------------------------------------------------

class TestGaussianIntegral:
    a = sp.Symbol("a", positive=True)
    m, k, c = sp.symbols("m k c", real=True)

    def test_against_sympy_integrate(self):
        integral = sp.Integral(self.c * sp.exp(-self.a * (z - self.m) ** 2 + self.k), R)
        after = GAUSSIAN_INTEGRAL(integral, CONTEXT)
        assert not after.has(sp.Integral)
        assert sp.simplify(after - sp.integrate(integral.function, R)) == 0

    def test_bhattacharyya_by_quadrature(self):
        before = COMPLETE_THE_SQUARE(COMBINE_EXPONENTIALS(WRITE_OUT_DENSITIES(BHATTACHARYYA, CONTEXT), CONTEXT),
                                     CONTEXT)
        after = GAUSSIAN_INTEGRAL(before, CONTEXT)
        assert not after.has(sp.Integral)
        for point in points(seed="gaussian"):
            assert same_value(before, after, point)

    @pytest.mark.parametrize("a", [sp.Symbol("a", real=True), sp.Symbol("a", negative=True), sp.Integer(0),
                                   -sp.Symbol("a", positive=True), sp.Symbol("a")],
                             ids=["unknown sign", "negative", "zero", "minus positive", "no assumptions"])
    def test_refuses_unestablished_sign(self, a):
        integral = sp.Integral(sp.exp(-a * (z - self.m) ** 2 + self.k), R)
        assert GAUSSIAN_INTEGRAL(integral, CONTEXT) == integral

    @pytest.mark.parametrize("limits", [(z, 0, sp.oo), (z, -1, 1), (z, -sp.oo, 0), (z,)])
    def test_refuses_other_limits(self, limits):
        integral = sp.Integral(sp.exp(-self.a * (z - self.m) ** 2), limits)
        assert GAUSSIAN_INTEGRAL(integral, CONTEXT) == integral

    def test_refuses_unmatched_integrands(self):
        for integrand in (z * sp.exp(-self.a * z**2), sp.exp(-self.a * z**2 + z),  # square not completed
                          sp.exp(-self.a * z**4)):
            assert GAUSSIAN_INTEGRAL(sp.Integral(integrand, R), CONTEXT) == sp.Integral(integrand, R)

    def test_stated_condition(self):
        # Rényi-α for α > 1: a = σ_α²/(2σ₁²σ₂²), σ_α² = ασ₂² + (1 − α)σ₁², positive only if stated.
        before = COMPLETE_THE_SQUARE(COMBINE_EXPONENTIALS(WRITE_OUT_DENSITIES(RENYI_LIKE, CONTEXT), CONTEXT), CONTEXT)
        assert GAUSSIAN_INTEGRAL(before, CONTEXT) == before
        condition = sp.Q.positive(alpha * sigma2**2 + (1 - alpha) * sigma1**2)
        rule = gaussian_integral([condition])
        assert r"\alpha \sigma_{2}^{2}" in rule.statement and "a > 0" in rule.statement
        after = rule(before, CONTEXT)
        assert not after.has(sp.Integral)
        held = [point for point in points(count=8, seed="renyi", alpha=(1.1, 1.9))
                if point[alpha] * point[sigma2] ** 2 + (1 - point[alpha]) * point[sigma1] ** 2 > 0.05]
        assert len(held) >= 2, "too few points where the condition holds (and the integral converges)"
        for point in held:
            assert same_value(before, after, point)


class TestEstablishedPositive:
    def test_from_assumptions(self):
        assert established_positive(1 / (4 * sigma1**2) + 1 / (4 * sigma2**2))
        assert established_positive(z**2 + 1)
        assert not established_positive(sigma1 - sigma2)
        assert not established_positive(mu1)
        assert not established_positive(sp.Integer(0))

    def test_from_stated_conditions(self):
        a = alpha / (2 * sigma1**2) + (1 - alpha) / (2 * sigma2**2)
        assert not established_positive(a)
        assert established_positive(a, [sp.Q.positive(alpha * sigma2**2 + (1 - alpha) * sigma1**2)])
        assert established_positive(mu1, [sp.Q.positive(mu1)])
        assert not established_positive(mu1, [sp.Q.positive(mu2)])


# --- 5. a product of powers of normal densities -----------------------------------------------------------

class TestProductOfGaussianPowers:
    @pytest.mark.parametrize("exponents", [(HALF, HALF), (alpha, beta), (alpha, 1 - alpha),
                                           (sp.Integer(1), sp.Integer(2)), (sp.Rational(3, 2), sp.Integer(1))])
    def test_constant_is_the_integral(self, exponents):
        # ∫ q^α p^β = C ∫ N(z; m, s²) = C: quadrature of the left side checks the closed-form C.
        first, second = exponents
        before = sp.Integral(q.at() ** first * p.at() ** second, R)
        given = [sp.Q.positive(first / sigma1**2 + second / sigma2**2)] if exponents == (alpha, 1 - alpha) else []
        after = product_of_gaussian_powers(given)(before, CONTEXT)
        assert after != before and not after.has(q.placeholder, p.placeholder)
        for point in points(seed=f"product {exponents}", alpha=(0.2, 0.8), beta=(0.2, 3)):
            assert same_value(before, after, point)

    def test_pointwise(self):
        # The identity holds at every z, not only under the integral: compare at random z by mpmath.
        before = sp.Integral(q.at() ** alpha * p.at() ** beta, R)
        after = PRODUCT_OF_GAUSSIAN_POWERS(before, CONTEXT)
        rng = random.Random("pointwise")
        for point in points(seed="pointwise", alpha=(0.2, 3), beta=(0.2, 3)):
            point = {**point, z: sp.Float(rng.uniform(-3, 3), DIGITS)}
            lhs, rhs = (mp.mpf(sp.N(textbook(e.function).xreplace(point), DIGITS)) for e in (before, after))
            assert abs(lhs - rhs) <= TOLERANCE * abs(lhs)

    def test_published_normal(self):
        # q^α p^β ∝ N(m, s²) with s² = 1/λ, λ = α/σ₁² + β/σ₂², m = s²(αμ₁/σ₁² + βμ₂/σ₂²).
        after = PRODUCT_OF_GAUSSIAN_POWERS(sp.Integral(q.at() ** alpha * p.at() ** beta, R), CONTEXT)
        constant, rest = after.function.as_independent(z, as_Add=False)
        a, m, _ = completed_square(rest.args[0], z)
        precision = alpha / sigma1**2 + beta / sigma2**2
        assert sp.simplify(a - precision / 2) == 0
        assert sp.simplify(m - (alpha * mu1 / sigma1**2 + beta * mu2 / sigma2**2) / precision) == 0

    def test_then_gaussian_integral_against_sympy(self):
        before = sp.Integral(q.at() ** HALF * p.at() ** sp.Rational(3, 2), R)
        after = GAUSSIAN_INTEGRAL(PRODUCT_OF_GAUSSIAN_POWERS(before, CONTEXT), CONTEXT)
        expected = exact_integral(before, RATIONAL_POINT)
        assert sp.simplify(after.xreplace(RATIONAL_POINT) - expected) == 0

    def test_refuses(self):
        unknown = sp.Integral(q.at() ** alpha * p.at() ** (1 - alpha), R)  # λ of unknown sign for α > 1
        finite = sp.Integral(q.at() ** HALF * p.at() ** HALF, (z, 0, 1))
        lone = sp.Integral(q.at(), R)
        for integral in (unknown, finite, lone):
            assert PRODUCT_OF_GAUSSIAN_POWERS(integral, CONTEXT) == integral


# --- 6. the Gaussian integral over ℝⁿ ---------------------------------------------------------------------

class TestGaussianIntegralMatrix:
    n, z_vector = n, z_vector
    A = sp.MatrixSymbol("A", n, n)
    b = sp.MatrixSymbol("b", n, 1)
    SPD = (sp.Q.symmetric(A), sp.Q.positive_definite(A))
    A2 = sp.Matrix([[sp.Rational(3, 2), sp.Rational(1, 2)], [sp.Rational(1, 2), 1]])
    b2 = sp.Matrix([sp.Rational(1, 3), -sp.Rational(1, 2)])

    def integral(self, extra=0):
        z, A, b = self.z_vector, self.A, self.b
        return sp.Integral(2 * sp.exp(-scalar(z.T * A * z) / 2 + scalar(b.T * z) + extra), z)

    def concrete(self, expr: sp.Expr) -> float:
        """At n = 2, A = A2, b = b2: a number."""
        A, b = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol("b", 2, 1)
        return at_size_2(expr, {A: sp.ImmutableMatrix(self.A2), b: sp.ImmutableMatrix(self.b2)})

    def test_against_scipy_dblquad(self):
        after = gaussian_integral_matrix(self.SPD)(self.integral(), Context(()))
        assert not after.has(sp.Integral)
        A, b = np.array(self.A2, dtype=float), np.array(self.b2, dtype=float).ravel()

        def integrand(y, x):
            v = np.array([x, y])
            return 2 * np.exp(-v @ A @ v / 2 + b @ v)
        expected, error = scipy_integrate.dblquad(integrand, -np.inf, np.inf, -np.inf, np.inf, epsabs=1e-13,
                                                  epsrel=1e-12)
        assert error < 1e-10
        # dblquad's requested relative accuracy is 1e-12; its error estimate is checked above.
        assert self.concrete(after) == pytest.approx(expected, rel=1e-10)

    def test_normalisation_of_the_written_out_density(self):
        q_n = mvn_single()
        context = Context((q_n,))
        written = WRITE_OUT_DENSITIES(sp.Integral(q_n.at(), self.z_vector), context)
        after = GAUSSIAN_INTEGRAL_MATRIX(written, context)  # Σ is symmetric positive definite by the model
        assert not after.has(sp.Integral)
        covariance = sp.ImmutableMatrix([[2, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]])
        concrete = after.xreplace({self.n: 2}).xreplace({sp.MatrixSymbol("Sigma", 2, 2): covariance})
        assert sp.simplify(explicit(concrete)) == 1

    def test_refuses(self):
        assert GAUSSIAN_INTEGRAL_MATRIX(self.integral(), Context(())) == self.integral()  # A ≻ 0 not stated
        assert established_positive_definite(self.A, self.SPD)
        assert not established_positive_definite(-self.A, self.SPD)
        only_linear = sp.Integral(sp.exp(scalar(self.b.T * self.z_vector)), self.z_vector)
        assert gaussian_integral_matrix(self.SPD)(only_linear, Context(())) == only_linear
        flipped = sp.Integral(sp.exp(scalar(self.z_vector.T * self.A * self.z_vector) / 2), self.z_vector)
        assert gaussian_integral_matrix(self.SPD)(flipped, Context(())) == flipped  # −A is not positive definite


# --- 7. a product of powers of multivariate normal densities ----------------------------------------------

SIGMA_1 = np.array([[1.3, 0.4], [0.4, 0.8]])
SIGMA_2 = np.array([[0.6, -0.2], [-0.2, 1.5]])
MU_1, MU_2 = np.array([0.3, -0.7]), np.array([-1.1, 0.5])
MVN_VALUES = {sp.MatrixSymbol("Sigma_1", 2, 2): sp.ImmutableMatrix(SIGMA_1),
              sp.MatrixSymbol("Sigma_2", 2, 2): sp.ImmutableMatrix(SIGMA_2),
              sp.MatrixSymbol("mu_1", 2, 1): sp.ImmutableMatrix(MU_1),
              sp.MatrixSymbol("mu_2", 2, 1): sp.ImmutableMatrix(MU_2)}


def explicit(expr: sp.Expr) -> sp.Expr:
    """Matrix expressions of explicit matrices evaluated (one ``doit`` can leave a det unevaluated)."""
    for _ in range(4):
        expr = expr.doit()
    return expr


def at_size_2(expr: sp.Expr, values: dict, z_value: np.ndarray | None = None) -> float:
    """``expr`` at n = 2 with the matrix symbols given ``values`` (and z, if given): a float."""
    concrete = expr.xreplace({n: 2}).xreplace(values)
    if z_value is not None:
        concrete = concrete.xreplace({sp.MatrixSymbol("z", 2, 1): sp.ImmutableMatrix(z_value)})
    return float(sp.N(explicit(concrete)))


def mvn_density(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """N(x; μ, Σ) = exp(−½(x − μ)ᵀΣ⁻¹(x − μ)) / √det(2πΣ), typed from the textbook."""
    d = x - mean
    return float(np.exp(-d @ np.linalg.solve(cov, d) / 2) / np.sqrt(np.linalg.det(2 * np.pi * cov)))


class TestProductOfGaussianPowersMatrix:
    q, p = mvn_1(), mvn_2()
    context = Context((q, p), dimension=n)
    a, b = sp.Rational(1, 3), sp.Rational(5, 4)

    def product(self):
        return sp.Integral(self.q.at() ** self.a * self.p.at() ** self.b, z_vector)

    def test_pointwise(self):
        after = PRODUCT_OF_GAUSSIAN_POWERS_MATRIX(self.product(), self.context)
        assert after != self.product() and not after.has(self.q.placeholder, self.p.placeholder)
        rng = np.random.default_rng(7)
        for x in rng.uniform(-2, 2, size=(3, 2)):
            expected = mvn_density(x, MU_1, SIGMA_1) ** float(self.a) * mvn_density(x, MU_2, SIGMA_2) ** float(self.b)
            assert at_size_2(after.function, MVN_VALUES, x) == pytest.approx(expected, rel=1e-12)

    def test_integral_against_scipy_dblquad(self):
        after = GAUSSIAN_INTEGRAL_MATRIX(PRODUCT_OF_GAUSSIAN_POWERS_MATRIX(self.product(), self.context), self.context)
        assert not after.has(sp.Integral)

        def integrand(y, x):
            v = np.array([x, y])
            return mvn_density(v, MU_1, SIGMA_1) ** float(self.a) * mvn_density(v, MU_2, SIGMA_2) ** float(self.b)
        expected, error = scipy_integrate.dblquad(integrand, -np.inf, np.inf, -np.inf, np.inf, epsabs=1e-13,
                                                  epsrel=1e-12)
        assert error < 1e-10
        assert at_size_2(after, MVN_VALUES) == pytest.approx(expected, rel=1e-10)

    def test_refuses_unless_stated(self):
        # Λ = αΣ₁⁻¹ + (1 − α)Σ₂⁻¹ is not positive definite for every α > 1: refused until stated.
        before = sp.Integral(self.q.at() ** alpha * self.p.at() ** (1 - alpha), z_vector)
        assert PRODUCT_OF_GAUSSIAN_POWERS_MATRIX(before, self.context) == before
        precision = alpha * self.q.cov.I + (1 - alpha) * self.p.cov.I
        rule = product_of_gaussian_powers_matrix([sp.Q.symmetric(precision), sp.Q.positive_definite(precision)])
        assert rule(before, self.context) != before
        point = {alpha: sp.Rational(3, 2)}  # Λ = 1.5Σ₁⁻¹ − 0.5Σ₂⁻¹ is positive definite for these Σ
        assert np.all(np.linalg.eigvalsh(1.5 * np.linalg.inv(SIGMA_1) - 0.5 * np.linalg.inv(SIGMA_2)) > 0)
        x = np.array([0.4, -0.3])
        expected = mvn_density(x, MU_1, SIGMA_1) ** 1.5 * mvn_density(x, MU_2, SIGMA_2) ** -0.5
        assert at_size_2(rule(before, self.context).function.xreplace(point), MVN_VALUES, x) == pytest.approx(
            expected, rel=1e-12)


# --- end to end: the Bhattacharyya coefficient, every step checked ----------------------------------------

@pytest.mark.parametrize("route", ["square", "product"])
def test_bhattacharyya_coefficient_derivation(route):
    builder = DerivationBuilder("bhattacharyya-normal-normal", "Bhattacharyya coefficient of two normals", CONTEXT,
                                BHATTACHARYYA, "BC(q, p) = ∫ √(q p) dz")
    if route == "square":
        builder.apply(WRITE_OUT_DENSITIES, "q and p written out")
        builder.apply(COMBINE_EXPONENTIALS, "one exponential, the constants in front")
        builder.apply(COMPLETE_THE_SQUARE, "the exponent is a quadratic in z")
    else:
        builder.apply(PRODUCT_OF_GAUSSIAN_POWERS, "√q √p is a scaled normal density in z")
    builder.apply(GAUSSIAN_INTEGRAL, "∫ e^{−a(z−m)²} dz = √(π/a), a = (σ₁² + σ₂²)/(4σ₁²σ₂²) > 0")
    derivation = builder.build()
    result = derivation.result
    assert not result.has(sp.Integral)
    assert all(step.verdict.points >= 3 for step in derivation.steps)
    for point in points(seed="bhattacharyya"):
        with mp.workdps(DIGITS):
            assert abs(mp.mpf(sp.N(result.xreplace(point), DIGITS)) - bhattacharyya_published(point)) <= TOLERANCE


def test_chernoff_coefficient_derivation():
    # ∫ q^{1/3} p^{2/3}: exponents in (0, 1), so a > 0 holds for every σ₁, σ₂ and the checker's points
    # (for α > 1 it does not: see TestGaussianIntegral.test_stated_condition).
    definition = sp.Integral(q.at() ** sp.Rational(1, 3) * p.at() ** sp.Rational(2, 3), R)
    builder = DerivationBuilder("chernoff-normal-normal", "Chernoff coefficient of two normals", CONTEXT,
                                definition, "∫ q^{1/3} p^{2/3} dz")
    for rule in (WRITE_OUT_DENSITIES, COMBINE_EXPONENTIALS, COMPLETE_THE_SQUARE, GAUSSIAN_INTEGRAL):
        builder.apply(rule, rule.name)
    result = builder.build().result
    assert not result.has(sp.Integral)
    for point in points(seed="chernoff"):
        assert same_value(definition, result, point)
