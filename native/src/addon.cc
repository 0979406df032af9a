// AF_QIPCRTR socket syscalls for qrtrd's kernel backend.
//
// Deliberately thin: every function is one syscall (or one blocking syscall on a
// worker thread) and reports failure as a negative errno return value. Argument
// validation, errno -> typed error mapping, retry and back-pressure policy live in
// TypeScript (src/kernel/). Arguments are still re-checked here, cheaply, so that
// a caller bypassing the TypeScript layer gets a TypeError instead of undefined
// behaviour.

#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "poller.h"

namespace qrtrd {
namespace {

constexpr int kAfQipcrtr = 42;
// SOL_QRTR and its options come from the multi-endpoint patch set (not in mainline);
// defined here so the addon builds against any kernel's headers.
constexpr int kSolQrtr = 288;
constexpr int kCmsgQrtrEndpoint = 1;

// struct sockaddr_qrtr: u16 family, 2-byte hole, u32 node, u32 port (host order).
struct SockaddrQrtr {
  uint16_t sq_family;
  uint32_t sq_node;
  uint32_t sq_port;
};
static_assert(sizeof(SockaddrQrtr) == 12, "sockaddr_qrtr must be 12 bytes");

// Meta slots filled by Recv: source node, source port, endpoint id, flags.
constexpr uint32_t kRecvFlagTruncated = 1;
constexpr uint32_t kRecvFlagControlTruncated = 2;

uint32_t ArgU32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  }
  return info[i].As<Napi::Number>().Uint32Value();
}

int32_t ArgFd(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd must be a number");
  int32_t fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0) throw Napi::TypeError::New(info.Env(), "fd must be >= 0");
  return fd;
}

Napi::Uint8Array ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Uint8Array");
  }
  return info[i].As<Napi::Uint8Array>();
}

Napi::Uint32Array ArgMeta(const Napi::CallbackInfo& info, size_t i, size_t min_length) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
      info[i].As<Napi::Uint32Array>().ElementLength() < min_length) {
    throw Napi::TypeError::New(info.Env(), "meta must be a Uint32Array of length >= " + std::to_string(min_length));
  }
  return info[i].As<Napi::Uint32Array>();
}

Napi::Number Result(Napi::Env env, ssize_t rc) {
  return Napi::Number::New(env, rc < 0 ? -static_cast<double>(errno) : static_cast<double>(rc));
}

// Builds the msghdr for a datagram to (node, port), with a SOL_QRTR/QRTR_ENDPOINT
// cmsg when endpoint != 0. `control` must outlive the sendmsg call.
void PrepareSend(msghdr* msg, SockaddrQrtr* addr, iovec* iov, char* control, size_t control_size, uint32_t node,
                 uint32_t port, const uint8_t* data, size_t length, uint32_t endpoint) {
  memset(addr, 0, sizeof(*addr));
  addr->sq_family = kAfQipcrtr;
  addr->sq_node = node;
  addr->sq_port = port;
  iov->iov_base = const_cast<uint8_t*>(data);
  iov->iov_len = length;
  memset(msg, 0, sizeof(*msg));
  msg->msg_name = addr;
  msg->msg_namelen = sizeof(*addr);
  msg->msg_iov = iov;
  msg->msg_iovlen = 1;
  if (endpoint != 0) {
    memset(control, 0, control_size);
    msg->msg_control = control;
    msg->msg_controllen = CMSG_SPACE(sizeof(uint32_t));
    cmsghdr* cmsg = CMSG_FIRSTHDR(msg);
    cmsg->cmsg_level = kSolQrtr;
    cmsg->cmsg_type = kCmsgQrtrEndpoint;
    cmsg->cmsg_len = CMSG_LEN(sizeof(uint32_t));
    memcpy(CMSG_DATA(cmsg), &endpoint, sizeof(endpoint));
  }
}

// socket() -> fd | -errno. Non-blocking and close-on-exec from the start.
Napi::Value Socket(const Napi::CallbackInfo& info) {
  int fd = socket(kAfQipcrtr, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return Result(info.Env(), fd);
}

// bind(fd, node, port) -> 0 | -errno.
Napi::Value Bind(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info);
  SockaddrQrtr addr;
  memset(&addr, 0, sizeof(addr));
  addr.sq_family = kAfQipcrtr;
  addr.sq_node = ArgU32(info, 1, "node");
  addr.sq_port = ArgU32(info, 2, "port");
  return Result(info.Env(), bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
}

// getsockname(fd, out: Uint32Array[2]) -> 0 | -errno; out = [node, port].
Napi::Value GetSockName(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info);
  Napi::Uint32Array out = ArgMeta(info, 1, 2);
  SockaddrQrtr addr;
  memset(&addr, 0, sizeof(addr));
  socklen_t len = sizeof(addr);
  int rc = getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc == 0) {
    out[0] = addr.sq_node;
    out[1] = addr.sq_port;
  }
  return Result(info.Env(), rc);
}

// sendto(fd, node, port, data, endpoint) -> bytes | -errno. Never waits for buffer
// space (MSG_DONTWAIT); note that the kernel's flow control for remote nodes waits
// regardless, which is why remote sends go through SendAsync.
Napi::Value SendTo(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info);
  uint32_t node = ArgU32(info, 1, "node");
  uint32_t port = ArgU32(info, 2, "port");
  Napi::Uint8Array data = ArgBytes(info, 3, "data");
  uint32_t endpoint = ArgU32(info, 4, "endpoint");
  msghdr msg;
  SockaddrQrtr addr;
  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t))];
  PrepareSend(&msg, &addr, &iov, control, sizeof(control), node, port, data.Data(), data.ByteLength(), endpoint);
  return Result(info.Env(), sendmsg(fd, &msg, MSG_DONTWAIT));
}

// One datagram sent from the libuv thread pool, for destinations where the kernel
// may block the caller (outgoing flow control to remote nodes).
class SendBaton : public Napi::AsyncWorker {
 public:
  SendBaton(Napi::Function callback, int fd, uint32_t node, uint32_t port, const uint8_t* data, size_t length,
            uint32_t endpoint)
      : Napi::AsyncWorker(callback, "qrtrd:SendBaton"),
        fd_(fd), node_(node), port_(port), endpoint_(endpoint), data_(data, data + length) {}

  void Execute() override {
    msghdr msg;
    SockaddrQrtr addr;
    iovec iov;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t))];
    PrepareSend(&msg, &addr, &iov, control, sizeof(control), node_, port_, data_.data(), data_.size(), endpoint_);
    ssize_t rc;
    do {
      rc = sendmsg(fd_, &msg, 0);
    } while (rc < 0 && errno == EINTR);
    result_ = rc < 0 ? -static_cast<double>(errno) : static_cast<double>(rc);
  }

  void OnOK() override { Callback().Call({Napi::Number::New(Env(), result_)}); }

 private:
  int fd_;
  uint32_t node_, port_, endpoint_;
  std::vector<uint8_t> data_;
  double result_ = 0;
};

// sendAsync(fd, node, port, data, endpoint, callback(result)); data is copied.
Napi::Value SendAsync(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info);
  uint32_t node = ArgU32(info, 1, "node");
  uint32_t port = ArgU32(info, 2, "port");
  Napi::Uint8Array data = ArgBytes(info, 3, "data");
  uint32_t endpoint = ArgU32(info, 4, "endpoint");
  if (info.Length() < 6 || !info[5].IsFunction()) throw Napi::TypeError::New(info.Env(), "callback must be a function");
  auto* baton = new SendBaton(info[5].As<Napi::Function>(), fd, node, port, data.Data(), data.ByteLength(), endpoint);
  baton->Queue();
  return info.Env().Undefined();
}

// recv(fd, buffer, meta: Uint32Array[4]) -> length | -errno. meta = [src node,
// src port, endpoint id from a QRTR_ENDPOINT cmsg or 0, flags].
Napi::Value Recv(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info);
  Napi::Uint8Array buffer = ArgBytes(info, 1, "buffer");
  Napi::Uint32Array meta = ArgMeta(info, 2, 4);
  SockaddrQrtr addr;
  memset(&addr, 0, sizeof(addr));
  iovec iov{buffer.Data(), buffer.ByteLength()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t)) * 2];
  msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_name = &addr;
  msg.msg_namelen = sizeof(addr);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t rc = recvmsg(fd, &msg, MSG_DONTWAIT);
  if (rc >= 0) {
    uint32_t endpoint = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == kSolQrtr && c->cmsg_type == kCmsgQrtrEndpoint && c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
        memcpy(&endpoint, CMSG_DATA(c), sizeof(endpoint));
      }
    }
    meta[0] = addr.sq_node;
    meta[1] = addr.sq_port;
    meta[2] = endpoint;
    meta[3] = ((msg.msg_flags & MSG_TRUNC) ? kRecvFlagTruncated : 0) |
              ((msg.msg_flags & MSG_CTRUNC) ? kRecvFlagControlTruncated : 0);
  }
  return Result(info.Env(), rc);
}

// setsockoptInt(fd, level, name, value) -> 0 | -errno (a 4-byte int option).
Napi::Value SetSockOptInt(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info);
  int level = static_cast<int>(ArgU32(info, 1, "level"));
  int name = static_cast<int>(ArgU32(info, 2, "name"));
  uint32_t value = ArgU32(info, 3, "value");
  return Result(info.Env(), setsockopt(fd, level, name, &value, sizeof(value)));
}

// getsockoptInt(fd, level, name, out: Uint32Array[1]) -> 0 | -errno.
Napi::Value GetSockOptInt(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info);
  int level = static_cast<int>(ArgU32(info, 1, "level"));
  int name = static_cast<int>(ArgU32(info, 2, "name"));
  Napi::Uint32Array out = ArgMeta(info, 3, 1);
  uint32_t value = 0;
  socklen_t len = sizeof(value);
  int rc = getsockopt(fd, level, name, &value, &len);
  if (rc == 0) out[0] = value;
  return Result(info.Env(), rc);
}

// close(fd) -> 0 | -errno.
Napi::Value Close(const Napi::CallbackInfo& info) {
  return Result(info.Env(), close(ArgFd(info)));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("socket", Napi::Function::New(env, Socket, "socket"));
  exports.Set("bind", Napi::Function::New(env, Bind, "bind"));
  exports.Set("getsockname", Napi::Function::New(env, GetSockName, "getsockname"));
  exports.Set("sendto", Napi::Function::New(env, SendTo, "sendto"));
  exports.Set("sendAsync", Napi::Function::New(env, SendAsync, "sendAsync"));
  exports.Set("recv", Napi::Function::New(env, Recv, "recv"));
  exports.Set("setsockoptInt", Napi::Function::New(env, SetSockOptInt, "setsockoptInt"));
  exports.Set("getsockoptInt", Napi::Function::New(env, GetSockOptInt, "getsockoptInt"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("Poller", Poller::Init(env));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace
}  // namespace qrtrd

// NODE_API_MODULE needs an unqualified name.
static Napi::Object InitQrtrNative(Napi::Env env, Napi::Object exports) { return qrtrd::Init(env, exports); }

NODE_API_MODULE(qrtr_native, InitQrtrNative)
