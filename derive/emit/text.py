"""The terminal form: SymPy's pretty printer, one block per step."""
from __future__ import annotations

import textwrap

import sympy as sp

from derive.engine import Derivation


def render(derivation: Derivation) -> str:
    out = [f"{derivation.title}  [{derivation.name}]", derivation.summary, ""]
    for index, (expr, rule, why) in enumerate(derivation.lines):
        out.append(f"({index}) {rule.name}: {why}")
        out.append(textwrap.indent(sp.pretty(expr, use_unicode=True, wrap_line=False), "    "))
        out.append("")
    return "\n".join(out)
