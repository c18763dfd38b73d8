#include "support/run_perfwatch.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace perfwatch::testing {

CommandResult RunPerfwatch(const std::string& args) {
  std::string cmd = std::string(PERFWATCH_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed: " + cmd};
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int st = pclose(p);
  return {WEXITSTATUS(st), out};
}

}  // namespace perfwatch::testing
