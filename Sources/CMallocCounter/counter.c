// Counts heap allocations for arriwa-bench by defining malloc & co. in the executable, which
// glibc's symbol interposition then routes every allocation through. Each forwards to glibc's
// own __libc_* entry point. Only the benchmark executable links this target.
#include "CMallocCounter.h"
#include <stddef.h>
#include <errno.h>

#if defined(__linux__) && defined(__GLIBC__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static _Atomic uint64_t counter = 0;

void *malloc(size_t size) { counter++; return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { counter++; return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { counter++; return __libc_realloc(p, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    counter++;
    void *p = __libc_memalign(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
void *aligned_alloc(size_t alignment, size_t size) { counter++; return __libc_memalign(alignment, size); }
uint64_t arriwa_malloc_count(void) { return counter; }
#else
uint64_t arriwa_malloc_count(void) { return 0; }
#endif
