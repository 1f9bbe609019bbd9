/*
 * Counts the bytes requested through the C allocator (malloc, calloc, realloc, posix_memalign, aligned_alloc,
 * memalign), which is where LibTorch's CPU tensors get their memory, so that benchmarks can report the native bytes
 * an operation allocates: BenchmarkDotNet's MemoryDiagnoser sees only the managed heap.
 * Loaded with LD_PRELOAD; see benchmarks/README.md. Only counts, then forwards to glibc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Atomic unsigned long long requested_bytes;

static inline void count(size_t size) { atomic_fetch_add_explicit(&requested_bytes, size, memory_order_relaxed); }

void *malloc(size_t size) { count(size); return __libc_malloc(size); }
void *calloc(size_t count_, size_t size) { count(count_ * size); return __libc_calloc(count_, size); }
void *realloc(void *pointer, size_t size) { count(size); return __libc_realloc(pointer, size); }
void *memalign(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }

int posix_memalign(void **result, size_t alignment, size_t size)
{
    count(size);
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0) return ENOMEM;
    *result = pointer;
    return 0;
}

/* Total bytes requested so far by every thread of the process. */
unsigned long long fashionnet_requested_native_bytes(void) { return atomic_load_explicit(&requested_bytes, memory_order_relaxed); }
