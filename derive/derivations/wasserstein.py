"""The 2-Wasserstein distance between normals, through the quantile coupling.

W₂(q, p)² is the least E|x − y|² over couplings of x ~ q and y ~ p.  In one dimension the
monotone coupling x = F_q⁻¹(u), y = F_p⁻¹(u) with u uniform on (0, 1) attains it: that is the
one step taken on authority (a cited theorem); everything from the quantile integral on is
checked.  For normals F⁻¹(u) = μ + σΦ⁻¹(u), the substitution u = Φ(t) turns the integral over
(0, 1) into a standard-normal expectation, and the moments finish it:
W₂ = √((μ₁ − μ₂)² + (σ₁ − σ₂)²), printed as hypot of the two differences, each exact where its
operands are close and neither squared (no overflow below the value's own).
"""
from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import hypot

from derive.codegen.spec import KernelSpec, Parameter
from derive.derivations.lemmas import MEAN, NORMALISATION, SECOND_MOMENT, phi, t
from derive.derivations.registry import declare_kernels, publish
from derive.engine import Context, Derivation, DerivationBuilder, Rule
from derive.engine.rules import ALGEBRA, LINEARITY, STABLE_FORM
from derive.engine.special import NormalQuantile
from derive.models import mu1, mu2, normal_1, normal_2, sigma1, sigma2

u = sp.Symbol("u", real=True)
mean_gap, scale_gap = sp.Symbol("a", real=True), sp.Symbol("b", real=True)
"""a = μ₁ − μ₂ and b = σ₁ − σ₂: the two differences W₂ is the length of."""

QUANTILE_COUPLING = (
    "W₂(q, p)² = inf over couplings γ of q and p of E_γ[(x − y)²]; on the line the monotone coupling "
    "x = F_q⁻¹(u), y = F_p⁻¹(u), u ~ U(0, 1), is optimal (Villani, Topics in Optimal Transportation, 2003, "
    "Theorem 2.18; Rachev & Rüschendorf, Mass Transportation Problems, 1998, section 3.1), so "
    "W₂² = ∫₀¹ (F_q⁻¹(u) − F_p⁻¹(u))² du; a normal's quantile function is F⁻¹(u) = μ + σΦ⁻¹(u)")

SUBSTITUTE_QUANTILE = Rule(
    "substitute u = Φ(t)",
    r"u = \Phi(t),\ du = \varphi(t)\,dt,\ \Phi^{-1}(\Phi(t)) = t:\ "
    r"\int_0^1 g\left(\Phi^{-1}(u)\right) du = \int_{-\infty}^{\infty} g(t)\,\varphi(t)\,dt")

EXPAND_SQUARE = Rule("expand the square", r"(a + bt)^2 = a^2 + 2abt + b^2t^2")
MOMENTS = Rule("moments of the standard normal",
               r"\int \varphi = 1,\ \int t\,\varphi = 0,\ \int t^2\varphi = 1")


@publish("w2-normal-normal", "2-Wasserstein distance between two normals")
def w2_normal(name: str, title: str) -> Derivation:
    q, p = normal_1(), normal_2()
    quantile = NormalQuantile(u)
    definition = sp.sqrt(sp.Integral(((mu1 + sigma1 * quantile) - (mu2 + sigma2 * quantile)) ** 2, (u, 0, 1)))
    builder = DerivationBuilder(name, title, Context((q, p, phi), lhs=r"W_2(q, p)"), definition, QUANTILE_COUPLING,
                                summary="W₂(q, p) for q = N(μ₁, σ₁²), p = N(μ₂, σ₂²)")
    quantile_gap = mean_gap + scale_gap * quantile
    builder.to(sp.sqrt(sp.Integral(quantile_gap**2, (u, 0, 1))), ALGEBRA,
               "collect: the coupled points differ by a + bΦ⁻¹(u), with a = μ₁ − μ₂ and b = σ₁ − σ₂",
               where=((mean_gap, mu1 - mu2), (scale_gap, sigma1 - sigma2)))
    builder.to(sp.sqrt(sp.Integral((mean_gap + scale_gap * t) ** 2 * phi.at(t), (t, -sp.oo, sp.oo))),
               SUBSTITUTE_QUANTILE, "u = Φ(t) maps (0, 1) onto the whole line, and du = φ(t) dt")
    builder.to(sp.sqrt(sp.Integral(mean_gap**2 * phi.at(t) + sp.Mul(2, mean_gap, scale_gap, t, phi.at(t))
                                   + scale_gap**2 * t**2 * phi.at(t), (t, -sp.oo, sp.oo))),
               EXPAND_SQUARE, "multiply out the square, a polynomial in t")
    whole_line = (t, -sp.oo, sp.oo)
    builder.to(sp.sqrt(mean_gap**2 * sp.Integral(phi.at(t), whole_line)
                       + sp.Mul(2, mean_gap, scale_gap, sp.Integral(t * phi.at(t), whole_line))
                       + scale_gap**2 * sp.Integral(t**2 * phi.at(t), whole_line)),
               LINEARITY, "integrate term by term; a and b do not depend on t")
    builder.apply(NORMALISATION.rule, "φ is N(0, 1): ∫ φ = 1 (normal-normalisation)")
    builder.apply(MEAN.rule, "E_φ[t] = 0 (normal-mean with μ = 0): the cross term vanishes")
    builder.apply(SECOND_MOMENT.rule, "E_φ[t²] = 0² + 1² = 1 (normal-second-moment with μ = 0, σ = 1)")
    builder.to(hypot(mean_gap, scale_gap), STABLE_FORM,
               "hypot(a, b) = √(a² + b²) without squaring: no overflow or underflow below the value's own; "
               "a = μ₁ − μ₂ and b = σ₁ − σ₂ are exact where their operands are close (never a difference "
               "of squares)")
    return builder.build()


_PAIR = (Parameter("mu1", mu1), Parameter("sigma1", sigma1, positive=True),
         Parameter("mu2", mu2), Parameter("sigma2", sigma2, positive=True))

declare_kernels(
    KernelSpec("w2_normal_normal", "w2-normal-normal", _PAIR,
               "2-Wasserstein distance W2(q, p) for q = N(mu1, sigma1^2), p = N(mu2, sigma2^2) (not squared)."),
)
