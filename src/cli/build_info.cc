#include "cli/build_info.h"

#ifndef PERFWATCH_VERSION
#define PERFWATCH_VERSION "dev"
#endif
#ifndef PERFWATCH_REVISION
#define PERFWATCH_REVISION ""
#endif
#ifndef PERFWATCH_BRANCH
#define PERFWATCH_BRANCH ""
#endif

namespace perfwatch::cli {
namespace {

#define PW_STR2(x) #x
#define PW_STR(x) PW_STR2(x)

std::string Compiler() {
#if defined(__clang__)
  return "clang " PW_STR(__clang_major__) "." PW_STR(__clang_minor__) "." PW_STR(__clang_patchlevel__);
#elif defined(__GNUC__)
  return "gcc " PW_STR(__GNUC__) "." PW_STR(__GNUC_MINOR__) "." PW_STR(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

std::string OrUnknown(const char* s) { return *s ? std::string(s) : std::string("unknown"); }

}  // namespace

const BuildFacts& CurrentBuild() {
  static const BuildFacts facts{PERFWATCH_VERSION, OrUnknown(PERFWATCH_REVISION), OrUnknown(PERFWATCH_BRANCH),
                                Compiler()};
  return facts;
}

}  // namespace perfwatch::cli
