#ifndef QRTRD_SHIM_LINUX_COMPLETION_H
#define QRTRD_SHIM_LINUX_COMPLETION_H
/* Only needed so qmi.h's struct qmi_txn/qmi_handle are complete types. */
struct completion { unsigned int done; };
struct mutex { int locked; };
#endif
