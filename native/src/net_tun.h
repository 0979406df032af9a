#ifndef QRTRD_NATIVE_SRC_NET_TUN_H_
#define QRTRD_NATIVE_SRC_NET_TUN_H_

#include <napi.h>

namespace qrtrd {

// Adds tunOpen, tunName, tunReadBatch, tunWriteBatch and the if* interface calls (net_tun.cc).
void RegisterNetTun(Napi::Env env, Napi::Object exports);

}  // namespace qrtrd

#endif  // QRTRD_NATIVE_SRC_NET_TUN_H_
