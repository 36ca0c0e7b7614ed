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

from derive.derivations.registry import publish
from derive.engine import Context, Derivation, DerivationBuilder, Rule
from derive.engine.gaussian_integrals import (COMBINE_EXPONENTIALS, COMPLETE_THE_SQUARE, WRITE_OUT_DENSITIES,
                                              gaussian_integral, product_of_gaussian_powers)
from derive.engine.rules import LOG_ALGEBRA, STABLE_FORM
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
    return builder.build()


def bhattacharyya_closed_form() -> sp.Expr:
    return ((mu1 - mu2) ** 2 / (4 * (sigma1**2 + sigma2**2))
            + sp.log((sigma1**2 + sigma2**2) / (2 * sigma1 * sigma2)) / 2)


def bhattacharyya_stable_form() -> sp.Expr:
    """(μ₁ − μ₂)²/(4(σ₁² + σ₂²)) + ½ log1p((σ₁ − σ₂)²/(2σ₁σ₂)): zero exactly at q = p."""
    return ((mu1 - mu2) ** 2 / (4 * (sigma1**2 + sigma2**2))
            + log1p((sigma1 - sigma2) ** 2 / (2 * sigma1 * sigma2)) / 2)


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
               "(σ₁² + σ₂²)/(2σ₁σ₂) = 1 + (σ₁ − σ₂)²/(2σ₁σ₂): a log1p of a quantity formed without "
               "cancellation, zero exactly at q = p")
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
               "1 − e^{−D_B} = −expm1(−D_B): no cancellation where D_B is small (q ≈ p), and zero exactly "
               "at q = p")
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
    return builder.build()
