"""Eigenvalues of symmetric matrices, and positive definiteness, for the checker.

A stable form in full covariance may be a sum over the eigenvalues of a whitened matrix
(W = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ): SymPy has no symbol for "the k-th eigenvalue of a matrix
expression", so ``Eigenvalue`` is one, evaluated by mpmath (``eigsy``) once the checker has
made the matrix explicit.  ``PositiveDefinite`` is a condition the checker's points must satisfy
(Σ_α = αΣ₂ + (1 − α)Σ₁ ≻ 0 for a Rényi order α > 1), decided by a Cholesky factorisation in
mpmath at the point.
"""
from __future__ import annotations

import mpmath
import sympy as sp

DIGITS = 40


def _explicit(matrix: sp.Basic) -> sp.MatrixBase | None:
    """The matrix as numbers, or None while it has symbols."""
    value = matrix
    for _ in range(4):
        done = value.doit() if isinstance(value, sp.Basic) else value
        if done == value:
            break
        value = done
    if isinstance(value, sp.MatrixExpr) and not value.free_symbols and all(sp.sympify(x).is_Integer for x in value.shape):
        value = value.as_explicit()
    if isinstance(value, sp.MatrixBase) and all(x.is_number for x in value):
        return value
    return None


def _mp_matrix(matrix: sp.MatrixBase) -> mpmath.matrix:
    return mpmath.matrix([[mpmath.mpf(sp.N(x, DIGITS)) for x in matrix.row(i)] for i in range(matrix.rows)])


def _eigenvalues(matrix: sp.MatrixBase) -> tuple[sp.Float, ...]:
    with mpmath.workdps(DIGITS):
        values = sorted(mpmath.eigsy(_mp_matrix(matrix), eigvals_only=True))
        return tuple(sp.Float(v, DIGITS) for v in values)


class Eigenvalue(sp.Function):
    """λ_k(W): the eigenvalues of a symmetric matrix W, in ascending order, k = 0, 1, …; a sum
    over k takes each once, whatever the order."""

    nargs = 2
    is_extended_real = True

    @classmethod
    def eval(cls, matrix: sp.Basic, k: sp.Basic):
        """A number once the matrix is explicit (at 40 digits), so that conditions on it decide."""
        explicit = _explicit(matrix)
        if explicit is None or not k.is_Integer:
            return None
        return _eigenvalues(explicit)[int(k)]

    def _latex(self, printer, exp=None) -> str:
        shown = rf"\lambda_{{{printer._print(self.args[1])}}}"
        return shown if exp is None else rf"{shown}^{{{exp}}}"

    def _sympystr(self, printer) -> str:
        return f"λ_{printer._print(self.args[1])}({printer._print(self.args[0])})"


class PositiveDefinite(sp.Function):
    """The condition A ≻ 0, true or false once A is explicit (a Cholesky factorisation at 40
    digits succeeds), unevaluated before; an unevaluated one is never taken for true."""

    nargs = 1

    @classmethod
    def eval(cls, matrix: sp.Basic):
        explicit = _explicit(matrix)
        if explicit is None:
            return None
        with mpmath.workdps(DIGITS):
            try:
                mpmath.cholesky(_mp_matrix(explicit))
            except ValueError:
                return sp.false
        return sp.true

    def __bool__(self) -> bool:
        raise TypeError(f"{self} is undecided: the matrix is not explicit")

    def _latex(self, printer) -> str:
        return rf"{printer._print(self.args[0])} \succ 0"
