#ifndef CMALLOC_COUNTER_H
#define CMALLOC_COUNTER_H
#include <stdint.h>
/// Number of malloc/calloc/realloc/posix_memalign calls since the process started.
uint64_t arriwa_malloc_count(void);
#endif
