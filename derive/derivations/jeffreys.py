"""The Jeffreys divergence between normals: the KL divergence symmetrised, J(q, p) = KL(q ‖ p) + KL(p ‖ q).

Both halves are cited from ``kl-normal-normal``, the second with q and p exchanged; the log terms
cancel, and what is left is a sum of squares that the stable form computes without cancellation:
J = ½((σ₁ − σ₂)(σ₁ + σ₂)/(σ₁σ₂))² + ½(μ₁ − μ₂)²(1/σ₁² + 1/σ₂²), zero exactly at q = p and ~Δ² near it.
"""
from __future__ import annotations

import sympy as sp

from derive.codegen.spec import KernelSpec, Parameter
from derive.derivations.citation import cite
from derive.derivations.registry import declare_kernels, publish
from derive.derivations.renyi import scale, scaled_1, scaled_2, scaled_gap
from derive.derivations.univariate import kl_general
from derive.engine import Context, Derivation, DerivationBuilder
from derive.engine.rules import ALGEBRA, STABLE_FORM
from derive.engine.stable import overflowed
from derive.engine.stable import x as location_gap
from derive.models import mu1, mu2, normal_1, normal_2, sigma1, sigma2, z

_SWAP = {mu1: mu2, mu2: mu1, sigma1: sigma2, sigma2: sigma1}
gap_1, gap_2 = sp.Symbol("d_1", real=True), sp.Symbol("d_2", real=True)
"""d_k = (μ₁ − μ₂)/σ_k, each a quotient of its own: a scaled gap over a = σ₁/s would be 0/0 where a
underflows (σ₁ = 1e-300, σ₂ = 1e300) although d₁ = 0 at μ₁ = μ₂."""


def _gap_over(scale_k: sp.Symbol) -> sp.Expr:
    """x/σ_k, or μ₁/σ_k − μ₂/σ_k where x = μ₁ − μ₂ itself overflows (μ = ±1e308)."""
    return sp.Piecewise((mu1 / scale_k - mu2 / scale_k, overflowed(location_gap)), (location_gap / scale_k, True))


STABLE_VARIABLES = ((scale, sp.Max(sigma1, sigma2)), (scaled_1, sigma1 / scale), (scaled_2, sigma2 / scale),
                    (scaled_gap, (sigma1 - sigma2) / scale), (location_gap, mu1 - mu2),
                    (gap_1, _gap_over(sigma1)), (gap_2, _gap_over(sigma2)))


def _integral(integrand: sp.Expr) -> sp.Integral:
    return sp.Integral(integrand, (z, -sp.oo, sp.oo))


def jeffreys_closed_form() -> sp.Expr:
    """(σ₁² + Δ²)/(2σ₂²) + (σ₂² + Δ²)/(2σ₁²) − 1: the two KL divergences with their logs cancelled."""
    gap_squared = (mu1 - mu2) ** 2
    return (sigma1**2 + gap_squared) / (2 * sigma2**2) + (sigma2**2 + gap_squared) / (2 * sigma1**2) - 1


def jeffreys_stable_form() -> sp.Expr:
    """½(c(a + b)/(ab))² + ½(d₁² + d₂²) in a = σ₁/s, b = σ₂/s, c = (σ₁ − σ₂)/s, s = max(σ₁, σ₂), and
    d_k = (μ₁ − μ₂)/σ_k: squares only, no difference of like terms, no σ² to over- or underflow."""
    return ((scaled_gap * (scaled_1 + scaled_2) / (scaled_1 * scaled_2)) ** 2 / 2 + (gap_1**2 + gap_2**2) / 2)


@publish("jeffreys-normal-normal", "Jeffreys divergence between two normals")
def jeffreys_normal(name: str, title: str) -> Derivation:
    q, p = normal_1(), normal_2()
    builder = DerivationBuilder(
        name, title, Context((q, p), lhs=r"J(q, p)"),
        _integral(q.at() * sp.log(q.at() / p.at())) + _integral(p.at() * sp.log(p.at() / q.at())),
        "J(q, p) = KL(q ‖ p) + KL(p ‖ q) = ∫ q log(q/p) + ∫ p log(p/q): the KL divergence symmetrised",
        summary="J(q, p) for q = N(μ₁, σ₁²), p = N(μ₂, σ₂²)")
    kl = kl_general()
    builder.apply(cite(kl), "the first term is KL(q ‖ p), derived in kl-normal-normal")
    builder.apply(cite(kl, _SWAP), "the second is the same result with q and p exchanged (μ₁ ↔ μ₂, σ₁ ↔ σ₂)")
    builder.to(jeffreys_closed_form(), ALGEBRA, "log(σ₂/σ₁) + log(σ₁/σ₂) = 0: the log terms cancel, and so do "
               "the two halves")
    builder.to(jeffreys_stable_form(), STABLE_FORM,
               "σ₁²/σ₂² + σ₂²/σ₁² − 2 = ((σ₁ − σ₂)(σ₁ + σ₂)/(σ₁σ₂))², with σ₁ − σ₂ exact where the σ's are close; "
               "in a = σ₁/s, b = σ₂/s, c = (σ₁ − σ₂)/s, s = max(σ₁, σ₂), and d_k = (μ₁ − μ₂)/σ_k: a sum of squares, "
               "zero exactly at q = p, and nothing over- or underflows that the value does not",
               where=STABLE_VARIABLES)
    return builder.build()


_PAIR = (Parameter("mu1", mu1), Parameter("sigma1", sigma1, positive=True),
         Parameter("mu2", mu2), Parameter("sigma2", sigma2, positive=True))

declare_kernels(
    KernelSpec("jeffreys_normal_normal", "jeffreys-normal-normal", _PAIR,
               "Jeffreys divergence J(q, p) = KL(q || p) + KL(p || q) for q = N(mu1, sigma1^2), p = N(mu2, sigma2^2)."),
)
