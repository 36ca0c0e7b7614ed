/* $header */
#include "$include"

#include <math.h>

$vector_math
$helpers

$definitions
