#ifndef QRTRD_SHIM_LINUX_LIST_H
#define QRTRD_SHIM_LINUX_LIST_H
struct list_head { struct list_head *next, *prev; };
#endif
