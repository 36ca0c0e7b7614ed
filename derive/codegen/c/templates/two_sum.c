/* *sum += x, and *error += what that addition rounded away (Knuth's TwoSum: branch-free, so
 * loops over lanes of sums vectorize).  Where the sum is infinite nothing is added to *error,
 * which inf - inf would make NaN. */
static inline void ${internal}two_sum(double *sum, double *error, const double x)
{
    const double rounded = *sum + x, x_part = rounded - *sum;
    const double lost = (*sum - (rounded - x_part)) + (x - x_part);
    *error += fabs(rounded) <= DBL_MAX ? lost : 0.0;
    *sum = rounded;
}
