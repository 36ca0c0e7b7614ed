/* Reading and writing the bits of doubles: integer operations, which compilers vectorize
 * (frexp, ldexp and friends are calls they do not).
 * A positive normal double x = significand * 2^exponent, significand in [1, 2). */
#if FLT_RADIX != 2 || DBL_MANT_DIG != 53 || DBL_MAX_EXP != 1024
#error "these kernels read the bits of IEEE 754 binary64 doubles"
#endif

static inline double ${internal}exponent(const double x)
{
    uint64_t bits;
    double biased;
    memcpy(&bits, &x, sizeof bits);
    bits = (bits >> 52) | UINT64_C(0x4330000000000000);  /* the double 2^52 + biased exponent */
    memcpy(&biased, &bits, sizeof biased);
    return biased - 4503599627371519.0;  /* 2^52 + 1023 */
}

static inline double ${internal}significand(const double x)
{
    uint64_t bits;
    double significand;
    memcpy(&bits, &x, sizeof bits);
    bits = (bits & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000);
    memcpy(&significand, &bits, sizeof significand);
    return significand;
}

/* The integer nearest x (ties to even): GCC and Clang emit one rounding instruction, which
 * vectorizes; elsewhere adding and subtracting 1.5 * 2^52 (for |x| < 2^51) does the same. */
static inline double ${internal}round_to_integer(const double x)
{
#if defined(__GNUC__)
    return __builtin_rint(x);
#else
    const double shifted = x + 6755399441055744.0;
    return shifted - 6755399441055744.0;
#endif
}

/* 2^k for an integer k in [-1022, 1023], written into the exponent field. */
static inline double ${internal}power_of_two(const double k)
{
    const double shifted = k + 6755399441055744.0;  /* k in the low bits, as two's complement */
    uint64_t bits;
    double power;
    memcpy(&bits, &shifted, sizeof bits);
    bits = (bits + 1023) << 52;
    memcpy(&power, &bits, sizeof power);
    return power;
}
