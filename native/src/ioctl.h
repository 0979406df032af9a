#pragma once

#include <napi.h>

namespace qrtrd {

// Adds ioctl(fd, request, buffer) -> result | -errno to the addon's exports (device
// control for links: rpmsg_ctrl's RPMSG_CREATE_EPT_IOCTL and RPMSG_DESTROY_EPT_IOCTL).
void RegisterIoctl(Napi::Env env, Napi::Object exports);

}  // namespace qrtrd
