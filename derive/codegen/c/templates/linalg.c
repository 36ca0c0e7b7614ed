/* 1 if a (d x d, row-major) is symmetric to round-off: |a_ij - a_ji| <= 2^-26 max_i |a_ii|
 * (for a covariance, its largest entry); NaN or infinity off the diagonal fails too, on the
 * diagonal the factorisation refuses it.  2^-26 = sqrt(DBL_EPSILON): ordinary constructions
 * (Q diag Q^T, inverses, A B A^T) leave about d u cond(a) max|a|, under it for d <= 64 up to
 * cond ~1e6; a relative asymmetry of 1e-6 is 67 times over it.  The kernels read the lower
 * triangle. */
static int ${internal}is_covariance(size_t d, const double *a)
{
    double scale = 0.0;
    size_t i, j;
    for (i = 0; i < d; ++i) {
        scale = fmax(scale, fabs(a[i*d + i]));
    }
    for (i = 0; i < d; ++i) {
        for (j = 0; j < i; ++j) {
            if (!(fabs(a[i*d + j] - a[j*d + i]) <= 1.4901161193847656e-08*scale)) {
                return 0;
            }
        }
    }
    return 1;
}

/* The lower Cholesky factor l of a d x d covariance a (row-major; its lower triangle is read),
 * a = l l^T.  Returns 0, or 1 if a is not symmetric to round-off, not finite or not positive
 * definite. */
static int ${internal}cholesky(size_t d, const double *a, double *l)
{
    size_t i, j, k;
    if (!${internal}is_covariance(d, a)) {
        return 1;
    }
    for (i = 0; i < d; ++i) {
        for (j = 0; j <= i; ++j) {
            double sum = a[i*d + j];
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

/* 1 if l is a usable factor: a finite lower triangle (NaN anywhere in it is invalid input, even
 * where the result does not read it) and a nonzero diagonal (its signs do not change l l^T). */
static int ${internal}is_factor(size_t d, const double *l)
{
    size_t i, j;
    for (i = 0; i < d; ++i) {
        int finite = l[i*d + i] != 0.0;
        for (j = 0; j <= i; ++j) {
            finite &= isfinite(l[i*d + j]) != 0;
        }
        if (!finite) {
            return 0;
        }
    }
    return 1;
}

/* How many doubles ``matrices`` d x d matrices and d + 1 more take, or 0 if their size in bytes
 * would not fit in size_t (d*d*sizeof(double) wraps from d = 2^30 on with a 64-bit size_t): no
 * such arrays exist, so the call is refused before any element is read or memory allocated. */
static size_t ${internal}scratch_count(size_t d, size_t matrices)
{
    if (d > 0 && d > SIZE_MAX / sizeof(double) / (matrices + 2) / d) {
        return 0;
    }
    return matrices*d*d + d + 1;
}
