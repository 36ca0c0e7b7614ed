"""Multivariate Gaussians N(μ, Σ) with matrix symbols, in n dimensions.

Σ is symmetric positive definite with a lower Cholesky factor L (Σ = L Lᵀ); stable forms
are written in L.  The checker samples L and builds Σ from it, so both agree.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from random import Random

import sympy as sp

from derive.models.family import FamilyBase, Frame, Values, domain_of, draw
from sympy.matrices.expressions.matexpr import MatrixElement

n = sp.Symbol("n", integer=True, positive=True)
"""The dimension."""
z_vector = sp.MatrixSymbol("z", n, 1)


def scalar(matrix_1x1: sp.MatrixExpr) -> sp.Expr:
    """A 1×1 matrix expression (a quadratic form) as the scalar it is."""
    return MatrixElement(matrix_1x1, 0, 0)


@dataclass(frozen=True)
class MultivariateNormal(FamilyBase):
    name: str
    mean: sp.MatrixSymbol
    cov: sp.MatrixSymbol
    factor: sp.MatrixSymbol

    @property
    def variable(self) -> sp.Basic:
        return z_vector

    @property
    def parameters(self) -> tuple[sp.Expr, ...]:
        return (self.mean, self.cov)

    def quadratic_form(self, x: sp.MatrixExpr, centre: sp.MatrixExpr, matrix: sp.MatrixExpr) -> sp.Expr:
        return scalar((x - centre).T * matrix * (x - centre))

    def log_density(self, x: sp.MatrixExpr = z_vector) -> sp.Expr:
        """log q(z) = −½ log det(2πΣ) − ½ (z − μ)ᵀ Σ⁻¹ (z − μ)."""
        return (-sp.log(sp.Determinant(2 * sp.pi * self.cov)) / 2
                - self.quadratic_form(x, self.mean, self.cov.I) / 2)

    def realise_at(self, x: sp.Basic) -> sp.Expr:
        return sp.exp(-self.quadratic_form(x, self.mean, self.cov.I) / 2) / sp.sqrt(
            sp.Determinant(2 * sp.pi * self.cov))

    log_density_statement = (r"\log \mathcal{N}(z; m, S) = -\tfrac12\log\det(2\pi S) "
                             r"- \tfrac12 (z-m)^T S^{-1} (z-m)")

    @property
    def domains(self) -> dict[sp.Basic, sp.Set]:
        return {}

    @property
    def support(self) -> sp.Set:
        return sp.Reals**n

    def frame(self, values: Values, size: int, variable: sp.Basic) -> Frame:
        mean = values[sp.MatrixSymbol(self.mean.name, size, 1)]
        factor = values.get(sp.MatrixSymbol(self.factor.name, size, size))
        if factor is None:
            factor = values[sp.MatrixSymbol(self.cov.name, size, size)].cholesky(hermitian=False)
        return list(mean), [list(factor.row(i)) for i in range(size)]

    def sample_matrix(self, symbol: sp.MatrixSymbol, rng_for: Callable[[sp.Basic], Random]) -> sp.Matrix | None:
        """A lower-triangular factor with a positive diagonal, and Σ = L Lᵀ from the same draw."""
        if symbol.name == self.cov.name:
            factor = self.sample_matrix(sp.MatrixSymbol(self.factor.name, *symbol.shape), rng_for)
            return factor * factor.T
        if symbol.name != self.factor.name:
            return None
        rng, (rows, cols) = rng_for(symbol), symbol.shape
        return sp.ImmutableMatrix(rows, cols, lambda i, j: draw(rng, sp.Interval.open(0, sp.oo)) if i == j else (
            draw(rng, sp.Reals) / 4 if i > j else 0))

    def coordinates(self, size: int) -> list[sp.Symbol]:
        return [sp.Symbol(f"z_{i}", real=True) for i in range(size)]

    @property
    def text(self) -> str:
        return f"N({self.mean.name}, {self.cov.name})"


def mvn(index: str, name: str) -> MultivariateNormal:
    """N(μᵢ, Σᵢ) with Σᵢ = Lᵢ Lᵢᵀ."""
    return MultivariateNormal(name, sp.MatrixSymbol(f"mu_{index}", n, 1), sp.MatrixSymbol(f"Sigma_{index}", n, n),
                              sp.MatrixSymbol(f"L_{index}", n, n))


def mvn_1(name: str = "q") -> MultivariateNormal:
    return mvn("1", name)


def mvn_2(name: str = "p") -> MultivariateNormal:
    return mvn("2", name)


def mvn_single(name: str = "q") -> MultivariateNormal:
    return MultivariateNormal(name, sp.MatrixSymbol("mu", n, 1), sp.MatrixSymbol("Sigma", n, n),
                              sp.MatrixSymbol("L", n, n))
