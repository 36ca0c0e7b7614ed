"""The machine-readable form (see CONTRACT.md): explicit SymPy ``srepr`` for every step."""
from __future__ import annotations

import json as _json

import sympy as sp

from derive.emit.printing import latex
from derive.engine import Derivation
from derive.engine.special import elementary
from derive.provenance import header


def _check(step_index: int, derivation: Derivation) -> str:
    if step_index == 0:
        return "definition"
    verdict = derivation.steps[step_index - 1].verdict
    numeric = f"numeric at {verdict.points} points"
    return f"symbolic and {numeric}" if verdict.symbolic == "proved" else numeric


def as_dict(derivation: Derivation) -> dict:
    def realise(expr: sp.Expr) -> sp.Expr:
        return elementary(derivation.context.realise(expr))
    steps = [{"expr": sp.srepr(realise(expr)), "rule": rule.name, "why": why, "latex": latex(expr),
              "law": rule.statement, "check": _check(i, derivation)}
             for i, (expr, rule, why) in enumerate(derivation.lines)]
    return {"name": derivation.name, "title": derivation.title, "note": header(derivation.name), "steps": steps,
            "result": sp.srepr(elementary(derivation.explicit_result)), "result_latex": latex(derivation.result)}


def render(derivation: Derivation) -> str:
    return _json.dumps(as_dict(derivation), indent=2, ensure_ascii=False) + "\n"
