

def _order(alpha, validate):
    """The Rényi order as float64: ``validate``: finite and > 0, else ValueError naming alpha."""
    alpha = _float64(alpha, "alpha")
    if validate:
        _require_valid({"alpha": alpha}, ("alpha",))
    return alpha


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


def _far_pairs(cov1, cov2, l1, l2):
    """Pairs where some |Σ₁ᵢⱼ − Σ₂ᵢⱼ| > √(Σ₂ᵢᵢΣ₂ⱼⱼ)/2 or some (L₁ᵢᵢ/L₂ᵢᵢ)² lies outside [½, 3/2]: either
    implies ‖W‖₂ > ½ (|(L₂WL₂ᵀ)ᵢⱼ| ≤ ‖W‖₂√(Σ₂ᵢᵢΣ₂ⱼⱼ); L₁ᵢᵢ/L₂ᵢᵢ is a diagonal entry of the triangular
    L₂⁻¹L₁, between its extreme singular values), an eigenvalue of W lies beyond ½, and the closed
    form's log-determinants cancel by a bounded factor only; the others take W's eigenvalues."""
    scale = np.sqrt(np.diagonal(cov2, axis1=-2, axis2=-1))
    with np.errstate(invalid="ignore", over="ignore"):
        small = np.abs(np.tril(cov1 - cov2)) <= 0.5 * scale[..., :, None] * scale[..., None, :]
        ratio = (np.diagonal(l1, axis1=-2, axis2=-1) / np.diagonal(l2, axis1=-2, axis2=-1)) ** 2
    close = np.all((ratio >= 0.5) & (ratio <= 1.5), axis=-1)
    return ~(close & np.all(small | np.triu(np.ones(cov1.shape[-2:], dtype=bool), 1), axis=(-2, -1)))


def _combined_terms(mu1, cov1, mu2, cov2, l1, l2, weight1, weight2):
    """(mahalanobis, log_ratio_c, log_ratio_1, factorised) from Cholesky factors, far from p:
    L_c = chol(weight2·Σ₂ + weight1·Σ₁), mahalanobis = ‖L_c⁻¹(μ₁ − μ₂)‖², log_ratio_c =
    2 Σᵢ log(L_cᵢᵢ/L₂ᵢᵢ), log_ratio_1 = 2 Σᵢ log(L₁ᵢᵢ/L₂ᵢᵢ) (ratios: the scale cancels exactly);
    ``factorised`` is False where the combined covariance is not positive definite."""
    combined = _symmetric_from_lower(weight2[..., None, None] * cov2 + weight1[..., None, None] * cov1)
    try:
        lc, factorised = np.linalg.cholesky(combined), np.ones(combined.shape[:-2], dtype=bool)
    except np.linalg.LinAlgError:  # some pairs are not positive definite: those one by one
        lc, factorised = np.empty(combined.shape), np.ones(combined.shape[:-2], dtype=bool)
        for index in np.ndindex(combined.shape[:-2]):
            try:
                lc[index] = np.linalg.cholesky(combined[index])
            except np.linalg.LinAlgError:
                lc[index], factorised[index] = np.eye(combined.shape[-1]), False
    gap = _solve_lower(lc, (mu1 - mu2)[..., None])[..., 0]
    diagonal = [np.diagonal(m, axis1=-2, axis2=-1) for m in (lc, l1, l2)]
    return (np.sum(gap**2, axis=-1), 2 * np.sum(np.log(diagonal[0] / diagonal[2]), axis=-1),
            2 * np.sum(np.log(diagonal[1] / diagonal[2]), axis=-1), factorised)

