#pragma once
// Names the calling thread ("pw-http", "pw-tsdb-sync", ...), so that `top -H`, `ps -L`,
// gdb, perf and /proc/<pid>/task/*/comm tell perfwatch's threads apart. Linux keeps 15
// bytes of a name; longer names are cut there. Every thread perfwatch starts names itself
// first thing (docs/operations.md "Threads" lists them).
// Thread safety: names only the calling thread; call from any thread.
#include <string_view>

namespace perfwatch {

void SetCurrentThreadName(std::string_view name);

}  // namespace perfwatch
