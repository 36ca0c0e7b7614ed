

def $name(mu1, cov1, mu2, cov2, alpha, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov2 = L₂L₂ᵀ, W = L₂⁻¹(cov1 − cov2)L₂⁻ᵀ (from
    the exact difference of the inputs), its eigenvalues λᵢ and g = L₂⁻¹(μ₁ − μ₂):
    mahalanobis = gᵀ(I + (1 − α)W)⁻¹g and scale_terms = Σᵢ of the univariate scale part at
    σ₁²/σ₂² = 1 + λᵢ, nonnegative terms that do not cancel as q → p or α → 1.  ``mu`` has shape
    (..., d), ``cov`` (..., d, d) and ``alpha`` (...), batched over the leading axes; only the
    lower triangles are read; a covariance that is not symmetric (to round-off) positive
    definite raises ``ValueError``, as does an alpha that is not finite and > 0.
    """
    names = ("mu1", "cov1", "mu2", "cov2")
    cov1, cov2 = _covariance(cov1, "cov1", validate), _covariance(cov2, "cov2", validate)
    alpha = _order(alpha, validate)
    mu1, mu2, shape = _pair_shapes(mu1, cov1, mu2, cov2, names, validate, alpha)
    _cholesky(cov1, "cov1")  # refused, named, if not positive definite
    l2 = _cholesky(cov2, "cov2")
    return _${name}_terms(mu1, mu2, l2, _whitened_covariances(l2, cov1, cov2), alpha, shape)


def ${name}_tril(mu1, scale_tril1, mu2, scale_tril2, alpha, *, validate=True):
    """The same from lower-triangular factors (cov = L Lᵀ), without factorising: only their lower
    triangles are read, and a negative diagonal entry means the same covariance as its absolute
    value; a zero diagonal raises ``ValueError``.  W comes from L₁ − L₂, exact when they are close."""
    names = ("mu1", "scale_tril1", "mu2", "scale_tril2")
    l1, l2 = _factor(scale_tril1, "scale_tril1", validate), _factor(scale_tril2, "scale_tril2", validate)
    alpha = _order(alpha, validate)
    mu1, mu2, shape = _pair_shapes(mu1, l1, mu2, l2, names, validate, alpha)
    return _${name}_terms(mu1, mu2, l2, _whitened_factors(l1, l2), alpha, shape)


def _${name}_terms(mu1, mu2, l2, w, alpha, shape):
    alpha = np.broadcast_to(alpha, shape)
    epsilon = 1.0 - alpha
    lam, mahalanobis, finite = _whitened_terms(mu1, mu2, l2, w, epsilon, shape)
    a, e = alpha[..., None], epsilon[..., None]
    with np.errstate(all="ignore"):  # every branch is computed everywhere, one is kept
        kl_part = -0.5 * _fresh(_log1pmx, $log1pmx_buffers, lam)
        above = _fresh(_log1pmx, $log1pmx_buffers, e * lam) / (2 * e) + kl_part
        u = np.log1p(lam)
        kappa = np.select(
            [a * u > 700, (e > 0) & (-e * u > 700)],
            [a * u + np.log(e), -e * u + np.log(a + e * np.exp(u))],
            np.log1p(a * _fresh(_expm1mx, $expm1mx_buffers, -e * u) + e * _fresh(_expm1mx, $expm1mx_buffers, a * u)))
        terms = np.select([a == 1, a > 1], [kl_part, above], kappa / (2 * e))
        scale_terms = np.sum(terms, axis=-1)
        value = $output
    return _result(np.where(finite, value, np.inf))
