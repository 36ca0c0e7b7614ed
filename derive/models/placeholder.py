"""What every density model shares: the name a derivation writes it by, q(z)."""
from __future__ import annotations

import sympy as sp


class Placeholder:
    """A density written as an opaque ``name(x)`` in steps; ``realise_at`` gives its formula.

    Mixed into the frozen model dataclasses, which supply ``name`` and ``variable``.
    """

    name: str
    variable: sp.Basic

    @property
    def placeholder(self) -> sp.FunctionClass:
        return sp.Function(self.name, real=True)

    def at(self, x: sp.Basic | None = None) -> sp.Expr:
        """The placeholder applied to ``x`` (default: the model's variable): q(z)."""
        return self.placeholder(self.variable if x is None else x)
