/* $summary
 * cov: d x d, row-major, symmetric (to round-off) positive definite, lower triangle read; _tril takes
 * a lower-triangular factor (cov = l l^T, any nonzero diagonal).  Return 0 on success, 1 if alpha is
 * not finite and > 0 (*out = NaN) or the covariance (factor) is not valid, 2 if out of memory (or if
 * d x d doubles would not fit in size_t). */
int $name(size_t d, const double *cov, double alpha, double *out);
int ${name}_tril(size_t d, const double *l, double alpha, double *out);
