#ifndef QRTRD_SHIM_LINUX_IDR_H
#define QRTRD_SHIM_LINUX_IDR_H
struct idr { void *root; };
#endif
