// Non-Linux platforms have no AF_QIPCRTR. The addon still builds so that the loader
// can report a precise reason (see src/kernel/native-loader.ts) instead of a dlopen error.
#include <napi.h>

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("unsupportedPlatform", Napi::Boolean::New(env, true));
  return exports;
}
}  // namespace

NODE_API_MODULE(qrtr_native, Init)
