

def $name(mu1, cov1, mu2, cov2, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov2 = L₂L₂ᵀ, W = L₂⁻¹(cov1 − cov2)L₂⁻ᵀ (from
    the exact difference of the inputs), its eigenvalues λᵢ and g = L₂⁻¹(μ₁ − μ₂):
    mahalanobis = gᵀ(I + W/2)⁻¹g and scale_terms = Σᵢ ½ log1p(ρᵢ²/(2√(1 + λᵢ))),
    ρᵢ = λᵢ/(1 + √(1 + λᵢ)): the Bhattacharyya distance's terms, nonnegative, zero exactly at q = p
    (H² = −expm1(−D_B) is printed from the same terms, and loses nothing where D_B is small).
    ``mu`` has shape (..., d) and ``cov`` (..., d, d), batched over the leading axes; only the lower
    triangles are read; a covariance that is not symmetric (to round-off) positive definite raises
    ``ValueError``.
    Far from p (some |cov1ᵢⱼ − cov2ᵢⱼ| > √(cov2ᵢᵢcov2ⱼⱼ)/2, so W has an eigenvalue beyond ½) the two
    terms come from the closed form instead: ‖Lₘ⁻¹(μ₁ − μ₂)‖² with Lₘ = chol((cov1 + cov2)/2) and
    log-determinant ratios from Cholesky diagonals, which cancel there by a bounded factor only.
    """
    names = ("mu1", "cov1", "mu2", "cov2")
    cov1, cov2 = _covariance(cov1, "cov1", validate), _covariance(cov2, "cov2", validate)
    mu1, mu2, shape = _pair_shapes(mu1, cov1, mu2, cov2, names, validate)
    l1, l2 = _cholesky(cov1, "cov1"), _cholesky(cov2, "cov2")
    return _${name}_value(mu1, cov1, mu2, cov2, l1, l2, shape,
                          lambda l1, l2, cov1, cov2: _whitened_covariances(l2, cov1, cov2))


def ${name}_tril(mu1, scale_tril1, mu2, scale_tril2, *, validate=True):
    """The same from lower-triangular factors (cov = L Lᵀ), without factorising: only their lower
    triangles are read, and a negative diagonal entry means the same covariance as its absolute
    value; a zero diagonal raises ``ValueError``.  W comes from L₁ − L₂, exact when they are close."""
    names = ("mu1", "scale_tril1", "mu2", "scale_tril2")
    l1, l2 = _factor(scale_tril1, "scale_tril1", validate), _factor(scale_tril2, "scale_tril2", validate)
    mu1, mu2, shape = _pair_shapes(mu1, l1, mu2, l2, names, validate)
    cov1, cov2 = (l @ np.swapaxes(l, -1, -2) for l in (l1, l2))
    return _${name}_value(mu1, cov1, mu2, cov2, l1, l2, shape,
                          lambda l1, l2, cov1, cov2: _whitened_factors(l1, l2))


def _${name}_value(mu1, cov1, mu2, cov2, l1, l2, shape, whiten):
    """The far pairs by the closed form's Cholesky factors, the others by W's eigenvalues."""
    d = cov1.shape[-1]
    mu1, mu2 = (np.broadcast_to(m, shape + (d,)).reshape(-1, d) for m in (mu1, mu2))  # one batch axis
    cov1, cov2, l1, l2 = (np.broadcast_to(m, shape + (d, d)).reshape(-1, d, d) for m in (cov1, cov2, l1, l2))
    out = np.empty(mu1.shape[:1])
    far = _far_pairs(cov1, cov2, l1, l2)
    if np.any(far):
        half = np.full(np.count_nonzero(far), 0.5)
        mahalanobis, log_ratio_c, log_ratio_1, _ = _combined_terms(
            mu1[far], cov1[far], mu2[far], cov2[far], l1[far], l2[far], half, half)  # (Σ₁ + Σ₂)/2 ≻ 0 always
        scale_terms = 0.5 * log_ratio_c - 0.25 * log_ratio_1
        out[far] = $output
    near = ~far
    if np.any(near):
        lam, mahalanobis, _ = _whitened_terms(mu1[near], mu2[near], l2[near],
                                              whiten(l1[near], l2[near], cov1[near], cov2[near]),
                                              np.full(np.count_nonzero(near), 0.5), (np.count_nonzero(near),))
        root = np.sqrt(1.0 + lam)
        scale_terms = np.sum(0.5 * np.log1p((lam / (1.0 + root)) ** 2 / (2.0 * root)), axis=-1)
        out[near] = $output
    return _result(out.reshape(shape))
