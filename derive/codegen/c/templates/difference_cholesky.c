/* l1 and diff = l1 - l2 (lower triangles written) with l1 l1^T = a1, from the lower triangles of
 * the covariances a1, a2 and the factor l2 of a2.  The Cholesky recurrence written for the
 * difference D: (a1 - a2)_ij = sum_{k<=j} (l2_ik D_jk + D_ik l1_jk), so
 * D_jj = s/(l2_jj + sqrt(l2_jj^2 + s)) and D_ij = (s - l2_ij D_jj)/l1_jj, s the remainder:
 * every term is O(a1 - a2), so D has full relative accuracy when a1 ~ a2 (two factors
 * computed apart differ by their own rounding, ~u |l|, as much as by a1 - a2).  From the first
 * column where l1_jj^2 = l2_jj^2 + s would cancel (l1_jj^2 < l2_jj^2/2: q is far from p) on,
 * l1 by the ordinary recurrence on a1 and D = l1 - l2, which loses nothing there.
 * Returns 0, or 1 if a1 is not positive definite (or not finite). */
static int ${internal}difference_cholesky(size_t d, const double *a1, const double *a2, const double *l2,
                                        double *l1, double *diff)
{
    size_t i, j, k;
    int direct = 0;
    for (j = 0; j < d; ++j) {
        const double pivot = l2[j*d + j];
        if (!direct) {
            double s = a1[j*d + j] - a2[j*d + j], square;
            for (k = 0; k < j; ++k) {
                s -= diff[j*d + k]*(l2[j*d + k] + l1[j*d + k]);
            }
            square = pivot*pivot + s;
            if (square >= 0.5*pivot*pivot && isfinite(square)) {
                l1[j*d + j] = sqrt(square);
                diff[j*d + j] = s/(pivot + l1[j*d + j]);
            } else {
                direct = 1;
            }
        }
        if (direct) {
            double sum = a1[j*d + j];
            for (k = 0; k < j; ++k) {
                sum -= l1[j*d + k]*l1[j*d + k];
            }
            if (!(sum > 0.0) || !isfinite(sum)) {
                return 1;
            }
            l1[j*d + j] = sqrt(sum);
            diff[j*d + j] = l1[j*d + j] - pivot;
        }
        for (i = j + 1; i < d; ++i) {
            if (direct) {
                double sum = a1[i*d + j];
                for (k = 0; k < j; ++k) {
                    sum -= l1[i*d + k]*l1[j*d + k];
                }
                l1[i*d + j] = sum/l1[j*d + j];
                diff[i*d + j] = l1[i*d + j] - l2[i*d + j];
            } else {
                double s = a1[i*d + j] - a2[i*d + j];
                for (k = 0; k < j; ++k) {
                    s -= l2[i*d + k]*diff[j*d + k] + diff[i*d + k]*l1[j*d + k];
                }
                diff[i*d + j] = (s - l2[i*d + j]*diff[j*d + j])/l1[j*d + j];
                l1[i*d + j] = l2[i*d + j] + diff[i*d + j];
            }
        }
    }
    return 0;
}
