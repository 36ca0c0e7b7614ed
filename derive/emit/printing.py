"""SymPy printers tuned for derivations written by hand."""
from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.core.function import UndefinedFunction
from sympy.printing.latex import LatexPrinter

_GREEK_PLACEHOLDERS = {"phi": r"\varphi"}


def _is_placeholder(expr: sp.Basic) -> bool:
    return isinstance(expr, sp.Function) and isinstance(expr.func, UndefinedFunction)


class DerivationLatexPrinter(LatexPrinter):
    """LaTeX as a person writes a derivation.

    Customisations: density placeholders print as ``q(z)`` (not ``q{\\left(z \\right)}``),
    ``log q(z)`` without brackets, a quadratic form (z − μ)ᵀA(z − μ) without the [0, 0]
    SymPy needs to make it a scalar, det(·) rather than |·|, a sum built unevaluated
    (a form chosen by the derivation's author, like the VAE form) keeps its written order, and
    a sum over several indices prints as nested sums (Σᵢ Σ_{j<i}, not a LaTeX substack).
    """

    def _print_Sum(self, expr: sp.Sum) -> str:
        if len(expr.limits) == 1:
            return super()._print_Sum(expr)
        inner = sp.Sum(expr.function, *expr.limits[:-1])
        index, first, last = expr.limits[-1]
        return (rf"\sum_{{{self._print(index)}={self._print(first)}}}^{{{self._print(last)}}} "
                + self._print(inner))

    def _print_Function(self, expr: sp.Function, exp: str | None = None) -> str:
        if not _is_placeholder(expr):
            return super()._print_Function(expr, exp)
        name = _GREEK_PLACEHOLDERS.get(expr.func.__name__, expr.func.__name__)
        text = f"{name}({', '.join(self._print(a) for a in expr.args)})"
        return f"{text}^{{{exp}}}" if exp else text

    def _print_log(self, expr: sp.log, exp: str | None = None) -> str:
        if not _is_placeholder(expr.args[0]):
            return super()._print_log(expr, exp)
        text = rf"\log {self._print(expr.args[0])}"
        return rf"\left({text}\right)^{{{exp}}}" if exp else text

    def _print_MatrixElement(self, expr, exp: str | None = None) -> str:
        if expr.parent.shape == (1, 1):  # a quadratic form: the 1×1 matrix is the scalar
            return self._print(expr.parent)
        return super()._print_MatrixElement(expr)

    def _print_Determinant(self, expr, exp: str | None = None) -> str:
        text = rf"\det\left({self._print(expr.arg)}\right)"
        return rf"{text}^{{{exp}}}" if exp else text

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        canonical = sp.Add(*expr.args).args == expr.args
        return super()._print_Add(expr, order=order if canonical else "none")


@lru_cache(maxsize=4096)  # each line is printed for its .tex, the combined .tex, the .md and the .json
def latex(expr: sp.Expr) -> str:
    return DerivationLatexPrinter().doprint(expr)
