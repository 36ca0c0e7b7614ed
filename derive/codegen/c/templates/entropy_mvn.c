/* $summary
 * Formula: $formula
 * Derivation: $derivation; with cov = l l^T, half_log_det = sum_i log |l_ii| (a negative
 * diagonal entry of the factor means the same covariance as its absolute value).
 * Returns 0, 1 if the covariance (or factor) is not valid, 2 if memory runs out. */
int ${name}_tril(size_t d, const double *l, double *out)
{
    double half_log_det = 0.0;
    size_t i;
    if (!${prefix}is_factor(d, l)) {
        return 1;
    }
    for (i = 0; i < d; ++i) {
        half_log_det += log(fabs(l[i*d + i]));
    }
    *out = $output;
    return 0;
}

int $name(size_t d, const double *cov, double *out)
{
    double *l = (double *)malloc((d ? d*d : 1)*sizeof *l);  /* the cast: the file compiles as C++ too */
    int status;
    if (l == NULL) {
        return 2;
    }
    status = ${prefix}cholesky(d, cov, l) ? 1 : ${name}_tril(d, l, out);
    free(l);
    return status;
}
