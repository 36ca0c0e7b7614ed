/* The lower Cholesky factor l of a symmetric positive definite d x d matrix a (row-major),
 * a = l l^T.  Returns 0, or 1 if a is not symmetric (to 8 ulp), not finite or not positive
 * definite. */
static int ${prefix}cholesky(size_t d, const double *a, double *l)
{
    size_t i, j, k;
    for (i = 0; i < d; ++i) {
        for (j = 0; j <= i; ++j) {
            const double aij = a[i*d + j], aji = a[j*d + i];
            double sum = aij;
            if (!(fabs(aij - aji) <= 8.0*DBL_EPSILON*fmax(fabs(aij), fabs(aji)))) {
                return 1;
            }
            for (k = 0; k < j; ++k) {
                sum -= l[i*d + k]*l[j*d + k];
            }
            if (i == j) {
                if (!(sum > 0.0) || !isfinite(sum)) {
                    return 1;
                }
                l[i*d + i] = sqrt(sum);
            } else {
                l[i*d + j] = sum/l[j*d + j];
            }
        }
        for (j = i + 1; j < d; ++j) {
            l[i*d + j] = 0.0;
        }
    }
    return 0;
}

/* 1 if l is a usable Cholesky factor: a finite, positive diagonal. */
static int ${prefix}is_factor(size_t d, const double *l)
{
    size_t i;
    for (i = 0; i < d; ++i) {
        if (!(l[i*d + i] > 0.0) || !isfinite(l[i*d + i])) {
            return 0;
        }
    }
    return 1;
}
