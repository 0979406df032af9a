#ifndef QRTRD_SHIM_LINUX_ERR_H
#define QRTRD_SHIM_LINUX_ERR_H
#include <stdint.h>
#define MAX_ERRNO 4095
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline int IS_ERR(const void *ptr) { return (uintptr_t)ptr >= (uintptr_t)-MAX_ERRNO; }
#endif
