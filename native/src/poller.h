#ifndef QRTRD_NATIVE_SRC_POLLER_H_
#define QRTRD_NATIVE_SRC_POLLER_H_

#include <napi.h>
#include <uv.h>

#include <cstdint>

namespace qrtrd {

// Readiness of one fd on Node's own event loop: no thread, no busy loop.
// JS: new Poller(fd, (status, events) => …); start(events); suspend(); resume(); stop(); close().
// events: 1 = readable, 2 = writable. status < 0 is a -errno from libuv.
//
// The fd sits in a private epoll set, and libuv watches that set's fd. This indirection
// is what lets suspend() take the fd out of polling without touching libuv's own epoll
// set (libuv aborts when its registrations change behind its back). It matters because
// every datagram queued to a polled socket runs the epoll wake-up path inside the
// sender's syscall; a reader that is draining the queue anyway does not need that.
class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Poller(const Napi::CallbackInfo& info);
  ~Poller() override;

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnClose(uv_handle_t* handle);

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Suspend(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  // Brings the private set and the libuv watcher in line with wanted_/suspended_:
  // 0 or -errno.
  int Apply();
  void Release();

  // The libuv handle and the private set it watches; freed together in OnClose, which
  // may run after this object is gone.
  struct Watch {
    uv_poll_t poll;  // first member: a uv_poll_t* is a Watch*
    int epoll_fd;
  };

  uv_poll_t* handle_ = nullptr;
  Napi::FunctionReference callback_;
  int fd_ = -1;
  int epoll_fd_ = -1;
  uint32_t wanted_ = 0;      // events JS asked for (1 | 2)
  uint32_t registered_ = 0;  // events the fd is registered with in the private set (0: absent)
  bool suspended_ = false;
  bool watching_ = false;    // the libuv watcher on epoll_fd_ is started
};

}  // namespace qrtrd

#endif  // QRTRD_NATIVE_SRC_POLLER_H_
