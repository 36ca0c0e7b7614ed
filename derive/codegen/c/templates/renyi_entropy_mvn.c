/* $summary
 * Formula: $formula
 * Derivation: $derivation; with cov = l l^T, half_log_det = sum_i log |l_ii| (a negative
 * diagonal entry of the factor means the same covariance as its absolute value). */
int ${name}_tril(size_t d, const double *l, double alpha, double *out)
{
    double half_log_det = 0.0;
    size_t i;
    if (!(alpha > 0.0) || !isfinite(alpha)) {
        *out = NAN;
        return 1;
    }
    if (!${internal}scratch_count(d, 1)) {
        return 2;
    }
    if (!${internal}is_factor(d, l)) {
        return 1;
    }
    for (i = 0; i < d; ++i) {
        half_log_det += log(fabs(l[i*d + i]));
    }
    *out = $output;
    return 0;
}

int $name(size_t d, const double *cov, double alpha, double *out)
{
    const size_t count = ${internal}scratch_count(d, 1);
    double *l;
    int status;
    if (!(alpha > 0.0) || !isfinite(alpha)) {
        *out = NAN;
        return 1;
    }
    l = count ? (double *)malloc(count*sizeof *l) : NULL;  /* the cast: the file compiles as C++ too */
    if (l == NULL) {
        return 2;
    }
    status = ${internal}cholesky(d, cov, l) ? 1 : ${name}_tril(d, l, alpha, out);
    free(l);
    return status;
}
