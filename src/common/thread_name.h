#pragma once
// Thread names ("pw-http", "pw-tsdb-sync", ...), so that `top -H`, `ps -L`, gdb, perf and
// /proc/<pid>/task/*/comm tell perfwatch's threads apart. Linux keeps 15 bytes of a name;
// longer names are cut there. Every thread perfwatch starts is a NamedThread
// (docs/operations.md "Threads" lists them), except ForkJoin's helpers, which do part of
// their caller's work and keep the name they inherit from it.
// Thread safety: SetCurrentThreadName names only the calling thread; both may be called
// from any thread.
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace perfwatch {

void SetCurrentThreadName(std::string_view name);

// A std::thread that names itself `name` first, then runs fn.
template <typename F>
std::thread NamedThread(std::string name, F&& fn) {
  return std::thread([name = std::move(name), fn = std::forward<F>(fn)]() mutable {
    SetCurrentThreadName(name);
    fn();
  });
}

}  // namespace perfwatch
