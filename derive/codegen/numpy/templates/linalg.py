_SYMMETRY_TOLERANCE = 1.4901161193847656e-08
"""2^-26 = √ε: the asymmetry |a_ij − a_ji| allowed, relative to max |a_ii| (for a covariance,
its largest entry).  The round-off of an
ordinary construction (Q Λ Qᵀ, an inverse, A B Aᵀ) is about d·u·cond(a)·max |a|, under this
for d ≤ 64 up to cond ~1e6 (measured: under 12 ε at d = 64); a relative asymmetry of 1e-6 is
67 times over it.  The lower triangle is what the kernels read."""


def _covariance(cov, name, validate):
    """A stack of covariances (..., d, d) as float64; ``validate``: finite and symmetric to
    round-off (``_SYMMETRY_TOLERANCE``), else ValueError naming ``name``."""
    cov = _float64(cov, name)
    if cov.ndim < 2 or cov.shape[-1] != cov.shape[-2]:
        raise ValueError(f"{name} must have shape (..., d, d), got {cov.shape}")
    if validate:
        if not np.all(np.isfinite(cov)):
            raise ValueError(f"{name} must be finite (got NaN or infinity)")
        scale = np.max(np.abs(np.diagonal(cov, axis1=-2, axis2=-1)), axis=-1, initial=0.0)[..., None, None]
        if not np.all(np.abs(cov - np.swapaxes(cov, -1, -2)) <= _SYMMETRY_TOLERANCE * scale):
            raise ValueError(f"{name} is not symmetric")
    return cov


def _cholesky(cov, name):
    """Lower Cholesky factors of a stack of covariances; ValueError naming ``name``."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} is not positive definite") from None


def _difference_cholesky(l2, delta, cov1):
    """(L₁, L₁ − L₂) with L₁L₁ᵀ = Σ₁ = L₂L₂ᵀ + Δ, from the lower triangle of Δ = Σ₁ − Σ₂.

    The Cholesky recurrence written for D = L₁ − L₂: Δᵢⱼ = Σ_{k≤j} (L₂ᵢₖDⱼₖ + DᵢₖL₁ⱼₖ), so
    Dⱼⱼ = s/(L₂ⱼⱼ + √(L₂ⱼⱼ² + s)) and Dᵢⱼ = (s − L₂ᵢⱼDⱼⱼ)/L₁ⱼⱼ, with s the remainder.  Every
    term is O(Δ), so D has full relative accuracy when Σ₁ ≈ Σ₂; two factors computed apart
    differ by their own rounding, ~u‖L‖, as much as by Δ.  Where L₁ⱼⱼ² = L₂ⱼⱼ² + s cancels
    (L₁ⱼⱼ² < L₂ⱼⱼ²/2 for some j: q is far from p) the pair is factorised directly instead, and
    D = L₁ − L₂ loses nothing there.  ValueError if Σ₁ is not positive definite.  The pairs are
    on the last axis here, so that each step is a few operations on whole arrays, not one small
    matrix product per pair (3x faster for d <= 8; as fast at d = 64, where blocking would help)."""
    shape, d = l2.shape, l2.shape[-1]
    factor = np.ascontiguousarray(np.moveaxis(l2.reshape(-1, d, d), 0, -1))  # (d, d, pairs)
    gap = np.ascontiguousarray(np.moveaxis(delta.reshape(-1, d, d), 0, -1))
    l1, difference = np.zeros(factor.shape), np.zeros(factor.shape)
    far = np.zeros(factor.shape[-1], dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):  # the far pairs' values are replaced below
        for j in range(d):
            rest = (gap[j:, j] - np.einsum("ikn,kn->in", factor[j:, :j], difference[j, :j])
                    - np.einsum("ikn,kn->in", difference[j:, :j], l1[j, :j]))
            pivot = factor[j, j]
            square = pivot * pivot + rest[0]
            far |= ~(square >= 0.5 * pivot * pivot)
            l1[j, j] = np.sqrt(square)
            difference[j, j] = rest[0] / (pivot + l1[j, j])
            difference[j + 1:, j] = (rest[1:] - factor[j + 1:, j] * difference[j, j]) / l1[j, j]
            l1[j + 1:, j] = factor[j + 1:, j] + difference[j + 1:, j]
    l1, difference = np.moveaxis(l1, -1, 0).reshape(shape), np.moveaxis(difference, -1, 0).reshape(shape)
    if np.any(far):
        far = far.reshape(shape[:-2])
        l1[far] = _cholesky(cov1[far], "cov1")
        difference[far] = l1[far] - l2[far]
    return l1, difference


def _factor(scale_tril, name, validate):
    """The lower triangle of a factor with its columns' signs made positive on the diagonal: the
    covariance L Lᵀ is the same whatever the signs (as torch and TFP read it), and a sign flip
    is exact.  ``validate``: finite, with a nonzero diagonal, else ValueError naming ``name``."""
    scale_tril = _float64(scale_tril, name)
    if scale_tril.ndim < 2 or scale_tril.shape[-1] != scale_tril.shape[-2]:
        raise ValueError(f"{name} must have shape (..., d, d), got {scale_tril.shape}")
    diagonal = np.diagonal(scale_tril, axis1=-2, axis2=-1)
    if validate and not (np.all(np.isfinite(scale_tril)) and np.all(diagonal != 0)):
        raise ValueError(f"{name} must be finite, lower triangular with a nonzero diagonal")
    return np.tril(scale_tril) * np.where(diagonal < 0, -1.0, 1.0)[..., None, :]


def _vector(mu, name, d, validate):
    mu = _float64(mu, name)
    if mu.ndim < 1 or mu.shape[-1] != d:
        raise ValueError(f"{name} must have shape (..., {d}), got {mu.shape}")
    if validate and not np.all(np.isfinite(mu)):
        raise ValueError(f"{name} must be finite (got NaN or infinity)")
    return mu


def _solve_lower(l, b):
    """l⁻¹ b for lower-triangular l (positive diagonal), by forward substitution a row at a time
    over the whole stack: numpy has no triangular solve, and LAPACK's general one (an LU of
    every factor) is 10x slower at d = 2 and 1.5x at d = 64; both are backward stable.  No
    inverse is formed.  A tiny pivot gives inf where the true value overflows."""
    d = l.shape[-1]
    x = np.empty(np.broadcast_shapes(l.shape[:-2], b.shape[:-2]) + b.shape[-2:])
    with np.errstate(over="ignore"):
        x[..., 0, :] = b[..., 0, :] / l[..., 0, 0, None]
        for i in range(1, d):
            x[..., i, :] = (b[..., i, :] - (l[..., i, None, :i] @ x[..., :i, :])[..., 0, :]) / l[..., i, i, None]
    return x


def _pair_shapes(mu1, m1, mu2, m2, names, validate, *others):
    """The means checked against d, and the batch shape everything (and ``others``, the Rényi order)
    broadcasts to; shared by the full-covariance kernels of two distributions."""
    d = m1.shape[-1]
    if m2.shape[-1] != d:
        raise ValueError(f"{names[1]} is {d} x {d} but {names[3]} is {m2.shape[-1]} x {m2.shape[-1]}")
    mu1, mu2 = _vector(mu1, names[0], d, validate), _vector(mu2, names[2], d, validate)
    try:
        shape = np.broadcast_shapes(mu1.shape[:-1], m1.shape[:-2], mu2.shape[:-1], m2.shape[:-2],
                                    *(a.shape for a in others))
    except ValueError:
        listed = ", ".join(f"{n} {a.shape}" for n, a in zip((*names, "alpha"), (mu1, m1, mu2, m2, *others)))
        raise ValueError(f"shapes do not broadcast: {listed}") from None
    return mu1, mu2, shape
