

def $name(cov, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov = L Lᵀ, half_log_det = Σᵢ log Lᵢᵢ.
    ``cov`` has shape (..., d, d); only its lower triangle is read; a covariance that is not
    symmetric (to round-off) positive definite raises ``ValueError``.
    """
    return ${name}_tril(_cholesky(_covariance(cov, "cov", validate), "cov"), validate=False)


def ${name}_tril(scale_tril, *, validate=True):
    """The same from a lower-triangular factor L (cov = L Lᵀ), without factorising; a negative
    diagonal entry means the same covariance as its absolute value, a zero one raises ``ValueError``."""
    l = _factor(scale_tril, "scale_tril", validate)
    d = l.shape[-1]
    half_log_det = np.sum(np.log(np.diagonal(l, axis1=-2, axis2=-1)), axis=-1)
    return _result($output)
