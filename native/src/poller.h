#ifndef QRTRD_NATIVE_SRC_POLLER_H_
#define QRTRD_NATIVE_SRC_POLLER_H_

#include <napi.h>
#include <uv.h>

namespace qrtrd {

// Readiness of one fd on Node's own event loop (uv_poll): no thread, no busy loop.
// JS: new Poller(fd, (status, events) => …); start(events); stop(); close().
// events: 1 = readable, 2 = writable. status < 0 is a -errno from libuv.
class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Poller(const Napi::CallbackInfo& info);
  ~Poller() override;

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnClose(uv_handle_t* handle);

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void Release();

  uv_poll_t* handle_ = nullptr;
  Napi::FunctionReference callback_;
};

}  // namespace qrtrd

#endif  // QRTRD_NATIVE_SRC_POLLER_H_
