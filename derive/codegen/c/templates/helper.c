/* $summary
 * Where |$selector| < $bound it cancels, so a series is used there; elsewhere the formula.
 * Both are computed and one is selected, so the loops that call it stay branch-free. */
static inline double $name($parameters)
{
$far_locals    const double far = $far;
$near_locals    const double near = $near;
    return fabs($selector) < $bound ? near : far;
}
