"""The 'where' lines of a derivation: auxiliary symbols and special functions it uses."""
from __future__ import annotations


from derive.emit.printing import latex
from derive.engine import Derivation
from derive.engine.special import SpecialFunction


def where(derivation: Derivation) -> list[str]:
    """LaTeX equations defining every auxiliary symbol and special function in the steps."""
    lines = [f"{latex(symbol)} = {latex(value)}" for symbol, value in derivation.context.definitions]
    used = sorted({type(f) for expr, _, _ in derivation.lines for f in expr.atoms(SpecialFunction)},
                  key=lambda f: f.__name__)
    for function in used:
        args = function.parameters
        lines.append(f"{latex(function(*args))} = {function.latex_definition}")
    return lines


def where_sentence(derivation: Derivation, inline: str = "$") -> str:
    """'where $a = …$, $b = …$' or the empty string."""
    lines = where(derivation)
    if not lines:
        return ""
    return "where " + ", ".join(f"{inline}{line}{inline}" for line in lines) + "."



