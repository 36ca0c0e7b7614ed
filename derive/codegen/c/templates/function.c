/* $summary
 * Formula: $formula
 * Derivation: $derivation ($ops operations as printed, checked step by step). */
static double ${name}_value($parameters)
{
$body
}

double $name($parameters)
{
    return ($valid) ? ${name}_value($arguments) : NAN;
}

void ${name}_n(size_t n, $arrays, double *out)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        out[i] = ($valid_elements) ? ${name}_value($elements) : NAN;
    }
}
