

def $name(mu1, cov1, mu2, cov2, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov2 = L₂L₂ᵀ, W = L₂⁻¹(cov1 − cov2)L₂⁻ᵀ (from
    the exact difference of the inputs), its eigenvalues λᵢ and g = L₂⁻¹(μ₁ − μ₂):
    mahalanobis = gᵀ(I + W/2)⁻¹g and scale_terms = Σᵢ ½ log1p(ρᵢ²/(2√(1 + λᵢ))),
    ρᵢ = λᵢ/(1 + √(1 + λᵢ)), the Bhattacharyya distance's terms; H² = −expm1(−D_B) loses nothing
    where D_B is small, and is zero exactly at q = p.  ``mu`` has shape (..., d)
    and ``cov`` (..., d, d), batched over the leading axes; only the lower triangles are read; a
    covariance that is not symmetric (to round-off) positive definite raises ``ValueError``.
    """
    names = ("mu1", "cov1", "mu2", "cov2")
    cov1, cov2 = _covariance(cov1, "cov1", validate), _covariance(cov2, "cov2", validate)
    mu1, mu2, shape = _pair_shapes(mu1, cov1, mu2, cov2, names, validate)
    _cholesky(cov1, "cov1")  # refused, named, if not positive definite
    l2 = _cholesky(cov2, "cov2")
    return _${name}_terms(mu1, mu2, l2, _whitened_covariances(l2, cov1, cov2), shape)


def ${name}_tril(mu1, scale_tril1, mu2, scale_tril2, *, validate=True):
    """The same from lower-triangular factors (cov = L Lᵀ), without factorising: only their lower
    triangles are read, and a negative diagonal entry means the same covariance as its absolute
    value; a zero diagonal raises ``ValueError``.  W comes from L₁ − L₂, exact when they are close."""
    names = ("mu1", "scale_tril1", "mu2", "scale_tril2")
    l1, l2 = _factor(scale_tril1, "scale_tril1", validate), _factor(scale_tril2, "scale_tril2", validate)
    mu1, mu2, shape = _pair_shapes(mu1, l1, mu2, l2, names, validate)
    return _${name}_terms(mu1, mu2, l2, _whitened_factors(l1, l2), shape)


def _${name}_terms(mu1, mu2, l2, w, shape):
    lam, mahalanobis, _ = _whitened_terms(mu1, mu2, l2, w, np.full(shape, 0.5), shape)
    root = np.sqrt(1.0 + lam)
    scale_terms = np.sum(0.5 * np.log1p((lam / (1.0 + root)) ** 2 / (2.0 * root)), axis=-1)
    return _result($output)
