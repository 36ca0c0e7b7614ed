/* $summary
 * Formula: $formula
 * Derivation: $derivation; with cov2 = l2 l2^T, W = l2^-1 (cov1 - cov2) l2^-T (from the exact
 * difference of the inputs, or from l1 - l2), its eigenvalues lambda_i and g = l2^-1 (mu1 - mu2):
 * mahalanobis = g^T (I + (1 - alpha) W)^-1 g and scale_terms = sum_i of ${name}_scale_term(lambda_i),
 * the univariate scale part at sigma1^2/sigma2^2 = 1 + lambda_i: nonnegative terms that do not
 * cancel as q -> p or alpha -> 1.  +inf where alpha > 1 and I + (1 - alpha) W is not positive
 * definite (the integral diverges).  ${name}_terms takes W in w (d x d) and 3d doubles of scratch. */
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

int ${name}_tril(size_t d, const double *mu1, const double *l1, const double *mu2, const double *l2, double alpha,
                 double *out)
{
    const size_t count = ${internal}scratch_count(d, 5);
    double *l;
    int status;
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
    l = (double *)malloc(count*sizeof *l);  /* l1, l2, w, h, then 3d; the cast: C++ */
    if (l == NULL) {
        return 2;
    }
    ${internal}positive_factors(d, l1, l2, l, l + d*d);
    ${internal}whitened_factors(d, l, l + d*d, l + 2*d*d, l + 3*d*d, l + 4*d*d);
    status = ${name}_terms(d, mu1, mu2, l + d*d, l + 2*d*d, alpha, l + 4*d*d, out);
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
    l = (double *)malloc(count*sizeof *l);  /* l1 (only to refuse a cov1 that is not SPD), l2, w, h, then 3d */
    if (l == NULL) {
        return 2;
    }
    if (!${internal}cholesky(d, cov1, l) && !${internal}cholesky(d, cov2, l + d*d)) {
        ${internal}whitened_covariances(d, l + d*d, cov1, cov2, l + 2*d*d, l + 3*d*d, l + 4*d*d);
        status = ${name}_terms(d, mu1, mu2, l + d*d, l + 2*d*d, alpha, l + 4*d*d, out);
    }
    free(l);
    return status;
}
