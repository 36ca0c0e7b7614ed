"""The public API for writing a derivation of your own (README: "Write your own derivation").

A derivation is a definition followed by steps.  Each step is produced by a rule
(``step.apply(RULE, why)``) or written out by you (``step.to(expr, RULE, why)``); either
way the checker must accept it — numerically at seeded points, symbolically where SymPy can
— or the build raises ``StepRejected`` naming the derivation, the step and the rule.  Publish
it with ``@publish(name, title)`` in a file of your own, and ``derive check FILE.py`` builds
and checks it; ``derive show/codegen/generate --from FILE.py`` print it like derive's own.

    from derive.api import *

    @publish("my-kl", "KL divergence between two normals, again")
    def my_kl(name, title):
        q, p = normal_1(), normal_2()
        step = begin(name, title, kl(q, p))
        step.apply(LOG_OF_QUOTIENT, "log(q/p) = log q − log p")
        ...
        return step.build()
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.codegen.spec import KernelSpec, Parameter
from derive.derivations import get
from derive.derivations.citation import cite
from derive.derivations.lemmas import MEAN, NORMALISATION, SECOND_MOMENT, SQUARE_DISTANCE
from derive.derivations.registry import declare_kernels, publish
from derive.engine import Context, Derivation, DerivationBuilder, Rule, StepRejected
from derive.engine.check import Refutation, Verdict, check_step
from derive.engine.gaussian_integrals import (COMBINE_EXPONENTIALS, COMPLETE_THE_SQUARE, GAUSSIAN_INTEGRAL,
                                              GAUSSIAN_INTEGRAL_MATRIX, PRODUCT_OF_GAUSSIAN_POWERS,
                                              WRITE_OUT_DENSITIES)
from derive.engine.rules import (ALGEBRA, DEFINITION, EXPAND_LOG_DENSITY, LINEARITY, LOG_ALGEBRA, LOG_OF_QUOTIENT,
                                 PULL_CONSTANTS, REGROUP, STABLE_FORM)
from derive.engine.special import Expm1mx, ScaleTerm
from derive.models import Normal, mu, mu1, mu2, normal, normal_1, normal_2, sigma, sigma1, sigma2, standard_normal, z
from derive.models.family import Family, FamilyBase
from derive.models.laplace import Laplace, laplace

__all__ = [
    "ALGEBRA", "COMBINE_EXPONENTIALS", "COMPLETE_THE_SQUARE", "Context", "DEFINITION", "Definition", "Derivation",
    "DerivationBuilder", "EXPAND_LOG_DENSITY", "Expm1mx", "Family", "FamilyBase", "GAUSSIAN_INTEGRAL",
    "GAUSSIAN_INTEGRAL_MATRIX", "KernelSpec", "Laplace", "LINEARITY", "LOG_ALGEBRA", "LOG_OF_QUOTIENT", "MEAN",
    "NORMALISATION", "Normal", "PRODUCT_OF_GAUSSIAN_POWERS", "PULL_CONSTANTS", "Parameter", "REGROUP", "Refutation", "Rule",
    "SECOND_MOMENT", "SQUARE_DISTANCE", "STABLE_FORM", "ScaleTerm", "StepRejected", "Verdict", "WRITE_OUT_DENSITIES",
    "begin", "check_step", "cite", "cross_entropy", "declare_kernels", "entropy", "get", "integral", "kl", "laplace", "mu", "mu1", "mu2",
    "normal", "normal_1", "normal_2", "publish", "sigma", "sigma1", "sigma2", "standard_normal", "swap", "z",
]


@dataclass(frozen=True)
class Definition:
    """What a derivation starts from: the defining expression, in the densities' placeholders,
    the families it is about, how it is written on the left, and why it is the definition."""

    expr: sp.Expr
    models: tuple[Family, ...]
    lhs: str
    why: str

    def __add__(self, other: Definition) -> Definition:
        """The sum of two definitions (Jeffreys' J = KL(q ‖ p) + KL(p ‖ q))."""
        models = tuple(dict.fromkeys(self.models + other.models))
        return Definition(self.expr + other.expr, models, f"{self.lhs} + {other.lhs}", f"{self.why}; {other.why}")


def integral(integrand: sp.Expr, model: Family) -> sp.Integral:
    """∫ integrand over the family's support, in its variable."""
    var, support = model.variable, model.support
    if isinstance(var, sp.MatrixSymbol):
        return sp.Integral(integrand, var)
    return sp.Integral(integrand, (var, support.inf, support.sup))


def entropy(q: Family) -> Definition:
    """H(q) = −∫ q log q."""
    return Definition(-integral(q.at() * sp.log(q.at()), q), (q,), rf"H({q.name})",
                      f"differential entropy: H({q.name}) = −∫ {q.name} log {q.name}")


def cross_entropy(q: Family, p: Family) -> Definition:
    """H(q, p) = −∫ q log p (log p, not log q)."""
    return Definition(-integral(q.at() * sp.log(p.at()), q), (q, p), rf"H({q.name}, {p.name})",
                      f"cross-entropy: H({q.name}, {p.name}) = −∫ {q.name} log {p.name}")


def kl(q: Family, p: Family) -> Definition:
    """KL(q ‖ p) = ∫ q log(q/p)."""
    return Definition(integral(q.at() * sp.log(q.at() / p.at()), q), (q, p),
                      rf"\mathrm{{KL}}({q.name} \,\|\, {p.name})",
                      f"KL({q.name} ‖ {p.name}) = ∫ {q.name} log({q.name}/{p.name})")


def begin(name: str, title: str, definition: Definition, summary: str = "",
          assumptions: tuple[tuple[sp.Symbol, sp.Set], ...] = (), conditions: tuple[sp.Basic, ...] = (),
          dimension: sp.Symbol | None = None) -> DerivationBuilder:
    """A builder at the definition: add checked steps with ``apply``/``to``, finish with ``build``.

    ``assumptions`` give parameters beyond the families' a domain the checker samples from
    (``((alpha, sp.Interval.open(0, 1)),)``); ``conditions`` are relations the derivation holds
    under, which every checked point satisfies; ``dimension`` is n or D for multivariate families.
    """
    context = Context(definition.models, lhs=definition.lhs, assumptions=assumptions, conditions=conditions,
                      dimension=dimension)
    return DerivationBuilder(name, title, context, definition.expr, definition.why, summary=summary)


def swap(*pairs: tuple[sp.Symbol, sp.Symbol]) -> dict[sp.Symbol, sp.Symbol]:
    """A renaming for ``cite`` that exchanges each pair: ``swap((mu1, mu2), (sigma1, sigma2))``."""
    return {a: b for x, y in pairs for a, b in ((x, y), (y, x))}
