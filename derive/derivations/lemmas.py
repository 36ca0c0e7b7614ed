"""The Gaussian's moments, derived by integration and published, then used as rules.

Each lemma is a derivation of its own (standardise z = μ + σt, expand, integrate the
standard Gaussian integrals with SymPy), and each yields a rule that replaces
``∫ g(z) q(z) dz`` by the proven value for any Gaussian weight in a later derivation.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.engine import Context, Derivation, DerivationBuilder, Rule
from derive.derivations.registry import publish
from derive.engine.rules import ALGEBRA, LINEARITY, PULL_CONSTANTS
from derive.models import Normal, mu, normal, sigma, z

t = sp.Symbol("t", real=True)
a = sp.Symbol("a", real=True)
phi = Normal("phi", sp.Integer(0), sp.Integer(1))
"""The standard normal density in the standardised variable t."""


def _standardise(expr: sp.Expr, context: Context) -> sp.Expr:
    def substitute(integral: sp.Integral) -> sp.Expr:
        (var, *_), = integral.limits
        weight = next(f for f in sp.Mul.make_args(integral.function)
                      if isinstance(f, sp.Function) and context.model(f.func))
        model = context.model(weight.func)
        g = (integral.function / weight).subs(var, model.mean + model.std * t)
        return sp.Integral(g * phi.at(t), (t, -sp.oo, sp.oo))
    return expr.replace(lambda e: isinstance(e, sp.Integral) and e.limits[0][0] == z, substitute)


def _expand_polynomial(expr: sp.Expr, context: Context) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, sp.Integral),
                        lambda i: sp.Integral(sp.expand(i.function), *i.limits))


def _integrate(expr: sp.Expr, context: Context) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, sp.Integral),
                        lambda i: sp.integrate(context.realise(i.function), *i.limits))


STANDARDISE = Rule(
    "standardise",
    r"z = \mu + \sigma t,\ dz = \sigma\,dt,\ q(\mu + \sigma t)\,\sigma = \varphi(t)",
    _standardise,
)
EXPAND = Rule("expand the polynomial", r"(x + y)^2 = x^2 + 2xy + y^2", _expand_polynomial)
GAUSSIAN_INTEGRALS = Rule(
    "standard Gaussian integrals",
    r"\int \varphi = 1,\ \int t\,\varphi = 0,\ \int t^2 \varphi = 1",
    _integrate,
)


@dataclass(frozen=True)
class Lemma:
    """A proven moment ∫ g(z) q(z) dz = value for q = N(μ, σ²); ``a`` is any constant."""

    name: str
    title: str
    integrand: sp.Expr
    value: sp.Expr
    lhs: str
    law: str

    @property
    def statement(self) -> str:
        return f"{self.lhs} = {sp.latex(self.value)}"

    def derive(self, name: str, title: str) -> Derivation:
        q = normal()
        context = Context((q, phi), integrate_symbolically=True, lhs=self.lhs)
        definition = sp.Integral(self.integrand * q.at(z), (z, -sp.oo, sp.oo))
        builder = DerivationBuilder(name, title, context, definition,
                                    "the expectation under q = N(μ, σ²), written as an integral",
                                    summary=f"A moment of q = {q.text}, proven by integration and cited later")
        builder.apply(STANDARDISE, "substitute z = μ + σt so the weight becomes the standard normal φ(t)")
        builder.apply(EXPAND, "multiply out the polynomial in t", optional=True)
        builder.apply(LINEARITY, "split the integral of a sum into a sum of integrals", optional=True)
        builder.apply(PULL_CONSTANTS, "constants do not depend on t", optional=True)
        builder.apply(GAUSSIAN_INTEGRALS, "∫φ = 1, ∫tφ = 0 by symmetry, ∫t²φ = 1 by parts (SymPy integrate)")
        if builder.current != self.value:
            builder.to(self.value, ALGEBRA, "collect terms")
        return builder.build()

    @property
    def rule(self) -> Rule:
        """The rule that cites this lemma for any Gaussian weight in a later derivation."""
        def cite(expr: sp.Expr, context: Context) -> sp.Expr:
            def replace(integral: sp.Integral) -> sp.Expr:
                (var, lo, hi), = integral.limits
                for model in context.models:
                    if (lo, hi) != (-sp.oo, sp.oo) or not integral.function.has(model.at(var)):
                        continue
                    value = self._value_for(integral.function / model.at(var), var, model)
                    if value is not None:
                        return value
                return integral
            return expr.replace(lambda e: isinstance(e, sp.Integral), replace)
        return Rule(self.law, self.statement, cite)

    def _value_for(self, g: sp.Expr, var: sp.Symbol, model: Normal) -> sp.Expr | None:
        """The lemma's value if g(var) is its integrand for some constant a, else None."""
        if g.has(model.placeholder):
            return None
        pattern = self.integrand.subs({z: var, mu: model.mean, sigma: model.std})
        difference = sp.expand(g - pattern)
        if not difference.is_polynomial(var):
            return None
        conditions = sp.Poly(difference, var).coeffs() if difference != 0 else []
        solutions = sp.solve(conditions, a, dict=True) if conditions else [{}]
        if len(solutions) != 1:
            return None
        (solution,) = solutions
        return self.value.subs({mu: model.mean, sigma: model.std}).subs(a, solution.get(a, a))


NORMALISATION = Lemma("normal-normalisation", "A normal density integrates to one", sp.Integer(1), sp.Integer(1),
                      r"\int q(z)\,dz", "∫ q = 1")
MEAN = Lemma("normal-mean", "The mean of a normal", z, mu, r"\mathbb{E}_q[z]", "E_q[z] = μ")
SECOND_MOMENT = Lemma("normal-second-moment", "The second moment of a normal", z**2, mu**2 + sigma**2,
                      r"\mathbb{E}_q[z^2]", "E_q[z²] = μ² + σ²")
SQUARE_DISTANCE = Lemma("normal-expected-square-distance", "The expected squared distance to a point",
                        (z - a) ** 2, sigma**2 + (mu - a) ** 2, r"\mathbb{E}_q[(z - a)^2]",
                        "E_q[(z − a)²] = σ² + (μ − a)²")
LEMMAS = (NORMALISATION, MEAN, SECOND_MOMENT, SQUARE_DISTANCE)

for _lemma in LEMMAS:
    publish(_lemma.name, _lemma.title)(_lemma.derive)
