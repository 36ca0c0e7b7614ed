"""What a derivation integrates against: its densities and the facts it may cite."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.engine.special import realise_special
from derive.models import Normal
from derive.models.diagonal import DiagonalNormal
from derive.models.mvn import MultivariateNormal


@dataclass(frozen=True)
class Context:
    """The distributions a derivation talks about.

    ``models`` name the placeholders (``q``, ``p``, ``phi``) that steps may contain;
    ``realise`` replaces each by its explicit density so steps can be checked.
    ``integrate_symbolically`` lets the symbolic checker call SymPy's ``integrate``:
    only lemma derivations use it, everything else reduces to the lemmas' moments.
    """

    models: tuple[Normal | DiagonalNormal | MultivariateNormal, ...]
    integrate_symbolically: bool = False
    lhs: str = ""
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    """Auxiliary symbols a stable form introduces (d = (μ₁ − μ₂)/σ₂, …), in order."""
    dimension: sp.Symbol | None = None
    """D or n for multivariate derivations: steps are checked at several concrete sizes."""

    def model(self, placeholder: sp.FunctionClass) -> Normal | DiagonalNormal | MultivariateNormal | None:
        return next((m for m in self.models if m.placeholder == placeholder), None)

    def expand_definitions(self, expr: sp.Expr) -> sp.Expr:
        """Auxiliary symbols and special functions replaced by what they stand for."""
        for symbol, definition in reversed(self.definitions):
            expr = expr.xreplace({symbol: definition})
        return realise_special(expr)

    def realise(self, expr: sp.Expr) -> sp.Expr:
        """Everything explicit: ``expand_definitions``, then densities for placeholders."""
        expr = self.expand_definitions(expr)
        for m in self.models:
            expr = expr.replace(m.placeholder, m.realise_at)
        return expr
