"""What a derivation integrates against: its densities and the facts it may cite."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from derive.engine.special import realise_special
from derive.models.family import Family


@dataclass(frozen=True)
class Context:
    """The distributions a derivation talks about.

    ``models`` name the placeholders (``q``, ``p``, ``phi``) that steps may contain;
    ``realise`` replaces each by its explicit density so steps can be checked.
    ``integrate_symbolically`` lets the symbolic checker call SymPy's ``integrate``:
    only lemma derivations use it, everything else reduces to the lemmas' moments.
    """

    models: tuple[Family, ...]
    integrate_symbolically: bool = False
    lhs: str = ""
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    """Auxiliary symbols a stable form introduces (d = (μ₁ − μ₂)/σ₂, …), in order."""
    dimension: sp.Symbol | None = None
    """D or n for multivariate derivations: steps are checked at several concrete sizes."""
    assumptions: tuple[tuple[sp.Symbol, sp.Set], ...] = ()
    """Parameters beyond the families' (α of a Rényi divergence) and where they may lie."""
    conditions: tuple[sp.Basic, ...] = ()
    """Relations the derivation holds under (ασ₂² + (1 − α)σ₁² > 0): checked points satisfy them."""

    def model(self, placeholder: sp.FunctionClass) -> Family | None:
        return next((m for m in self.models if m.placeholder == placeholder), None)

    def domains(self) -> dict[sp.Basic, sp.Set]:
        """Where every parameter may lie: the families' domains, then the context's own."""
        merged: dict[sp.Basic, sp.Set] = {}
        for m in self.models:
            merged.update({(p.base if isinstance(p, sp.Indexed) else p): domain for p, domain in m.domains.items()})
        return merged | dict(self.assumptions)

    def expand_definitions(self, expr: sp.Expr) -> sp.Expr:
        """Auxiliary symbols and special functions replaced by what they stand for."""
        return _expand_definitions(self, expr)

    def realise(self, expr: sp.Expr) -> sp.Expr:
        """Everything explicit: ``expand_definitions``, then densities for placeholders."""
        return _realise(self, expr)


@lru_cache(maxsize=4096)
def _expand_definitions(context: Context, expr: sp.Expr) -> sp.Expr:
    for symbol, definition in reversed(context.definitions):
        expr = expr.xreplace({symbol: definition})
    return realise_special(expr)


@lru_cache(maxsize=4096)  # the checker realises a step's sides at every point, and emitters again
def _realise(context: Context, expr: sp.Expr) -> sp.Expr:
    expr = _expand_definitions(context, expr)
    for m in context.models:
        expr = expr.replace(m.placeholder, m.realise_at)
    return expr
