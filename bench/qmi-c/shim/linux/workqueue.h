#ifndef QRTRD_SHIM_LINUX_WORKQUEUE_H
#define QRTRD_SHIM_LINUX_WORKQUEUE_H
struct work_struct { void *func; };
struct workqueue_struct;
#endif
