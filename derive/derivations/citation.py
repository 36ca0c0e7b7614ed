"""Citing an earlier derivation: replace its defining integral by its proven result."""
from __future__ import annotations

import sympy as sp

from derive.engine import Context, Derivation, Rule


def cite(derivation: Derivation, rename: dict[sp.Symbol, sp.Symbol] | None = None) -> Rule:
    """A rule that substitutes ``derivation``'s result for its definition.

    The definition must be ``c · ∫ …`` (c = ±1), so ``∫ …`` is replaced by ``result / c``.
    ``rename`` maps the cited derivation's parameters onto this one's (a result proven
    for every μ ∈ ℝ, σ > 0 holds for μ₁, σ₁ too); the densities must then coincide.  A cited
    density whose renamed parameters are another one's here takes that one's name: citing
    KL(q ‖ p) with μ₁ ↔ μ₂, σ₁ ↔ σ₂ replaces ∫ p log(p/q) by KL(p ‖ q).
    """
    rename = rename or {}
    sign, integral = derivation.definition.as_independent(sp.Integral, as_Add=False)
    if not isinstance(integral, sp.Integral) or sign not in (1, -1):
        raise ValueError(f"cannot cite {derivation.name!r}: its definition is not ±∫")
    integral = integral.xreplace(rename)
    value = (derivation.closed_form / sign).xreplace(rename)
    cited_models = {m.name: tuple(x.xreplace(rename) for x in m.parameters) for m in derivation.context.models}

    def apply(expr: sp.Expr, context: Context) -> sp.Expr:
        here = {m.parameters: m for m in context.models}
        renamed = {name: here[parameters].name for name, parameters in cited_models.items()
                   if parameters in here and here[parameters].name != name}
        for model in context.models:
            if model.name in cited_models and model.name not in renamed and cited_models[model.name] != model.parameters:
                raise ValueError(f"{derivation.name!r} is about a different {model.name}")
        return expr.xreplace({_rename_densities(integral, renamed): value})

    statement = f"{derivation.context.lhs} = {sp.latex(derivation.closed_form)}"
    return Rule(f"result of {derivation.name}", statement, apply)


def _rename_densities(expr: sp.Expr, renamed: dict[str, str]) -> sp.Expr:
    """The placeholders ``old(·)`` renamed ``new(·)``, all at once (a swap q ↔ p included)."""
    if not renamed:
        return expr
    staged = {old: sp.Function(f"_cited_{old}", real=True) for old in renamed}
    for old, stage in staged.items():
        expr = expr.replace(sp.Function(old, real=True), stage)
    for old, stage in staged.items():
        expr = expr.replace(stage, sp.Function(renamed[old], real=True))
    return expr
