/* $summary
 * Formula: $formula
 * Derivation: $derivation; with cov = l l^T, half_log_det = sum_i log |l_ii| (a negative
 * diagonal entry of the factor means the same covariance as its absolute value).
 * Returns 0, 1 if the covariance (or factor) is not valid, 2 if memory runs out (or d x d doubles
 * would not fit in size_t). */
int ${name}_tril(size_t d, const double *l, double *out)
{
    double half_log_det = 0.0;
    size_t i;
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

int $name(size_t d, const double *cov, double *out)
{
    const size_t count = ${internal}scratch_count(d, 1);
    double *l = count ? (double *)malloc(count*sizeof *l) : NULL;  /* the cast: the file compiles as C++ too */
    int status;
    if (l == NULL) {
        return 2;
    }
    status = ${internal}cholesky(d, cov, l) ? 1 : ${name}_tril(d, l, out);
    free(l);
    return status;
}
