"""The family protocol: everything the engine may ask of a distribution, and nothing more.

The checker, the numeric evaluator, citations and the stable-form rewrite talk to models
only through ``Family``; a new family (Laplace, say) implements it and every rule and check
works for it unchanged.  ``FamilyBase`` supplies the parts most families share.
"""
from __future__ import annotations

from collections.abc import Callable
from random import Random
from typing import Protocol, runtime_checkable

import mpmath
import sympy as sp

Values = dict[sp.Basic, sp.Basic]
Frame = tuple[list, list[list]]
"""(centre, lower-triangular scale factor) of a density: quadrature works in z = centre + factor·u."""


@runtime_checkable
class Family(Protocol):
    """A density family as derivations use it: written ``name(z)`` in steps, explicit for checks."""

    name: str
    tail: float | None
    """Frame units beyond which the density's mass is negligible (below 1e-30), or None."""

    @property
    def variable(self) -> sp.Basic:
        """What the density is a function of: a scalar z, or a vector z."""

    @property
    def placeholder(self) -> sp.FunctionClass:
        """The opaque function ``name`` that steps are written in."""

    def at(self, x: sp.Basic | None = None) -> sp.Expr:
        """The placeholder applied to ``x`` (default: the family's variable)."""

    @property
    def parameters(self) -> tuple[sp.Expr, ...]:
        """The parameters, in the order citations compare them."""

    @property
    def domains(self) -> dict[sp.Basic, sp.Set]:
        """Where each scalar parameter may lie: the checker samples from these sets."""

    @property
    def support(self) -> sp.Set:
        """Where the density is positive (an interval for univariate families)."""

    def realise_at(self, x: sp.Basic) -> sp.Expr:
        """The explicit density at ``x``."""

    def log_density(self, x: sp.Basic) -> sp.Expr:
        """log density at ``x``, in the shape a person writes it."""

    @property
    def log_density_statement(self) -> str:
        """The identity "expand the log-density" uses for this family, in LaTeX."""

    def frame(self, values: Values, size: int, variable: sp.Basic) -> Frame:
        """Centre and scale of the density over ``variable`` at the sampled ``values``."""

    def moment(self, variable: sp.Basic, power: int) -> sp.Expr | None:
        """E[variable^power] as a proven (published) result, or None: the symbolic route's facts."""

    def coordinates(self, size: int) -> list[sp.Basic]:
        """The scalar integration variables at a concrete dimension (never sampled)."""

    def sample_matrix(self, symbol: sp.MatrixSymbol, rng_for: Callable[[sp.Basic], Random]) -> sp.Matrix | None:
        """A random valid value for a matrix parameter of this family (a Cholesky factor, the
        covariance built from it), or None for a matrix that is not the family's; ``rng_for``
        gives each symbol its own seeded generator, so Σ and L agree."""

    @property
    def text(self) -> str:
        """The family in plain Unicode, for prose."""


def draw(rng: Random, domain: sp.Set, digits: int = 30) -> sp.Float:
    """A random point of ``domain``: log-uniform in [¼, 4] above a lower bound, uniform in
    [−2, 2] on the line, uniform inside a bounded interval (away from its ends)."""
    if domain == sp.Reals:
        return sp.Float(mpmath.mpf(rng.uniform(-2, 2)), digits)
    if not isinstance(domain, sp.Interval):
        raise ValueError(f"cannot sample from {domain}")
    low, high = domain.inf, domain.sup
    if low.is_finite and high.is_finite:
        return sp.Float(mpmath.mpf(float(low)) + (mpmath.mpf(float(high)) - float(low)) * rng.uniform(0.05, 0.95),
                        digits)
    step = mpmath.mpf(4) ** rng.uniform(-1, 1)
    if low.is_finite:
        return sp.Float(low + step if low != 0 else step, digits)
    if high.is_finite:
        return sp.Float(high - step, digits)
    return sp.Float(mpmath.mpf(rng.uniform(-2, 2)), digits)


def domain_of(symbol: sp.Basic) -> sp.Set:
    """The domain a symbol's assumptions give it: (0, ∞) for positive ones, else the line."""
    return sp.Interval.open(0, sp.oo) if symbol.is_positive else sp.Reals


class FamilyBase:
    """Defaults for families: the placeholder, no derived parameters, no published moments,
    a real-line support, no matrix parameters, and frames from ``location_scale``."""

    name: str
    variable: sp.Basic
    tail: float | None = None
    """Frame units beyond which the density's mass is below 1e-30 (None: keep infinite limits);
    quadrature over a finite range converges twice as fast as over the line."""

    @property
    def placeholder(self) -> sp.FunctionClass:
        return sp.Function(self.name, real=True)

    def at(self, x: sp.Basic | None = None) -> sp.Expr:
        return self.placeholder(self.variable if x is None else x)

    @property
    def domains(self) -> dict[sp.Basic, sp.Set]:
        return {p: domain_of(p) for p in self.parameters if isinstance(p, (sp.Symbol, sp.Indexed))}

    @property
    def support(self) -> sp.Set:
        return sp.Reals

    def sample_matrix(self, symbol: sp.MatrixSymbol, rng_for: Callable[[sp.Basic], Random]) -> sp.Matrix | None:
        return None

    def moment(self, variable: sp.Basic, power: int) -> sp.Expr | None:
        return None

    def location_scale(self) -> tuple[sp.Expr, sp.Expr]:
        """(location, scale) of a univariate location-scale family."""
        raise NotImplementedError(f"{type(self).__name__} has no location and scale")

    def frame(self, values: Values, size: int, variable: sp.Basic) -> Frame:
        location, scale = self.location_scale()
        return [location.xreplace(values)], [[scale.xreplace(values)]]
