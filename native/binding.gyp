{
  "targets": [
    {
      "target_name": "qrtr_native",
      "sources": ["src/addon.cc", "src/poller.cc", "src/net_tun.cc", "src/ioctl.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"],
      "conditions": [
        ["OS!='linux'", { "sources!": ["src/addon.cc", "src/poller.cc", "src/net_tun.cc", "src/ioctl.cc"], "sources": ["src/unsupported.cc"] }]
      ]
    }
  ]
}
