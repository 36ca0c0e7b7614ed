

def $name(mu1, cov1, mu2, cov2, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov = L Lᵀ, trace_term = ‖L₂⁻¹L₁‖²_F,
    mahalanobis = ‖L₂⁻¹(μ₂ − μ₁)‖², half_log_det_ratio = Σᵢ log(L₂ᵢᵢ/L₁ᵢᵢ).
    ``mu`` has shape (..., d) and ``cov`` (..., d, d), batched over the leading axes; a
    covariance that is not symmetric positive definite raises ``ValueError``.
    """
    return ${name}_tril(mu1, _cholesky(cov1, "cov1", validate), mu2, _cholesky(cov2, "cov2", validate),
                        validate=validate)


def ${name}_tril(mu1, scale_tril1, mu2, scale_tril2, *, validate=True):
    """The same from lower Cholesky factors (cov = L Lᵀ), without factorising."""
    l1 = _factor(scale_tril1, "scale_tril1", validate)
    l2 = _factor(scale_tril2, "scale_tril2", validate)
    d = l1.shape[-1]
    if l2.shape[-1] != d:
        raise ValueError(f"the two distributions have different dimensions: {d} and {l2.shape[-1]}")
    mu1, mu2 = _vector(mu1, "mu1", d, validate), _vector(mu2, "mu2", d, validate)
    try:
        l1, l2 = np.broadcast_arrays(l1, l2)
        gap = np.broadcast_to(mu2 - mu1, np.broadcast_shapes((mu2 - mu1).shape, l2.shape[:-1]))
    except ValueError:
        raise ValueError(f"shapes do not broadcast: mu1 {mu1.shape}, mu2 {mu2.shape}, "
                         f"scale_tril1 {l1.shape}, scale_tril2 {l2.shape}") from None
    trace_term = np.sum(_solve_lower(l2, l1) ** 2, axis=(-2, -1))
    mahalanobis = np.sum(_solve_lower(l2, gap[..., None])[..., 0] ** 2, axis=-1)
    half_log_det_ratio = np.sum(np.log(np.diagonal(l2, axis1=-2, axis2=-1) / np.diagonal(l1, axis1=-2, axis2=-1)),
                                axis=-1)
    return _result($output)
