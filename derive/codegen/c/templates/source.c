/* $header */
#include "$include"

#include <float.h>
#include <math.h>
#include <stdlib.h>

$vector_math
$helpers

$definitions
