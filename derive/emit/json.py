"""The machine-readable form (see CONTRACT.md): explicit SymPy ``srepr`` for every step."""
from __future__ import annotations

import json as _json

import sympy as sp
from sympy.printing.repr import ReprPrinter

from derive.emit.printing import latex
from derive.engine import Derivation
from derive.engine.special import SpecialFunction, elementary
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


def _where(expr: sp.Expr, definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> list[dict]:
    """The definitions ``expr`` uses, directly or through another definition, in the order given."""
    used, pending = set(), set(expr.free_symbols)
    by_symbol = dict(definitions)
    while pending:
        symbol = pending.pop()
        if symbol in by_symbol and symbol not in used:
            used.add(symbol)
            pending |= by_symbol[symbol].free_symbols
    symbols = [{"symbol": latex(symbol), "definition": latex(definition)}
               for symbol, definition in definitions if symbol in used]
    helpers = {f for e in [expr, *(d for s, d in definitions if s in used)] for f in e.atoms(SpecialFunction)}
    return symbols + [{"symbol": latex(f), "definition": latex(type(f).definition(*f.args))}
                      for f in sorted(helpers, key=sp.default_sort_key)]


def as_dict(derivation: Derivation) -> dict:
    """Each step's ``expr`` (srepr) and ``latex`` are one expression, explicit (no auxiliary symbols,
    no helper functions), so that a program reads back what a person sees; ``display`` is the line
    as the write-ups show it, in the auxiliary symbols that ``where`` defines."""
    def realise(expr: sp.Expr) -> sp.Expr:
        return _scalars_out_of_determinants(elementary(derivation.context.realise(expr)))
    steps = []
    for i, (expr, rule, why) in enumerate(derivation.lines):
        explicit = realise(expr)
        step = {"expr": _srepr(explicit), "rule": rule.name, "why": why, "latex": latex(explicit),
                "law": rule.statement, "check": _check(i, derivation)}
        if explicit != expr:
            step |= {"display": latex(expr), "where": _where(expr, derivation.context.definitions)}
        steps.append(step)
    return {"name": derivation.name, "title": derivation.title, "note": header(derivation.name), "steps": steps,
            "result": _srepr(_scalars_out_of_determinants(elementary(derivation.explicit_result))), "result_latex": latex(derivation.result)}


def render(derivation: Derivation) -> str:
    return _json.dumps(as_dict(derivation), indent=2, ensure_ascii=False) + "\n"
