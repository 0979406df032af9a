#ifndef QRTRD_SHIM_LINUX_ERRNO_H
#define QRTRD_SHIM_LINUX_ERRNO_H
/*
 * Spelled out rather than taken from <errno.h>: libc's errno.h itself includes
 * <linux/errno.h>, which this shim directory shadows.
 */
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ETOOSMALL 525 /* kernel-internal errno, not in libc */
#endif
