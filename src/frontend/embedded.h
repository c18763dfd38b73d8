#pragma once
// The table of embedded files, defined by the source that cmake/embed_assets.cmake
// generates into the build tree. Internal to pw_frontend: use FindAsset() (assets.h).
#include <span>
#include <string_view>

#include "frontend/assets.h"

namespace perfwatch::frontend::internal {

struct EmbeddedFile {
  std::string_view path;  // URL path, "/rum.js"
  Asset asset;
};

// Every embedded file (each path once); empty when the front-end build is off.
std::span<const EmbeddedFile> EmbeddedFiles();

}  // namespace perfwatch::frontend::internal
