#ifndef QRTRD_SHIM_LINUX_QRTR_H
#define QRTRD_SHIM_LINUX_QRTR_H
#include <linux/types.h>
struct sockaddr_qrtr { unsigned short sq_family; u32 sq_node; u32 sq_port; };
#endif
