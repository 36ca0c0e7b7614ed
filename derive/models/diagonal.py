"""Diagonal Gaussians over D dimensions, with indexed parameters μ_d, σ_d.

The joint density q(z) = Π_d q_d(z_d) is a placeholder applied to the vector z; a
coordinate density is the same placeholder applied to z_d.  ``realise_at`` gives each
its explicit form, so the checker can evaluate both at a concrete D.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.models.family import FamilyBase, Frame, Values
from derive.models.normal import Normal

D = sp.Symbol("D", integer=True, positive=True)
"""The number of dimensions."""
d = sp.Symbol("d", integer=True, positive=True)
"""The summation index, 1 ≤ d ≤ D."""
z_vector = sp.MatrixSymbol("z", D, 1)
"""The integration variable of a D-dimensional integral."""
z_coordinates = sp.IndexedBase("z", real=True)


@dataclass(frozen=True)
class DiagonalNormal(FamilyBase):
    """N(mean, diag(std²)) with ``mean``, ``std`` expressions in the index ``d``."""

    name: str
    mean: sp.Expr
    std: sp.Expr

    @property
    def variable(self) -> sp.Basic:
        return z_vector

    @property
    def coordinate(self) -> Normal:
        """The one-dimensional factor q_d = N(mean_d, std_d²)."""
        return Normal(self.name, self.mean, self.std)

    def realise_at(self, x: sp.Basic) -> sp.Expr:
        """The explicit density: a product over d for the vector z, a normal for z_d."""
        if isinstance(x, sp.MatrixSymbol):
            return sp.Product(self.coordinate.density(z_coordinates[d]), (d, 1, x.shape[0]))
        return self.coordinate.density(x).xreplace({d: x.indices[0]})

    def log_density(self, x: sp.Basic) -> sp.Expr:
        """log q(z) = Σ_d log q_d(z_d) for the vector, the univariate log-density for z_d."""
        if isinstance(x, sp.MatrixSymbol):
            return sp.Sum(self.coordinate.log_density(z_coordinates[d]), (d, 1, x.shape[0]))
        index = x.indices[0]
        return self.coordinate.log_density(x).xreplace({d: index})

    log_density_statement = Normal.log_density_statement

    @property
    def parameters(self) -> tuple[sp.Expr, ...]:
        return (self.mean, self.std)

    @property
    def domains(self) -> dict[sp.Basic, sp.Set]:
        return self.coordinate.domains

    def frame(self, values: Values, n: int, variable: sp.Basic) -> Frame:
        """Centre and (diagonal) Cholesky factor of the joint density at a concrete D = n, or
        of the coordinate density for one z_k."""
        if isinstance(variable, sp.Indexed):
            return self._at_index(variable).frame(values, 1, variable)
        means = [self.mean.xreplace({d: k}).xreplace(values) for k in range(1, n + 1)]
        stds = [self.std.xreplace({d: k}).xreplace(values) for k in range(1, n + 1)]
        return means, [[stds[i] if i == j else 0 for j in range(n)] for i in range(n)]

    def moment(self, variable: sp.Basic, power: int) -> sp.Expr | None:
        return self._at_index(variable).moment(variable, power) if isinstance(variable, sp.Indexed) else None

    def _at_index(self, coordinate: sp.Indexed) -> Normal:
        """q_k = N(mean_k, std_k²) for the coordinate z_k."""
        index = {d: coordinate.indices[0]}
        return Normal(self.name, self.mean.xreplace(index), self.std.xreplace(index))

    def coordinates(self, n: int) -> list[sp.Expr]:
        return [z_coordinates[k] for k in range(1, n + 1)]

    @property
    def text(self) -> str:
        return f"N({sp.pretty(self.mean)}, diag({sp.pretty(self.std)}²))"


mu_d, sigma_d = sp.IndexedBase("mu", real=True), sp.IndexedBase("sigma", positive=True)
mu1_d, sigma1_d = sp.IndexedBase("mu_1", real=True), sp.IndexedBase("sigma_1", positive=True)
mu2_d, sigma2_d = sp.IndexedBase("mu_2", real=True), sp.IndexedBase("sigma_2", positive=True)
logvar_d = sp.IndexedBase("ell", real=True)
"""ℓ_d = log σ_d², the encoder output of a VAE."""


def diagonal(name: str = "q") -> DiagonalNormal:
    return DiagonalNormal(name, mu_d[d], sigma_d[d])


def diagonal_logvar(name: str = "q") -> DiagonalNormal:
    """N(μ_d, e^{ℓ_d}): parametrised by the log-variance, as VAEs output it."""
    return DiagonalNormal(name, mu_d[d], sp.exp(logvar_d[d] / 2))


def diagonal_standard(name: str = "p") -> DiagonalNormal:
    return DiagonalNormal(name, sp.Integer(0), sp.Integer(1))


def diagonal_1(name: str = "q") -> DiagonalNormal:
    return DiagonalNormal(name, mu1_d[d], sigma1_d[d])


def diagonal_2(name: str = "p") -> DiagonalNormal:
    return DiagonalNormal(name, mu2_d[d], sigma2_d[d])
