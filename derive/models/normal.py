"""Univariate Gaussian densities as SymPy expressions, built once, here.

A density appears in derivations as an opaque placeholder ``q(z)`` so that steps
read like the paper version; ``realise`` swaps the explicit density back in for
checking and for the machine-readable output.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.models.family import FamilyBase, Values

z = sp.Symbol("z", real=True)
"""The integration variable shared by every univariate derivation."""


@dataclass(frozen=True)
class Normal(FamilyBase):
    """N(mean, std²) with a placeholder name (``q``, ``p``, …) used in write-ups."""

    name: str
    mean: sp.Expr
    std: sp.Expr

    @property
    def variable(self) -> sp.Basic:
        return z

    def density(self, x: sp.Expr = z) -> sp.Expr:
        return sp.exp(-((x - self.mean) ** 2) / (2 * self.std**2)) / sp.sqrt(2 * sp.pi * self.std**2)

    def log_density(self, x: sp.Expr = z) -> sp.Expr:
        """log q(x) = -½ log(2πσ²) - (x - μ)²/(2σ²), kept in the textbook shape."""
        return -sp.log(2 * sp.pi * self.std**2) / 2 - (x - self.mean) ** 2 / (2 * self.std**2)

    tail = 12.0  # e^{−72}: 5e-32 of the mass lies beyond 12σ
    log_density_statement = r"\log \mathcal{N}(z; m, s^2) = -\tfrac12\log(2\pi s^2) - \frac{(z-m)^2}{2s^2}"

    @property
    def parameters(self) -> tuple[sp.Expr, ...]:
        return (self.mean, self.std)

    def realise_at(self, x: sp.Expr) -> sp.Expr:
        return self.density(x)

    def location_scale(self) -> tuple[sp.Expr, sp.Expr]:
        return self.mean, self.std

    def moment(self, variable: sp.Basic, power: int) -> sp.Expr | None:
        """∫ q = 1, E[z] = μ, E[z²] = μ² + σ²: the published moment lemmas."""
        return (sp.Integer(1), self.mean, self.mean**2 + self.std**2)[power] if power <= 2 else None

    def coordinates(self, size: int) -> list[sp.Basic]:
        return [self.variable]

    @property
    def text(self) -> str:
        """N(μ, σ²) in plain Unicode, for prose in every output format."""
        var = "1" if self.std == 1 else f"{sp.pretty(self.std, use_unicode=True)}²"
        return f"N({sp.pretty(self.mean, use_unicode=True)}, {var})"


mu, sigma = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
mu1, sigma1 = sp.Symbol("mu_1", real=True), sp.Symbol("sigma_1", positive=True)
mu2, sigma2 = sp.Symbol("mu_2", real=True), sp.Symbol("sigma_2", positive=True)


def normal(name: str = "q") -> Normal:
    """q = N(μ, σ²), the approximate posterior of the classic write-up."""
    return Normal(name, mu, sigma)


def standard_normal(name: str = "p") -> Normal:
    """p = N(0, 1), the VAE prior."""
    return Normal(name, sp.Integer(0), sp.Integer(1))


def normal_1(name: str = "q") -> Normal:
    """q = N(μ₁, σ₁²): the first of a general pair."""
    return Normal(name, mu1, sigma1)


def normal_2(name: str = "p") -> Normal:
    """p = N(μ₂, σ₂²): the second of a general pair."""
    return Normal(name, mu2, sigma2)
