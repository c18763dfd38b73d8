#include "frontend/assets.h"

#include "frontend/embedded.h"

namespace perfwatch::frontend {
namespace {

// True when `file` is what a request for `path` serves: the same path, or for a
// directory path ("/", "/docs/") its index.html.
bool Serves(std::string_view file, std::string_view path) {
  if (file == path) return true;
  return !path.empty() && path.back() == '/' && file.starts_with(path) &&
         file.substr(path.size()) == "index.html";
}

}  // namespace

const Asset* FindAsset(std::string_view path) {
  // A handful of files: a linear scan is as fast as anything cleverer.
  for (const internal::EmbeddedFile& file : internal::EmbeddedFiles()) {
    if (Serves(file.path, path)) return &file.asset;
  }
  return nullptr;
}

}  // namespace perfwatch::frontend
