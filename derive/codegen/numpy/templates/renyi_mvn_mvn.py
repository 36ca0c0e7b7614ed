

def $name(mu1, cov1, mu2, cov2, alpha, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov2 = L₂L₂ᵀ, W = L₂⁻¹(cov1 − cov2)L₂⁻ᵀ (from
    the exact difference of the inputs), its eigenvalues λᵢ and g = L₂⁻¹(μ₁ − μ₂):
    mahalanobis = gᵀ(I + (1 − α)W)⁻¹g and scale_terms = Σᵢ of the univariate scale part at
    σ₁²/σ₂² = 1 + λᵢ, nonnegative terms that do not cancel as q → p or α → 1.  Far from p (some
    |cov1ᵢⱼ − cov2ᵢⱼ| > √(cov2ᵢᵢcov2ⱼⱼ)/2, so W has an eigenvalue beyond ½) and for α away from 0 and
    1 (0.05 ≤ α, |1 − α| ≥ 0.05), the same two terms come from the closed form (the derivation's
    log-algebra step): ‖L_α⁻¹(μ₁ − μ₂)‖² and log-determinant ratios from Cholesky diagonals, which
    cancel there by a bounded factor and keep the small eigenvalues of W that the eigen route
    loses relative accuracy in.  ``mu`` has shape (..., d), ``cov`` (..., d, d) and ``alpha``
    (...), batched over the leading axes; only the lower triangles are read; a covariance that is
    not symmetric (to round-off) positive definite raises ``ValueError``, as does an alpha that is
    not finite and > 0.
    """
    names = ("mu1", "cov1", "mu2", "cov2")
    cov1, cov2 = _covariance(cov1, "cov1", validate), _covariance(cov2, "cov2", validate)
    alpha = _order(alpha, validate)
    mu1, mu2, shape = _pair_shapes(mu1, cov1, mu2, cov2, names, validate, alpha)
    l1, l2 = _cholesky(cov1, "cov1"), _cholesky(cov2, "cov2")
    return _${name}_value(mu1, cov1, mu2, cov2, l1, l2, alpha, shape,
                          lambda l1, l2, cov1, cov2: _whitened_covariances(l2, cov1, cov2))


def ${name}_tril(mu1, scale_tril1, mu2, scale_tril2, alpha, *, validate=True):
    """The same from lower-triangular factors (cov = L Lᵀ), without factorising: only their lower
    triangles are read, and a negative diagonal entry means the same covariance as its absolute
    value; a zero diagonal raises ``ValueError``.  W comes from L₁ − L₂, exact when they are close."""
    names = ("mu1", "scale_tril1", "mu2", "scale_tril2")
    l1, l2 = _factor(scale_tril1, "scale_tril1", validate), _factor(scale_tril2, "scale_tril2", validate)
    alpha = _order(alpha, validate)
    mu1, mu2, shape = _pair_shapes(mu1, l1, mu2, l2, names, validate, alpha)
    cov1, cov2 = (l @ np.swapaxes(l, -1, -2) for l in (l1, l2))
    return _${name}_value(mu1, cov1, mu2, cov2, l1, l2, alpha, shape,
                          lambda l1, l2, cov1, cov2: _whitened_factors(l1, l2))


def _${name}_value(mu1, cov1, mu2, cov2, l1, l2, alpha, shape, whiten):
    """The far pairs by the closed form's Cholesky factors, the others by W's eigenvalues."""
    d = cov1.shape[-1]
    mu1, mu2 = (np.broadcast_to(m, shape + (d,)).reshape(-1, d) for m in (mu1, mu2))  # one batch axis
    cov1, cov2, l1, l2 = (np.broadcast_to(m, shape + (d, d)).reshape(-1, d, d) for m in (cov1, cov2, l1, l2))
    alpha = np.broadcast_to(alpha, shape).reshape(-1)
    out = np.empty(alpha.shape)
    far = _far_pairs(cov1, cov2, l1, l2) & (alpha >= 0.05) & (np.abs(1.0 - alpha) >= 0.05)
    if np.any(far):
        out[far], taken = _${name}_far(mu1[far], cov1[far], mu2[far], cov2[far], l1[far], l2[far], alpha[far])
        far[far] = taken
    near = ~far
    if np.any(near):
        out[near] = _${name}_near(mu1[near], mu2[near], l2[near], whiten(l1[near], l2[near], cov1[near], cov2[near]),
                                  alpha[near])
    return _result(out.reshape(shape))


def _${name}_far(mu1, cov1, mu2, cov2, l1, l2, alpha):
    """(values, taken): not taken where Σ_α does not factorise for α < 1 (round-off only)."""
    mahalanobis, log_ratio_c, log_ratio_1, factorised = _combined_terms(mu1, cov1, mu2, cov2, l1, l2, 1.0 - alpha, alpha)
    with np.errstate(all="ignore"):
        scale_terms = (log_ratio_c - (1.0 - alpha) * log_ratio_1) / (2.0 * (1.0 - alpha))
        value = np.where(factorised, $output, np.inf)  # α > 1 and Σ_α not positive definite: the integral diverges
    return value, factorised | (alpha > 1)


def _${name}_near(mu1, mu2, l2, w, alpha):
    epsilon = 1.0 - alpha
    lam, mahalanobis, finite = _whitened_terms(mu1, mu2, l2, w, epsilon, alpha.shape)
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
    return np.where(finite, value, np.inf)
