/* $summary
 * Formula: $formula
 * Derivation: $derivation; with cov2 = l2 l2^T, W = l2^-1 (cov1 - cov2) l2^-T (from the exact
 * difference of the inputs, or from l1 - l2), its eigenvalues lambda_i and g = l2^-1 (mu1 - mu2):
 * mahalanobis = g^T (I + (1 - alpha) W)^-1 g and scale_terms = sum_i of ${name}_scale_term(lambda_i),
 * the univariate scale part at sigma1^2/sigma2^2 = 1 + lambda_i: nonnegative terms that do not
 * cancel as q -> p or alpha -> 1.  +inf where alpha > 1 and I + (1 - alpha) W is not positive
 * definite (the integral diverges).  ${name}_terms takes W in w (d x d) and 3d doubles of scratch.
 * Far from p (${internal}near_pair fails: W has an eigenvalue beyond 1/2) and for alpha away from 0
 * and 1 (0.05 <= alpha, |1 - alpha| >= 0.05), ${name}_far takes the same two terms from the closed
 * form (the derivation's log-algebra step) instead: mahalanobis = ||l_alpha^-1 (mu1 - mu2)||^2 and
 * scale_terms = [log det S_alpha/det S_2 - (1 - alpha) log det S_1/det S_2]/(2(1 - alpha)) from Cholesky
 * diagonals, which cancel there by a bounded factor, keep the small eigenvalues of W that the eigen
 * route loses relative accuracy in, and take a third of its time; it returns 0 with *out set, or 1 where it does not apply. */
static double ${name}_scale_term(double lambda, double alpha)
{
    const double epsilon = 1.0 - alpha, kl_part = -0.5*${internal}log1pmx(lambda);
    double u, kappa;
    if (alpha == 1.0) {
        return kl_part;
    }
    if (alpha > 1.0) {
        return ${internal}log1pmx(epsilon*lambda)/(2.0*epsilon) + kl_part;
    }
    u = log1p(lambda);
    if (alpha*u > 700.0) {
        kappa = alpha*u + log(epsilon);
    } else if (epsilon > 0.0 && -epsilon*u > 700.0) {
        kappa = -epsilon*u + log(alpha + epsilon*exp(u));
    } else {
        kappa = log1p(alpha*${internal}expm1mx(-epsilon*u) + epsilon*${internal}expm1mx(alpha*u));
    }
    return kappa/(2.0*epsilon);
}

static int ${name}_terms(size_t d, const double *mu1, const double *mu2, const double *l2, double *w,
                         double alpha, double *scratch, double *out)
{
    double mahalanobis, scale_terms = 0.0;
    size_t i;
    if (${internal}whitened_terms(d, mu1, mu2, l2, w, 1.0 - alpha, scratch, scratch + d, &mahalanobis)) {
        return 3;
    }
    if (mahalanobis == INFINITY) {
        *out = INFINITY;
        return 0;
    }
    for (i = 0; i < d; ++i) {
        scale_terms += ${name}_scale_term(scratch[i], alpha);
    }
    *out = $output;
    return 0;
}

static int ${name}_far(size_t d, const double *mu1, const double *cov1, const double *mu2, const double *cov2,
                       const double *l1, const double *l2, double alpha, double *lc, double *combined, double *x,
                       double *out)
{
    double mahalanobis, log_ratio_c, log_ratio_1, scale_terms;
    if (${internal}near_pair(d, cov1, cov2, l1, l2) || alpha < 0.05 || fabs(1.0 - alpha) < 0.05) {
        return 1;
    }
    if (${internal}combined_terms(d, mu1, cov1, mu2, cov2, l1, l2, 1.0 - alpha, alpha, lc, combined, x,
                                  &mahalanobis, &log_ratio_c, &log_ratio_1)) {
        if (alpha > 1.0) {  /* S_alpha is not positive definite: the integral diverges */
            *out = INFINITY;
            return 0;
        }
        return 1;
    }
    scale_terms = (log_ratio_c - (1.0 - alpha)*log_ratio_1)/(2.0*(1.0 - alpha));
    *out = $output;
    return 0;
}

int ${name}_tril(size_t d, const double *mu1, const double *l1, const double *mu2, const double *l2, double alpha,
                 double *out)
{
    const size_t count = ${internal}scratch_count(d, 7);
    double *l;
    int status = 0;
    if (!(alpha > 0.0) || !isfinite(alpha)) {
        *out = NAN;
        return 1;
    }
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
    if (${name}_far(d, mu1, l + 2*d*d, mu2, l + 3*d*d, l, l + d*d, alpha, l + 4*d*d, l + 5*d*d, l + 6*d*d, out)) {
        ${internal}whitened_factors(d, l, l + d*d, l + 2*d*d, l + 3*d*d, l + 6*d*d);
        status = ${name}_terms(d, mu1, mu2, l + d*d, l + 2*d*d, alpha, l + 6*d*d, out);
    }
    free(l);
    return status;
}

int $name(size_t d, const double *mu1, const double *cov1, const double *mu2, const double *cov2, double alpha,
          double *out)
{
    const size_t count = ${internal}scratch_count(d, 5);
    double *l;
    int status = 1;
    if (!(alpha > 0.0) || !isfinite(alpha)) {
        *out = NAN;
        return 1;
    }
    if (!count) {
        return 2;
    }
    l = (double *)malloc(count*sizeof *l);  /* l1, l2, w (lc on the far route), h (the combined covariance there), then 3d */
    if (l == NULL) {
        return 2;
    }
    if (!${internal}cholesky(d, cov1, l) && !${internal}cholesky(d, cov2, l + d*d)) {
        status = 0;
        if (${name}_far(d, mu1, cov1, mu2, cov2, l, l + d*d, alpha, l + 2*d*d, l + 3*d*d, l + 4*d*d, out)) {
            ${internal}whitened_covariances(d, l + d*d, cov1, cov2, l + 2*d*d, l + 3*d*d, l + 4*d*d);
            status = ${name}_terms(d, mu1, mu2, l + d*d, l + 2*d*d, alpha, l + 4*d*d, out);
        }
    }
    free(l);
    return status;
}
