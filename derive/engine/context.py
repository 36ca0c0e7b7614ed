"""What a derivation integrates against: its densities and the facts it may cite."""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive.models import Normal


@dataclass(frozen=True)
class Context:
    """The distributions a derivation talks about.

    ``models`` name the placeholders (``q``, ``p``, ``phi``) that steps may contain;
    ``realise`` replaces each by its explicit density so steps can be checked.
    ``integrate_symbolically`` lets the symbolic checker call SymPy's ``integrate``:
    only lemma derivations use it, everything else reduces to the lemmas' moments.
    """

    models: tuple[Normal, ...]
    integrate_symbolically: bool = False
    lhs: str = ""
    notation: tuple[str, ...] = field(default=())

    def model(self, placeholder: sp.FunctionClass) -> Normal | None:
        return next((m for m in self.models if m.placeholder == placeholder), None)

    def realise(self, expr: sp.Expr) -> sp.Expr:
        """Swap every density placeholder for its explicit SymPy density."""
        for m in self.models:
            expr = expr.replace(m.placeholder, m.realisation[m.placeholder])
        return expr
