"""The Rényi family between multivariate normals: Rényi-α, Bhattacharyya, squared Hellinger,
Rényi entropy, in n dimensions.

As in one dimension, each is the log (or one minus) of ∫ q^α p^β: the powers of the densities
are a multiple of one normal density (``product of Gaussian powers over Rⁿ``), its integral is
its constant, and logarithm algebra gives the closed form with Σ_α = αΣ₂ + (1 − α)Σ₁ (α
multiplies *p*'s covariance).  For α > 1 the product is a density only while Σ_α ≻ 0
(equivalently Λ = αΣ₁⁻¹ + (1 − α)Σ₂⁻¹ ≻ 0, as Λ = Σ₁⁻¹Σ_αΣ₂⁻¹ with both sides congruent to
diagonals of the same signs): the rules state it, the checker's points honour it, and
elsewhere D_α = +∞.

The stable forms whiten by p: with Σ₂ = L₂L₂ᵀ and W = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ (symmetric, formed from
the exact difference Σ₁ − Σ₂), Σ_α = L₂(I + εW)L₂ᵀ for ε = 1 − α, so every log-determinant
is a sum over W's eigenvalues λᵢ > −1 of the univariate scale part at σ₁²/σ₂² = 1 + λᵢ, and the
Mahalanobis term is gᵀ(I + εW)⁻¹g with g = L₂⁻¹(μ₁ − μ₂).  Near q = p the λᵢ are small and exact
(not 1 + λᵢ rounded), so nothing cancels.
"""
from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from derive.codegen.spec import KernelSpec, Parameter
from derive.derivations.mvn import entropy_terms
from derive.derivations.registry import declare_kernels, publish
from derive.derivations.renyi import (BHATTACHARYYA, HALF_ORDER, ORDERS, alpha, complement, cumulant_form)
from derive.engine import Context, Derivation, DerivationBuilder
from derive.engine.gaussian_integrals import gaussian_integral_matrix, product_of_gaussian_powers_matrix
from derive.engine.rules import LOG_ALGEBRA, STABLE_FORM
from derive.engine.special import Log1pmx
from derive.engine.spectral import Eigenvalue, PositiveDefinite
from derive.models.mvn import MultivariateNormal, mvn_1, mvn_2, mvn_single, n, scalar, z_vector

i = sp.Symbol("i", integer=True, nonnegative=True)
whitened = sp.MatrixSymbol("W", n, n)
"""W = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ: Σ₁ seen from p, minus the identity."""
offset = sp.MatrixSymbol("g", n, 1)
"""g = L₂⁻¹(μ₁ − μ₂): the means' difference seen from p."""


def _integral(integrand: sp.Expr) -> sp.Integral:
    return sp.Integral(integrand, z_vector)


def combined_covariance(q: MultivariateNormal, p: MultivariateNormal, order: sp.Expr) -> sp.MatrixExpr:
    """Σ_α = αΣ₂ + (1 − α)Σ₁."""
    return order * p.cov + (1 - order) * q.cov


def _precision(q: MultivariateNormal, p: MultivariateNormal, order: sp.Expr) -> sp.MatrixExpr:
    """Λ = αΣ₁⁻¹ + (1 − α)Σ₂⁻¹, as the product rule builds it."""
    return sp.MatAdd(order * q.cov.I, (1 - order) * p.cov.I)


def _finite(q: MultivariateNormal, p: MultivariateNormal) -> tuple:
    """Λ ≻ 0 (so Σ_α ≻ 0), as the rules state it: for α > 1 it is a condition, not a fact."""
    precision = _precision(q, p, alpha)
    return sp.Q.symmetric(precision), sp.Q.positive_definite(precision)


def _whitening(q: MultivariateNormal, p: MultivariateNormal) -> tuple[tuple[sp.Basic, sp.Expr], ...]:
    return ((whitened, p.factor.I * (q.cov - p.cov) * p.factor.I.T), (offset, p.factor.I * (q.mean - p.mean)))


def _context(models: tuple[MultivariateNormal, ...], lhs: str, orders: bool = True) -> Context:
    conditions = (PositiveDefinite(combined_covariance(*models, alpha)),) if orders and len(models) == 2 else ()
    return Context(models, lhs=lhs, dimension=n, assumptions=ORDERS if orders else (), conditions=conditions)


def _log_det(matrix: sp.MatrixExpr) -> sp.Expr:
    return sp.log(sp.Determinant(matrix))


def renyi_closed_form(q: MultivariateNormal, p: MultivariateNormal, order: sp.Expr) -> sp.Expr:
    """D_α = α/2 (μ₁ − μ₂)ᵀΣ_α⁻¹(μ₁ − μ₂) + [log det Σ_α − (1 − α) log det Σ₁ − α log det Σ₂]/(2(1 − α))."""
    gap, combined = q.mean - p.mean, combined_covariance(q, p, order)
    return (order * scalar(gap.T * combined.I * gap) / 2
            + (_log_det(combined) - (1 - order) * _log_det(q.cov) - order * _log_det(p.cov)) / (2 * (1 - order)))


def renyi_scale_term(lam: sp.Expr) -> sp.Expr:
    """The scale part of one eigenvalue λ > −1: [log(1 + ελ) − ε log(1 + λ)]/(2ε), the univariate
    ψ_α at σ₁²/σ₂² = 1 + λ.  For α < 1, κ/(2ε) with κ in u = log1p λ as in renyi-normal-normal; for
    α > 1, log1pmx(ελ)/(2ε) − ½ log1pmx(λ), two nonnegative terms; at α = 1 the KL's −½ log1pmx(λ)."""
    kl_part = -Log1pmx(lam) / 2
    return sp.Piecewise((kl_part, sp.Eq(alpha, 1)),
                        (Log1pmx(complement * lam) / (2 * complement) + kl_part, alpha > 1),
                        (cumulant_form(log1p(lam)) / (2 * complement), True))


def renyi_terms() -> dict[str, sp.Expr]:
    """The stable form's two terms, as a kernel computes them from W's eigen-decomposition."""
    return {"mahalanobis": scalar(offset.T * (sp.Identity(n) + complement * whitened).I * offset),
            "scale_terms": sp.Sum(renyi_scale_term(Eigenvalue(whitened, i)), (i, 0, n - 1))}


def renyi_stable_form() -> sp.Expr:
    terms = renyi_terms()
    return alpha * terms["mahalanobis"] / 2 + terms["scale_terms"]


@publish("renyi-mvn-mvn", "Rényi divergence of order α between two multivariate normals")
def renyi_mvn(name: str, title: str) -> Derivation:
    q, p = mvn_1(), mvn_2()
    builder = DerivationBuilder(
        name, title, _context((q, p), r"D_\alpha(q \,\|\, p)"),
        sp.log(_integral(q.at() ** alpha * p.at() ** (1 - alpha))) / (alpha - 1),
        "D_α(q ‖ p) = 1/(α − 1) log ∫ q^α p^(1−α), over all n coordinates, for α > 0, α ≠ 1",
        summary="D_α(q ‖ p) for q = N(μ₁, Σ₁), p = N(μ₂, Σ₂) in n dimensions, while Σ_α = αΣ₂ + (1 − α)Σ₁ ≻ 0 "
                "(always for α < 1; otherwise D_α = +∞)")
    finite = _finite(q, p)
    builder.apply(product_of_gaussian_powers_matrix(finite),
                  "q^α p^(1−α) is a constant times a normal density, with precision Λ = αΣ₁⁻¹ + (1 − α)Σ₂⁻¹ "
                  "= Σ₁⁻¹Σ_αΣ₂⁻¹ ≻ 0")
    builder.apply(gaussian_integral_matrix(finite), "that normal density integrates to one, leaving its constant")
    builder.to(renyi_closed_form(q, p, alpha), LOG_ALGEBRA,
               "the log of the constant, over α − 1: the (2π)ⁿ cancel, det Λ⁻¹ = det Σ₁ det Σ₂ / det Σ_α and "
               "Σ₁⁻¹Λ⁻¹Σ₂⁻¹ = Σ_α⁻¹")
    builder.to(renyi_stable_form(), STABLE_FORM,
               "with W = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ, Σ_α = L₂(I + εW)L₂ᵀ (ε = 1 − α): the Mahalanobis term is gᵀ(I + εW)⁻¹g, "
               "g = L₂⁻¹(μ₁ − μ₂), and the log-determinants are sums over W's eigenvalues λᵢ of the univariate "
               "scale part at σ₁²/σ₂² = 1 + λᵢ, written as in renyi-normal-normal: nonnegative terms that do not "
               "cancel as Σ₁ → Σ₂ or α → 1 (the KL's at α = 1)",
               where=(*_whitening(q, p), (complement, 1 - alpha)))
    return builder.build()


def bhattacharyya_closed_form(q: MultivariateNormal, p: MultivariateNormal) -> sp.Expr:
    """⅛ (μ₁ − μ₂)ᵀΣₘ⁻¹(μ₁ − μ₂) + ½ log(det Σₘ / √(det Σ₁ det Σ₂)), Σₘ = (Σ₁ + Σ₂)/2, the textbook form."""
    gap, mean_cov = q.mean - p.mean, (q.cov + p.cov) / 2
    return (scalar(gap.T * mean_cov.I * gap) / 8
            + sp.log(sp.Determinant(mean_cov) / sp.sqrt(sp.Determinant(q.cov) * sp.Determinant(p.cov))) / 2)


def bhattacharyya_scale_term(lam: sp.Expr) -> sp.Expr:
    """½ log((2 + λ)/(2√(1 + λ))) = ½ log1p(ρ²/(2√(1 + λ))), ρ = √(1 + λ) − 1 = λ/(1 + √(1 + λ)):
    a log1p of a square, zero exactly at λ = 0."""
    root = sp.sqrt(1 + lam)
    return log1p((lam / (1 + root)) ** 2 / (2 * root)) / 2


def bhattacharyya_terms() -> dict[str, sp.Expr]:
    return {"mahalanobis": scalar(offset.T * (sp.Identity(n) + whitened / 2).I * offset),
            "scale_terms": sp.Sum(bhattacharyya_scale_term(Eigenvalue(whitened, i)), (i, 0, n - 1))}


def bhattacharyya_stable_form() -> sp.Expr:
    terms = bhattacharyya_terms()
    return terms["mahalanobis"] / 8 + terms["scale_terms"]


def _coefficient(builder: DerivationBuilder, q: MultivariateNormal, p: MultivariateNormal) -> None:
    """∫ √q √p dz by the Gaussian-integral rules over Rⁿ (Λ = (Σ₁⁻¹ + Σ₂⁻¹)/2 ≻ 0 always)."""
    builder.apply(product_of_gaussian_powers_matrix(),
                  "√q √p is a constant times a normal density, with precision (Σ₁⁻¹ + Σ₂⁻¹)/2 ≻ 0")
    builder.apply(gaussian_integral_matrix(), "that normal density integrates to one, leaving its constant")


_STABLE_B = ("with W = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ, Σₘ = L₂(I + W/2)L₂ᵀ: the Mahalanobis term is gᵀ(I + W/2)⁻¹g, "
             "g = L₂⁻¹(μ₁ − μ₂), and the log-determinants ½ Σᵢ [log(1 + λᵢ/2) − ½ log(1 + λᵢ)] over W's "
             "eigenvalues, each ½ log1p(ρᵢ²/(2√(1 + λᵢ))) with ρᵢ = √(1 + λᵢ) − 1 = λᵢ/(1 + √(1 + λᵢ)): "
             "no cancellation, zero exactly at q = p")


@publish("bhattacharyya-mvn-mvn", "Bhattacharyya distance between two multivariate normals")
def bhattacharyya_mvn(name: str, title: str) -> Derivation:
    q, p = mvn_1(), mvn_2()
    half = sp.Rational(1, 2)
    builder = DerivationBuilder(name, title, _context((q, p), r"D_B(q, p)", orders=False),
                                -sp.log(_integral(q.at() ** half * p.at() ** half)),
                                "D_B(q, p) = −log ∫ √q √p, over all n coordinates: minus the log of the "
                                "Bhattacharyya coefficient",
                                summary="D_B(q, p) for q = N(μ₁, Σ₁), p = N(μ₂, Σ₂) in n dimensions")
    _coefficient(builder, q, p)
    builder.to(bhattacharyya_closed_form(q, p), LOG_ALGEBRA,
               "−log of the constant: the (2π)ⁿ cancel; with Σₘ = (Σ₁ + Σ₂)/2 the precision is "
               "Λ = (Σ₁⁻¹ + Σ₂⁻¹)/2 = Σ₁⁻¹ΣₘΣ₂⁻¹, so det Λ⁻¹ = det Σ₁ det Σ₂ / det Σₘ and Σ₁⁻¹Λ⁻¹Σ₂⁻¹ = Σₘ⁻¹")
    builder.to(renyi_closed_form(q, p, half) / 2, HALF_ORDER,
               "renyi-mvn-mvn at α = ½ (Σ_½ = Σₘ), halved: D_B = ½ D_½(q ‖ p)")
    builder.to(bhattacharyya_stable_form(), STABLE_FORM, _STABLE_B, where=_whitening(q, p))
    return builder.build()


@publish("hellinger-mvn-mvn", "Squared Hellinger distance between two multivariate normals")
def hellinger_mvn(name: str, title: str) -> Derivation:
    q, p = mvn_1(), mvn_2()
    half = sp.Rational(1, 2)
    builder = DerivationBuilder(name, title, _context((q, p), r"H^2(q, p)", orders=False),
                                1 - _integral(q.at() ** half * p.at() ** half),
                                "H²(q, p) = 1 − ∫ √q √p, over all n coordinates: one minus the Bhattacharyya "
                                "coefficient", summary="H²(q, p) for q = N(μ₁, Σ₁), p = N(μ₂, Σ₂) in n dimensions")
    _coefficient(builder, q, p)
    builder.to(1 - sp.exp(-bhattacharyya_closed_form(q, p)), BHATTACHARYYA,
               "the coefficient is e^{−D_B}, with D_B from bhattacharyya-mvn-mvn")
    builder.to(-expm1(-bhattacharyya_stable_form()), STABLE_FORM,
               "1 − e^{−D_B} = −expm1(−D_B) with D_B's stable form: no cancellation where D_B is small (q ≈ p), "
               "zero exactly at q = p", where=_whitening(q, p))
    return builder.build()


def renyi_entropy_stable_form(q: MultivariateNormal) -> sp.Expr:
    return (n * sp.log(2 * sp.pi) / 2 + entropy_terms(q)["half_log_det"]
            + n * sp.Piecewise((sp.Rational(1, 2), sp.Eq(alpha, 1)), (sp.log(alpha) / (2 * (alpha - 1)), True)))


@publish("renyi-entropy-mvn", "Rényi entropy of order α of a multivariate normal")
def renyi_entropy_mvn(name: str, title: str) -> Derivation:
    q = mvn_single()
    builder = DerivationBuilder(name, title, _context((q,), r"h_\alpha(q)"),
                                sp.log(_integral(q.at() ** alpha)) / (1 - alpha),
                                "h_α(q) = 1/(1 − α) log ∫ q^α, over all n coordinates, for α > 0, α ≠ 1",
                                summary="h_α(q) for q = N(μ, Σ) in n dimensions")
    builder.apply(product_of_gaussian_powers_matrix(), "q^α is a constant times the normal density N(μ, Σ/α)")
    builder.apply(gaussian_integral_matrix(), "that density integrates to one, leaving its constant")
    builder.to(_log_det(2 * sp.pi * q.cov) / 2 + n * sp.log(alpha) / (2 * (alpha - 1)), LOG_ALGEBRA,
               "the log of det(2πΣ)^{(1−α)/2} α^{−n/2}, over 1 − α")
    builder.to(renyi_entropy_stable_form(q), STABLE_FORM,
               "with Σ = L Lᵀ, ½ log det Σ = Σᵢ log Lᵢᵢ: no determinant to over- or underflow; log α/(α − 1) "
               "is accurate as it stands and tends to 1 at α = 1, where h_α is the entropy ½ log det(2πeΣ)")
    return builder.build()


_ORDER = Parameter("alpha", alpha, positive=True, per_element=False)

declare_kernels(
    KernelSpec("renyi_mvn_mvn", "renyi-mvn-mvn", (_ORDER,), "Renyi divergence D_alpha(q || p) of order alpha > 0 for "
               "q = N(mu1, cov1), p = N(mu2, cov2): the KL divergence at alpha = 1, +inf where alpha > 1 and "
               "alpha cov2 + (1 - alpha) cov1 is not positive definite.",
               reduction="cholesky", terms=tuple(renyi_terms().items()), diverges=True, whitens=True),
    KernelSpec("bhattacharyya_mvn_mvn", "bhattacharyya-mvn-mvn", (), "Bhattacharyya distance D_B(q, p) for "
               "q = N(mu1, cov1), p = N(mu2, cov2).",
               reduction="cholesky", terms=tuple(bhattacharyya_terms().items()), whitens=True),
    KernelSpec("hellinger_squared_mvn_mvn", "hellinger-mvn-mvn", (), "Squared Hellinger distance "
               "H^2(q, p) = 1 - exp(-D_B(q, p)) for q = N(mu1, cov1), p = N(mu2, cov2).",
               reduction="cholesky", terms=tuple(bhattacharyya_terms().items()), whitens=True,
               template="bhattacharyya_mvn_mvn"),
    KernelSpec("renyi_entropy_mvn", "renyi-entropy-mvn", (_ORDER,), "Renyi entropy h_alpha(q) of order alpha > 0 of "
               "q = N(mu, cov), in nats: the entropy at alpha = 1.",
               reduction="cholesky", terms=tuple(entropy_terms(mvn_single()).items())),
)
