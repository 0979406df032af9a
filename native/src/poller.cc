#include "poller.h"

namespace qrtrd {

Napi::Function Poller::Init(Napi::Env env) {
  return DefineClass(env, "Poller",
                     {InstanceMethod<&Poller::Start>("start"), InstanceMethod<&Poller::Stop>("stop"),
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
  handle_ = new uv_poll_t;
  int rc = uv_poll_init(loop, handle_, fd);
  if (rc != 0) {
    delete handle_;
    handle_ = nullptr;
    Napi::Error error = Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc));
    error.Set("errno", Napi::Number::New(env, -rc));
    throw error;
  }
  handle_->data = this;
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
}

Poller::~Poller() { Release(); }

// The handle outlives this object until libuv's close callback runs; clearing data
// keeps a late OnPoll from touching a destroyed Poller.
void Poller::Release() {
  if (handle_ == nullptr) return;
  uv_poll_stop(handle_);
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_), OnClose);
  handle_ = nullptr;
}

void Poller::OnClose(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

void Poller::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<Poller*>(handle->data);
  if (self == nullptr) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  int mask = ((events & UV_READABLE) ? 1 : 0) | ((events & UV_WRITABLE) ? 2 : 0);
  self->callback_.MakeCallback(env.Global(), {Napi::Number::New(env, status), Napi::Number::New(env, mask)});
}

Napi::Value Poller::Start(const Napi::CallbackInfo& info) {
  if (handle_ == nullptr) throw Napi::Error::New(info.Env(), "Poller is closed");
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "events must be a number");
  uint32_t wanted = info[0].As<Napi::Number>().Uint32Value();
  int events = ((wanted & 1) ? UV_READABLE : 0) | ((wanted & 2) ? UV_WRITABLE : 0);
  int rc = events == 0 ? uv_poll_stop(handle_) : uv_poll_start(handle_, events, OnPoll);
  return Napi::Number::New(info.Env(), rc);
}

Napi::Value Poller::Stop(const Napi::CallbackInfo& info) {
  if (handle_ != nullptr) uv_poll_stop(handle_);
  return info.Env().Undefined();
}

Napi::Value Poller::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

}  // namespace qrtrd
