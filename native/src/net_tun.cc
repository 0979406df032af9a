// "net-tun": IP TUN network interfaces (/dev/net/tun, IFF_TUN | IFF_NO_PI) and the
// interface ioctls a data plane needs (MTU, up/down, IPv4 address and peer), plus one
// rtnetlink request for IPv6 addresses. Distinct from /dev/qrtr-tun, which carries QRTR.
//
// Same rules as addon.cc: every function is one syscall or a short batch of them, and
// failure is a negative errno return. Policy (limits, typed errors) lives in
// src/kernel/net-tun.ts.

#include "net_tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace qrtrd {
namespace {

Napi::Number Errno(Napi::Env env, int err) { return Napi::Number::New(env, -static_cast<double>(err)); }

int ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

uint32_t ArgU32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().Uint32Value();
}

// An interface name that fits IFNAMSIZ (with its NUL), or a TypeError.
std::string ArgIfName(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "name must be a string");
  std::string name = info[i].As<Napi::String>().Utf8Value();
  if (name.size() >= IFNAMSIZ) throw Napi::TypeError::New(info.Env(), "name must be shorter than IFNAMSIZ (16)");
  return name;
}

template <typename T>
T ArgTyped(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " has the wrong type");
  }
  return info[i].As<T>();
}

void PrepareIfreq(ifreq* req, const std::string& name) {
  memset(req, 0, sizeof(*req));
  memcpy(req->ifr_name, name.data(), name.size());
}

// One ioctl on a throw-away AF_INET datagram socket: 0 | -errno.
int InetIoctl(unsigned long request, ifreq* req) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int rc = ioctl(fd, request, req);
  int err = errno;
  close(fd);
  return rc < 0 ? -err : 0;
}

void SetInetAddr(sockaddr* out, uint32_t host_order) {
  auto* in = reinterpret_cast<sockaddr_in*>(out);
  memset(in, 0, sizeof(*in));
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = htonl(host_order);
}

// tunOpen(name) -> fd | -errno. O_NONBLOCK | O_CLOEXEC, IFF_TUN | IFF_NO_PI. `name` may
// hold a %d pattern; tunName(fd) says what the kernel chose.
Napi::Value TunOpen(const Napi::CallbackInfo& info) {
  std::string name = ArgIfName(info, 0);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Errno(info.Env(), errno);
  ifreq req;
  PrepareIfreq(&req, name);
  req.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (ioctl(fd, TUNSETIFF, &req) < 0) {
    int err = errno;
    close(fd);
    return Errno(info.Env(), err);
  }
  return Napi::Number::New(info.Env(), fd);
}

// tunName(fd) -> the interface name | -errno.
Napi::Value TunName(const Napi::CallbackInfo& info) {
  int fd = ArgInt(info, 0, "fd");
  ifreq req;
  memset(&req, 0, sizeof(req));
  if (ioctl(fd, TUNGETIFF, &req) < 0) return Errno(info.Env(), errno);
  return Napi::String::New(info.Env(), req.ifr_name);
}

// tunReadBatch(fd, area, lengths, slotSize) -> packets | -errno. read() until EAGAIN or
// until the area or `lengths` is full; packet i lands at i * slotSize, its length in
// lengths[i]. -EAGAIN when nothing was waiting.
Napi::Value TunReadBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgInt(info, 0, "fd");
  auto area = ArgTyped<Napi::Uint8Array>(info, 1, napi_uint8_array, "area");
  auto lengths = ArgTyped<Napi::Uint32Array>(info, 2, napi_uint32_array, "lengths");
  uint32_t slot = ArgU32(info, 3, "slotSize");
  if (slot == 0) throw Napi::RangeError::New(env, "slotSize must be > 0");
  size_t limit = std::min(area.ByteLength() / slot, lengths.ElementLength());
  size_t count = 0;
  while (count < limit) {
    ssize_t n = read(fd, area.Data() + count * slot, slot);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (count == 0) return Errno(env, errno);
      break;
    }
    lengths[count++] = static_cast<uint32_t>(n);
  }
  return Napi::Number::New(env, static_cast<double>(count));
}

// tunWriteBatch(fd, area, meta, count) -> packets written | -errno of the first.
// meta[2*i] = offset, meta[2*i+1] = length; one write() per packet.
Napi::Value TunWriteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgInt(info, 0, "fd");
  auto area = ArgTyped<Napi::Uint8Array>(info, 1, napi_uint8_array, "area");
  auto meta = ArgTyped<Napi::Uint32Array>(info, 2, napi_uint32_array, "meta");
  uint32_t count = ArgU32(info, 3, "count");
  if (static_cast<size_t>(count) * 2 > meta.ElementLength()) throw Napi::RangeError::New(env, "count exceeds meta");
  uint32_t done = 0;
  while (done < count) {
    uint32_t offset = meta[2 * done];
    uint32_t length = meta[2 * done + 1];
    if (static_cast<size_t>(offset) + length > area.ByteLength()) throw Napi::RangeError::New(env, "packet outside the area");
    ssize_t n = write(fd, area.Data() + offset, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (done == 0) return Errno(env, errno);
      break;
    }
    done++;
  }
  return Napi::Number::New(env, done);
}

// ifSetMtu(name, mtu) -> 0 | -errno.
Napi::Value IfSetMtu(const Napi::CallbackInfo& info) {
  ifreq req;
  PrepareIfreq(&req, ArgIfName(info, 0));
  req.ifr_mtu = ArgInt(info, 1, "mtu");
  return Napi::Number::New(info.Env(), InetIoctl(SIOCSIFMTU, &req));
}

// ifGetMtu(name) -> mtu | -errno.
Napi::Value IfGetMtu(const Napi::CallbackInfo& info) {
  ifreq req;
  PrepareIfreq(&req, ArgIfName(info, 0));
  int rc = InetIoctl(SIOCGIFMTU, &req);
  return Napi::Number::New(info.Env(), rc < 0 ? rc : req.ifr_mtu);
}

// ifSetUp(name, up) -> 0 | -errno. Read-modify-write of IFF_UP.
Napi::Value IfSetUp(const Napi::CallbackInfo& info) {
  std::string name = ArgIfName(info, 0);
  bool up = info.Length() > 1 && info[1].ToBoolean().Value();
  ifreq req;
  PrepareIfreq(&req, name);
  int rc = InetIoctl(SIOCGIFFLAGS, &req);
  if (rc < 0) return Napi::Number::New(info.Env(), rc);
  req.ifr_flags = static_cast<short>(up ? (req.ifr_flags | IFF_UP) : (req.ifr_flags & ~IFF_UP));
  return Napi::Number::New(info.Env(), InetIoctl(SIOCSIFFLAGS, &req));
}

// ifGetIndex(name) -> ifindex | -errno.
Napi::Value IfGetIndex(const Napi::CallbackInfo& info) {
  ifreq req;
  PrepareIfreq(&req, ArgIfName(info, 0));
  int rc = InetIoctl(SIOCGIFINDEX, &req);
  return Napi::Number::New(info.Env(), rc < 0 ? rc : req.ifr_ifindex);
}

// ifSetAddr4(name, address, prefixLength, peer) -> 0 | -errno. Host-order u32s; peer 0
// sets no point-to-point destination; address 0 removes the interface's IPv4 address.
Napi::Value IfSetAddr4(const Napi::CallbackInfo& info) {
  std::string name = ArgIfName(info, 0);
  uint32_t address = ArgU32(info, 1, "address");
  uint32_t prefix = ArgU32(info, 2, "prefixLength");
  uint32_t peer = ArgU32(info, 3, "peer");
  if (prefix > 32) throw Napi::RangeError::New(info.Env(), "prefixLength must be 0..32");
  ifreq req;
  PrepareIfreq(&req, name);
  SetInetAddr(&req.ifr_addr, address);
  int rc = InetIoctl(SIOCSIFADDR, &req);
  if (rc < 0 || address == 0) return Napi::Number::New(info.Env(), rc);
  PrepareIfreq(&req, name);
  SetInetAddr(&req.ifr_netmask, prefix == 0 ? 0 : (0xffffffffu << (32 - prefix)));
  rc = InetIoctl(SIOCSIFNETMASK, &req);
  if (rc < 0 || peer == 0) return Napi::Number::New(info.Env(), rc);
  PrepareIfreq(&req, name);
  SetInetAddr(&req.ifr_dstaddr, peer);
  return Napi::Number::New(info.Env(), InetIoctl(SIOCSIFDSTADDR, &req));
}

// ifAddAddr6(ifindex, address: Uint8Array(16), prefixLength) -> 0 | -errno: one
// RTM_NEWADDR over NETLINK_ROUTE, acknowledged.
Napi::Value IfAddAddr6(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ifindex = ArgInt(info, 0, "ifindex");
  auto address = ArgTyped<Napi::Uint8Array>(info, 1, napi_uint8_array, "address");
  uint32_t prefix = ArgU32(info, 2, "prefixLength");
  if (address.ByteLength() != 16 || prefix > 128) throw Napi::RangeError::New(env, "address must be 16 bytes, prefixLength 0..128");
  struct {
    nlmsghdr header;
    ifaddrmsg message;
    char attributes[64];
  } request;
  memset(&request, 0, sizeof(request));
  request.header.nlmsg_type = RTM_NEWADDR;
  // REPLACE, not EXCL: adding the address a previous call left is not an error.
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
  request.header.nlmsg_seq = 1;
  request.message.ifa_family = AF_INET6;
  request.message.ifa_prefixlen = static_cast<unsigned char>(prefix);
  request.message.ifa_flags = IFA_F_NODAD;
  request.message.ifa_index = static_cast<unsigned>(ifindex);
  auto* attribute = reinterpret_cast<rtattr*>(request.attributes);
  attribute->rta_type = IFA_LOCAL;
  attribute->rta_len = RTA_LENGTH(16);
  memcpy(RTA_DATA(attribute), address.Data(), 16);
  auto* second = reinterpret_cast<rtattr*>(request.attributes + RTA_ALIGN(attribute->rta_len));
  second->rta_type = IFA_ADDRESS;
  second->rta_len = RTA_LENGTH(16);
  memcpy(RTA_DATA(second), address.Data(), 16);
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg)) + RTA_ALIGN(attribute->rta_len) + RTA_ALIGN(second->rta_len);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return Errno(env, errno);
  sockaddr_nl kernel;
  memset(&kernel, 0, sizeof(kernel));
  kernel.nl_family = AF_NETLINK;
  int result = 0;
  if (sendto(fd, &request, request.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    result = -errno;
  } else {
    char reply[512];
    ssize_t n = recv(fd, reply, sizeof(reply), 0);
    if (n < 0) {
      result = -errno;
    } else {
      auto* header = reinterpret_cast<nlmsghdr*>(reply);
      if (NLMSG_OK(header, static_cast<unsigned>(n)) && header->nlmsg_type == NLMSG_ERROR) {
        result = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(header))->error;  // 0 or -errno
      } else {
        result = -EPROTO;
      }
    }
  }
  close(fd);
  return Napi::Number::New(env, result);
}

}  // namespace

void RegisterNetTun(Napi::Env env, Napi::Object exports) {
  exports.Set("tunOpen", Napi::Function::New(env, TunOpen, "tunOpen"));
  exports.Set("tunName", Napi::Function::New(env, TunName, "tunName"));
  exports.Set("tunReadBatch", Napi::Function::New(env, TunReadBatch, "tunReadBatch"));
  exports.Set("tunWriteBatch", Napi::Function::New(env, TunWriteBatch, "tunWriteBatch"));
  exports.Set("ifSetMtu", Napi::Function::New(env, IfSetMtu, "ifSetMtu"));
  exports.Set("ifGetMtu", Napi::Function::New(env, IfGetMtu, "ifGetMtu"));
  exports.Set("ifSetUp", Napi::Function::New(env, IfSetUp, "ifSetUp"));
  exports.Set("ifGetIndex", Napi::Function::New(env, IfGetIndex, "ifGetIndex"));
  exports.Set("ifSetAddr4", Napi::Function::New(env, IfSetAddr4, "ifSetAddr4"));
  exports.Set("ifAddAddr6", Napi::Function::New(env, IfAddAddr6, "ifAddAddr6"));
}

}  // namespace qrtrd
