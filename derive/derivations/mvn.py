"""Full-covariance Gaussians in n dimensions, with SymPy matrix symbols.

The log-density is a quadratic form; the one fact needed is the lemma
E_q[(z − m)ᵀA(z − m)] = tr(AΣ) + (μ − m)ᵀA(μ − m), derived here with the trace trick.
The stable forms are in Cholesky factors Σ = L Lᵀ: log det Σ = 2 Σᵢ log Lᵢᵢ, the trace as a
sum of squares of L₂⁻¹L₁, the Mahalanobis term as a squared norm of L₂⁻¹(μ₂ − μ₁); then, for
the KL, the trace and log-determinant terms together as a sum of nonnegative terms that does
not cancel as q → p (the strictly lower part of A = L₂⁻¹L₁, and ψ of its diagonal).
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from derive.codegen.spec import KernelSpec
from derive.derivations.citation import cite
from derive.derivations.registry import publish
from derive.engine import Context, Derivation, DerivationBuilder, Rule
from derive.engine.special import ScaleTerm
from derive.engine.rules import (EXPAND_LOG_DENSITY, LINEARITY, LOG_ALGEBRA, LOG_OF_QUOTIENT,
                                 PULL_CONSTANTS, STABLE_FORM)
from derive.models.mvn import MultivariateNormal, mvn_1, mvn_2, mvn_single, n, scalar, z_vector

A = sp.MatrixSymbol("A", n, n)
m = sp.MatrixSymbol("m", n, 1)
i = sp.Symbol("i", integer=True, nonnegative=True)
j = sp.Symbol("j", integer=True, nonnegative=True)


def _integral(integrand: sp.Expr) -> sp.Integral:
    return sp.Integral(integrand, z_vector)


def _quadratic_parts(expr: sp.Expr) -> tuple[sp.MatrixExpr, sp.MatrixExpr] | None:
    """(A, m) if ``expr`` is the quadratic form (z − m)ᵀ A (z − m), else None."""
    if not (isinstance(expr, sp.matrices.expressions.matexpr.MatrixElement) and expr.parent.shape == (1, 1)):
        return None
    factors = expr.parent.args if isinstance(expr.parent, sp.MatMul) else ()
    if len(factors) < 3:
        return None
    left, right, middle = factors[0], factors[-1], sp.MatMul(*factors[1:-1])
    centre = sp.MatAdd(z_vector, -right).doit()
    if left != right.T or centre.has(z_vector):
        return None
    return middle, centre


def _expected_quadratic_form(expr: sp.Expr, context: Context) -> sp.Expr:
    def replace(integral: sp.Integral) -> sp.Expr:
        for model in context.models:
            rest = integral.function / model.at()
            parts = _quadratic_parts(rest) if not rest.has(model.placeholder) else None
            if parts:
                matrix, centre = parts
                offset = (model.mean - centre).doit()
                trace = sp.Trace(matrix * model.cov).doit()  # tr(Σ⁻¹Σ) = tr(Iₙ) = n
                if isinstance(offset, sp.ZeroMatrix):
                    return trace
                return trace + scalar(offset.T * matrix * offset)
        return integral
    return expr.replace(lambda e: isinstance(e, sp.Integral), replace)


def _normalisation(expr: sp.Expr, context: Context) -> sp.Expr:
    return expr.xreplace({_integral(model.at()): sp.Integer(1) for model in context.models})


INTEGRATES_TO_ONE = Rule("∫ q = 1", r"\int q(z)\,dz = 1", _normalisation)
QUADRATIC_FORM = Rule("E_q[(z − m)ᵀA(z − m)] = tr(AΣ) + (μ − m)ᵀA(μ − m)",
                      r"\mathbb{E}_q[(z - m)^T A (z - m)] = \operatorname{tr}(A\Sigma) + (\mu - m)^T A (\mu - m)",
                      _expected_quadratic_form)
TRACE_TRICK = Rule("trace trick", r"x^T A x = \operatorname{tr}(A x x^T)")
MOMENTS = Rule("moments of q", r"\mathbb{E}_q[(z-\mu)(z-\mu)^T] = \Sigma,\ \mathbb{E}_q[z - \mu] = 0,\ \int q = 1")
CENTRE = Rule("centre at the mean", r"z - m = (z - \mu) + (\mu - m),\ A = A^T")


def _context(models: tuple[MultivariateNormal, ...], lhs: str) -> Context:
    return Context(models, lhs=lhs, dimension=n)


@publish("mvn-expected-quadratic-form", "The expected quadratic form under a multivariate normal")
def expected_quadratic_form(name: str, title: str) -> Derivation:
    q = mvn_single()
    mu, cov = q.mean, q.cov
    builder = DerivationBuilder(
        name, title, _context((q,), r"\mathbb{E}_q[(z - m)^T A (z - m)]"),
        _integral(q.at() * scalar((z_vector - m).T * A * (z_vector - m))),
        "the expectation under q = N(μ, Σ) of a quadratic form with symmetric A",
        summary="A lemma for q = N(μ, Σ), any symmetric A and any point m; every multivariate result uses it")
    deviation, offset = z_vector - mu, mu - m
    builder.to(_integral(q.at() * (scalar(deviation.T * A * deviation) + 2 * scalar(offset.T * A * deviation)
                                   + scalar(offset.T * A * offset))),
               CENTRE, "write z − m = (z − μ) + (μ − m) and expand; the two cross terms are equal as A = Aᵀ")
    builder.to(_integral(q.at() * scalar(deviation.T * A * deviation))
               + 2 * _integral(q.at() * scalar(offset.T * A * deviation))
               + scalar(offset.T * A * offset) * _integral(q.at()),
               LINEARITY, "integrate term by term; (μ − m)ᵀA(μ − m) is a constant")
    builder.to(_integral(q.at() * sp.Trace(A * deviation * deviation.T))
               + 2 * _integral(q.at() * scalar(offset.T * A * deviation))
               + scalar(offset.T * A * offset) * _integral(q.at()),
               TRACE_TRICK, "a scalar is its own trace, and tr(xᵀAx) = tr(Axxᵀ)")
    builder.to(sp.Trace(A * cov) + scalar(offset.T * A * offset), MOMENTS,
               "the trace is linear, E_q[(z − μ)(z − μ)ᵀ] = Σ; E_q[z − μ] = 0; ∫ q = 1")
    return builder.build()


def _log_det_cholesky(model: MultivariateNormal) -> sp.Expr:
    """Σᵢ log Lᵢᵢ = ½ log det Σ."""
    return sp.Sum(sp.log(model.factor[i, i]), (i, 0, n - 1))


def entropy_terms(q: MultivariateNormal) -> dict[str, sp.Expr]:
    """The named terms of the stable entropy, as kernels compute them from a Cholesky factor."""
    return {"half_log_det": _log_det_cholesky(q)}


def _cholesky_kl_terms(q: MultivariateNormal, p: MultivariateNormal) -> dict[str, sp.Expr]:
    """The KL's terms in Cholesky factors: triangular solves, but tr − n cancels as q → p."""
    solve_factor, solve_gap = p.factor.I * q.factor, p.factor.I * (p.mean - q.mean)
    return {"trace_term": sp.Trace(solve_factor.T * solve_factor),
            "mahalanobis": scalar(solve_gap.T * solve_gap),
            "half_log_det_ratio": sp.Sum(sp.log(p.factor[i, i]) - sp.log(q.factor[i, i]), (i, 0, n - 1))}


def kl_terms(q: MultivariateNormal, p: MultivariateNormal) -> dict[str, sp.Expr]:
    """The named terms of the stable KL, as kernels compute them: with A = L₂⁻¹L₁ (lower
    triangular, aᵢᵢ = L₁ᵢᵢ/L₂ᵢᵢ), the squares of its strictly lower part, the Mahalanobis term,
    and ψ of its diagonal.  Each is ≥ 0 and 0 at q = p; A − I = L₂⁻¹(L₁ − L₂) off the diagonal,
    so a kernel that has L₁ − L₂ without cancellation has every term to full relative accuracy."""
    a_ij = MatrixElement(p.factor.I * q.factor, i, j)  # as an element: indexing would write out the product
    return {"off_diagonal": sp.Sum(a_ij**2, (j, 0, i - 1), (i, 0, n - 1)),
            "mahalanobis": _cholesky_kl_terms(q, p)["mahalanobis"],
            "scale_terms": sp.Sum(ScaleTerm(q.factor[i, i], p.factor[i, i]), (i, 0, n - 1))}


@publish("entropy-mvn", "Entropy of a multivariate normal", kernels=(
    KernelSpec("entropy_mvn", "entropy-mvn", (), "Entropy H(q) of q = N(mu, cov), in nats.",
               reduction="cholesky", terms=tuple(entropy_terms(mvn_single()).items())),))
def entropy_mvn(name: str, title: str) -> Derivation:
    q = mvn_single()
    builder = DerivationBuilder(name, title, _context((q,), r"H(q)"), -_integral(q.at() * sp.log(q.at())),
                                "H(q) = −∫ q log q, over all n coordinates", summary="H(q) for q = N(μ, Σ) in n dimensions")
    builder.apply(EXPAND_LOG_DENSITY, "log q(z) = −½ log det(2πΣ) − ½ (z − μ)ᵀΣ⁻¹(z − μ)")
    builder.apply(LINEARITY, "integrate the two terms separately")
    builder.apply(PULL_CONSTANTS, "log det(2πΣ) does not depend on z")
    builder.apply(INTEGRATES_TO_ONE, "q integrates to one")
    builder.apply(expected_quadratic_form_rule(), "with A = Σ⁻¹ and m = μ: tr(Σ⁻¹Σ) = tr(Iₙ) = n")
    builder.to(sp.log(sp.Determinant(2 * sp.pi * sp.E * q.cov)) / 2, LOG_ALGEBRA,
               "n/2 = ½ log eⁿ and det(cΣ) = cⁿ det Σ: H = ½ log det(2πeΣ)")
    builder.to(n * (1 + sp.log(2 * sp.pi)) / 2 + entropy_terms(q)["half_log_det"], STABLE_FORM,
               "with Σ = L Lᵀ, ½ log det Σ = Σᵢ log Lᵢᵢ: no determinant to over- or underflow")
    return builder.build()


def expected_quadratic_form_rule() -> Rule:
    expected_quadratic_form()  # the lemma is derived (and checked) before it is used
    return QUADRATIC_FORM


@publish("cross-entropy-mvn-mvn", "Cross-entropy between two multivariate normals")
def cross_entropy_mvn(name: str, title: str) -> Derivation:
    q, p = mvn_1(), mvn_2()
    builder = DerivationBuilder(name, title, _context((q, p), r"H(q, p)"), -_integral(q.at() * sp.log(p.at())),
                                "H(q, p) = −∫ q log p, over all n coordinates",
                                summary="H(q, p) for q = N(μ₁, Σ₁), p = N(μ₂, Σ₂) in n dimensions")
    builder.apply(EXPAND_LOG_DENSITY, "log p(z) = −½ log det(2πΣ₂) − ½ (z − μ₂)ᵀΣ₂⁻¹(z − μ₂)")
    builder.apply(LINEARITY, "integrate the two terms separately")
    builder.apply(PULL_CONSTANTS, "log det(2πΣ₂) does not depend on z")
    builder.apply(INTEGRATES_TO_ONE, "q integrates to one")
    builder.apply(expected_quadratic_form_rule(), "with A = Σ₂⁻¹ and m = μ₂")
    return builder.build()


@publish("kl-mvn-mvn", "KL divergence between two multivariate normals", kernels=(
    KernelSpec("kl_mvn_mvn", "kl-mvn-mvn", (), "KL divergence KL(q || p) for q = N(mu1, cov1), p = N(mu2, cov2).",
               reduction="cholesky", terms=tuple(kl_terms(mvn_1(), mvn_2()).items()), solves=True),))
def kl_mvn(name: str, title: str) -> Derivation:
    q, p = mvn_1(), mvn_2()
    single = mvn_single()
    builder = DerivationBuilder(name, title, _context((q, p), r"\mathrm{KL}(q \,\|\, p)"),
                                _integral(q.at() * sp.log(q.at() / p.at())), "KL(q ‖ p) = ∫ q log(q/p), over all n coordinates",
                                summary="KL(q ‖ p) for q = N(μ₁, Σ₁), p = N(μ₂, Σ₂) in n dimensions")
    builder.apply(LOG_OF_QUOTIENT, "log(q/p) = log q − log p")
    builder.apply(LINEARITY, "split: ∫ q log q − ∫ q log p")
    builder.apply(PULL_CONSTANTS, "the sign comes out: H(q, p) − H(q)")
    builder.apply(cite(cross_entropy_mvn()), "the first term is the cross-entropy H(q, p)")
    builder.apply(cite(entropy_mvn(), {single.mean: q.mean, single.cov: q.cov, single.factor: q.factor}),
                  "the second is minus the entropy of q")
    gap = p.mean - q.mean
    builder.to((sp.Trace(p.cov.I * q.cov) + scalar(gap.T * p.cov.I * gap) - n
                + sp.log(sp.Determinant(p.cov)) - sp.log(sp.Determinant(q.cov))) / 2, LOG_ALGEBRA,
               "det(cΣ) = cⁿ det Σ: the 2π terms cancel and ½ log eⁿ = n/2; (μ₁ − μ₂)ᵀA(μ₁ − μ₂) = (μ₂ − μ₁)ᵀA(μ₂ − μ₁)")
    cholesky = _cholesky_kl_terms(q, p)
    builder.to((cholesky["trace_term"] + cholesky["mahalanobis"] - n) / 2 + cholesky["half_log_det_ratio"], STABLE_FORM,
               "with Σ = L Lᵀ: tr(Σ₂⁻¹Σ₁) = ‖L₂⁻¹L₁‖²_F, the Mahalanobis term is ‖L₂⁻¹(μ₂ − μ₁)‖², "
               "½ log det Σ = Σᵢ log Lᵢᵢ: triangular solves, no inverse, no determinant")
    terms = kl_terms(q, p)
    builder.to((terms["off_diagonal"] + terms["mahalanobis"]) / 2 + terms["scale_terms"], STABLE_FORM,
               "A = L₂⁻¹L₁ is lower triangular with aᵢᵢ = L₁ᵢᵢ/L₂ᵢᵢ, so ‖A‖²_F − n − 2 Σᵢ log aᵢᵢ = "
               "Σ_{i>j} aᵢⱼ² + Σᵢ (aᵢᵢ² − 1 − 2 log aᵢᵢ) = Σ_{i>j} aᵢⱼ² + 2 Σᵢ ψ(L₁ᵢᵢ, L₂ᵢᵢ): nonnegative terms, "
               "0 at q = p, none a difference of nearly equal numbers (KL ≥ 0 term by term)")
    return builder.build()
