/* $header */
#include "$include"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

$vector_math
$helpers

$definitions
