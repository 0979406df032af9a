// One ioctl on a device descriptor, with a caller-owned argument buffer (the kernel reads
// and may write it in place). Kept apart from the socket calls in addon.cc: links use it
// for character devices, never for AF_QIPCRTR sockets.

#include "ioctl.h"

#include <errno.h>
#include <sys/ioctl.h>

namespace qrtrd {
namespace {

// ioctl(fd, request, buffer | null) -> result | -errno.
Napi::Value Ioctl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "ioctl(fd, request, buffer | null)");
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const unsigned long request = info[1].As<Napi::Number>().Uint32Value();
  void* arg = nullptr;
  if (info[2].IsTypedArray()) {
    Napi::Uint8Array buffer = info[2].As<Napi::Uint8Array>();
    arg = buffer.Data();
  } else if (!info[2].IsNull()) {
    throw Napi::TypeError::New(env, "ioctl: the argument is a Uint8Array or null");
  }
  const int rc = ioctl(fd, request, arg);
  return Napi::Number::New(env, rc < 0 ? -errno : rc);
}

}  // namespace

void RegisterIoctl(Napi::Env env, Napi::Object exports) {
  exports.Set("ioctl", Napi::Function::New(env, Ioctl, "ioctl"));
}

}  // namespace qrtrd
