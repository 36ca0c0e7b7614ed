/* $summary
 * Formula: $formula
 * Derivation: $derivation; with cov2 = l2 l2^T, W = l2^-1 (cov1 - cov2) l2^-T (from the exact
 * difference of the inputs, or from l1 - l2), its eigenvalues lambda_i and g = l2^-1 (mu1 - mu2):
 * mahalanobis = g^T (I + W/2)^-1 g and scale_terms = sum_i 1/2 log1p(rho_i^2/(2 sqrt(1 + lambda_i))),
 * rho_i = lambda_i/(1 + sqrt(1 + lambda_i)): the Bhattacharyya distance's terms (D_B = mahalanobis/8 +
 * scale_terms), nonnegative, zero exactly at q = p; the squared Hellinger distance -expm1(-D_B) is
 * printed from the same terms.
 * Far from p (${internal}near_pair fails: W has an eigenvalue beyond 1/2) ${name}_far takes the same
 * two terms from the closed form instead: mahalanobis = ||l_m^-1 (mu1 - mu2)||^2 with l_m = chol(S_m),
 * S_m = (S_1 + S_2)/2, and scale_terms = 1/2 log det S_m/det S_2 - 1/4 log det S_1/det S_2 from Cholesky
 * diagonals: a bounded cancellation there, and a third of the eigen route's time (it returns 1 where q is
 * near p). */
static int ${name}_terms(size_t d, const double *mu1, const double *mu2, const double *l2, double *w,
                         double *scratch, double *out)
{
    double mahalanobis, scale_terms = 0.0;
    size_t i;
    if (${internal}whitened_terms(d, mu1, mu2, l2, w, 0.5, scratch, scratch + d, &mahalanobis)) {
        return 3;
    }
    for (i = 0; i < d; ++i) {
        const double root = sqrt(1.0 + scratch[i]), rho = scratch[i]/(1.0 + root);
        scale_terms += 0.5*log1p(rho*rho/(2.0*root));
    }
    *out = $output;
    return 0;
}

static int ${name}_far(size_t d, const double *mu1, const double *cov1, const double *mu2, const double *cov2,
                       const double *l1, const double *l2, double *lc, double *combined, double *x, double *out)
{
    double mahalanobis, log_ratio_c, log_ratio_1, scale_terms;
    if (${internal}near_pair(d, cov1, cov2, l1, l2) || ${internal}combined_terms(
            d, mu1, cov1, mu2, cov2, l1, l2, 0.5, 0.5, lc, combined, x, &mahalanobis, &log_ratio_c, &log_ratio_1)) {
        return 1;
    }
    scale_terms = 0.5*log_ratio_c - 0.25*log_ratio_1;
    *out = $output;
    return 0;
}

int ${name}_tril(size_t d, const double *mu1, const double *l1, const double *mu2, const double *l2, double *out)
{
    const size_t count = ${internal}scratch_count(d, 7);
    double *l;
    int status = 0;
    if (!count) {
        return 2;
    }
    if (!${internal}is_factor(d, l1) || !${internal}is_factor(d, l2)) {
        return 1;
    }
    /* l1, l2, w (cov1 first), h (cov2 first), lc, the combined covariance, then 3d; zeroed: GCC's -Wmaybe-uninitialized cannot
     * follow the writes through the calls at -O3; the cast: C++ */
    l = (double *)calloc(count, sizeof *l);
    if (l == NULL) {
        return 2;
    }
    ${internal}positive_factors(d, l1, l2, l, l + d*d);
    ${internal}covariance_of(d, l, l + 2*d*d);
    ${internal}covariance_of(d, l + d*d, l + 3*d*d);
    if (${name}_far(d, mu1, l + 2*d*d, mu2, l + 3*d*d, l, l + d*d, l + 4*d*d, l + 5*d*d, l + 6*d*d, out)) {
        ${internal}whitened_factors(d, l, l + d*d, l + 2*d*d, l + 3*d*d, l + 6*d*d);
        status = ${name}_terms(d, mu1, mu2, l + d*d, l + 2*d*d, l + 6*d*d, out);
    }
    free(l);
    return status;
}

int $name(size_t d, const double *mu1, const double *cov1, const double *mu2, const double *cov2, double *out)
{
    const size_t count = ${internal}scratch_count(d, 5);
    double *l;
    int status = 1;
    if (!count) {
        return 2;
    }
    l = (double *)malloc(count*sizeof *l);  /* l1, l2, w (lc on the far route), h (the combined covariance there), then 3d */
    if (l == NULL) {
        return 2;
    }
    if (!${internal}cholesky(d, cov1, l) && !${internal}cholesky(d, cov2, l + d*d)) {
        status = 0;
        if (${name}_far(d, mu1, cov1, mu2, cov2, l, l + d*d, l + 2*d*d, l + 3*d*d, l + 4*d*d, out)) {
            ${internal}whitened_covariances(d, l + d*d, cov1, cov2, l + 2*d*d, l + 3*d*d, l + 4*d*d);
            status = ${name}_terms(d, mu1, mu2, l + d*d, l + 2*d*d, l + 4*d*d, out);
        }
    }
    free(l);
    return status;
}
