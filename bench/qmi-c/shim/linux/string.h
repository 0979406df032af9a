#ifndef QRTRD_SHIM_LINUX_STRING_H
#define QRTRD_SHIM_LINUX_STRING_H
#include <string.h>
#endif
