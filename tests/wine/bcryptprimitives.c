/*
 * bcryptprimitives.dll for Wine 8.0, which has none: Rust's std (1.78+) imports ProcessPrng
 * from it, so without this every Rust exe exits at start-up (status 53) under Wine 8.
 *
 * ProcessPrng fills a buffer with random bytes and never fails; here it forwards to
 * BCryptGenRandom with the system RNG, which Wine implements. Only for running the Windows
 * build under Wine in tests: never shipped. Built by tests/wine/run (mingw):
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c \
 *       bcryptprimitives.def -lbcrypt
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
