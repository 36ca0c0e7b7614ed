"""The machine-readable form (see CONTRACT.md): explicit SymPy ``srepr`` for every step."""
from __future__ import annotations

import json as _json

import sympy as sp
from sympy.printing.repr import ReprPrinter

from derive.emit.printing import latex
from derive.engine import Derivation
from derive.engine.special import elementary
from derive.provenance import header


class _Repr(ReprPrinter):
    """``srepr`` that ``sympify`` reads back: a matrix symbol's name as a plain string (``Str``
    is not in SymPy's parsing namespace), and an eigenvalue λ_k(W), which SymPy has no function
    for, as an undefined real function ``Eigenvalue(W, k)``."""

    def _print_Str(self, s) -> str:
        return repr(s.name)

    def _print_Eigenvalue(self, e) -> str:
        return f"Function('Eigenvalue', real=True)({', '.join(self._print(a) for a in e.args)})"


def _scalars_out_of_determinants(expr: sp.Expr) -> sp.Expr:
    """det(cA) as cⁿ det(A): SymPy's ``factor_terms`` (which ``log`` calls while ``sympify`` reads
    an expression back) rebuilds det(cA)'s argument as a scalar product and fails."""
    def pulled(det: sp.Determinant) -> sp.Expr:
        coefficient, matrices = det.arg.as_coeff_matrices()
        return coefficient ** det.arg.shape[0] * sp.Determinant(sp.MatMul(*matrices))
    return expr.replace(lambda e: isinstance(e, sp.Determinant) and isinstance(e.arg, sp.MatMul)
                        and e.arg.as_coeff_matrices()[0] != 1, pulled)


def _srepr(expr: sp.Expr) -> str:
    return _Repr().doprint(expr)


def _check(step_index: int, derivation: Derivation) -> str:
    if step_index == 0:
        return "definition"
    verdict = derivation.steps[step_index - 1].verdict
    numeric = f"numeric at {verdict.points} points"
    return f"symbolic and {numeric}" if verdict.symbolic == "proved" else numeric


def as_dict(derivation: Derivation) -> dict:
    def realise(expr: sp.Expr) -> sp.Expr:
        return _scalars_out_of_determinants(elementary(derivation.context.realise(expr)))
    steps = [{"expr": _srepr(realise(expr)), "rule": rule.name, "why": why, "latex": latex(expr),
              "law": rule.statement, "check": _check(i, derivation)}
             for i, (expr, rule, why) in enumerate(derivation.lines)]
    return {"name": derivation.name, "title": derivation.title, "note": header(derivation.name), "steps": steps,
            "result": _srepr(_scalars_out_of_determinants(elementary(derivation.explicit_result))), "result_latex": latex(derivation.result)}


def render(derivation: Derivation) -> str:
    return _json.dumps(as_dict(derivation), indent=2, ensure_ascii=False) + "\n"
