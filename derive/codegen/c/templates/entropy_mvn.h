/* $summary
 * cov: d x d, row-major, symmetric positive definite; _tril takes its lower Cholesky factor.
 * Return 0 on success, 1 if the covariance is not SPD (factor: diagonal not > 0), 2 if out of memory. */
int $name(size_t d, const double *cov, double *out);
int ${name}_tril(size_t d, const double *l, double *out);
