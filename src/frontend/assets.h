#pragma once
// Front-end files compiled into the binary at build time: the browser SDK (/rum.js) and
// the dashboard (/index.html and whatever the dashboard build emits). The build script
// is cmake/frontend.cmake; with -DPERFWATCH_FRONTEND=OFF nothing is embedded.
// Thread safety: immutable static data; safe from any thread.
#include <string_view>

namespace perfwatch::frontend {

struct Asset {
  std::string_view content_type;  // e.g. "application/javascript; charset=utf-8"
  std::string_view body;          // the file's bytes; static storage
  std::string_view etag;          // quoted strong validator, e.g. "\"3f2a…\""; content hash
};

// The asset served at `path` ("/rum.js", "/index.html"; "/" and any path ending in '/'
// mean its "index.html"), or nullptr when not embedded.
const Asset* FindAsset(std::string_view path);

}  // namespace perfwatch::frontend
