// AF_QIPCRTR socket syscalls for qrtrd's kernel backend.
//
// Deliberately thin: every function is one syscall (or one blocking syscall on a
// worker thread) and reports failure as a negative errno return value. Argument
// validation, errno -> typed error mapping, retry and back-pressure policy live in
// TypeScript (src/kernel/). Arguments are still re-checked here, cheaply, so that
// a caller bypassing the TypeScript layer gets a TypeError instead of undefined
// behaviour.

#include <napi.h>
#include <v8.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "ioctl.h"
#include "net_tun.h"
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

void SetAddress(SockaddrQrtr* addr, uint32_t node, uint32_t port) {
  memset(addr, 0, sizeof(*addr));
  addr->sq_family = kAfQipcrtr;
  addr->sq_node = node;
  addr->sq_port = port;
}

// Builds the msghdr for a datagram to (node, port), with a SOL_QRTR/QRTR_ENDPOINT
// cmsg when endpoint != 0. `control` must outlive the sendmsg call.
void PrepareSend(msghdr* msg, SockaddrQrtr* addr, iovec* iov, char* control, size_t control_size, uint32_t node,
                 uint32_t port, const uint8_t* data, size_t length, uint32_t endpoint) {
  SetAddress(addr, node, port);
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

// Per-environment state. Batched I/O goes through two areas registered once (setAreas), so a
// batch call carries only numbers: under emulation each typed-array argument costs
// as much as a small syscall. The references keep the areas alive and unmoved.
class SendBaton;

struct AddonState {
  Napi::Reference<Napi::Uint8Array> rx_ref, tx_ref;
  Napi::Reference<Napi::Uint32Array> rx_meta_ref, tx_meta_ref;
  uint8_t* rx = nullptr;
  size_t rx_size = 0;
  uint32_t* rx_meta = nullptr;
  size_t rx_meta_len = 0;
  uint8_t* tx = nullptr;
  size_t tx_size = 0;
  uint32_t* tx_meta = nullptr;
  size_t tx_meta_len = 0;
  // recvBatch's side buffers (see kDenseSlot), allocated on first use and never
  // initialised, so that their pages are committed only once a large datagram arrives.
  std::unique_ptr<uint8_t[]> spill;
  std::unique_ptr<uint8_t[]> dense_copy;
  // Blocking sends in flight, by id (touched only on the JS thread).
  std::unordered_map<uint32_t, SendBaton*> sends;
  uint32_t next_send_id = 1;
};

AddonState* GetState(Napi::Env env) {
  auto* state = env.GetInstanceData<AddonState>();
  if (state == nullptr) {
    state = new AddonState();
    env.SetInstanceData<AddonState>(state);
  }
  return state;
}

// The kernel's outgoing flow control waits interruptibly, ignoring MSG_DONTWAIT and
// SO_SNDTIMEO. A blocked send is cancelled by sending this signal to its worker thread:
// the handler does nothing and is installed without SA_RESTART, so sendmsg returns
// EINTR. A real-time signal, because Node and libuv use none of them.
int CancelSignal() { return SIGRTMIN + 4; }

void NoopHandler(int) {}

void InstallCancelHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = NoopHandler;
    sigemptyset(&action.sa_mask);
    sigaction(CancelSignal(), &action, nullptr);
  });
}


// One datagram sent from the libuv thread pool, for destinations where the kernel
// may block the caller (outgoing flow control to remote nodes). Cancellable.
class SendBaton : public Napi::AsyncWorker {
 public:
  SendBaton(Napi::Function callback, uint32_t id, int fd, uint32_t node, uint32_t port, const uint8_t* data,
            size_t length, uint32_t endpoint)
      : Napi::AsyncWorker(callback, "qrtrd:SendBaton"),
        id_(id), fd_(fd), node_(node), port_(port), endpoint_(endpoint), data_(data, data + length) {}

  void Execute() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cancelled_) {
        result_ = -ECANCELED;
        return;
      }
      thread_ = pthread_self();
      running_ = true;
    }
    // libuv may start its workers with signals blocked: let the cancel signal through
    // while this thread runs our syscall.
    sigset_t unblock, previous;
    sigemptyset(&unblock);
    sigaddset(&unblock, CancelSignal());
    pthread_sigmask(SIG_UNBLOCK, &unblock, &previous);
    msghdr msg;
    SockaddrQrtr addr;
    iovec iov;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t))];
    PrepareSend(&msg, &addr, &iov, control, sizeof(control), node_, port_, data_.data(), data_.size(), endpoint_);
    ssize_t rc;
    for (;;) {
      rc = sendmsg(fd_, &msg, 0);
      if (rc >= 0 || errno != EINTR) break;
      if (cancelled_) {
        errno = ECANCELED;
        break;
      }
    }
    result_ = rc < 0 ? -static_cast<double>(errno) : static_cast<double>(rc);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_ = false;
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }

  // JS thread. A signal that lands just before the worker enters the kernel's wait is
  // lost, so callers repeat Cancel() until the callback runs.
  void Cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    if (running_) pthread_kill(thread_, CancelSignal());
  }

  void OnOK() override {
    GetState(Env())->sends.erase(id_);
    Callback().Call({Napi::Number::New(Env(), result_)});
  }

 private:
  uint32_t id_;
  int fd_;
  uint32_t node_, port_, endpoint_;
  std::vector<uint8_t> data_;
  double result_ = 0;
  std::mutex mutex_;
  std::atomic<bool> cancelled_{false};
  bool running_ = false;
  pthread_t thread_{};
};

// sendAsync(fd, node, port, data, endpoint, callback(result)) -> id for cancelSend.
// data is copied; result is bytes | -errno (-ECANCELED after cancelSend).
Napi::Value SendAsync(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info);
  uint32_t node = ArgU32(info, 1, "node");
  uint32_t port = ArgU32(info, 2, "port");
  Napi::Uint8Array data = ArgBytes(info, 3, "data");
  uint32_t endpoint = ArgU32(info, 4, "endpoint");
  if (info.Length() < 6 || !info[5].IsFunction()) throw Napi::TypeError::New(info.Env(), "callback must be a function");
  InstallCancelHandler();
  AddonState* state = GetState(info.Env());
  uint32_t id = state->next_send_id++;
  if (state->next_send_id == 0) state->next_send_id = 1;
  auto* baton = new SendBaton(info[5].As<Napi::Function>(), id, fd, node, port, data.Data(), data.ByteLength(), endpoint);
  state->sends[id] = baton;
  baton->Queue();
  return Napi::Number::New(info.Env(), id);
}

// cancelSend(id) -> true if that send was still in flight (its callback will follow).
Napi::Value CancelSend(const Napi::CallbackInfo& info) {
  uint32_t id = ArgU32(info, 0, "id");
  AddonState* state = GetState(info.Env());
  auto it = state->sends.find(id);
  if (it == state->sends.end()) return Napi::Boolean::New(info.Env(), false);
  it->second->Cancel();
  return Napi::Boolean::New(info.Env(), true);
}

constexpr size_t kSlot = 65536;  // one receive slot: fits any QRTR datagram (<= 65535)
constexpr size_t kMaxBatch = 64;
// Each slot of recvBatch is two iovecs: kDenseSlot bytes in a dense run at the rx area's
// start, then the slot's other kSlot - kDenseSlot bytes in the spill buffer. A batch of
// small datagrams (QMI control traffic) then lands in a few pages instead of one page per
// 64 KiB slot, as does the packing that follows. In the guest, 32 64-byte datagrams per
// recvmmsg: 1.5-4% more datagrams/s on a send+receive loop than 64 KiB slots
// (docs/performance.md, "AF_QIPCRTR datagrams/s", round 4).
constexpr size_t kDenseSlot = 1024;

// setAreas(rx: Uint8Array, rxMeta: Uint32Array, tx: Uint8Array, txMeta: Uint32Array).
Napi::Value SetAreas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array rx = ArgBytes(info, 0, "rx");
  Napi::Uint32Array rx_meta = ArgMeta(info, 1, 5);
  Napi::Uint8Array tx = ArgBytes(info, 2, "tx");
  Napi::Uint32Array tx_meta = ArgMeta(info, 3, 5);
  AddonState* areas = GetState(env);
  areas->rx_ref = Napi::Persistent(rx);
  areas->rx_meta_ref = Napi::Persistent(rx_meta);
  areas->tx_ref = Napi::Persistent(tx);
  areas->tx_meta_ref = Napi::Persistent(tx_meta);
  areas->rx = rx.Data();
  areas->rx_size = rx.ByteLength();
  areas->rx_meta = rx_meta.Data();
  areas->rx_meta_len = rx_meta.ElementLength();
  areas->tx = tx.Data();
  areas->tx_size = tx.ByteLength();
  areas->tx_meta = tx_meta.Data();
  areas->tx_meta_len = tx_meta.ElementLength();
  return env.Undefined();
}

AddonState* RequireAreas(Napi::Env env) {
  auto* areas = env.GetInstanceData<AddonState>();
  if (areas == nullptr || areas->rx == nullptr) throw Napi::Error::New(env, "setAreas() was not called");
  return areas;
}

// recvBatch(fd, max) -> count | -errno. One recvmmsg(MSG_DONTWAIT) into 64 KiB slots
// (each a dense head in the rx area and a tail in the spill buffer), then the datagrams
// are packed to the area's start, back to back (datagram i at the sum of the earlier
// lengths), so the caller copies the batch out in one piece.
// rxMeta[5*i..] = [length, src node, src port, endpoint or 0, flags]. -EAGAIN when the
// queue is empty.
Napi::Value RecvBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info);
  uint32_t max = ArgU32(info, 1, "max");
  AddonState* areas = RequireAreas(env);
  size_t limit = std::min({static_cast<size_t>(max), kMaxBatch, areas->rx_size / kSlot, areas->rx_meta_len / 5});
  if (limit == 0) throw Napi::RangeError::New(env, "rx area too small");
  if (!areas->spill) {
    areas->spill.reset(new uint8_t[kMaxBatch * (kSlot - kDenseSlot)]);
    areas->dense_copy.reset(new uint8_t[kMaxBatch * kDenseSlot]);
  }
  uint8_t* rx = areas->rx;
  uint8_t* spill = areas->spill.get();
  mmsghdr msgs[kMaxBatch];
  iovec iovs[kMaxBatch][2];
  SockaddrQrtr addrs[kMaxBatch];
  alignas(cmsghdr) char controls[kMaxBatch][CMSG_SPACE(sizeof(uint32_t)) * 2];
  memset(msgs, 0, sizeof(mmsghdr) * limit);
  for (size_t i = 0; i < limit; i++) {
    iovs[i][0].iov_base = rx + i * kDenseSlot;
    iovs[i][0].iov_len = kDenseSlot;
    iovs[i][1].iov_base = spill + i * (kSlot - kDenseSlot);
    iovs[i][1].iov_len = kSlot - kDenseSlot;
    msgs[i].msg_hdr.msg_name = &addrs[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(SockaddrQrtr);
    msgs[i].msg_hdr.msg_iov = iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 2;
    msgs[i].msg_hdr.msg_control = controls[i];
    msgs[i].msg_hdr.msg_controllen = sizeof(controls[i]);
  }
  int rc;
  do {
    rc = recvmmsg(fd, msgs, static_cast<unsigned>(limit), MSG_DONTWAIT, nullptr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return Napi::Number::New(env, -static_cast<double>(errno));
  // Packing: while every datagram so far fitted its dense slot, datagram i moves down
  // from i * kDenseSlot to the sum of the earlier lengths (never above it; memmove
  // handles the overlap). From the first that spilled on, packed output may run over
  // dense slots not yet moved, so those are copied aside first and assembled from there
  // and the spill buffer.
  const uint8_t* heads = rx;  // where the heads not yet moved are: in place, or aside
  size_t packed = 0;
  for (int i = 0; i < rc; i++) {
    size_t length = msgs[i].msg_len;
    size_t head = std::min(length, kDenseSlot);
    if (length > kDenseSlot && heads == rx) {
      uint8_t* aside = areas->dense_copy.get();
      memcpy(aside + static_cast<size_t>(i) * kDenseSlot, rx + static_cast<size_t>(i) * kDenseSlot, static_cast<size_t>(rc - i) * kDenseSlot);
      heads = aside;
    }
    const uint8_t* from = heads + static_cast<size_t>(i) * kDenseSlot;
    if (from != rx + packed && head > 0) memmove(rx + packed, from, head);
    if (length > kDenseSlot) memcpy(rx + packed + kDenseSlot, spill + static_cast<size_t>(i) * (kSlot - kDenseSlot), length - kDenseSlot);
    packed += length;
    msghdr* msg = &msgs[i].msg_hdr;
    uint32_t endpoint = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
      if (c->cmsg_level == kSolQrtr && c->cmsg_type == kCmsgQrtrEndpoint && c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
        memcpy(&endpoint, CMSG_DATA(c), sizeof(endpoint));
      }
    }
    uint32_t* m = areas->rx_meta + static_cast<size_t>(i) * 5;
    m[0] = msgs[i].msg_len;
    m[1] = addrs[i].sq_node;
    m[2] = addrs[i].sq_port;
    m[3] = endpoint;
    m[4] = ((msg->msg_flags & MSG_TRUNC) ? kRecvFlagTruncated : 0) |
           ((msg->msg_flags & MSG_CTRUNC) ? kRecvFlagControlTruncated : 0);
  }
  return Napi::Number::New(env, rc);
}

// Sends tx meta entries first..first+count-1 from `area` (area_size bytes): the loop shared by
// sendBatch (datagrams copied into the tx area) and sendBatchRx (datagrams still where
// recvBatch put them). One sendto (sendmsg with an endpoint cmsg), MSG_DONTWAIT, each.
Napi::Value SendEntries(const Napi::CallbackInfo& info, const uint8_t* area, size_t area_size, const char* outside) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info);
  uint32_t first = ArgU32(info, 1, "first");
  uint32_t count = ArgU32(info, 2, "count");
  AddonState* areas = RequireAreas(env);
  if ((static_cast<size_t>(first) + count) * 5 > areas->tx_meta_len) {
    throw Napi::RangeError::New(env, "batch outside the tx meta area");
  }
  msghdr msg;
  iovec iov;
  SockaddrQrtr addr;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t))];
  uint32_t sent = 0;
  while (sent < count) {
    const uint32_t* m = areas->tx_meta + (static_cast<size_t>(first) + sent) * 5;
    if (static_cast<size_t>(m[3]) + m[4] > area_size) throw Napi::RangeError::New(env, outside);
    ssize_t rc;
    if (m[2] == 0) {
      // No cmsg: sendto() skips sendmsg's msghdr and iovec copies from user memory,
      // which are a large part of a small datagram's cost under emulation.
      SetAddress(&addr, m[0], m[1]);
      rc = sendto(fd, area + m[3], m[4], MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    } else {
      PrepareSend(&msg, &addr, &iov, control, sizeof(control), m[0], m[1], area + m[3], m[4], m[2]);
      rc = sendmsg(fd, &msg, MSG_DONTWAIT);
    }
    if (rc < 0) {
      if (errno == EINTR) continue;
      if (sent == 0) return Napi::Number::New(env, -static_cast<double>(errno));
      break;
    }
    sent++;
  }
  return Napi::Number::New(env, sent);
}

// sendBatch(fd, first, count) -> sent | -errno. Sends tx entries first..first+count-1,
// txMeta[5*i..] = [node, port, endpoint or 0, offset, length] over the tx area, with one
// sendmsg(MSG_DONTWAIT) each: sendmmsg cannot be used, it adds MSG_BATCH, which
// qrtr_sendmsg rejects with EINVAL. The first failure ends the batch: the count says
// where; a failure of the first datagram returns its -errno.
Napi::Value SendBatch(const Napi::CallbackInfo& info) {
  AddonState* areas = RequireAreas(info.Env());
  return SendEntries(info, areas->tx, areas->tx_size, "datagram outside the tx area");
}

// sendBatchRx(fd, first, count) -> sent | -errno. As sendBatch, but each entry's offset is
// into the rx area: datagrams of the last recvBatch are sent from where they were
// received, without a copy into the tx area (a relay's forward, an echo). Valid only
// until the next recvBatch overwrites the area; TypeScript enforces that (a lent batch).
Napi::Value SendBatchRx(const Napi::CallbackInfo& info) {
  AddonState* areas = RequireAreas(info.Env());
  return SendEntries(info, areas->rx, areas->rx_size, "datagram outside the rx area");
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

// getPeerCredentials(fd, out Uint32Array[3]) -> 0 | -errno; out = [pid, uid, gid]
// of the process at the other end of a connected UNIX socket (SO_PEERCRED), as the
// kernel recorded them at connect(): the local-client server's only trustworthy
// answer to "who is calling".
Napi::Value GetPeerCredentials(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info);
  Napi::Uint32Array out = ArgMeta(info, 1, 3);
  struct ucred cred;
  socklen_t len = sizeof(cred);
  int rc = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
  if (rc == 0) {
    out[0] = static_cast<uint32_t>(cred.pid);
    out[1] = static_cast<uint32_t>(cred.uid);
    out[2] = static_cast<uint32_t>(cred.gid);
  }
  return Result(info.Env(), rc);
}

// sdNotify(path, message: string) -> bytes sent | -errno. One datagram on a fresh
// AF_UNIX SOCK_DGRAM socket to $NOTIFY_SOCKET, as sd_notify(3) sends it: a path, or a
// Linux abstract name written with a leading '@' (sent with a leading NUL byte instead).
// Node's dgram has no AF_UNIX datagram sockets, hence this. -ENAMETOOLONG for a name
// longer than sun_path; the socket is closed before returning.
Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    throw Napi::TypeError::New(info.Env(), "sdNotify(path: string, message: string)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string message = info[1].As<Napi::String>().Utf8Value();
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return Napi::Number::New(info.Env(), -ENAMETOOLONG);
  memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Result(info.Env(), -1);
  ssize_t sent = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&addr), len);
  int saved = errno;
  close(fd);
  if (sent < 0) return Napi::Number::New(info.Env(), -saved);
  return Napi::Number::New(info.Env(), static_cast<double>(sent));
}

// lowMemoryNotification() -> undefined. V8's Isolate::LowMemoryNotification, which node does not
// expose: full collections until nothing more is freed, then the heap's pooled free pages and
// the young generation's grown semi-spaces go back to the system (a plain gc() keeps both).
// The daemon calls it once endpoints are quiet after a detach (src/daemon/memory-reclaim.ts).
// The addon is built against the running node's own headers, so the V8 API matches.
Napi::Value LowMemoryNotification(const Napi::CallbackInfo& info) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) isolate->LowMemoryNotification();
  return info.Env().Undefined();
}

// loopHasWork() -> bool: whether Node's event loop has I/O or a timer waiting: a watched
// fd ready (libuv's epoll fd then polls readable) or an active timer due, after bringing
// the loop's clock up to date (it is read once per iteration, and a drain can run for
// milliseconds). Nothing is consumed or run. AfQipcrtrSocket's drain asks at the end of
// each slice of a stream and yields to the loop only when this is true, or when the
// wake-up has read IDLE_READS_PER_WAKEUP datagrams, so immediates, promise continuations
// and nextTicks are bounded by that. uv_backend_timeout is not the test: inside an
// immediate (where drain continuations run) Node's idle handle is always active, so it
// would always say 0.
void FindTimerDue(uv_handle_t* handle, void* arg) {
  if (handle->type == UV_TIMER && uv_is_active(handle) && uv_timer_get_due_in(reinterpret_cast<uv_timer_t*>(handle)) == 0) {
    *static_cast<bool*>(arg) = true;
  }
}

Napi::Value LoopHasWork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return Napi::Boolean::New(env, true);
  pollfd backend = {uv_backend_fd(loop), POLLIN, 0};
  int rc;
  do {
    rc = poll(&backend, 1, 0);
  } while (rc < 0 && errno == EINTR);
  // A failed poll says nothing: yield, as if something waited.
  if (rc != 0) return Napi::Boolean::New(env, true);
  uv_update_time(loop);
  bool due = false;
  uv_walk(loop, FindTimerDue, &due);
  return Napi::Boolean::New(env, due);
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
  exports.Set("cancelSend", Napi::Function::New(env, CancelSend, "cancelSend"));
  exports.Set("setAreas", Napi::Function::New(env, SetAreas, "setAreas"));
  exports.Set("recvBatch", Napi::Function::New(env, RecvBatch, "recvBatch"));
  exports.Set("sendBatch", Napi::Function::New(env, SendBatch, "sendBatch"));
  exports.Set("sendBatchRx", Napi::Function::New(env, SendBatchRx, "sendBatchRx"));
  exports.Set("setsockoptInt", Napi::Function::New(env, SetSockOptInt, "setsockoptInt"));
  exports.Set("getsockoptInt", Napi::Function::New(env, GetSockOptInt, "getsockoptInt"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("getPeerCredentials", Napi::Function::New(env, GetPeerCredentials, "getPeerCredentials"));
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
  exports.Set("lowMemoryNotification", Napi::Function::New(env, LowMemoryNotification, "lowMemoryNotification"));
  exports.Set("loopHasWork", Napi::Function::New(env, LoopHasWork, "loopHasWork"));
  exports.Set("Poller", Poller::Init(env));
  RegisterIoctl(env, exports);
  RegisterNetTun(env, exports);
  exports.Set("abiVersion", Napi::Number::New(env, 9));
  return exports;
}

}  // namespace
}  // namespace qrtrd

// NODE_API_MODULE needs an unqualified name.
static Napi::Object InitQrtrNative(Napi::Env env, Napi::Object exports) { return qrtrd::Init(env, exports); }

NODE_API_MODULE(qrtr_native, InitQrtrNative)
