"""Special functions that stable forms use: exact definitions for the checker, two-branch
recipes for the printers.

Each is an ordinary SymPy ``Function``.  ``Context.realise`` replaces it by its
``definition``, so a step that uses one is checked like any other.  Printers emit a
helper that evaluates the ``far`` formula everywhere and, where ``|selector| < bound``
(the formula cancels there), the ``near`` series instead.
"""
from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import expm1

Assignments = tuple[tuple[sp.Symbol, sp.Expr], ...]


def estrin(coefficients: list[sp.Expr], powers: list[sp.Symbol]) -> sp.Expr:
    """Σ cₖ wᵏ by Estrin's scheme, given ``powers`` = [w, w², w⁴, …]: pairs c₂ᵢ + c₂ᵢ₊₁w, then pairs of
    those with w², and so on.  The same sum as Horner's rule with a dependency chain of log₂ of
    the length: in a vectorized loop the FMAs overlap instead of waiting on each other."""
    terms = list(coefficients)
    for power in powers:
        if len(terms) == 1:
            break
        paired = [sp.Add(terms[i], sp.Mul(power, terms[i + 1], evaluate=False), evaluate=False)
                  for i in range(0, len(terms) - 1, 2)]
        terms = paired + terms[len(paired) * 2:]  # an odd one out waits for the next level
    (single,) = terms
    return single


class SpecialFunction(sp.Function):
    """A function with an exact ``definition`` and a near/far recipe for floating point."""

    latex_name = ""
    latex_definition = ""
    parameters: tuple[sp.Symbol, ...] = ()
    far_locals: Assignments = ()
    far: sp.Expr = sp.S.Zero
    selector: sp.Expr = sp.S.Zero
    bound: sp.Expr = sp.S.Zero
    near_locals: Assignments = ()
    near: sp.Expr = sp.S.Zero
    summary = ""

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        raise NotImplementedError

    helper_name = ""

    def _latex(self, printer) -> str:
        return rf"{self.latex_name}\left({', '.join(printer._print(a) for a in self.args)}\right)"

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return self.definition(*self.args)._eval_evalf(prec)


_sigma_q, _sigma_p = sp.symbols("sigma_q sigma_p", positive=True)
_r, _log_r, _w = sp.Symbol("r", positive=True), sp.Symbol("log_r", real=True), sp.Symbol("w", nonnegative=True)
_s, _x = sp.Symbol("s", real=True), sp.Symbol("x", real=True)
_delta = sp.Symbol("delta", real=True)
_TINY, _HUGE = sp.Float("1e-290"), sp.Float("1e150")
_TWO_900, _LOG_TWO_900 = sp.Float(2**900, 30), sp.Float(900 * sp.log(2).evalf(40), 30)
_w2, _w4, _w8 = sp.symbols("w2 w4 w8", nonnegative=True)
_x2, _x4, _x8 = sp.symbols("x2 x4 x8", nonnegative=True)
SCALE_TERMS = 16
EXPM1MX_TERMS = 15


class ScaleTerm(SpecialFunction):
    """ψ(σ_q, σ_p) = ½(r² − 1) − log r with r = σ_q/σ_p: the scale part of a Gaussian KL.

    Near r = 1 it cancels to ≈ (r − 1)², so there it is evaluated from δ = (σ_q − σ_p)/σ_p
    and s = δ/(2 + δ) = (r − 1)/(r + 1) (no sum of σ's that could overflow), as
    ψ = δ²(2 − s)/2 − 2s³ Σₖ s²ᵏ/(2k + 3)   (log r = 2 atanh s, and ½(r² − 1) = δ + δ²/2),
    for |log r| < log(13/7), i.e. |s| < 0.3 (16 terms: error below 1e-19 relative).
    Elsewhere the formula itself is exact enough; for r below the normal range log r is taken
    after rescaling, and where r² overflows ψ = r²/2.
    """

    nargs = 2
    helper_name = "scale_term"
    latex_name = r"\psi"
    latex_definition = r"\tfrac12\left(r^2 - 1\right) - \log r,\ r = \sigma_q / \sigma_p"
    summary = "psi(sigma_q, sigma_p) = (r^2 - 1)/2 - log(r), r = sigma_q/sigma_p"
    parameters = (_sigma_q, _sigma_p)
    far_locals = ((_r, _sigma_q / _sigma_p),
                  # σ_q/σ_p below the normal range: rescale by 2⁹⁰⁰ before the log, so no digit is lost
                  (_log_r, sp.log(sp.Piecewise((_sigma_q * _TWO_900 / _sigma_p, _r < _TINY), (_r, True)))
                   - sp.Piecewise((_LOG_TWO_900, _r < _TINY), (0, True))))
    far = sp.Piecewise((_r**2 / 2, _r > _HUGE),  # where r² overflows, ψ is r²/2 to every digit
                       ((_r**2 - 1) / 2 - _log_r, True))
    selector = _log_r
    bound = sp.log(sp.Rational(13, 7))
    near_locals = ((_delta, (_sigma_q - _sigma_p) / _sigma_p), (_s, _delta / (2 + _delta)), (_w, _s**2),
                   (_w2, _w**2), (_w4, _w2**2), (_w8, _w4**2))
    near = (_delta**2 * (2 - _s) / 2
            - 2 * _s * _w * estrin([sp.Rational(1, 2 * k + 3) for k in range(SCALE_TERMS)], [_w, _w2, _w4, _w8]))

    @classmethod
    def definition(cls, sigma_q: sp.Expr, sigma_p: sp.Expr) -> sp.Expr:
        return ((sigma_q / sigma_p) ** 2 - 1) / 2 - sp.log(sigma_q / sigma_p)


class Expm1mx(SpecialFunction):
    """expm1mx(x) = eˣ − 1 − x, which cancels to ≈ x²/2 near 0.

    For |x| < ½ it is x² Σₖ xᵏ/(k + 2)! (15 terms: error below 1e-18 relative); elsewhere
    expm1(x) − x.
    """

    nargs = 1
    helper_name = "expm1mx"
    latex_name = r"\operatorname{expm1mx}"
    latex_definition = r"e^x - 1 - x"
    summary = "expm1mx(x) = exp(x) - 1 - x"
    parameters = (_x,)
    far = expm1(_x) - _x
    selector = _x
    bound = sp.Rational(1, 2)
    near_locals = ((_x2, _x**2), (_x4, _x2**2), (_x8, _x4**2))
    near = _x2 * estrin([sp.Rational(1, sp.factorial(k + 2)) for k in range(EXPM1MX_TERMS)], [_x, _x2, _x4, _x8])

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.exp(x) - 1 - x


SPECIAL_FUNCTIONS: tuple[type[SpecialFunction], ...] = (ScaleTerm, Expm1mx)


def realise_special(expr: sp.Expr) -> sp.Expr:
    """Replace every special function by its exact definition."""
    return expr.replace(lambda e: isinstance(e, SpecialFunction), lambda e: type(e).definition(*e.args))
