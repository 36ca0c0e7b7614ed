/* GCC vectorizes the batched loops only if it may call glibc's vector math (libmvec),
 * which glibc declares only under -ffast-math.  These declarations allow it without
 * fast-math; with -fno-math-errno -fno-trapping-math the loops then call libmvec.
 * Results keep IEEE semantics (NaN in, NaN out); -ffast-math is never needed. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) \
    && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
$declarations
#endif
