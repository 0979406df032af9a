#include "poller.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <string>

namespace qrtrd {

namespace {
constexpr uint32_t kReadable = 1;
constexpr uint32_t kWritable = 2;

Napi::Error ErrnoError(Napi::Env env, const char* what, int err) {
  Napi::Error error = Napi::Error::New(env, std::string(what) + ": " + strerror(err));
  error.Set("errno", Napi::Number::New(env, err));
  return error;
}
}  // namespace

Napi::Function Poller::Init(Napi::Env env) {
  return DefineClass(env, "Poller",
                     {InstanceMethod<&Poller::Start>("start"), InstanceMethod<&Poller::Suspend>("suspend"),
                      InstanceMethod<&Poller::Resume>("resume"), InstanceMethod<&Poller::Stop>("stop"),
                      InstanceMethod<&Poller::Close>("close")});
}

Poller::Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "Poller(fd: number, callback: function)");
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0) throw Napi::TypeError::New(env, "fd must be >= 0");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no libuv loop");
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) throw ErrnoError(env, "epoll_create1", errno);
  auto* watch = new Watch{};
  watch->epoll_fd = epoll_fd;
  int rc = uv_poll_init(loop, &watch->poll, epoll_fd);
  if (rc != 0) {
    delete watch;
    close(epoll_fd);
    Napi::Error error = Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc));
    error.Set("errno", Napi::Number::New(env, -rc));
    throw error;
  }
  handle_ = &watch->poll;
  handle_->data = this;
  fd_ = fd;
  epoll_fd_ = epoll_fd;
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
}

Poller::~Poller() { Release(); }

// The handle outlives this object until libuv's close callback runs; clearing data
// keeps a late OnPoll from touching a destroyed Poller. The private epoll fd is closed
// with the handle (libuv may still hold it in its set until then).
void Poller::Release() {
  if (handle_ == nullptr) return;
  uv_poll_stop(handle_);
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_), OnClose);
  handle_ = nullptr;
  epoll_fd_ = -1;
  watching_ = false;
}

void Poller::OnClose(uv_handle_t* handle) {
  auto* watch = reinterpret_cast<Watch*>(handle);
  close(watch->epoll_fd);
  delete watch;
}

int Poller::Apply() {
  if (handle_ == nullptr) return -EBADF;
  uint32_t want = suspended_ ? 0 : wanted_;
  if (want != registered_) {
    epoll_event ev = {};
    ev.events = ((want & kReadable) ? EPOLLIN : 0) | ((want & kWritable) ? EPOLLOUT : 0);
    ev.data.fd = fd_;
    int op = want == 0 ? EPOLL_CTL_DEL : registered_ == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(epoll_fd_, op, fd_, &ev) != 0) return -errno;
    registered_ = want;
  }
  // The libuv watcher stays on while suspended (JS is inside a drain and resumes before
  // returning); it stops only when JS wants no events, so an idle socket does not keep
  // the process alive.
  if (wanted_ != 0 && !watching_) {
    int rc = uv_poll_start(handle_, UV_READABLE, OnPoll);
    if (rc != 0) return rc;
    watching_ = true;
  } else if (wanted_ == 0 && watching_) {
    uv_poll_stop(handle_);
    watching_ = false;
  }
  return 0;
}

void Poller::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<Poller*>(handle->data);
  if (self == nullptr) return;
  uint32_t mask = self->registered_;
  if (status == 0 && mask == (kReadable | kWritable)) {
    // Both wanted: ask the private set which one is ready (no wait).
    epoll_event ev;
    int n = epoll_wait(self->epoll_fd_, &ev, 1, 0);
    if (n <= 0) return;
    mask = ((ev.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? kReadable : 0) |
           ((ev.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ? kWritable : 0);
  }
  if (status == 0 && mask == 0) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  self->callback_.MakeCallback(env.Global(), {Napi::Number::New(env, status), Napi::Number::New(env, mask)});
}

Napi::Value Poller::Start(const Napi::CallbackInfo& info) {
  if (handle_ == nullptr) throw Napi::Error::New(info.Env(), "Poller is closed");
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "events must be a number");
  wanted_ = info[0].As<Napi::Number>().Uint32Value() & (kReadable | kWritable);
  return Napi::Number::New(info.Env(), Apply());
}

Napi::Value Poller::Suspend(const Napi::CallbackInfo& info) {
  if (handle_ == nullptr) return Napi::Number::New(info.Env(), -EBADF);
  suspended_ = true;
  return Napi::Number::New(info.Env(), Apply());
}

Napi::Value Poller::Resume(const Napi::CallbackInfo& info) {
  if (handle_ == nullptr) return Napi::Number::New(info.Env(), -EBADF);
  suspended_ = false;
  return Napi::Number::New(info.Env(), Apply());
}

Napi::Value Poller::Stop(const Napi::CallbackInfo& info) {
  if (handle_ != nullptr) {
    wanted_ = 0;
    Apply();
  }
  return info.Env().Undefined();
}

Napi::Value Poller::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

}  // namespace qrtrd
