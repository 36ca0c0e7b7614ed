"""Diagonal Gaussians over D dimensions, derived: the classic write-up's "stretch of the
imagination" done properly, with the index d on every parameter.

Each derivation goes: the densities factorise, so the log-density is a sum over d; the
integral of a finite sum is the sum of the integrals; in each term the other D − 1
coordinates integrate to one; what is left is a univariate result, cited with its
parameters indexed by d.
"""
from __future__ import annotations

import sympy as sp

from derive.codegen.spec import KernelSpec, Parameter
from derive.derivations.citation import cite
from derive.derivations.registry import publish
from derive.derivations.univariate import entropy_normal, kl_general, kl_std_normal
from derive.engine import Context, Derivation, DerivationBuilder, Rule
from derive.engine.rules import ALGEBRA, STABLE_FORM
from derive.engine.special import HalfExpm1mx, ScaleTerm
from derive.models import mu, mu1, mu2, sigma, sigma1, sigma2, z
from derive.models.diagonal import (D, DiagonalNormal, d, diagonal, diagonal_1, diagonal_2, diagonal_logvar,
                                    diagonal_standard, logvar_d, mu1_d, mu2_d, mu_d, sigma1_d, sigma2_d, sigma_d,
                                    z_coordinates, z_vector)

z_d = z_coordinates[d]


def _joint_integral(integrand: sp.Expr) -> sp.Integral:
    return sp.Integral(integrand, z_vector)


def _factorise(expr: sp.Expr, context: Context) -> sp.Expr:
    """log f(q(z), p(z)) -> Σ_d log f(q(z_d), p(z_d)) for densities that are products over d."""
    def split(log: sp.log) -> sp.Expr:
        argument = log.args[0]
        if not argument.has(z_vector):
            return log
        return sp.Sum(sp.log(argument.xreplace({z_vector: z_d})), (d, 1, D))
    return expr.replace(lambda e: isinstance(e, sp.log), split)


def _sum_out(expr: sp.Expr, context: Context) -> sp.Expr:
    """∫ q(z) Σ_d f_d dz -> Σ_d ∫ q(z) f_d dz."""
    def swap(integral: sp.Integral) -> sp.Expr:
        constant, sums = integral.function.as_independent(sp.Sum, as_Add=False)
        if not isinstance(sums, sp.Sum):
            return integral
        return sp.Sum(sp.Integral(constant * sums.function, *integral.limits), *sums.limits)
    return expr.replace(lambda e: isinstance(e, sp.Integral) and e.limits[0][0] == z_vector, swap)


def _marginalise(expr: sp.Expr, context: Context) -> sp.Expr:
    """∫ q(z) f(z_d) dz over all D coordinates -> ∫ q(z_d) f(z_d) dz_d: the other coordinates integrate to one."""
    def marginal(integral: sp.Integral) -> sp.Expr:
        return sp.Integral(integral.function.xreplace({z_vector: z_d}), (z_d, -sp.oo, sp.oo))
    return expr.replace(lambda e: isinstance(e, sp.Integral) and e.limits[0][0] == z_vector, marginal)


FACTORISE = Rule("the densities factorise", r"q(z) = \prod_{d=1}^{D} q_d(z_d)", _factorise)
SUM_OUT = Rule("exchange the sum and the integral", r"\int \sum_d f_d\,dz = \sum_d \int f_d\,dz", _sum_out)
MARGINALISE = Rule("marginalise", r"\int_{\mathbb{R}^D} q(z) f(z_d)\,dz = \int_{\mathbb{R}} q_d(z_d) f(z_d)\,dz_d",
                   _marginalise)


def _context(q: DiagonalNormal, p: DiagonalNormal | None, lhs: str) -> Context:
    return Context((q, p) if p else (q,), lhs=lhs, dimension=D)


def _reduce_to_coordinates(builder: DerivationBuilder) -> None:
    builder.apply(FACTORISE, "q and p are products of their coordinates' densities, so the log is a sum over d")
    builder.apply(SUM_OUT, "a finite sum comes out of the integral")
    builder.apply(MARGINALISE, "in the d-th term the other D − 1 coordinates integrate to one")


def _kl_builder(name: str, title: str, q: DiagonalNormal, p: DiagonalNormal, summary: str) -> DerivationBuilder:
    """KL(q ‖ p) = ∫ q log(q/p) over ℝᴰ, already reduced to a sum of one-dimensional integrals."""
    builder = DerivationBuilder(name, title, _context(q, p, r"\mathrm{KL}(q \,\|\, p)"),
                                _joint_integral(q.at() * sp.log(q.at() / p.at())),
                                "KL(q ‖ p) = ∫ q log(q/p) over all D coordinates", summary=summary)
    _reduce_to_coordinates(builder)
    return builder


@publish("entropy-diag-normal", "Entropy of a diagonal normal in D dimensions")
def entropy_diag(name: str, title: str) -> Derivation:
    q = diagonal()
    builder = DerivationBuilder(name, title, _context(q, None, r"H(q)"),
                                -_joint_integral(q.at() * sp.log(q.at())), "H(q) = −∫ q log q over all D coordinates",
                                summary="H(q) for q = N(μ, diag(σ_d²)), d = 1…D")
    _reduce_to_coordinates(builder)
    builder.apply(cite(entropy_normal(), {mu: mu_d[d], sigma: sigma_d[d], z: z_d}),
                  "each term is the entropy of the normal q_d = N(μ_d, σ_d²)")
    builder.to(sp.Sum(sp.log(sigma_d[d]) + (1 + sp.log(2 * sp.pi)) / 2, (d, 1, D)), STABLE_FORM,
               "log σ_d, not ½ log σ_d²: finite for every positive double")
    return builder.build()


@publish("kl-diag-normal-std-normal", "KL divergence of a diagonal normal from the standard normal")
def kl_diag_std(name: str, title: str) -> Derivation:
    q, p = diagonal(), diagonal_standard()
    builder = _kl_builder(name, title, q, p, "KL(q ‖ p) for q = N(μ, diag(σ_d²)), p = N(0, I): the VAE regulariser")
    builder.apply(cite(kl_std_normal(), {mu: mu_d[d], sigma: sigma_d[d], z: z_d}),
                  "each term is the univariate KL from N(0, 1), with μ_d and σ_d")
    builder.to(sp.Sum(mu_d[d] ** 2 / 2 + ScaleTerm(sigma_d[d], 1), (d, 1, D)), STABLE_FORM,
               "ψ(σ_d, 1) = ½(σ_d² − 1) − log σ_d, printed without cancellation near σ_d = 1")
    return builder.build()


@publish("kl-diag-normal-std-normal-logvar", "KL divergence of a diagonal normal from the standard normal, "
                                             "in log-variances", kernels=(
    KernelSpec("kl_diag_std_normal_logvar", "kl-diag-normal-std-normal-logvar",
               (Parameter("mu", mu_d[d]), Parameter("logvar", logvar_d[d])),
               "The VAE loss term KL(N(mu, diag(exp(logvar))) || N(0, I)), summed over the last axis (d).",
               reduction="sum"),))
def kl_diag_std_logvar(name: str, title: str) -> Derivation:
    q, p = diagonal_logvar(), diagonal_standard()
    builder = _kl_builder(name, title, q, p, "KL(q ‖ p) for q = N(μ, diag(exp ℓ_d)), p = N(0, I), "
                                             "with ℓ_d = log σ_d² as a VAE encoder outputs it")
    builder.apply(cite(kl_std_normal(), {mu: mu_d[d], sigma: q.std, z: z_d}),
                  "each term is the univariate KL from N(0, 1), with μ_d and σ_d = exp(ℓ_d / 2)")
    ell = logvar_d[d]
    vae = sp.Mul(-sp.Rational(1, 2), sp.Sum(sp.Add(1, ell, -mu_d[d] ** 2, -sp.exp(ell), evaluate=False), (d, 1, D)),
                 evaluate=False)
    builder.to(vae, ALGEBRA, "log σ_d² = ℓ_d: the VAE loss term, with the index d on every σ_d²")
    builder.to(sp.Sum(mu_d[d] ** 2 / 2 + HalfExpm1mx(ell), (d, 1, D)), STABLE_FORM,
               "exp(ℓ) − 1 − ℓ cancels near ℓ = 0 (an encoder near the prior): expm1mx evaluates it without loss; "
               "each half taken by itself, so that neither μ² nor expm1mx(ℓ) overflows where its half does not")
    return builder.build()


@publish("kl-diag-normal-diag-normal", "KL divergence between two diagonal normals")
def kl_diag_diag(name: str, title: str) -> Derivation:
    q, p = diagonal_1(), diagonal_2()
    builder = _kl_builder(name, title, q, p, "KL(q ‖ p) for q = N(μ₁, diag(σ₁_d²)), p = N(μ₂, diag(σ₂_d²))")
    builder.apply(cite(kl_general(), {mu1: mu1_d[d], sigma1: sigma1_d[d], mu2: mu2_d[d], sigma2: sigma2_d[d],
                                      z: z_d}),
                  "each term is the univariate KL between N(μ₁_d, σ₁_d²) and N(μ₂_d, σ₂_d²)")
    gap = (mu1_d[d] - mu2_d[d]) / sigma2_d[d]
    builder.to(sp.Sum(gap**2 / 2 + ScaleTerm(sigma1_d[d], sigma2_d[d]), (d, 1, D)), STABLE_FORM,
               "in ratios, with ψ for the scale part: no cancellation as σ₁_d → σ₂_d")
    return builder.build()
