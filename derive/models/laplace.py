"""The Laplace distribution: the family that shows the engine is not Gaussian-only.

Laplace(m, b) has density e^{−|z − m|/b}/(2b): a kink at its location, where the checker's
quadrature splits, and a log-density that is not a polynomial in z.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.models.family import FamilyBase
from derive.models.normal import z


@dataclass(frozen=True)
class Laplace(FamilyBase):
    """Laplace(location, scale) with a placeholder name used in write-ups."""

    name: str
    location: sp.Expr
    scale: sp.Expr

    tail = 75.0  # e^{−75}: 3e-33 of the mass lies beyond 75b
    log_density_statement = r"\log \operatorname{Laplace}(z; m, b) = -\log(2b) - \frac{|z - m|}{b}"

    @property
    def variable(self) -> sp.Basic:
        return z

    @property
    def parameters(self) -> tuple[sp.Expr, ...]:
        return (self.location, self.scale)

    def realise_at(self, x: sp.Expr) -> sp.Expr:
        return sp.exp(-sp.Abs(x - self.location) / self.scale) / (2 * self.scale)

    def log_density(self, x: sp.Expr = z) -> sp.Expr:
        return -sp.log(2 * self.scale) - sp.Abs(x - self.location) / self.scale

    def location_scale(self) -> tuple[sp.Expr, sp.Expr]:
        return self.location, self.scale

    def moment(self, variable: sp.Basic, power: int) -> sp.Expr | None:
        """∫ p = 1, E[z] = m, E[z²] = m² + 2b²."""
        return (sp.Integer(1), self.location, self.location**2 + 2 * self.scale**2)[power] if power <= 2 else None

    def coordinates(self, size: int) -> list[sp.Basic]:
        return [self.variable]

    @property
    def text(self) -> str:
        return f"Laplace({sp.pretty(self.location)}, {sp.pretty(self.scale)})"


m = sp.Symbol("m", real=True)
b = sp.Symbol("b", positive=True)


def laplace(name: str = "p") -> Laplace:
    """p = Laplace(m, b)."""
    return Laplace(name, m, b)
