/* ${name}, branch-free: every element takes the same instructions and no libm call, so
 * loops over arrays vectorize without a vector math library.
$domain */
static inline double ${name}_fast($parameters)
{
$locals    return $value;
}
