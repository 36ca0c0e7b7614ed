"""Citing an earlier derivation: replace its defining integral by its proven result."""
from __future__ import annotations

import sympy as sp

from derive.engine import Context, Derivation, Rule


def cite(derivation: Derivation, rename: dict[sp.Symbol, sp.Symbol] | None = None) -> Rule:
    """A rule that substitutes ``derivation``'s result for its definition.

    The definition must be ``c · ∫ …`` (c = ±1), so ``∫ …`` is replaced by ``result / c``.
    ``rename`` maps the cited derivation's parameters onto this one's (a result proven
    for every μ ∈ ℝ, σ > 0 holds for μ₁, σ₁ too); the densities must then coincide.
    """
    rename = rename or {}
    sign, integral = derivation.definition.as_independent(sp.Integral, as_Add=False)
    if not isinstance(integral, sp.Integral) or sign not in (1, -1):
        raise ValueError(f"cannot cite {derivation.name!r}: its definition is not ±∫")
    integral = integral.xreplace(rename)
    value = (derivation.closed_form / sign).xreplace(rename)
    cited_models = {m.name: tuple(x.xreplace(rename) for x in m.parameters) for m in derivation.context.models}

    def apply(expr: sp.Expr, context: Context) -> sp.Expr:
        for model in context.models:
            if model.name in cited_models and cited_models[model.name] != model.parameters:
                raise ValueError(f"{derivation.name!r} is about a different {model.name}")
        return expr.xreplace({integral: value})

    statement = f"{derivation.context.lhs} = {sp.latex(derivation.closed_form)}"
    return Rule(f"result of {derivation.name}", statement, apply)
