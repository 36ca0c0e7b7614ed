/* $summary
 * mu1, mu2: d values; cov1, cov2: d x d, row-major, symmetric (to round-off) positive definite,
 * lower triangles read; _tril takes lower-triangular factors (cov = l l^T, any nonzero diagonal).
 * Return 0 on success, 1 if a covariance is not SPD (factor: a zero diagonal or a lower triangle that
 * is not finite), 2 if out of memory (or if d x d doubles would not fit in size_t), 3 if the
 * eigenvalue iteration does not converge. */
int $name(size_t d, const double *mu1, const double *cov1, const double *mu2, const double *cov2, double *out);
int ${name}_tril(size_t d, const double *mu1, const double *l1, const double *mu2, const double *l2, double *out);
