"""Rules for Gaussian integrals: write the densities out, combine the exponentials, complete the
square, integrate.

In the manner of SymPy's ``manualintegrate``, each rule is a small function whose docstring
states the law it uses; the ``Rule`` objects built from them carry the same law in LaTeX.
Every rule acts on ``Integral`` nodes only and returns anything it does not match unchanged,
so a derivation can offer a rule and see whether it applied.

The closed forms hold under conditions (a > 0, A symmetric positive definite).  A rule applies
only when SymPy's assumptions on the symbols, together with conditions the derivation states
(``given``), establish them: ``established_positive`` and ``established_positive_definite`` are
the tests, for reuse by derivations that must state such a condition themselves (Rényi-α for
α > 1 needs σ_α² = ασ₂² + (1 − α)σ₁² > 0, which no assumption on α, σ₁, σ₂ alone implies).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from derive.engine.context import Context
from derive.engine.rules import Rule
from derive.models.mvn import MultivariateNormal, scalar
from derive.models.normal import Normal

Condition = sp.logic.boolalg.Boolean
"""A stated fact: ``sp.Q.positive(expr)``, ``sp.Q.positive_definite(A)``, ``sp.Q.symmetric(A)``."""


# ---------------------------------------------------------------------------------------------
# Conditions


def established_positive(expr: sp.Expr, given: Iterable[Condition] = ()) -> bool:
    """True when expr > 0 follows from SymPy's assumptions and the ``given`` conditions.

    False means "not established", never a guess: an expression of unknown sign is refused.
    Beyond ``expr.is_positive`` and ``sp.ask``, the expression is put over a common
    denominator and each factor of numerator and denominator is tested on its own, so that
    (ασ₂² + (1 − α)σ₁²)/(2σ₁²σ₂²) is positive given Q.positive(ασ₂² + (1 − α)σ₁²).
    """
    given = tuple(given)
    if _positive_factor(expr, given):
        return True
    numerator, denominator = sp.fraction(sp.together(expr))
    return all(_positive_factor(part, given) or all(_positive_factor(f, given) for f in sp.Mul.make_args(part))
               for part in (numerator, denominator))


def _positive_factor(f: sp.Expr, given: tuple[Condition, ...]) -> bool:
    """f > 0 by its own assumptions, by a stated Q.positive(g) with g = f, or as g^k with g > 0."""
    if f.is_positive:
        return True
    if f.is_Pow and f.exp.is_extended_real and _positive_factor(f.base, given):
        return True
    stated = [sp.expand(c.arguments[0]) for c in given if isinstance(c, sp.assumptions.AppliedPredicate)
              and c.function == sp.Q.positive]
    if sp.expand(f) in stated:
        return True
    return bool(given) and _ask(sp.Q.positive(f), given)


def established_positive_definite(matrix: sp.MatrixExpr, given: Iterable[Condition] = ()) -> bool:
    """True when ``matrix`` is symmetric and positive definite by the ``given`` conditions (sp.ask)."""
    given = tuple(given)
    return all(predicate(matrix) in given or _ask(predicate(matrix), given)
               for predicate in (sp.Q.symmetric, sp.Q.positive_definite))


def _ask(proposition: Condition, given: tuple[Condition, ...]) -> bool:
    """sp.ask(...) is True; SymPy 1.14's matrix handlers raise TypeError on a scalar factor of unknown
    sign (``factor > 0`` in the MatMul handler): that is "not established" too."""
    try:
        return sp.ask(proposition, sp.And(*given)) is True
    except TypeError:
        return False


def _symmetric(expr: sp.Expr, given: tuple[Condition, ...]) -> sp.Expr:
    """Xᵀ -> X for every matrix X stated symmetric (Q.symmetric(X) in ``given``)."""
    symmetric = [c.arguments[0] for c in given if isinstance(c, sp.assumptions.AppliedPredicate)
                 and c.function == sp.Q.symmetric]
    return expr.xreplace({sp.Transpose(x): x for x in symmetric})


def _latex_condition(condition: Condition) -> str:
    """Q.positive(x) as x > 0, Q.positive_definite(A) as A ≻ 0, Q.symmetric(A) as A = Aᵀ."""
    (argument,) = condition.arguments
    shown = sp.latex(argument)
    return {sp.Q.positive: rf"{shown} > 0", sp.Q.positive_definite: rf"{shown} \succ 0",
            sp.Q.symmetric: rf"{shown} = {{{shown}}}^T"}.get(condition.function, sp.latex(condition))  # {Σ⁻¹}ᵀ: not ^{-1}^T


def _with_conditions(law: str, requirement: str, given: tuple[Condition, ...]) -> str:
    separator = r",\ "
    stated = r";\ \text{given } " + separator.join(_latex_condition(c) for c in given) if given else ""
    return rf"{law} \quad ({requirement}{stated})"


def _is_real(expr: sp.Expr) -> bool:
    """expr is real: matrix elements (of this project's real matrices) are taken as real."""
    elements = {e: sp.Dummy(real=True) for e in expr.atoms(MatrixElement)}
    return expr.xreplace(elements).is_extended_real is True


# ---------------------------------------------------------------------------------------------
# Walking integrals

def _each_integral(rewrite: Callable[[sp.Integral, Context], sp.Expr]) -> Callable[[sp.Expr, Context], sp.Expr]:
    """Apply ``rewrite`` to every integral in an expression (innermost first)."""
    def transform(expr: sp.Expr, context: Context) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, sp.Integral), lambda i: rewrite(i, context))
    return transform


def _whole_line_variable(integral: sp.Integral) -> sp.Symbol | None:
    """z for ∫_{−∞}^{∞} … dz in one scalar variable, else None (finite limits, several variables)."""
    if len(integral.limits) != 1 or len(integral.limits[0]) != 3:
        return None
    (var, lo, hi), = integral.limits
    return var if (lo, hi) == (-sp.oo, sp.oo) and isinstance(var, sp.Symbol) else None


def _whole_space_vector(integral: sp.Integral) -> sp.MatrixSymbol | None:
    """z for ∫_{ℝⁿ} … dz over a column vector (written without limits), else None."""
    if len(integral.limits) != 1 or len(integral.limits[0]) != 1:
        return None
    (var,), = integral.limits
    return var if isinstance(var, sp.MatrixSymbol) and var.shape[1] == 1 else None


# ---------------------------------------------------------------------------------------------
# 1. Write the densities out


def write_out_densities(integral: sp.Integral, context: Context) -> sp.Expr:
    """∫ q(z)^α p(z)^β dz -> ∫ (e^{−(z−μ₁)²/(2σ₁²)}/√(2πσ₁²))^α (…)^β dz: each placeholder by its formula."""
    integrand = integral.function
    for model in context.models:
        integrand = integrand.replace(model.placeholder, model.realise_at)
    return sp.Integral(integrand, *integral.limits)


# ---------------------------------------------------------------------------------------------
# 2. Combine the exponentials


def as_exponential(factor: sp.Expr, var: sp.Basic) -> tuple[sp.Expr, sp.Expr] | None:
    """(C, E) with factor = C·e^E and C free of var, or None.

    c -> (c, 0) for c free of var;  e^E -> (1, E);  products factor by factor;
    (C·e^E)^k -> (C^k, kE) for an integer k, or for real k when C > 0 and E is real
    (then C·e^E > 0 and the power of a product is the product of the powers).
    """
    if not factor.has(var):
        return factor, sp.Integer(0)
    if isinstance(factor, sp.exp):
        return sp.Integer(1), factor.args[0]
    if factor.is_Mul:
        parts = [as_exponential(f, var) for f in factor.args]
        if any(p is None for p in parts):
            return None
        return sp.Mul(*(c for c, _ in parts)), sp.Add(*(e for _, e in parts))
    if factor.is_Pow and not factor.exp.has(var):
        inner = as_exponential(factor.base, var)
        if inner is None:
            return None
        constant, exponent = inner
        k = factor.exp
        if k.is_integer or (k.is_extended_real and established_positive(constant) and _is_real(exponent)):
            return constant**k, k * exponent
    return None


def combine_exponentials(integral: sp.Integral, context: Context) -> sp.Expr:
    """∫ c · (e^{E₁})^{k₁} · e^{E₂} ⋯ dz -> ∫ C e^{k₁E₁ + E₂ + ⋯} dz, C free of z (densities are positive)."""
    var = integral.limits[0][0]
    factors = sp.Mul.make_args(integral.function)
    if sum(1 for f in factors if f.has(var)) < 2 and not any(f.is_Pow and f.has(var) for f in factors):
        return integral  # already one exponential (or nothing to combine)
    parts = as_exponential(integral.function, var)
    if parts is None:
        return integral
    constant, exponent = parts
    return sp.Integral(constant * sp.exp(exponent), *integral.limits)


# ---------------------------------------------------------------------------------------------
# 3. Complete the square


def completed_square(exponent: sp.Expr, var: sp.Symbol) -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
    """(a, m, k) when the exponent is written −a(z − m)² + k (a, m, k free of z), else None.

    The square may be of any linear s·z + t: −c(s z + t)² = −c s²(z + t/s)².
    """
    with_var = [t for t in sp.Add.make_args(exponent) if t.has(var)]
    if len(with_var) != 1:
        return None
    (term,) = with_var
    coefficient, square = term.as_independent(var, as_Add=False)
    if not (square.is_Pow and square.exp == 2 and square.base.is_polynomial(var)):
        return None
    linear = sp.Poly(square.base, var)
    if linear.degree() != 1:
        return None
    s, t = linear.all_coeffs()
    return -coefficient * s**2, -t / s, exponent - term


def _tidy(expr: sp.Expr) -> sp.Expr:
    """One fraction, factored: how a coefficient is written on paper."""
    return sp.factor(sp.cancel(expr))


def complete_square_in(exponent: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """−a z² + b z + c -> −a (z − b/(2a))² + c + b²/(4a), for a quadratic in z (else unchanged)."""
    if completed_square(exponent, var) is not None or not exponent.is_polynomial(var):
        return exponent
    polynomial = sp.Poly(exponent, var)
    if polynomial.degree() != 2:
        return exponent
    minus_a, b, c = polynomial.all_coeffs()
    a = _tidy(-minus_a)
    centre, rest = _tidy(b / (2 * a)), _tidy(c + b**2 / (4 * a))
    return -a * (var - centre) ** 2 + rest


def complete_the_square(integral: sp.Integral, context: Context) -> sp.Expr:
    """∫ C e^{−a z² + b z + c} dz -> ∫ C e^{−a (z − b/(2a))² + c + b²/(4a)} dz."""
    var = integral.limits[0][0]
    if not isinstance(var, sp.Symbol):
        return integral
    integrand = integral.function.replace(lambda e: isinstance(e, sp.exp) and e.has(var),
                                          lambda e: sp.exp(complete_square_in(e.args[0], var)))
    return sp.Integral(integrand, *integral.limits)


# ---------------------------------------------------------------------------------------------
# 4. The Gaussian integral


def gaussian_integral_value(integral: sp.Integral, given: tuple[Condition, ...] = ()) -> sp.Expr:
    """∫_{−∞}^{∞} C e^{−a(z − m)² + k} dz -> C √(π/a) e^k, when a > 0 is established."""
    var = _whole_line_variable(integral)
    if var is None:
        return integral
    constant, rest = integral.function.as_independent(var, as_Add=False)
    if not isinstance(rest, sp.exp):
        return integral
    parts = completed_square(rest.args[0], var)
    if parts is None:
        return integral
    a, _, k = parts
    if not established_positive(a, given):
        return integral
    return constant * sp.sqrt(sp.pi / a) * sp.exp(k)


def gaussian_integral(given: Iterable[Condition] = ()) -> Rule:
    """The rule ∫ C e^{−a(z−m)²+k} dz = C√(π/a) e^k, applying where a > 0 follows from ``given``."""
    given = tuple(given)
    return Rule(
        "Gaussian integral",
        _with_conditions(r"\int_{-\infty}^{\infty} C\,e^{-a(z-m)^2 + k}\,dz = C\sqrt{\frac{\pi}{a}}\,e^{k}",
                         "a > 0", given),
        _each_integral(lambda integral, _: gaussian_integral_value(integral, given)))


# ---------------------------------------------------------------------------------------------
# 5. A product of powers of normal densities


def _normal_power(factor: sp.Expr, var: sp.Basic, context: Context, family: type = Normal):
    """(model, α) for a factor q(z)^α (α free of z) of a model of ``family`` in the context, else None."""
    base, power = factor.as_base_exp()
    model = context.model(base.func) if isinstance(base, sp.core.function.AppliedUndef) else None
    if isinstance(model, family) and base.args == (var,) and not power.has(var):
        return model, power
    return None


def normal_product(powers: list[tuple[Normal, sp.Expr]], var: sp.Symbol) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(C, m, s²) with Π qᵢ(z)^{αᵢ} = C · N(z; m, s²) for qᵢ = N(μᵢ, σᵢ²).

    With precisions aᵢ = αᵢ/σᵢ²:  λ = Σ aᵢ,  s² = 1/λ,  m = s² Σ aᵢμᵢ, and
    C = Π (2πσᵢ²)^{−αᵢ/2} · √(2πs²) · exp(−(1/(2λ)) Σ_{i<j} aᵢaⱼ(μᵢ − μⱼ)²);
    for two factors the exponent is −αβ(μ₁ − μ₂)²/(2(ασ₂² + βσ₁²)).
    """
    precisions = [(alpha / m.std**2, m.mean) for m, alpha in powers]
    total = sp.Add(*(a for a, _ in precisions))
    variance = _tidy(1 / total)
    centre = _tidy(sp.Add(*(a * mean for a, mean in precisions)) / total)
    spread = sp.Add(*(a_i * a_j * (m_i - m_j) ** 2 for (i, (a_i, m_i)) in enumerate(precisions)
                      for (a_j, m_j) in precisions[i + 1:]))
    constant = (sp.Mul(*((2 * sp.pi * m.std**2) ** (-alpha / 2) for m, alpha in powers))
                * sp.sqrt(2 * sp.pi * variance) * sp.exp(_tidy(-spread / (2 * total))))
    return constant, centre, variance


def product_of_gaussian_powers_in(integral: sp.Integral, context: Context,
                                  given: tuple[Condition, ...] = ()) -> sp.Expr:
    """∫ q(z)^α p(z)^β g(z) dz -> ∫ C N(z; m, s²) g(z) dz with the normal written out (needs λ > 0)."""
    var = _whole_line_variable(integral)
    if var is None:
        return integral
    factors = sp.Mul.make_args(integral.function)
    powers = {f: _normal_power(f, var, context) for f in factors}
    matched = sorted((p for p in powers.values() if p is not None), key=lambda p: context.models.index(p[0]))
    models = [model for model, _ in matched]
    if not matched or len(set(models)) != len(models) or matched == [(models[0], 1)]:
        return integral  # no density, one density twice, or a lone q(z) (already a normal)
    if not established_positive(sp.Add(*(alpha / model.std**2 for model, alpha in matched)), given):
        return integral
    constant, centre, variance = normal_product(matched, var)
    normal = sp.exp(-(var - centre) ** 2 / (2 * variance)) / sp.sqrt(2 * sp.pi * variance)
    rest = sp.Mul(*(f for f in factors if powers[f] is None))
    return sp.Integral(constant * normal * rest, *integral.limits)


def product_of_gaussian_powers(given: Iterable[Condition] = ()) -> Rule:
    """The rule q^α p^β = C · N(z; m, s²), applying where λ = α/σ₁² + β/σ₂² > 0 follows from ``given``."""
    given = tuple(given)
    law = (r"q(z)^{\alpha} p(z)^{\beta} = C\,\mathcal{N}(z; m, s^2),\ "
           r"\lambda = \frac{\alpha}{\sigma_1^2} + \frac{\beta}{\sigma_2^2},\ s^2 = \frac{1}{\lambda},\ "
           r"m = s^2\Big(\frac{\alpha\mu_1}{\sigma_1^2} + \frac{\beta\mu_2}{\sigma_2^2}\Big),\ "
           r"C = \frac{\sqrt{2\pi s^2}}{(2\pi\sigma_1^2)^{\alpha/2}(2\pi\sigma_2^2)^{\beta/2}}"
           r"\exp\Big(-\frac{\alpha\beta(\mu_1-\mu_2)^2}{2(\alpha\sigma_2^2 + \beta\sigma_1^2)}\Big)")
    return Rule("product of Gaussian powers", _with_conditions(law, r"\lambda > 0", given),
                _each_integral(lambda integral, context: product_of_gaussian_powers_in(integral, context, given)))


# ---------------------------------------------------------------------------------------------
# 6. The Gaussian integral over ℝⁿ


def _matrix_terms(exponent: sp.Expr, var: sp.MatrixSymbol):
    """(A, b, k) with exponent = −½ zᵀAz + bᵀz + k, reading scalar multiples of (1×1)[0, 0]
    quadratic forms zᵀMz, linear forms zᵀv and vᵀz; None when some term is none of these."""
    quadratic, linear, constant = [], [], []
    for term in sp.Add.make_args(sp.expand(exponent)):
        if not term.has(var):
            constant.append(term)
            continue
        coefficient, element = term.as_independent(var, as_Add=False)
        if not (isinstance(element, MatrixElement) and element.parent.shape == (1, 1)):
            return None
        for product in sp.Add.make_args(element.parent.expand()) if isinstance(
                element.parent.expand(), sp.MatAdd) else (element.parent.expand(),):
            if not product.has(var):
                constant.append(coefficient * scalar(product))
                continue
            c, matrices = product.as_coeff_matrices() if isinstance(product, sp.MatMul) else (1, [product])
            c = coefficient * c
            inner = matrices[1:-1]
            if len(matrices) >= 2 and matrices[0] == var.T and matrices[-1] == var and not any(
                    m.has(var) for m in inner):
                quadratic.append(-2 * c * (sp.MatMul(*inner) if inner else sp.Identity(var.shape[0])))
            elif matrices[-1] == var and not any(m.has(var) for m in matrices[:-1]) and matrices[:-1]:
                linear.append(c * sp.MatMul(*matrices[:-1]).T)
            elif matrices[0] == var.T and not any(m.has(var) for m in matrices[1:]) and matrices[1:]:
                linear.append(c * sp.MatMul(*matrices[1:]))
            else:
                return None
    if not quadratic:
        return None
    b = sp.MatAdd(*linear).doit() if linear else None
    return sp.MatAdd(*quadratic).doit(), b, sp.Add(*constant)


def covariance_facts(context: Context) -> tuple[Condition, ...]:
    """What the multivariate models of ``context`` are built on: each Σ symmetric positive definite."""
    return tuple(predicate(m.cov) for m in context.models if isinstance(m, MultivariateNormal)
                 for predicate in (sp.Q.symmetric, sp.Q.positive_definite))


def matrix_completed_square(exponent: sp.Expr, var: sp.MatrixSymbol) -> tuple[sp.MatrixExpr, sp.Expr] | None:
    """(A, k) when the exponent is written −½(z − m)ᵀA(z − m) + k (A, m, k free of z), else None."""
    with_var = [t for t in sp.Add.make_args(exponent) if t.has(var)]
    if len(with_var) != 1:
        return None
    (term,) = with_var
    coefficient, element = term.as_independent(var, as_Add=False)
    if not (isinstance(element, MatrixElement) and element.parent.shape == (1, 1)
            and isinstance(element.parent, sp.MatMul)):
        return None
    c, matrices = element.parent.as_coeff_matrices()
    if len(matrices) < 3:
        return None
    left, middle, right = matrices[0], sp.MatMul(*matrices[1:-1]), matrices[-1]
    if left != right.T or middle.has(var) or sp.MatAdd(var, -right).doit().has(var):
        return None
    return -2 * coefficient * c * middle, exponent - term


def gaussian_integral_matrix_value(integral: sp.Integral, given: tuple[Condition, ...] = ()) -> sp.Expr:
    """∫_{ℝⁿ} C e^{−½ zᵀAz + bᵀz + k} dz -> C (2π)^{n/2} det(A)^{−1/2} e^{½ bᵀA⁻¹b + k}, A ≻ 0 symmetric;
    with the square completed, ∫_{ℝⁿ} C e^{−½ (z − m)ᵀA(z − m) + k} dz -> C (2π)^{n/2} det(A)^{−1/2} e^k."""
    var = _whole_space_vector(integral)
    if var is None:
        return integral
    constant, rest = integral.function.as_independent(var, as_Add=False)
    if not isinstance(rest, sp.exp):
        return integral
    completed = matrix_completed_square(rest.args[0], var)
    parts = (*completed[:1], None, completed[1]) if completed else _matrix_terms(rest.args[0], var)
    if parts is None:
        return integral
    matrix, b, k = parts
    matrix = _symmetric(matrix, given).doit()
    if not established_positive_definite(matrix, given):
        return integral
    if b is not None:
        b = _symmetric(b, given).doit()
        k += scalar((b.T * matrix.I * b).doit()) / 2
    k = _symmetric(k, given)
    return constant * (2 * sp.pi) ** (var.shape[0] / 2) / sp.sqrt(sp.Determinant(matrix)) * sp.exp(k)


def gaussian_integral_matrix(given: Iterable[Condition] = ()) -> Rule:
    """The rule ∫ e^{−½zᵀAz + bᵀz} dz = (2π)^{n/2} det(A)^{−1/2} e^{½bᵀA⁻¹b}, for A symmetric positive
    definite by ``given`` (e.g. ``sp.Q.symmetric(A)``, ``sp.Q.positive_definite(A)``) or by the
    context's models (every covariance Σ is)."""
    given = tuple(given)
    law = (r"\int_{\mathbb{R}^n} C\,e^{-\frac12 z^T A z + b^T z + k}\,dz = "
           r"C\,(2\pi)^{n/2} \det(A)^{-1/2}\, e^{\frac12 b^T A^{-1} b + k},\ "
           r"\int_{\mathbb{R}^n} C\,e^{-\frac12 (z-m)^T A (z-m) + k}\,dz = C\,(2\pi)^{n/2} \det(A)^{-1/2}\, e^{k}")
    return Rule("Gaussian integral over ℝⁿ", _with_conditions(law, r"A = A^T \succ 0", given),
                _each_integral(lambda integral, context: gaussian_integral_matrix_value(
                    integral, given + covariance_facts(context))))


# ---------------------------------------------------------------------------------------------
# 7. A product of powers of multivariate normal densities


def mvn_product(powers: list[tuple[MultivariateNormal, sp.Expr]]) -> tuple[sp.Expr, sp.MatrixExpr, sp.MatrixExpr]:
    """(C, m, Λ) with q(z)^α p(z)^β = C · N(z; m, Λ⁻¹) for q = N(μ₁, Σ₁), p = N(μ₂, Σ₂) (or q alone).

    Λ = αΣ₁⁻¹ + βΣ₂⁻¹,  m = Λ⁻¹(αΣ₁⁻¹μ₁ + βΣ₂⁻¹μ₂),
    C = det(2πΣ₁)^{−α/2} det(2πΣ₂)^{−β/2} det(2πΛ⁻¹)^{1/2} exp(−½αβ(μ₁ − μ₂)ᵀΣ₁⁻¹Λ⁻¹Σ₂⁻¹(μ₁ − μ₂)).
    """
    precision = sp.MatAdd(*(alpha * m.cov.I for m, alpha in powers))
    centre = precision.I * sp.MatAdd(*(alpha * m.cov.I * m.mean for m, alpha in powers))
    constant = sp.Mul(*(sp.Determinant(2 * sp.pi * m.cov) ** (-alpha / 2) for m, alpha in powers)) * sp.sqrt(
        sp.Determinant(2 * sp.pi * precision.I))
    if len(powers) == 2:
        (first, a), (second, b) = powers
        offset = first.mean - second.mean
        constant *= sp.exp(-a * b * scalar(offset.T * first.cov.I * precision.I * second.cov.I * offset) / 2)
    return constant, centre, precision


def product_of_gaussian_powers_matrix_in(integral: sp.Integral, context: Context,
                                         given: tuple[Condition, ...] = ()) -> sp.Expr:
    """∫ q(z)^α p(z)^β g(z) dz -> ∫ C N(z; m, Λ⁻¹) g(z) dz over ℝⁿ, written out (needs Λ ≻ 0)."""
    var = _whole_space_vector(integral)
    if var is None:
        return integral
    factors = sp.Mul.make_args(integral.function)
    powers = {f: _normal_power(f, var, context, MultivariateNormal) for f in factors}
    matched = sorted((p for p in powers.values() if p is not None), key=lambda p: context.models.index(p[0]))
    models = [model for model, _ in matched]
    if not matched or len(matched) > 2 or len(set(models)) != len(models) or matched == [(models[0], 1)]:
        return integral
    constant, centre, precision = mvn_product(matched)
    if not established_positive_definite(precision, given + covariance_facts(context)):
        return integral
    normal = sp.exp(-scalar((var - centre).T * precision * (var - centre)) / 2) / sp.sqrt(
        sp.Determinant(2 * sp.pi * precision.I))
    rest = sp.Mul(*(f for f in factors if powers[f] is None))
    return sp.Integral(constant * normal * rest, *integral.limits)


def product_of_gaussian_powers_matrix(given: Iterable[Condition] = ()) -> Rule:
    """The rule q^α p^β = C · N(z; m, Λ⁻¹) over ℝⁿ, applying where Λ = αΣ₁⁻¹ + βΣ₂⁻¹ ≻ 0 is established."""
    given = tuple(given)
    law = (r"q(z)^{\alpha} p(z)^{\beta} = C\,\mathcal{N}(z; m, \Lambda^{-1}),\ "
           r"\Lambda = \alpha\Sigma_1^{-1} + \beta\Sigma_2^{-1},\ "
           r"m = \Lambda^{-1}(\alpha\Sigma_1^{-1}\mu_1 + \beta\Sigma_2^{-1}\mu_2),\ "
           r"C = \frac{\det(2\pi\Lambda^{-1})^{1/2}}{\det(2\pi\Sigma_1)^{\alpha/2}\det(2\pi\Sigma_2)^{\beta/2}}"
           r"\exp\Big(-\tfrac{\alpha\beta}{2}(\mu_1-\mu_2)^T\Sigma_1^{-1}\Lambda^{-1}\Sigma_2^{-1}(\mu_1-\mu_2)\Big)")
    return Rule("product of Gaussian powers over ℝⁿ", _with_conditions(law, r"\Lambda = \Lambda^T \succ 0", given),
                _each_integral(lambda integral, context: product_of_gaussian_powers_matrix_in(
                    integral, context, given)))


# ---------------------------------------------------------------------------------------------
# The rules

WRITE_OUT_DENSITIES = Rule(
    "write the densities out",
    r"\mathcal{N}(z; \mu, \sigma^2) = \frac{1}{\sqrt{2\pi\sigma^2}}\,e^{-\frac{(z-\mu)^2}{2\sigma^2}}",
    _each_integral(write_out_densities))
COMBINE_EXPONENTIALS = Rule(
    "combine the exponentials",
    r"(c\,e^{x})^{k} e^{y} = c^{k} e^{kx + y} \quad (c > 0 \text{ or } k \in \mathbb{Z};\ x, y, k \text{ real})",
    _each_integral(combine_exponentials))
COMPLETE_THE_SQUARE = Rule(
    "complete the square",
    r"-a z^2 + b z + c = -a\Big(z - \frac{b}{2a}\Big)^2 + c + \frac{b^2}{4a}",
    _each_integral(complete_the_square))
GAUSSIAN_INTEGRAL = gaussian_integral()
PRODUCT_OF_GAUSSIAN_POWERS = product_of_gaussian_powers()
GAUSSIAN_INTEGRAL_MATRIX = gaussian_integral_matrix()
"""Applies where A is a covariance of the context's models (or its inverse, or a positive combination);
for any other A state it: ``gaussian_integral_matrix(given)``, as a MatrixSymbol carries no assumptions."""
PRODUCT_OF_GAUSSIAN_POWERS_MATRIX = product_of_gaussian_powers_matrix()
