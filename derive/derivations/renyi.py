"""The Rényi family between normals: Rényi-α, Bhattacharyya, squared Hellinger, Rényi entropy.

Each is the log (or one minus) of ∫ q^α p^β, which the Gaussian-integral rules take in three
steps: the powers of the densities are a multiple of one normal density (``product of Gaussian
powers``), whose integral is its constant (``Gaussian integral``), and logarithm algebra.  For
α > 1 the product is a normal only while σ_α² = ασ₂² + (1 − α)σ₁² > 0 (α multiplies *p*'s
variance): the derivation holds under that condition, stated in the rules and honoured by the
checker's points; where it fails the integral diverges and D_α = +∞.  Convention: q first.
Closed forms as tabulated by Gil, Alajaji & Linder, "Rényi divergence measures for commonly used
univariate continuous distributions", Information Sciences 249 (2013).
"""
from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from derive.codegen.spec import KernelSpec, Parameter
from derive.derivations.registry import declare_kernels, publish
from derive.engine import Context, Derivation, DerivationBuilder, Rule
from derive.engine.gaussian_integrals import (COMBINE_EXPONENTIALS, COMPLETE_THE_SQUARE, WRITE_OUT_DENSITIES,
                                              gaussian_integral, product_of_gaussian_powers)
from derive.engine.rules import LOG_ALGEBRA, STABLE_FORM
from derive.engine.special import Expm1mx, Log1pmx, ScaleTerm
from derive.engine.stable import overflowed
from derive.engine.stable import x as location_gap
from derive.models import mu1, mu2, normal, normal_1, normal_2, sigma, sigma1, sigma2, z

alpha = sp.Symbol("alpha", positive=True)
"""The order α > 0 (α ≠ 1: there the divergence is the KL, its limit)."""
ORDERS = ((alpha, sp.Interval.open(0, 4)),)
"""Where the checker draws α: both sides of 1, up to 4."""
VARIANCE_ALPHA = alpha * sigma2**2 + (1 - alpha) * sigma1**2
"""σ_α² = ασ₂² + (1 − α)σ₁²: the combined variance, positive for every α ≤ 1."""
FINITE = (sp.Q.positive(VARIANCE_ALPHA),)
"""The condition for α > 1, as the rules state it."""
FINITE_POINTS = (sp.StrictGreaterThan(VARIANCE_ALPHA, 0),)
"""The same condition, as the checker's points must satisfy it."""

HALF_ORDER = Rule("the Rényi divergence at α = ½", r"D_B(q, p) = \tfrac{1}{2} D_{1/2}(q \,\|\, p)")
"""Written out (``to``): the cited closed form at α = ½, checked equal to the line before."""
BHATTACHARYYA = Rule("the Bhattacharyya distance", r"\int \sqrt{q p}\,dz = e^{-D_B(q, p)}")


# The stable forms' variables: s = max(σ₁, σ₂) scales the σ's into a = σ₁/s and b = σ₂/s in (0, 1];
# t = (μ₁ − μ₂)/s; v = σ_α²/s²; u = 2 log(σ₁/σ₂); κ = log(αe^{(α−1)u} + (1 − α)e^{αu}), the scale
# part times 2(1 − α).
scale = sp.Symbol("s", positive=True)
scaled_1, scaled_2 = sp.Symbol("a", positive=True), sp.Symbol("b", positive=True)
scaled_gap = sp.Symbol("c", real=True)
"""c = (σ₁ − σ₂)/s = a − b, from the exact difference of the σ's (a − b would carry their rounding)."""
gap = sp.Symbol("t", real=True)
variance = sp.Symbol("v", real=True)
log_ratio = sp.Symbol("u", real=True)
ratio, excess = sp.Symbol("r", positive=True), sp.Symbol("delta", real=True)
complement = sp.Symbol("epsilon", real=True)
"""ε = 1 − α, exact near α = 1 and a symbol of its own, so that (α − 1)u is never printed as αu − u."""
"""r = σ₁/σ₂ and δ = (σ₁ − σ₂)/σ₂, symbols of their own: SymPy's C99 rewrites would write log r as
log σ₁ − log σ₂, and log1p(δ) as log1p(r − 1), which cancels."""
cumulant = sp.Symbol("kappa", real=True)
_TINY, _HUGE = sp.Float("1e-290"), sp.Float("1e290")
_EXP_SAFE = 700
"""Below this, e^x does not overflow (e^709.78 does)."""


def _scaled_location_gap() -> sp.Expr:
    """t = x/s with x = μ₁ − μ₂, except where x overflows although t is finite (μ = ±1e308,
    s = 1e308): there μ₁/s − μ₂/s, two quotients of opposite signs (as the KL's scaled gap).  x is
    a symbol of its own, or SymPy's C99 rewrites would see two equal branches and merge them."""
    return sp.Piecewise((mu1 / scale - mu2 / scale, overflowed(location_gap)), (location_gap / scale, True))


def _scaled_variables(order: sp.Expr) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    return ((scale, sp.Max(sigma1, sigma2)), (scaled_1, sigma1 / scale), (scaled_2, sigma2 / scale),
            (location_gap, mu1 - mu2),
            (scaled_gap, (sigma1 - sigma2) / scale), (gap, _scaled_location_gap()), (complement, 1 - order),
            # for α ≤ 1 a sum of nonnegative terms; for α > 1, b² + εc(a + b), which cancels only
            # where σ_α² → 0 (the divergence's own conditioning), not where σ₁ ≈ σ₂
            (variance, sp.Piecewise((scaled_2**2 + complement * scaled_gap * (scaled_1 + scaled_2),
                                     order > 1), (order * scaled_2**2 + complement * scaled_1**2, True))),
            (ratio, sigma1 / sigma2), (excess, (sigma1 - sigma2) / sigma2),
            # 2 log1p(δ), δ exact where σ₁ ≈ σ₂; below r = ½, where 1 + δ would lose r, 2 log r; where r
            # leaves the normal range, 2(log σ₁ − log σ₂): |u| > 1335 there, so the difference loses nothing
            (log_ratio, sp.Piecewise((2 * (sp.log(sigma1) - sp.log(sigma2)), (ratio > _HUGE) | (ratio < _TINY)),
                                     (2 * sp.log(ratio), ratio < sp.Rational(1, 2)),
                                     (2 * log1p(excess), True))))


def cumulant_form(log_ratio: sp.Expr = log_ratio) -> sp.Expr:
    """κ for α < 1, where it is a log of a weighted mean of exponentials with exponents of mean zero:
    log1p(α expm1mx(−εu) + ε expm1mx(αu)), ε = 1 − α, a log1p of a sum of two nonnegative terms (the
    linear parts cancel exactly, not in floating point).  Where an exponential would overflow, the larger
    exponent taken out: for u > 0, αu + log(ε + αe^{−u}) with αe^{−u} < 1e−304 beside ε ≥ 2⁻⁵³, so
    αu + log ε to far below rounding; for u < 0, −εu + log(α + εe^{u})."""
    return sp.Piecewise(
        (alpha * log_ratio + sp.log(complement), alpha * log_ratio > _EXP_SAFE),
        (-complement * log_ratio + sp.log(alpha + complement * sp.exp(log_ratio)),
         (complement > 0) & (-complement * log_ratio > _EXP_SAFE)),
        (log1p(alpha * Expm1mx(-complement * log_ratio) + complement * Expm1mx(alpha * log_ratio)), True))


def renyi_stable_form() -> sp.Expr:
    """αt²/(2v) + ψ_α with ψ_α = κ/(2ε) for α < 1 (κ as in ``_cumulant``); for α > 1, in the form
    ψ_α = ψ(σ₁, σ₂) + log1pmx(εw)/(2ε), w = δ(δ + 2) = r² − 1, two nonnegative terms; at α = 1 the KL's
    ψ(σ₁, σ₂); +∞ where σ_α² ≤ 0."""
    spread = excess * (excess + 2)
    scale_part = sp.Piecewise(
        (ScaleTerm(sigma1, sigma2), sp.Eq(alpha, 1)),
        (ScaleTerm(sigma1, sigma2) + Log1pmx(complement * spread) / (2 * complement), alpha > 1),
        (cumulant / (2 * complement), True))
    return sp.Piecewise((sp.oo, variance <= 0), (alpha * gap**2 / (2 * variance) + scale_part, True))


def _integral(integrand: sp.Expr) -> sp.Integral:
    return sp.Integral(integrand, (z, -sp.oo, sp.oo))


def _builder(name: str, title: str, definition: sp.Expr, lhs: str, why: str, summary: str,
             models: tuple, orders: bool = True) -> DerivationBuilder:
    context = Context(models, lhs=lhs, assumptions=ORDERS if orders else (),
                      conditions=FINITE_POINTS if orders and len(models) == 2 else ())
    return DerivationBuilder(name, title, context, definition, why, summary=summary)


def renyi_closed_form(order: sp.Expr) -> sp.Expr:
    """D_α(q ‖ p) = log(σ₂/σ₁) + log(σ₂²/σ_α²)/(2(α − 1)) + α(μ₁ − μ₂)²/(2σ_α²)."""
    variance = VARIANCE_ALPHA.subs(alpha, order)
    return (sp.log(sigma2 / sigma1) + sp.log(sigma2**2 / variance) / (2 * (order - 1))
            + order * (mu1 - mu2) ** 2 / (2 * variance))


@publish("renyi-normal-normal", "Rényi divergence of order α between two normals")
def renyi_normal(name: str, title: str) -> Derivation:
    q, p = normal_1(), normal_2()
    builder = _builder(name, title, sp.log(_integral(q.at() ** alpha * p.at() ** (1 - alpha))) / (alpha - 1),
                       r"D_\alpha(q \,\|\, p)", "D_α(q ‖ p) = 1/(α − 1) log ∫ q^α p^(1−α), for α > 0, α ≠ 1",
                       "D_α(q ‖ p) for q = N(μ₁, σ₁²), p = N(μ₂, σ₂²), while σ_α² = ασ₂² + (1 − α)σ₁² > 0 "
                       "(always for α < 1; otherwise D_α = +∞)", (q, p))
    builder.apply(product_of_gaussian_powers(FINITE),
                  "q^α p^(1−α) is a constant times a normal density in z, with precision α/σ₁² + (1 − α)/σ₂² "
                  "= σ_α²/(σ₁²σ₂²) > 0")
    builder.apply(gaussian_integral(FINITE), "that normal density integrates to one, leaving its constant")
    builder.to(renyi_closed_form(alpha), LOG_ALGEBRA,
               "the log of the constant, over α − 1: the factors 2π cancel (½ − α/2 − (1 − α)/2 = 0)")
    builder.to(renyi_stable_form(), STABLE_FORM,
               "in s = max(σ₁, σ₂), t = (μ₁ − μ₂)/s, v = σ_α²/s² and u = 2 log(σ₁/σ₂), nothing over- or "
               "underflows; the scale part is κ/(2ε), ε = 1 − α, with κ = log(αe^{−εu} + εe^{αu}) written for "
               "α < 1 as log1p(α expm1mx(−εu) + ε expm1mx(αu)), and for α > 1 ψ(σ₁, σ₂) + log1pmx(ε(r² − 1))/(2ε): "
               "sums of nonnegative terms that do not cancel as σ₁ → σ₂ or as α → 1; at α = 1 it is the KL's ψ; "
               "where σ_α² ≤ 0 (α > 1) the integral diverges: +∞",
               where=(*_scaled_variables(alpha), (cumulant, cumulant_form())))
    return builder.build()


def bhattacharyya_closed_form() -> sp.Expr:
    return ((mu1 - mu2) ** 2 / (4 * (sigma1**2 + sigma2**2))
            + sp.log((sigma1**2 + sigma2**2) / (2 * sigma1 * sigma2)) / 2)


def bhattacharyya_stable_form() -> sp.Expr:
    """t²/(4(a² + b²)) + ½ log1p(c²/(2ab)) in c = (σ₁ − σ₂)/s, a = σ₁/s, b = σ₂/s ∈ (0, 1], s = max(σ₁, σ₂):
    zero exactly at q = p, no square of a σ; where the smaller of a, b leaves the normal range,
    ½(|log σ₁ − log σ₂| − log 2) (log1p(a²)/2 is then below rounding)."""
    return (gap**2 / (4 * (scaled_1**2 + scaled_2**2))
            + sp.Piecewise((sp.Abs(sp.log(sigma1) - sp.log(sigma2)) / 2 - sp.log(2) / 2,
                            sp.Min(scaled_1, scaled_2) < _TINY),
                           (log1p(scaled_gap**2 / (2 * scaled_1 * scaled_2)) / 2, True)))


BHATTACHARYYA_VARIABLES = ((scale, sp.Max(sigma1, sigma2)), (scaled_1, sigma1 / scale), (scaled_2, sigma2 / scale),
                           (location_gap, mu1 - mu2), (scaled_gap, (sigma1 - sigma2) / scale),
                           (gap, _scaled_location_gap()))


def _bhattacharyya_coefficient(builder: DerivationBuilder) -> None:
    """∫ √(q p) dz by the Gaussian-integral rules, for either definition that contains it."""
    builder.apply(WRITE_OUT_DENSITIES, "q and p written out")
    builder.apply(COMBINE_EXPONENTIALS, "one exponential, the constants in front")
    builder.apply(COMPLETE_THE_SQUARE, "the exponent is a quadratic in z: complete the square")
    builder.apply(gaussian_integral(), "∫ exp(−a(z − m)²) dz = √(π/a), with a = (σ₁² + σ₂²)/(4σ₁²σ₂²) > 0")


@publish("bhattacharyya-normal-normal", "Bhattacharyya distance between two normals")
def bhattacharyya_normal(name: str, title: str) -> Derivation:
    q, p = normal_1(), normal_2()
    builder = _builder(name, title, -sp.log(_integral(sp.sqrt(q.at() * p.at()))), r"D_B(q, p)",
                       "D_B(q, p) = −log ∫ √(q p): minus the log of the Bhattacharyya coefficient",
                       "D_B(q, p) for q = N(μ₁, σ₁²), p = N(μ₂, σ₂²)", (q, p), orders=False)
    _bhattacharyya_coefficient(builder)
    builder.to(bhattacharyya_closed_form(), LOG_ALGEBRA, "−log of a product is the sum of −logs; the 2π cancel")
    builder.to(renyi_closed_form(sp.Rational(1, 2)) / 2, HALF_ORDER,
               "renyi-normal-normal at α = ½ (σ_½² = (σ₁² + σ₂²)/2), halved: D_B = ½ D_½(q ‖ p)")
    builder.to(bhattacharyya_stable_form(), STABLE_FORM,
               "(σ₁² + σ₂²)/(2σ₁σ₂) = 1 + c²/(2ab) with a = σ₁/s, b = σ₂/s, c = (σ₁ − σ₂)/s, s = max(σ₁, σ₂): a log1p of a "
               "quantity formed without cancellation, zero exactly at q = p, and no σ² to over- or underflow",
               where=BHATTACHARYYA_VARIABLES)
    return builder.build()


@publish("hellinger-normal-normal", "Squared Hellinger distance between two normals")
def hellinger_normal(name: str, title: str) -> Derivation:
    q, p = normal_1(), normal_2()
    builder = _builder(name, title, 1 - _integral(sp.sqrt(q.at() * p.at())), r"H^2(q, p)",
                       "H²(q, p) = 1 − ∫ √(q p): one minus the Bhattacharyya coefficient",
                       "H²(q, p) for q = N(μ₁, σ₁²), p = N(μ₂, σ₂²)", (q, p), orders=False)
    _bhattacharyya_coefficient(builder)
    builder.to(1 - sp.exp(-bhattacharyya_closed_form()), BHATTACHARYYA,
               "the coefficient is e^{−D_B}, with D_B from bhattacharyya-normal-normal")
    builder.to(-expm1(-bhattacharyya_stable_form()), STABLE_FORM,
               "1 − e^{−D_B} = −expm1(−D_B) with D_B's stable form: no cancellation where D_B is small "
               "(q ≈ p), and zero exactly at q = p",
               where=BHATTACHARYYA_VARIABLES)
    return builder.build()


@publish("renyi-entropy-normal", "Rényi entropy of order α of a normal")
def renyi_entropy_normal(name: str, title: str) -> Derivation:
    q = normal()
    builder = _builder(name, title, sp.log(_integral(q.at() ** alpha)) / (1 - alpha), r"h_\alpha(q)",
                       "h_α(q) = 1/(1 − α) log ∫ q^α, for α > 0, α ≠ 1",
                       "h_α(q) for q = N(μ, σ²)", (q,))
    builder.apply(product_of_gaussian_powers(), "q^α is a constant times the normal density N(μ, σ²/α)")
    builder.apply(gaussian_integral(), "that density integrates to one, leaving its constant")
    builder.to(sp.log(2 * sp.pi * sigma**2) / 2 + sp.log(alpha) / (2 * (alpha - 1)), LOG_ALGEBRA,
               "the log of (2πσ²)^{(1−α)/2} α^{−1/2}, over 1 − α")
    builder.to(sp.log(sigma) + sp.log(2 * sp.pi) / 2
               + sp.Piecewise((sp.Rational(1, 2), sp.Eq(alpha, 1)), (sp.log(alpha) / (2 * (alpha - 1)), True)),
               STABLE_FORM, "log σ, not ½ log σ²; log α/(α − 1) is accurate as it stands (α − 1 is exact near 1) "
               "and tends to 1 at α = 1, where h_α is the entropy ½ log(2πeσ²)")
    return builder.build()


_PAIR = (Parameter("mu1", mu1), Parameter("sigma1", sigma1, positive=True),
         Parameter("mu2", mu2), Parameter("sigma2", sigma2, positive=True))
_ORDER = Parameter("alpha", alpha, positive=True, per_element=False)

declare_kernels(
    KernelSpec("bhattacharyya_normal_normal", "bhattacharyya-normal-normal", _PAIR,
               "Bhattacharyya distance D_B(q, p) = -log of the integral of sqrt(q p), for q = N(mu1, sigma1^2), "
               "p = N(mu2, sigma2^2)."),
    KernelSpec("hellinger_squared_normal_normal", "hellinger-normal-normal", _PAIR,
               "Squared Hellinger distance H^2(q, p) = 1 - exp(-D_B(q, p)), for q = N(mu1, sigma1^2), "
               "p = N(mu2, sigma2^2)."),
    KernelSpec("renyi_entropy_normal", "renyi-entropy-normal", (Parameter("sigma", sigma, positive=True), _ORDER),
               "Renyi entropy h_alpha(q) of order alpha > 0 of q = N(mu, sigma^2), in nats: the entropy at alpha = 1."),
    KernelSpec("renyi_normal_normal", "renyi-normal-normal", (*_PAIR, _ORDER),
               "Renyi divergence D_alpha(q || p) of order alpha > 0 for q = N(mu1, sigma1^2), p = N(mu2, sigma2^2): "
               "the KL divergence at alpha = 1, +inf where alpha > 1 and alpha sigma2^2 + (1 - alpha) sigma1^2 <= 0.",
               diverges=True),
)
