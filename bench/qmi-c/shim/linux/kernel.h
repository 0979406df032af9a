#ifndef QRTRD_SHIM_LINUX_KERNEL_H
#define QRTRD_SHIM_LINUX_KERNEL_H
#include <linux/types.h>
#define U8_MAX ((u8)~0U)
#define U16_MAX ((u16)~0U)
#define U32_MAX ((u32)~0U)
/* Silent: error paths are not timed, and printing would distort the numbers. */
#define pr_err(...) do { } while (0)
#endif
