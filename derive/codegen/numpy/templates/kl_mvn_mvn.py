

def $name(mu1, cov1, mu2, cov2, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation``: with cov = L Lᵀ and A = L₂⁻¹L₁ (lower
    triangular, aᵢᵢ = L₁ᵢᵢ/L₂ᵢᵢ), off_diagonal = Σ_{i>j} aᵢⱼ², mahalanobis = ‖L₂⁻¹(μ₂ − μ₁)‖²,
    scale_terms = Σᵢ ψ(L₁ᵢᵢ, L₂ᵢᵢ): nonnegative terms, so KL ≥ 0, and exactly 0 for q = p.
    A − I = L₂⁻¹(L₁ − L₂) off the diagonal, with L₁ − L₂ from cov1 − cov2 near q = p
    (``_difference_cholesky``) and from the two factors elsewhere.  ``mu`` has shape (..., d) and
    ``cov`` (..., d, d), batched over the leading axes; only the lower triangles are read; a
    covariance that is not symmetric (to round-off) positive definite raises ``ValueError``.
    """
    names = ("mu1", "cov1", "mu2", "cov2")
    cov1, cov2 = _covariance(cov1, "cov1", validate), _covariance(cov2, "cov2", validate)
    mu1, mu2, shape = _pair_shapes(mu1, cov1, mu2, cov2, names, validate)
    d = cov1.shape[-1]
    l2 = np.broadcast_to(_cholesky(cov2, "cov2"), shape + (d, d))
    cov1 = np.broadcast_to(cov1, shape + (d, d))
    delta = cov1 - cov2
    near = _near(delta, cov2)
    if np.all(near):  # (no subsets to gather)
        l1, difference = _difference_cholesky(l2, delta, cov1)
    elif not np.any(near):
        l1 = _cholesky(cov1, "cov1")
        difference = l1 - l2
    else:
        l1, difference = np.empty(l2.shape), np.empty(l2.shape)
        l1[near], difference[near] = _difference_cholesky(l2[near], delta[near], cov1[near])
        l1[~near] = _cholesky(cov1[~near], "cov1")
        difference[~near] = l1[~near] - l2[~near]
    return _${name}_terms(mu1, l1, mu2, l2, difference, shape)


def _near(delta, cov2):
    """Pairs whose covariances differ by at most 1/16 of Σ₂'s scale in every entry
    (|Δᵢⱼ| ≤ √(Σ₂ᵢᵢΣ₂ⱼⱼ)/16): there L₁ − L₂ comes from Δ (``_difference_cholesky``).  Elsewhere
    the KL is of order 10⁻³ or more, and two factors computed apart, whose difference has an
    absolute error of a few u‖L‖, lose at most a few ulp times 16 in it; LAPACK's Cholesky is
    faster than the recurrence's loop over the columns."""
    scale = np.sqrt(np.diagonal(cov2, axis1=-2, axis2=-1))
    with np.errstate(invalid="ignore", over="ignore"):  # a difference beyond range by 16 is not small
        small = np.abs(np.tril(delta)) * 16.0 <= scale[..., :, None] * scale[..., None, :]
    return np.all(small | np.triu(np.ones(delta.shape[-2:], dtype=bool), 1), axis=(-2, -1))


def ${name}_tril(mu1, scale_tril1, mu2, scale_tril2, *, validate=True):
    """The same from lower-triangular factors (cov = L Lᵀ), without factorising: only their lower
    triangles are read, and a negative diagonal entry means the same covariance as its absolute
    value (the column's sign is flipped, exactly); a zero diagonal raises ``ValueError``.
    L₁ − L₂ is formed from the inputs, exact when they are close."""
    names = ("mu1", "scale_tril1", "mu2", "scale_tril2")
    l1, l2 = _factor(scale_tril1, "scale_tril1", validate), _factor(scale_tril2, "scale_tril2", validate)
    mu1, mu2, shape = _pair_shapes(mu1, l1, mu2, l2, names, validate)
    d = l1.shape[-1]
    l1, l2 = np.broadcast_to(l1, shape + (d, d)), np.broadcast_to(l2, shape + (d, d))
    return _${name}_terms(mu1, l1, mu2, l2, l1 - l2, shape)


def _${name}_gap(mu1, mu2):
    """μ₂ − μ₁, and None; or, where it overflows for some pair (means of opposite signs near the
    ends of the double range: the Mahalanobis term may still be finite, for a large Σ₂), the
    pairs' halves μ₂/2 − μ₁/2, exact there, and which pairs are halved (their Mahalanobis term is
    4‖L₂⁻¹(μ₂/2 − μ₁/2)‖²).  Halving every pair would round subnormal means."""
    with np.errstate(over="ignore"):
        gap = mu2 - mu1
    halved = np.isinf(gap).any(axis=-1)
    if not halved.any():
        return gap, None
    return np.where(halved[..., None], mu2 / 2 - mu1 / 2, gap), halved


def _${name}_terms(mu1, l1, mu2, l2, difference, shape):
    """The derivation's terms from the factors (positive diagonals) and difference = L₁ − L₂."""
    d = l1.shape[-1]
    gap, halved = _${name}_gap(mu1, mu2)
    gap = np.broadcast_to(gap, shape + (d,))
    solved = _solve_lower(l2, np.concatenate((difference, gap[..., None]), axis=-1))  # one pass over l2
    with np.errstate(over="ignore"):  # a term beyond double range is +inf, as the KL is
        off_diagonal = np.sum(np.tril(solved[..., :d], -1) ** 2, axis=(-2, -1))
        mahalanobis = np.sum(solved[..., d] ** 2, axis=-1)
        if halved is not None:
            mahalanobis = np.where(np.broadcast_to(halved, shape), 4.0 * mahalanobis, mahalanobis)
    diagonal1 = np.ascontiguousarray(np.diagonal(l1, axis1=-2, axis2=-1))
    diagonal2 = np.ascontiguousarray(np.diagonal(l2, axis1=-2, axis2=-1))
    scratch = [np.empty(diagonal1.shape) for _ in range($scale_term_buffers + 1)]
    scale_terms = np.sum(_scale_term(diagonal1, diagonal2, scratch[0], scratch[1:]), axis=-1)
    return _result($output)
