/* $name: $summary
 * Formula: $formula
 * Derivation: $derivation ($ops operations). */
double $name($parameters)
{
    if ($invalid) {
        return NAN;
    }
$body
}

void ${name}_n(size_t n, $arrays, double *out)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        out[i] = $name($elements);
    }
}
