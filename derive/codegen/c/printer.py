"""The C99 printer for kernels."""
from __future__ import annotations

import sympy as sp
from sympy.printing.c import C99CodePrinter

from derive.codegen.shapes import half_square
from derive.engine.stable import is_overflow_test


class KernelC99Printer(C99CodePrinter):
    """SymPy's C99 printer with these changes.

    - ``x**2`` and ``x**3`` print as bracketed products ``(x*x)``: exact, cheaper than
      ``pow``, and safe as a divisor; ``x**2/2`` as ``(0.5*x)*x``, which overflows only where
      the result does;
    - π prints as a literal: ``M_PI`` is POSIX, not C99, and ``-std=c99`` hides it;
    - floats print as the shortest literal that round-trips the double (Python's ``repr``);
    - a Piecewise prints as one line of nested ``?:``, which compilers turn into selects (with
      ``overflow_nan``, a branch for overflowed values as NaN).
    """

    def __init__(self, settings: dict | None = None, overflow_nan: bool = False) -> None:
        super().__init__({"precision": 17, **(settings or {})})
        self.overflow_nan = overflow_nan
        """For the branch-free bodies: a Piecewise branch taken only where a value overflowed
        (``is_overflow_test``) prints as NaN, which sends the element to the exact function, as the
        branch-free helpers do: a vectorised loop then does not compute that branch for every
        element (two divisions for the location gap of kl_normal_normal, 10 % of its time)."""

    def _print_Pow(self, expr: sp.Pow) -> str:
        if expr.exp in (2, 3):
            base = self._print(expr.base) if expr.base.is_Atom else f"({self._print(expr.base)})"
            return "(" + "*".join([base] * int(expr.exp)) + ")"
        return super()._print_Pow(expr)

    def _print_Mul(self, expr: sp.Mul) -> str:
        x = half_square(expr)
        if x is not None:
            text = self._print(x) if x.is_Atom else f"({self._print(x)})"
            return f"(0.5*{text})*{text}"
        return super()._print_Mul(expr)

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        *pieces, (otherwise, last) = expr.args
        if last != sp.true:
            raise ValueError(f"a Piecewise needs a final True branch to print as a select: {expr}")
        text = self._print(otherwise)
        for value, condition in reversed(pieces):
            taken = "NAN" if self.overflow_nan and is_overflow_test(condition) else self._print(value)
            text = f"({self._print(condition)} ? {taken} : {text})"
        return text

    def _print_Pi(self, expr: sp.Expr) -> str:
        return self._print(sp.Float(sp.pi.evalf(30), 30))

