/* l1 and diff = l1 - l2 (lower triangles written) with l1 l1^T = l2 l2^T + (a1 - a2), from the
 * lower triangles of the covariances a1, a2 and the factor l2 of a2.  The Cholesky recurrence
 * written for the difference D: (a1 - a2)_ij = sum_{k<=j} (l2_ik D_jk + D_ik l1_jk), so
 * D_jj = s/(l2_jj + sqrt(l2_jj^2 + s)) and D_ij = (s - l2_ij D_jj)/l1_jj, s the remainder:
 * every term is O(a1 - a2), so D has full relative accuracy when a1 ~ a2 (two factors
 * computed apart differ by their own rounding, ~u |l|, as much as by a1 - a2).
 * Returns 0, or 1 where l1_jj^2 = l2_jj^2 + s would cancel (l1_jj^2 < l2_jj^2/2 for some j, or
 * a1 not positive definite): q is far from p there, and the caller factorises a1 directly. */
static int ${prefix}difference_cholesky(size_t d, const double *a1, const double *a2, const double *l2,
                                        double *l1, double *diff)
{
    size_t i, j, k;
    for (j = 0; j < d; ++j) {
        for (i = j; i < d; ++i) {
            double s = a1[i*d + j] - a2[i*d + j];
            for (k = 0; k < j; ++k) {
                s -= l2[i*d + k]*diff[j*d + k] + diff[i*d + k]*l1[j*d + k];
            }
            if (i == j) {
                const double square = l2[j*d + j]*l2[j*d + j] + s;
                if (!(square >= 0.5*l2[j*d + j]*l2[j*d + j]) || !isfinite(square)) {
                    return 1;
                }
                l1[j*d + j] = sqrt(square);
                diff[j*d + j] = s/(l2[j*d + j] + l1[j*d + j]);
            } else {
                diff[i*d + j] = (s - l2[i*d + j]*diff[j*d + j])/l1[j*d + j];
                l1[i*d + j] = l2[i*d + j] + diff[i*d + j];
            }
        }
    }
    return 0;
}
