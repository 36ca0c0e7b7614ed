/* $header */
#include "$include"

#include <math.h>

$definitions
