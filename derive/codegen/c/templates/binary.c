/* A positive normal double x = significand * 2^exponent, significand in [1, 2), read from its
 * bits: integer operations, which compilers vectorize (frexp is a call they do not). */
#if FLT_RADIX != 2 || DBL_MANT_DIG != 53 || DBL_MAX_EXP != 1024
#error "these kernels read the bits of IEEE 754 binary64 doubles"
#endif

static inline double ${prefix}exponent(const double x)
{
    uint64_t bits;
    double biased;
    memcpy(&bits, &x, sizeof bits);
    bits = (bits >> 52) | UINT64_C(0x4330000000000000);  /* the double 2^52 + biased exponent */
    memcpy(&biased, &bits, sizeof biased);
    return biased - 4503599627371519.0;  /* 2^52 + 1023 */
}

static inline double ${prefix}significand(const double x)
{
    uint64_t bits;
    double significand;
    memcpy(&bits, &x, sizeof bits);
    bits = (bits & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000);
    memcpy(&significand, &bits, sizeof significand);
    return significand;
}
