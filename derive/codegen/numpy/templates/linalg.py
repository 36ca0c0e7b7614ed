

def _cholesky(cov, name, validate):
    """Lower Cholesky factors of a stack of covariances (..., d, d); ValueError naming ``name``."""
    cov = np.asarray(cov, dtype=np.float64)
    if cov.ndim < 2 or cov.shape[-1] != cov.shape[-2]:
        raise ValueError(f"{name} must have shape (..., d, d), got {cov.shape}")
    if validate:
        if not np.all(np.isfinite(cov)):
            raise ValueError(f"{name} must be finite (got NaN or infinity)")
        transposed = np.swapaxes(cov, -1, -2)
        if not np.all(np.abs(cov - transposed) <= 8 * np.finfo(np.float64).eps * np.maximum(abs(cov), abs(transposed))):
            raise ValueError(f"{name} is not symmetric")
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} is not positive definite") from None


def _factor(scale_tril, name, validate):
    scale_tril = np.asarray(scale_tril, dtype=np.float64)
    if scale_tril.ndim < 2 or scale_tril.shape[-1] != scale_tril.shape[-2]:
        raise ValueError(f"{name} must have shape (..., d, d), got {scale_tril.shape}")
    diagonal = np.diagonal(scale_tril, axis1=-2, axis2=-1)
    if validate and not (np.all(np.isfinite(scale_tril)) and np.all(diagonal > 0)):
        raise ValueError(f"{name} must be finite, lower triangular with a positive diagonal")
    return np.tril(scale_tril)


def _vector(mu, name, d, validate):
    mu = np.asarray(mu, dtype=np.float64)
    if mu.ndim < 1 or mu.shape[-1] != d:
        raise ValueError(f"{name} must have shape (..., {d}), got {mu.shape}")
    if validate and not np.all(np.isfinite(mu)):
        raise ValueError(f"{name} must be finite (got NaN or infinity)")
    return mu


def _solve_lower(l, b):
    """l⁻¹ b for lower-triangular l: LAPACK's solver on the factor (numpy has no triangular solve);
    no inverse is formed."""
    return np.linalg.solve(l, b)
