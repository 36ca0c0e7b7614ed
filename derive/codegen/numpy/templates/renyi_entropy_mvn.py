

def $name(cov, alpha, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov = L Lᵀ, half_log_det = Σᵢ log Lᵢᵢ.
    ``cov`` has shape (..., d, d) and ``alpha`` (...); only cov's lower triangle is read; a
    covariance that is not symmetric (to round-off) positive definite raises ``ValueError``, as
    does an alpha that is not finite and > 0.
    """
    cov = _covariance(cov, "cov", validate)
    return ${name}_tril(_cholesky(cov, "cov"), alpha, validate=False, _validate_alpha=validate)


def ${name}_tril(scale_tril, alpha, *, validate=True, _validate_alpha=None):
    """The same from a lower-triangular factor L (cov = L Lᵀ), without factorising; a negative
    diagonal entry means the same covariance as its absolute value, a zero one raises ``ValueError``."""
    l = _factor(scale_tril, "scale_tril", validate)
    alpha = _order(alpha, validate if _validate_alpha is None else _validate_alpha)
    d = l.shape[-1]
    try:
        shape = np.broadcast_shapes(l.shape[:-2], alpha.shape)
    except ValueError:
        raise ValueError(f"shapes do not broadcast: cov {l.shape}, alpha {alpha.shape}") from None
    alpha = np.broadcast_to(alpha, shape)
    half_log_det = np.broadcast_to(np.sum(np.log(np.diagonal(l, axis1=-2, axis2=-1)), axis=-1), shape)
    with np.errstate(divide="ignore", invalid="ignore"):  # log α/(2α − 2) at α = 1 is replaced
        return _result($output)
