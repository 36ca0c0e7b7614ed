

def _order(alpha, validate):
    """The Rényi order as float64: ``validate``: finite and > 0, else ValueError naming alpha."""
    alpha = _float64(alpha, "alpha")
    if validate:
        _require_valid({"alpha": alpha}, ("alpha",))
    return alpha


def _pair_shapes(mu1, m1, mu2, m2, names, validate, *others):
    """The means checked against d, and the batch shape everything (and ``others``) broadcasts to."""
    d = m1.shape[-1]
    if m2.shape[-1] != d:
        raise ValueError(f"{names[1]} is {d} x {d} but {names[3]} is {m2.shape[-1]} x {m2.shape[-1]}")
    mu1, mu2 = _vector(mu1, names[0], d, validate), _vector(mu2, names[2], d, validate)
    shapes = (mu1.shape[:-1], m1.shape[:-2], mu2.shape[:-1], m2.shape[:-2], *(a.shape for a in others))
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(f"{n} {s}" for n, s in zip((*names, "alpha"), shapes))
        raise ValueError(f"shapes do not broadcast: {listed}") from None
    return mu1, mu2, shape


def _symmetric_from_lower(a):
    """The symmetric matrix whose lower triangle is ``a``'s (the kernels read lower triangles)."""
    lower = np.tril(a)
    return lower + np.swapaxes(np.tril(a, -1), -1, -2)


def _whitened_covariances(l2, cov1, cov2):
    """W = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ, from the exact difference of the inputs: its entries are O(Σ₁ − Σ₂)
    with the rounding of one subtraction, so W's eigenvalues are accurate near q = p."""
    delta = _symmetric_from_lower(cov1 - cov2)
    half = _solve_lower(l2, delta)  # L₂⁻¹Δ
    return _solve_lower(l2, np.swapaxes(half, -1, -2))  # L₂⁻¹(L₂⁻¹Δ)ᵀ = L₂⁻¹ΔL₂⁻ᵀ; eigh reads its lower triangle


def _whitened_factors(l1, l2):
    """W = AAᵀ − I = DDᵀ + D + Dᵀ with A = L₂⁻¹L₁ and D = A − I = L₂⁻¹(L₁ − L₂): from the factors'
    difference, exact when they are close."""
    difference = _solve_lower(l2, l1 - l2)
    return difference @ np.swapaxes(difference, -1, -2) + difference + np.swapaxes(difference, -1, -2)


def _whitened_terms(mu1, mu2, l2, w, weight, shape):
    """(λ, mahalanobis, finite): W's eigenvalues (ascending, last axis), gᵀ(I + weight·W)⁻¹g with
    g = L₂⁻¹(μ₁ − μ₂) through W's eigenvectors, and where I + weight·W ≻ 0 (else mahalanobis
    is +inf: the integral diverges)."""
    d = w.shape[-1]
    values, vectors = np.linalg.eigh(np.broadcast_to(w, shape + (d, d)))
    gap = np.broadcast_to(mu1 - mu2, shape + (d,))
    offset = _solve_lower(np.broadcast_to(l2, shape + (d, d)), gap[..., None])[..., 0]
    rotated = np.einsum("...ji,...j->...i", vectors, offset)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = 1.0 + weight[..., None] * values
        finite = np.all(scaled > 0, axis=-1)
        mahalanobis = np.where(finite, np.sum(rotated**2 / np.where(scaled > 0, scaled, 1.0), axis=-1), np.inf)
    return values, mahalanobis, finite
