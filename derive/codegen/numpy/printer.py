"""The numpy printer for kernels."""
from __future__ import annotations

from sympy.printing.numpy import NumPyPrinter


class KernelNumPyPrinter(NumPyPrinter):
    """SymPy's NumPy printer with two changes: ``np.log`` where SymPy writes ``numpy.log``
    (the generated module imports numpy once as ``np``, as its users' code does), and
    ``1/x`` rather than ``x**(-1.0)``."""

    def _print_Pow(self, expr, rational: bool = False) -> str:
        if expr.exp == -1:  # 1/x: numpy's power is several times slower than a division
            return f"1/{self.parenthesize(expr.base, 100)}"
        return super()._print_Pow(expr, rational=rational)

    def _module_format(self, fqn: str, register: bool = True) -> str:
        if fqn.startswith("numpy."):
            fqn = "np." + fqn[len("numpy."):]
        return fqn
