"""Special functions that stable forms use: exact definitions for the checker, recipes for
the printers.

Each is an ordinary SymPy ``Function``.  ``Context.realise`` replaces it by its
``definition``, so a step that uses one is checked like any other.  Printers emit a
helper that evaluates the ``far`` formula everywhere and, where ``|selector| < bound``
(the formula cancels there), the ``near`` series instead.  A function may also carry a
``fast`` recipe for vectorised loops: the same instructions for every element and no libm
call, NaN outside the inputs it is exact for (the loops recompute those elements by the
helper).
"""
from __future__ import annotations

import mpmath
import sympy as sp
from sympy.codegen.cfunctions import expm1, hypot, log1p

Assignments = tuple[tuple[sp.Symbol, sp.Expr], ...]


def horner(coefficients: tuple[float, ...] | list[sp.Expr], x: sp.Symbol) -> sp.Expr:
    """Σ cₖ xᵏ as c₀ + x(c₁ + x(c₂ + …)), kept unevaluated so that it prints in that order:
    one multiply-add per coefficient, the fewest operations."""
    total = sp.sympify(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        total = sp.Add(sp.sympify(c), sp.Mul(x, total, evaluate=False), evaluate=False)
    return total


ATANH_TAIL_BOUND = sp.Rational(9, 100)
"""w = s² ≤ 0.09, i.e. |s| ≤ 0.3: the widest range the ψ helpers use the tail on (r = 13/7)."""
ATANH_TAIL = (0.3333333333333333, 0.20000000000000986, 0.14285714285353665, 0.11111111162196165,
              0.09090905424531916, 0.07692458351815545, 0.06662915697122629, 0.05939688448611953,
              0.047418568133941144, 0.07283496074780077)
"""Coefficients (lowest degree first) of a polynomial P with P(w) ≈ Σₖ wᵏ/(2k + 3)
= (atanh(√w)/√w − 1)/w on 0 ≤ w ≤ 0.09, so that 2 atanh s = 2s + 2s·w·P(w) with w = s².
From ``mpmath.chebyfit`` (10 terms); the tests check |error| < 2e-17 with mpmath.  The
Taylor series itself needs 16 terms for the same accuracy."""


EXPM1_TAIL_BOUND = sp.Rational(1, 2)
"""|x| ≤ ½: the range the expm1mx helpers use the tail on."""
EXPM1_TAIL = (0.5, 0.16666666666666666, 0.04166666666666706, 0.00833333333333336, 0.001388888888870455,
              0.00019841269841146993, 2.4801587616145414e-05, 2.755731943362024e-06, 2.7557076636642725e-07,
              2.505194670972162e-08, 2.0962955815976076e-09, 1.6116496514371548e-10)
"""Coefficients (lowest degree first) of a polynomial Q with Q(x) ≈ (eˣ − 1 − x)/x²
= Σₖ xᵏ/(k + 2)! on |x| ≤ ½.  From ``mpmath.chebyfit`` (12 terms); the tests check the
relative error is below 2e-17 with mpmath.  The Taylor series needs 15 terms for that."""


def expm1_tail(x: sp.Expr) -> sp.Expr:
    """What EXPM1_TAIL approximates, exactly: (eˣ − 1 − x)/x²."""
    return (sp.exp(x) - 1 - x) / x**2


def atanh_tail(w: sp.Expr) -> sp.Expr:
    """What ATANH_TAIL approximates, exactly: (atanh(√w)/√w − 1)/w."""
    return (sp.atanh(sp.sqrt(w)) / sp.sqrt(w) - 1) / w


def _binary(x: sp.Expr, prec: int) -> tuple[sp.Float, int] | None:
    """(significand ∈ [1, 2), exponent) of a positive number, exactly (mpmath's frexp)."""
    value = x.evalf(prec)
    if not (value.is_Number and value > 0):
        return None
    with mpmath.workprec(prec):
        mantissa, exponent = mpmath.frexp(sp.Float(value, precision=prec)._to_mpmath(prec))
        return sp.Float(2 * mantissa, precision=prec), int(exponent) - 1


class BinaryExponent(sp.Function):
    """⌊log₂ x⌋ for x > 0: the exponent field of a double, read from its bits by the C printer.
    Exact for normal doubles only (x ≥ 2⁻¹⁰²²)."""

    nargs = 1

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        parts = _binary(self.args[0], prec)
        return None if parts is None else sp.Float(parts[1], precision=prec)


class Significand(sp.Function):
    """x / 2^⌊log₂ x⌋ ∈ [1, 2) for x > 0: the significand of a double, read from its bits.
    Exact for normal doubles only."""

    nargs = 1

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        parts = _binary(self.args[0], prec)
        return None if parts is None else parts[0]


class RoundToInteger(sp.Function):
    """The integer nearest x (ties to even), as a double: rint, which the C helper gets from
    the compiler as one instruction (or by adding and subtracting 1.5·2⁵², for |x| < 2⁵¹)."""

    nargs = 1

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        value = self.args[0].evalf(prec)
        if not value.is_Number:
            return None
        with mpmath.workprec(prec):
            return sp.Float(mpmath.nint(sp.Float(value, precision=prec)._to_mpmath(prec)), precision=prec)


class PowerOfTwo(sp.Function):
    """2ᵏ for an integer k in [−1022, 1023], written into the exponent bits by the C printer."""

    nargs = 1

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        k = self.args[0].evalf(prec)
        return sp.Float(2, precision=prec) ** k if k.is_Number else None


BINARY_FUNCTIONS = (BinaryExponent, Significand, RoundToInteger, PowerOfTwo)
"""Functions the C printer reads from or writes into the bits of a double."""


class SpecialFunction(sp.Function):
    """A function with an exact ``definition``, a near/far recipe for floating point and,
    optionally, a branch-free ``fast`` recipe."""

    latex_name = ""
    latex_definition = ""
    parameters: tuple[sp.Symbol, ...] = ()
    far_locals: Assignments = ()
    far: sp.Expr = sp.S.Zero
    selector: sp.Expr = sp.S.Zero
    bound: sp.Expr = sp.S.Zero
    near_locals: Assignments = ()
    near: sp.Expr = sp.S.Zero
    fast_locals: Assignments = ()
    fast: sp.Expr | None = None
    """Branch-free recipe: a Piecewise whose conditions compilers turn into selects, ending in
    NaN for the inputs it is not exact for."""
    fast_domain = ""
    """Where ``fast`` gives NaN, in words for the printed comment."""
    summary = ""

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        raise NotImplementedError

    helper_name = ""

    pretty_name = ""
    """The name in plain Unicode (ψ, expm1mx), for the terminal: never the class name."""
    text_definition = ""
    """Its definition in plain Unicode, for the terminal's 'where' lines."""

    def _latex(self, printer) -> str:
        return rf"{self.latex_name}\left({', '.join(printer._print(a) for a in self.args)}\right)"

    def _pretty(self, printer):
        return printer._print_Function(self, func_name=self.pretty_name or type(self).__name__)

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return self.definition(*self.args)._eval_evalf(prec)


_sigma_q, _sigma_p = sp.symbols("sigma_q sigma_p", positive=True)
_r, _log_r, _w = sp.Symbol("r", positive=True), sp.Symbol("log_r", real=True), sp.Symbol("w", nonnegative=True)
_s, _x = sp.Symbol("s", real=True), sp.Symbol("x", real=True)
_delta, _tail, _low = sp.Symbol("delta", real=True), sp.Symbol("tail", real=True), sp.Symbol("low", real=True)
_exponent, _significand = sp.Symbol("exponent", real=True), sp.Symbol("significand", positive=True)
_k, _m, _half_r = sp.Symbol("k", real=True), sp.Symbol("m", positive=True), sp.Symbol("half_r", positive=True)
_TINY, _HUGE = sp.Float("1e-290"), sp.Float("1e290")
_SMALLEST_NORMAL = sp.Float(2.0**-1022)
_SQRT_2 = sp.Float(2**0.5)
# log 2 = _LN2_HI + _LN2_LO, _LN2_HI with 32 significant bits: k·_LN2_HI is exact for |k| < 2²¹
_LN2_HI, _LN2_LO = sp.Float(0.6931471803691238), sp.Float(1.9082149292705877e-10)
_f, _f2, _two_k = sp.Symbol("f", real=True), sp.Symbol("f2", nonnegative=True), sp.Symbol("two_k", positive=True)
_reduced, _two_k_less_one, _rest = sp.symbols("reduced two_k_less_one rest", real=True)
_INVERSE_LN2 = sp.Float(1 / 0.6931471805599453)


class ScaleTerm(SpecialFunction):
    """ψ(σ_q, σ_p) = ½(r² − 1) − log r with r = σ_q/σ_p: the scale part of a Gaussian KL.

    Near r = 1 it cancels to ≈ (r − 1)², so there it is evaluated from δ = (σ_q − σ_p)/σ_p
    and s = δ/(2 + δ) = (r − 1)/(r + 1) (no sum of σ's that could overflow), as
    ψ = δ²(2 − s)/2 − 2s³ P(s²)   (log r = 2 atanh s = 2s + 2s³ P(s²), ½(r² − 1) = δ + δ²/2),
    for |log r| < log(13/7), i.e. |s| < 0.3, with P the 10-term fit ``ATANH_TAIL``.
    Elsewhere the formula itself is exact enough, as r·(r/2) − ½ − log r (r² would overflow
    before ψ does); for r at the ends of the double range log r is log σ_q − log σ_p.

    The ``fast`` recipe computes log r itself, with the same P: r = 2ᵏ m with m ∈ [√½, √2]
    read from the bits of r, and log r = k log 2 + 2 atanh((m − 1)/(m + 1)).  One polynomial
    and one division serve both branches, so a vectorised loop needs no libm call; it is
    exact for every r in the normal range and NaN below it.
    """

    nargs = 2
    helper_name = "scale_term"
    latex_name = r"\psi"
    pretty_name = "ψ"
    text_definition = "ψ(σ_q, σ_p) = ½(r² − 1) − log r, r = σ_q/σ_p"
    latex_definition = r"\tfrac12\left(r^2 - 1\right) - \log r,\ r = \sigma_q / \sigma_p"
    summary = "psi(sigma_q, sigma_p) = (r^2 - 1)/2 - log(r), r = sigma_q/sigma_p"
    parameters = (_sigma_q, _sigma_p)
    far_locals = ((_r, _sigma_q / _sigma_p),
                  # where σ_q/σ_p leaves the normal range (or overflows), log σ_q − log σ_p: |log r| > 667
                  # there, so the difference loses nothing, and it stays finite (ψ = ∞, not ∞ − ∞)
                  (_log_r, sp.Piecewise((sp.log(_sigma_q) - sp.log(_sigma_p), (_r > _HUGE) | (_r < _TINY)),
                                        (sp.log(_r), True))),
                  (_half_r, _r / 2))  # r·(r/2) overflows only where ψ does; r² would overflow sooner
    far = _r * _half_r - sp.Rational(1, 2) - _log_r
    selector = _log_r
    bound = sp.log(sp.Rational(13, 7))
    near_locals = ((_delta, (_sigma_q - _sigma_p) / _sigma_p), (_s, _delta / (2 + _delta)), (_w, _s**2))
    near = _delta**2 * (2 - _s) / 2 - 2 * _s * _w * horner(ATANH_TAIL, _w)

    _near = sp.And(_r > sp.Rational(7, 13), _r < sp.Rational(13, 7))  # |log r| < log(13/7)
    _high = _significand > _SQRT_2
    fast_locals = (
        (_r, _sigma_q / _sigma_p),
        (_exponent, BinaryExponent(_r)), (_significand, Significand(_r)),
        (_k, sp.Piecewise((_exponent + 1, _high), (_exponent, True))),  # r = 2ᵏ m, m ∈ [√½, √2]
        (_m, sp.Piecewise((_significand / 2, _high), (_significand, True))),
        (_x, sp.Piecewise(((_sigma_q - _sigma_p) / _sigma_p, _near), (_m - 1, True))),  # δ near r = 1
        (_s, _x / (_x + 2)), (_w, _s**2),
        (_tail, 2 * _s * _w * horner(ATANH_TAIL, _w)),  # 2 atanh s − 2s
        (_low, _k * _LN2_LO + 2 * _s + _tail),  # log r − k·log2_hi, added last: k·log2_hi is exact
        (_log_r, _k * _LN2_HI + _low),
        (_half_r, _r / 2))  # r·(r/2) overflows only where ψ does; r² would overflow sooner
    fast_domain = "NaN where r is below the normal range (r < 2^-1022)"
    fast = sp.Piecewise((_x**2 * (2 - _s) / 2 - _tail, _near),
                        (_r * _half_r - sp.Rational(1, 2) - _log_r, _r >= _SMALLEST_NORMAL),
                        (sp.nan, True))

    @classmethod
    def definition(cls, sigma_q: sp.Expr, sigma_p: sp.Expr) -> sp.Expr:
        return ((sigma_q / sigma_p) ** 2 - 1) / 2 - sp.log(sigma_q / sigma_p)


class Expm1mx(SpecialFunction):
    """expm1mx(x) = eˣ − 1 − x, which cancels to ≈ x²/2 near 0.

    For |x| < ½ it is x² Q(x), Q the 12-term fit ``EXPM1_TAIL``; elsewhere expm1(x) − x.

    The ``fast`` recipe computes eˣ itself, with the same Q: eˣ = 2ᵏ e^f with k the integer
    nearest x/log 2 and |f| ≤ ½ log 2, e^f − 1 = f + f² Q(f), and eˣ − 1 − x =
    2ᵏ(e^f − 1) + ((2ᵏ − 1) − x), in which 2ᵏ − 1 is exact wherever it matters (|k| ≤ 53).
    Near 0 it takes k = 0, so f = x and the same polynomial gives x² Q(x).  NaN where 2ᵏ
    leaves the normal range.
    """

    nargs = 1
    helper_name = "expm1mx"
    latex_name = r"\operatorname{expm1mx}"
    pretty_name = "expm1mx"
    text_definition = "expm1mx(x) = eˣ − 1 − x"
    latex_definition = r"e^x - 1 - x"
    summary = "expm1mx(x) = exp(x) - 1 - x"
    parameters = (_x,)
    far = expm1(_x) - _x
    selector = _x
    bound = EXPM1_TAIL_BOUND
    near = _x**2 * horner(EXPM1_TAIL, _x)

    _near = sp.Abs(_x) < EXPM1_TAIL_BOUND
    fast_locals = (
        (_k, sp.Piecewise((0, _near), (RoundToInteger(_x * _INVERSE_LN2), True))),
        (_reduced, _x - _k * _LN2_HI),  # exact
        (_f, _reduced - _k * _LN2_LO),  # x − k log 2
        (_f2, _f**2),
        (_tail, _f2 * horner(EXPM1_TAIL, _f)),  # e^f − 1 − f
        (_two_k, PowerOfTwo(_k)),
        (_two_k_less_one, _two_k - 1),  # exact
        (_rest, _two_k_less_one - _x))
    fast_domain = "NaN where 2^k leaves the normal range (x < -708 or x > 700)"
    fast = sp.Piecewise((_tail, _near),
                        (_two_k * (_f + _tail) + _rest, (_x > -708) & (_x < 700)),
                        (sp.nan, True))

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.exp(x) - 1 - x


_HALF_E, _HALF_E_LESS_ONE = sp.Float((sp.E / 2).evalf(36), 36), sp.Float(((sp.E - 1) / 2).evalf(36), 36)
"""e/2 and (e − 1)/2 as literals: C99 has no M_E (it is POSIX)."""


class HalfExpm1mx(Expm1mx):
    """½ expm1mx(x) = (eˣ − 1 − x)/2, the VAE loss term's half: finite up to x = 710.48, where
    expm1mx itself overflows from x = 709.78.

    The recipes are expm1mx's, halved (exact), except above x = 709, where the far formula is
    ½(e·e^(x − 1) − 1 − x) = (e/2) expm1(x − 1) + (e − 1 − x)/2: x − 1 is exact there (x ≥ 512),
    and the two terms do not cancel.  The fast recipe is NaN there already (x > 700).
    """

    helper_name = "half_expm1mx"
    latex_name = r"\tfrac12\operatorname{expm1mx}"
    pretty_name = "½expm1mx"
    text_definition = "½expm1mx(x) = ½(eˣ − 1 − x)"
    latex_definition = r"\tfrac12\left(e^x - 1 - x\right)"
    summary = "half_expm1mx(x) = (exp(x) - 1 - x)/2"
    far = sp.Piecewise((_HALF_E * expm1(_x - 1) + (_HALF_E_LESS_ONE - _x / 2), _x > 709),
                       (sp.Mul(sp.Rational(1, 2), expm1(_x) - _x, evaluate=False), True))  # one halving, last
    near = _x**2 * horner(EXPM1_TAIL, _x) / 2
    fast = sp.Mul(sp.Rational(1, 2), Expm1mx.fast, evaluate=False)  # one halving of the selected value

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return (sp.exp(x) - 1 - x) / 2


class Log1pmx(SpecialFunction):
    """log1pmx(x) = log(1 + x) − x, which cancels to ≈ −x²/2 near 0.

    With s = x/(2 + x), log(1 + x) = 2 atanh s = 2s + 2s³ P(s²) and x − 2s = s x, so
    log1pmx(x) = s (2 s² P(s²) − x), two terms that do not cancel; used for |s| < 0.3
    (−0.46 < x < 0.86), P the fit ``ATANH_TAIL`` that ψ uses.  Elsewhere log1p(x) − x, which
    loses at most two bits there.  NaN below −1, as log1p.
    """

    nargs = 1
    helper_name = "log1pmx"
    latex_name = r"\operatorname{log1pmx}"
    pretty_name = "log1pmx"
    text_definition = "log1pmx(x) = log(1 + x) − x"
    latex_definition = r"\log(1 + x) - x"
    summary = "log1pmx(x) = log(1 + x) - x"
    parameters = (_x,)
    far = log1p(_x) - _x
    selector = _x / (2 + _x)
    bound = sp.Rational(3, 10)
    near_locals = ((_s, _x / (2 + _x)), (_w, _s**2))
    near = _s * (2 * _w * horner(ATANH_TAIL, _w) - _x)

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.log(1 + x) - x


class NormalQuantile(SpecialFunction):
    """Φ⁻¹(u), the standard normal quantile function: a name for the write-ups (the quantile
    coupling of W₂), realised as √2 erf⁻¹(2u − 1) for the checker.  No kernel prints it, so it
    has no floating-point recipe and is not among ``SPECIAL_FUNCTIONS``."""

    nargs = 1
    latex_name = r"\Phi^{-1}"
    pretty_name = "Φ⁻¹"
    text_definition = "Φ⁻¹(u) = √2 erf⁻¹(2u − 1), the standard normal quantile"
    latex_definition = r"\sqrt{2}\,\operatorname{erf}^{-1}(2u - 1)"
    summary = "Phi^-1(u) = sqrt(2) erfinv(2u - 1), the standard normal quantile"
    parameters = (sp.Symbol("u", real=True),)

    @classmethod
    def definition(cls, u: sp.Expr) -> sp.Expr:
        return sp.sqrt(2) * sp.erfinv(2 * u - 1)


SPECIAL_FUNCTIONS: tuple[type[SpecialFunction], ...] = (ScaleTerm, Expm1mx, HalfExpm1mx, Log1pmx)


def realise_special(expr: sp.Expr) -> sp.Expr:
    """Replace every special function by its exact definition."""
    return expr.replace(lambda e: isinstance(e, SpecialFunction), lambda e: type(e).definition(*e.args))


def elementary(expr: sp.Expr) -> sp.Expr:
    """log1p(x), expm1(x) and hypot(x, y), SymPy's codegen functions, as log(1 + x), eˣ − 1 and
    √(x² + y²): the same values in functions that simplify and evaluate (and that plain SymPy
    reads back)."""
    return expr.replace(lambda e: isinstance(e, log1p), lambda e: sp.log(1 + e.args[0])).replace(
        lambda e: isinstance(e, expm1), lambda e: sp.exp(e.args[0]) - 1).replace(
        lambda e: isinstance(e, hypot), lambda e: sp.sqrt(e.args[0] ** 2 + e.args[1] ** 2))
