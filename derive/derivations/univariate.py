"""The five univariate derivations: entropy, cross-entropy and KL divergence of normals.

They follow the classic write-up (KL = cross-entropy − entropy, p = N(0, 1) first, then
a general p), but every step is produced by a rule and checked before it is kept.
"""
from __future__ import annotations

import sympy as sp

from derive.codegen.spec import KernelSpec, Parameter
from derive.derivations.citation import cite
from derive.derivations.lemmas import NORMALISATION, SECOND_MOMENT, SQUARE_DISTANCE
from derive.derivations.registry import declare_kernels, publish
from derive.engine import Context, Derivation, DerivationBuilder
from derive.engine.rules import (ALGEBRA, EXPAND_LOG_DENSITY, LINEARITY, LOG_ALGEBRA, LOG_OF_QUOTIENT,
                                 PULL_CONSTANTS, STABLE_FORM)
from derive.engine.special import ScaleTerm
from derive.engine.stable import expand_scales, scale_free
from derive.models import Normal, mu, mu1, mu2, normal, normal_1, normal_2, sigma, sigma1, sigma2, standard_normal, z


def _integral(integrand: sp.Expr) -> sp.Integral:
    return sp.Integral(integrand, (z, -sp.oo, sp.oo))


_PAIR = (Parameter("mu1", mu1), Parameter("sigma1", sigma1, positive=True),
         Parameter("mu2", mu2), Parameter("sigma2", sigma2, positive=True))


@publish("entropy-normal", "Entropy of a normal distribution")
def entropy_normal(name: str, title: str) -> Derivation:
    """H(q) = −∫ q log q for q = N(μ, σ²)."""
    q = normal()
    builder = DerivationBuilder(
        name, title, Context((q,), lhs=r"H(q)"),
        -_integral(q.at() * sp.log(q.at())), "differential entropy: H(q) = −∫ q log q",
        summary=f"H(q) for q = {q.text}")
    builder.apply(EXPAND_LOG_DENSITY, "write log q(z) out: a constant and a quadratic in z")
    builder.apply(LINEARITY, "integrate the two terms separately")
    builder.apply(PULL_CONSTANTS, "neither log(2πσ²) nor 1/(2σ²) depends on z")
    builder.apply(NORMALISATION.rule, "q is a density, so it integrates to one")
    builder.apply(SQUARE_DISTANCE.rule, "with a = μ the expected squared distance is the variance σ², "
                  "which cancels against 1/(2σ²)")
    builder.to(expand_scales(builder.current), STABLE_FORM,
               "log σ, not ½ log σ²: finite for every positive double σ (σ² over- or underflows)")
    return builder.build()


@publish("cross-entropy-normal-std-normal", "Cross-entropy of a normal against the standard normal")
def cross_entropy_std_normal(name: str, title: str) -> Derivation:
    """H(q, p) = −∫ q log p for q = N(μ, σ²), p = N(0, 1)."""
    q, p = normal(), standard_normal()
    builder = DerivationBuilder(
        name, title,
        Context((q, p), lhs=r"H(q, p)"),
        -_integral(q.at() * sp.log(p.at())), "cross-entropy: H(q, p) = −∫ q log p (log p, not log q)",
        summary=f"H(q, p) for q = {q.text}, p = {p.text}")
    builder.apply(EXPAND_LOG_DENSITY, "write log p(z) out: p = N(0, 1) gives −½ log 2π − z²/2")
    builder.apply(LINEARITY, "integrate the two terms separately")
    builder.apply(PULL_CONSTANTS, "½ log 2π and ½ do not depend on z")
    builder.apply(NORMALISATION.rule, "q integrates to one")
    builder.apply(SECOND_MOMENT.rule, "E_q[z²] = μ² + σ²")
    return builder.build()


@publish("kl-normal-std-normal", "KL divergence of a normal from the standard normal")
def kl_std_normal(name: str, title: str) -> Derivation:
    """KL(q ‖ p) for q = N(μ, σ²), p = N(0, 1), through KL = H(q, p) − H(q)."""
    q, p = normal(), standard_normal()
    builder = DerivationBuilder(
        name, title,
        Context((q, p), lhs=r"\mathrm{KL}(q \,\|\, p)"),
        _integral(q.at() * sp.log(q.at() / p.at())), "KL(q ‖ p) = ∫ q log(q/p)",
        summary=f"KL(q ‖ p) for q = {q.text}, p = {p.text}: the VAE regulariser")
    _split_into_cross_entropy_and_entropy(builder)
    builder.apply(cite(cross_entropy_std_normal()), "the first term is the cross-entropy H(q, p)")
    builder.apply(cite(entropy_normal()), "the second is minus the entropy, −H(q)")
    vae_form = sp.Mul(-sp.Rational(1, 2), sp.Add(1, sp.log(sigma**2), -(mu**2), -(sigma**2), evaluate=False),
                      evaluate=False)
    builder.to(vae_form, ALGEBRA, "½ log 2π cancels; collect into the form used in VAEs")
    _stable_form(builder, q, p)
    return builder.build()


@publish("cross-entropy-normal-normal", "Cross-entropy between two normals")
def cross_entropy_general(name: str, title: str) -> Derivation:
    """H(q, p) = −∫ q log p for q = N(μ₁, σ₁²), p = N(μ₂, σ₂²)."""
    q, p = normal_1(), normal_2()
    builder = DerivationBuilder(
        name, title,
        Context((q, p), lhs=r"H(q, p)"),
        -_integral(q.at() * sp.log(p.at())), "cross-entropy: H(q, p) = −∫ q log p",
        summary=f"H(q, p) for q = {q.text}, p = {p.text}")
    builder.apply(EXPAND_LOG_DENSITY, "write log p(z) out with p's own mean and variance")
    builder.apply(LINEARITY, "integrate the two terms separately")
    builder.apply(PULL_CONSTANTS, "log(2πσ₂²) and 1/(2σ₂²) do not depend on z")
    builder.apply(NORMALISATION.rule, "q integrates to one")
    builder.apply(SQUARE_DISTANCE.rule, "E_q[(z − μ₂)²] = σ₁² + (μ₁ − μ₂)²")
    _stable_form(builder, q, p)
    return builder.build()


@publish("kl-normal-normal", "KL divergence between two normals")
def kl_general(name: str, title: str) -> Derivation:
    """KL(q ‖ p) for q = N(μ₁, σ₁²), p = N(μ₂, σ₂²), through KL = H(q, p) − H(q)."""
    q, p = normal_1(), normal_2()
    builder = DerivationBuilder(
        name, title,
        Context((q, p), lhs=r"\mathrm{KL}(q \,\|\, p)"),
        _integral(q.at() * sp.log(q.at() / p.at())), "KL(q ‖ p) = ∫ q log(q/p)",
        summary=f"KL(q ‖ p) for q = {q.text}, p = {p.text}")
    _split_into_cross_entropy_and_entropy(builder)
    builder.apply(cite(cross_entropy_general()), "the first term is the cross-entropy H(q, p)")
    builder.apply(cite(entropy_normal(), {mu: mu1, sigma: sigma1}),
                  "the second is minus the entropy of q, −H(q)")
    builder.to(sp.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - sp.Rational(1, 2),
               LOG_ALGEBRA, "½ log(2πσ₂²) − ½ log(2πσ₁²) = log(σ₂/σ₁)")
    _stable_form(builder, q, p)
    return builder.build()


def _split_into_cross_entropy_and_entropy(builder: DerivationBuilder) -> None:
    builder.apply(LOG_OF_QUOTIENT, "log(q/p) = log q − log p")
    builder.apply(LINEARITY, "split: ∫ q log q − ∫ q log p")
    builder.apply(PULL_CONSTANTS, "the sign comes out: −∫ q log p + ∫ q log q = H(q, p) − H(q)")


def _stable_form(builder: DerivationBuilder, q: Normal, p: Normal) -> None:
    stable, where = scale_free(builder.current, q, p)
    gap = ("; d from x = μ₁ − μ₂, or, where x overflows (beyond the largest double), from μ₁/σ₂ − μ₂/σ₂"
           if where else "")
    builder.to(stable, STABLE_FORM, ("in ratios, so nothing overflows; ψ(σ_q, σ_p) = ½(r² − 1) − log r is "
               "printed as a helper that does not cancel as σ_q → σ_p" if stable.has(ScaleTerm) else
               "in ratios d and r, so no σ² can overflow") + gap, where=where)


# The kernels printed from these derivations, in the order the generated modules list them.
declare_kernels(
    KernelSpec("entropy_normal", "entropy-normal", (Parameter("sigma", sigma, positive=True),),
               "Entropy H(q) of q = N(mu, sigma^2), in nats (it does not depend on mu)."),
    KernelSpec("cross_entropy_normal_normal", "cross-entropy-normal-normal", _PAIR,
               "Cross-entropy H(q, p) = -E_q[log p] for q = N(mu1, sigma1^2), p = N(mu2, sigma2^2)."),
    KernelSpec("kl_normal_normal", "kl-normal-normal", _PAIR,
               "KL divergence KL(q || p) for q = N(mu1, sigma1^2), p = N(mu2, sigma2^2)."),
    KernelSpec("kl_normal_std_normal", "kl-normal-std-normal",
               (Parameter("mu", mu), Parameter("sigma", sigma, positive=True)),
               "KL divergence KL(q || N(0, 1)) for q = N(mu, sigma^2): the VAE regulariser."),
)
