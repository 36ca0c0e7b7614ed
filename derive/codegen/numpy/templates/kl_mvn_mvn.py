

def $name(mu1, cov1, mu2, cov2, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov = L Lᵀ, trace_term = ‖L₂⁻¹L₁‖²_F,
    mahalanobis = ‖L₂⁻¹(μ₂ − μ₁)‖², half_log_det_ratio = Σᵢ log(L₂ᵢᵢ/L₁ᵢᵢ).
    ``mu`` has shape (..., d) and ``cov`` (..., d, d), batched over the leading axes; a
    covariance that is not symmetric positive definite raises ``ValueError``.
    """
    l1, l2 = _cholesky(cov1, "cov1", validate), _cholesky(cov2, "cov2", validate)
    return _${name}_factors(mu1, l1, mu2, l2, ("mu1", "cov1", "mu2", "cov2"), validate)


def ${name}_tril(mu1, scale_tril1, mu2, scale_tril2, *, validate=True):
    """The same from lower Cholesky factors (cov = L Lᵀ), without factorising; only their lower
    triangles are read."""
    l1, l2 = _factor(scale_tril1, "scale_tril1", validate), _factor(scale_tril2, "scale_tril2", validate)
    return _${name}_factors(mu1, l1, mu2, l2, ("mu1", "scale_tril1", "mu2", "scale_tril2"), validate)


def _${name}_factors(mu1, l1, mu2, l2, names, validate):
    d = l1.shape[-1]
    if l2.shape[-1] != d:
        raise ValueError(f"{names[1]} is {d} x {d} but {names[3]} is {l2.shape[-1]} x {l2.shape[-1]}")
    mu1, mu2 = _vector(mu1, names[0], d, validate), _vector(mu2, names[2], d, validate)
    try:
        shape = np.broadcast_shapes(mu1.shape[:-1], l1.shape[:-2], mu2.shape[:-1], l2.shape[:-2])
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, (mu1, l1, mu2, l2)))
        raise ValueError(f"shapes do not broadcast: {shapes}") from None
    l1, l2 = np.broadcast_to(l1, shape + (d, d)), np.broadcast_to(l2, shape + (d, d))
    gap = np.broadcast_to(mu2 - mu1, shape + (d,))
    trace_term = np.sum(_solve_lower(l2, l1) ** 2, axis=(-2, -1))
    mahalanobis = np.sum(_solve_lower(l2, gap[..., None])[..., 0] ** 2, axis=-1)
    half_log_det_ratio = np.sum(np.log(np.diagonal(l2, axis1=-2, axis2=-1) / np.diagonal(l1, axis1=-2, axis2=-1)),
                                axis=-1)
    return _result($output)
