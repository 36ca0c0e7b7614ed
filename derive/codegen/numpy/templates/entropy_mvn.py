

def $name(cov, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov = L Lᵀ, half_log_det = Σᵢ log Lᵢᵢ.
    ``cov`` has shape (..., d, d); a covariance that is not symmetric positive definite raises
    ``ValueError``.
    """
    return ${name}_tril(_cholesky(cov, "cov", validate), validate=False)


def ${name}_tril(scale_tril, *, validate=True):
    """The same from a lower Cholesky factor L (cov = L Lᵀ), without factorising."""
    l = _factor(scale_tril, "scale_tril", validate)
    d = l.shape[-1]
    half_log_det = np.sum(np.log(np.diagonal(l, axis1=-2, axis2=-1)), axis=-1)
    return _result($output)
