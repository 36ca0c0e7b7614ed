"""The numpy printer for kernels."""
from __future__ import annotations

from sympy.printing.numpy import NumPyPrinter


class KernelNumPyPrinter(NumPyPrinter):
    """SymPy's NumPy printer, writing ``np.log`` where SymPy writes ``numpy.log``.

    The generated module imports numpy once as ``np``, as its users' code does.
    """

    def _module_format(self, fqn: str, register: bool = True) -> str:
        if fqn.startswith("numpy."):
            fqn = "np." + fqn[len("numpy."):]
        return fqn
