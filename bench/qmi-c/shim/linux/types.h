/* Userspace stand-ins for the kernel types qmi_encdec.c and qmi.h use (qrtrd bench shim). */
#ifndef QRTRD_SHIM_LINUX_TYPES_H
#define QRTRD_SHIM_LINUX_TYPES_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
#define __packed __attribute__((packed))
typedef uint16_t __le16;
typedef uint32_t __le32;
typedef uint64_t __le64;

/* The bench only runs on little-endian hosts (x86-64, arm64), where these are identities. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "qrtrd's kernel-encoder bench shim assumes a little-endian host"
#endif
#define cpu_to_le16(x) ((u16)(x))
#define cpu_to_le32(x) ((u32)(x))
#define cpu_to_le64(x) ((u64)(x))
#define le16_to_cpu(x) ((u16)(x))
#define le32_to_cpu(x) ((u32)(x))
#define le64_to_cpu(x) ((u64)(x))
#endif
