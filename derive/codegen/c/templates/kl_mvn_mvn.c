/* $summary
 * Formula: $formula
 * Derivation: $derivation; with cov = l l^T: trace_term = ||l2^-1 l1||_F^2,
 * mahalanobis = ||l2^-1 (mu2 - mu1)||^2, half_log_det_ratio = sum_i log(l2_ii / l1_ii):
 * triangular solves, no inverse, no determinant.
 * Returns 0, 1 if a covariance (or factor) is not valid, 2 if memory runs out. */
int ${name}_tril(size_t d, const double *mu1, const double *l1, const double *mu2, const double *l2, double *out)
{
    double trace_term = 0.0, mahalanobis = 0.0, half_log_det_ratio = 0.0;
    double *x;
    size_t i, j;
    if (!${prefix}is_factor(d, l1) || !${prefix}is_factor(d, l2)) {
        return 1;
    }
    x = (double *)malloc((d ? d : 1)*sizeof *x);  /* the cast: the file compiles as C++ too */
    if (x == NULL) {
        return 2;
    }
    for (j = 0; j < d; ++j) {  /* column j of l2^-1 l1: l1's column from row j down, zero above */
        ${prefix}solve_lower(d - j, l2 + j*d + j, d, l1 + j*d + j, d, x);
        for (i = 0; i < d - j; ++i) {
            trace_term += x[i]*x[i];
        }
    }
    for (i = 0; i < d; ++i) {  /* l2^-1 (mu2 - mu1) by forward substitution */
        double sum = mu2[i] - mu1[i];
        for (j = 0; j < i; ++j) {
            sum -= l2[i*d + j]*x[j];
        }
        x[i] = sum/l2[i*d + i];
        mahalanobis += x[i]*x[i];
        half_log_det_ratio += log(l2[i*d + i]/l1[i*d + i]);
    }
    free(x);
    *out = $output;
    return 0;
}

int $name(size_t d, const double *mu1, const double *cov1, const double *mu2, const double *cov2, double *out)
{
    double *l = (double *)malloc((d ? 2*d*d : 1)*sizeof *l);
    int status;
    if (l == NULL) {
        return 2;
    }
    status = (${prefix}cholesky(d, cov1, l) || ${prefix}cholesky(d, cov2, l + d*d))
             ? 1 : ${name}_tril(d, mu1, l, mu2, l + d*d, out);
    free(l);
    return status;
}
