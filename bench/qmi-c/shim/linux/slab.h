#ifndef QRTRD_SHIM_LINUX_SLAB_H
#define QRTRD_SHIM_LINUX_SLAB_H
#include <stdlib.h>
#define GFP_KERNEL 0
static inline void *kzalloc(size_t size, int flags) { (void)flags; return calloc(1, size); }
static inline void kfree(const void *p) { free((void *)p); }
#endif
