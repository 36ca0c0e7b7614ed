"""The terminal form: SymPy's pretty printer, one block per step, then what the symbols mean."""
from __future__ import annotations

import textwrap

import sympy as sp

from derive.engine import Derivation
from derive.engine.special import SpecialFunction


def _pretty(expr: sp.Expr) -> str:
    return sp.pretty(expr, use_unicode=True, wrap_line=False)


def where(derivation: Derivation) -> list[str]:
    """Each auxiliary symbol and special function of the steps, defined (as the LaTeX 'where' lines)."""
    lines = [_pretty(sp.Eq(symbol, value, evaluate=False)) for symbol, value in derivation.context.definitions]
    used = {type(f) for expr, _, _ in derivation.lines for f in expr.atoms(SpecialFunction)}
    lines += [f.text_definition for f in sorted(used, key=lambda f: f.__name__)]
    return lines


def render(derivation: Derivation) -> str:
    out = [f"{derivation.title}  [{derivation.name}]", derivation.summary, ""]
    for index, (expr, rule, why) in enumerate(derivation.lines):
        out.append(f"({index}) {rule.name}: {why}")
        out.append(textwrap.indent(_pretty(expr), "    "))
        out.append("")
    definitions = where(derivation)
    if definitions:
        out.append("where")
        out += [textwrap.indent(line, "    ") for line in definitions]
        out.append("")
    return "\n".join(out)
