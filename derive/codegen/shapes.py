"""Expression shapes that every backend prints its own way, recognised in one place."""
from __future__ import annotations

import sympy as sp


def half_square(expr: sp.Expr) -> sp.Expr | None:
    """x for x²/2, else None.  Printed as (x/2)·x: x·x would overflow where x²/2 does not."""
    if not isinstance(expr, sp.Mul):
        return None
    coefficient, factors = expr.as_coeff_mul()
    if coefficient == sp.Rational(1, 2) and len(factors) == 1 and factors[0].is_Pow and factors[0].exp == 2:
        return factors[0].base
    return None
