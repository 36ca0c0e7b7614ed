/* $summary
 * Formula: $formula
 * Derivation: $derivation; with cov = l l^T and a = l2^-1 l1 (lower triangular,
 * a_ii = l1_ii/l2_ii): off_diagonal = sum_{i>j} a_ij^2, mahalanobis = ||l2^-1 (mu2 - mu1)||^2,
 * scale_terms = sum_i psi(l1_ii, l2_ii): nonnegative terms (KL >= 0, exactly 0 for q = p), none
 * a difference of nearly equal numbers as long as l1 - l2 is formed without cancellation
 * (a - I = l2^-1 (l1 - l2) off the diagonal).  ${name}_terms takes the factors with positive
 * diagonals, diff = l1 - l2 and d doubles of scratch.  _tril forms l1 - l2 from its inputs (a
 * negative diagonal entry means the same covariance as its absolute value: the column's sign
 * is flipped, exactly); the covariance form factorises cov2 and gets l1 and l1 - l2 from
 * cov1 - cov2 by the difference's own recurrence, accurate as q -> p (far from p by the
 * ordinary one: l1 - l2 loses nothing there).  Lower triangles are read.  Return 0, 1 if a
 * covariance is not symmetric (to round-off) positive definite or a factor's diagonal is zero
 * or not finite (a factor: anywhere in its lower triangle), 2 if memory runs out (or d x d
 * doubles would not fit in size_t). */
static void ${name}_terms(size_t d, const double *mu1, const double *l1, const double *mu2, const double *l2,
                          const double *diff, double *x, double *out)
{
    double off_diagonal = 0.0, mahalanobis = 0.0, scale_terms = 0.0, half = 1.0;
    size_t i, j;
    for (j = 0; j < d; ++j) {  /* column j of l2^-1 diff: diff's column from row j down, zero above */
        ${internal}solve_lower(d - j, l2 + j*d + j, d, diff + j*d + j, d, x);
        for (i = 1; i < d - j; ++i) {
            off_diagonal += x[i]*x[i];
        }
        scale_terms += ${internal}scale_term(l1[j*d + j], l2[j*d + j]);
    }
    for (i = 0; i < d; ++i) {  /* a gap mu2 - mu1 that overflows (means of opposite signs near the */
        if (!isfinite(mu2[i] - mu1[i])) {  /* ends of the range): the halves, exact there, and 4x */
            half = 0.5;
        }
    }
    for (i = 0; i < d; ++i) {  /* l2^-1 (mu2 - mu1) by forward substitution (times 1, exactly, or 1/2) */
        double sum = mu2[i]*half - mu1[i]*half;
        for (j = 0; j < i; ++j) {
            sum -= l2[i*d + j]*x[j];
        }
        x[i] = sum/l2[i*d + i];
        mahalanobis += x[i]*x[i];
    }
    mahalanobis /= half*half;
    *out = $output;
}

int ${name}_tril(size_t d, const double *mu1, const double *l1, const double *mu2, const double *l2, double *out)
{
    const size_t count = ${internal}scratch_count(d, 3);
    double *l;
    size_t i, j;
    if (!count) {
        return 2;
    }
    if (!${internal}is_factor(d, l1) || !${internal}is_factor(d, l2)) {
        return 1;
    }
    l = (double *)malloc(count*sizeof *l);  /* l1, l2, l1 - l2, x; the cast: C++ */
    if (l == NULL) {
        return 2;
    }
    for (i = 0; i < d; ++i) {  /* lower triangles, each column's sign made positive on the diagonal */
        for (j = 0; j <= i; ++j) {
            l[i*d + j] = l1[j*d + j] < 0.0 ? -l1[i*d + j] : l1[i*d + j];
            l[d*d + i*d + j] = l2[j*d + j] < 0.0 ? -l2[i*d + j] : l2[i*d + j];
            l[2*d*d + i*d + j] = l[i*d + j] - l[d*d + i*d + j];
        }
    }
    ${name}_terms(d, mu1, l, mu2, l + d*d, l + 2*d*d, l + 3*d*d, out);
    free(l);
    return 0;
}

int $name(size_t d, const double *mu1, const double *cov1, const double *mu2, const double *cov2, double *out)
{
    const size_t count = ${internal}scratch_count(d, 3);
    double *l;
    int status = 1;
    if (!count) {
        return 2;
    }
    if (!${internal}is_covariance(d, cov1)) {
        return 1;
    }
    l = (double *)malloc(count*sizeof *l);  /* l2, l1, l1 - l2, x */
    if (l == NULL) {
        return 2;
    }
    if (!${internal}cholesky(d, cov2, l) && !${internal}difference_cholesky(d, cov1, cov2, l, l + d*d, l + 2*d*d)) {
        ${name}_terms(d, mu1, l + d*d, mu2, l, l + 2*d*d, l + 3*d*d, out);
        status = 0;
    }
    free(l);
    return status;
}
