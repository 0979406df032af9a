#ifndef QRTRD_SHIM_LINUX_MODULE_H
#define QRTRD_SHIM_LINUX_MODULE_H
#include <linux/err.h>
#define EXPORT_SYMBOL(sym)
#define MODULE_DESCRIPTION(text)
#define MODULE_LICENSE(text)
#endif
