"""The numpy printer for kernels."""
from __future__ import annotations

from sympy.printing.numpy import NumPyPrinter


class KernelNumPyPrinter(NumPyPrinter):
    """SymPy's NumPy printer with these changes: ``np.log`` where SymPy writes ``numpy.log``
    (the generated module imports numpy once as ``np``, as its users' code does); ``1/x``
    rather than ``x**(-1.0)``; ``np.minimum`` and ``np.maximum`` for Min and Max; floats as the shortest literal that
    round-trips the double; a Piecewise as ``_where_rare`` (the module's ``np.where`` that computes a branch only
    when some element takes it: our branches are for the ends of the double range)."""

    def _print_Pow(self, expr, rational: bool = False) -> str:
        if expr.exp == -1:  # 1/x: numpy's power is several times slower than a division
            return f"1/{self.parenthesize(expr.base, 100)}"
        return super()._print_Pow(expr, rational=rational)

    def _print_erf(self, expr) -> str:  # numpy has none: the module's own, printed when used
        return f"_erf({self._print(expr.args[0])})"

    def _print_Min(self, expr) -> str:
        first, *rest = expr.args  # np.minimum pairwise: SymPy's own form needs functools
        text = self._print(first)
        for arg in rest:
            text = f"np.minimum({text}, {self._print(arg)})"
        return text

    def _print_Max(self, expr) -> str:
        first, *rest = expr.args
        text = self._print(first)
        for arg in rest:
            text = f"np.maximum({text}, {self._print(arg)})"
        return text

    helper_buffers: dict[type, int] = {}
    """Scratch buffers each special function's helper needs, for calls printed inside an expression
    (a rare branch): those get fresh arrays through the module's ``_fresh``."""

    def _print_Function(self, expr) -> str:
        if type(expr) in self.helper_buffers:
            arguments = ", ".join(self._print(a) for a in expr.args)
            return f"_fresh(_{expr.helper_name}, {self.helper_buffers[type(expr)]}, {arguments})"
        return super()._print_Function(expr)

    def _print_Float(self, expr) -> str:
        return repr(float(expr))

    def _print_Piecewise(self, expr) -> str:
        *pieces, (otherwise, last) = expr.args
        if last != True:  # noqa: E712  (SymPy's true)
            raise ValueError(f"a Piecewise needs a final True branch: {expr}")
        text = self._print(otherwise)
        for value, condition in reversed(pieces):
            text = f"_where_rare({self._print(condition)}, lambda: {self._print(value)}, {text})"
        return text

    def _module_format(self, fqn: str, register: bool = True) -> str:
        if fqn.startswith("numpy."):
            fqn = "np." + fqn[len("numpy."):]
        return fqn
