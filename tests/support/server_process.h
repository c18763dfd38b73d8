#pragma once
// Runs the real perfwatch binary as a child process for integration tests: a fresh data
// dir (kept across Restart), a free loopback port, readiness by polling /readyz.
// Not thread-safe.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace perfwatch::testing {

class ServerProcess {
 public:
  // `extra_args` are appended after `serve --listen ... --data-dir ...`; `config_yaml`,
  // when not empty, is written to a file and passed with --config.
  explicit ServerProcess(std::vector<std::string> extra_args = {}, std::string config_yaml = "");
  ~ServerProcess();  // SIGKILLs a running server and removes the data dir

  bool Start();              // starts and waits until /readyz answers 200 (10 s at most)
  int Stop(int signal = 15); // sends `signal`, waits, returns the exit status (or 128+signal)
  void Kill() { Stop(9); }
  // Sends `signal` and returns at once (SIGHUP: reload).
  void Signal(int signal);
  // Replaces the readiness check of Start (default: GET /readyz over plain HTTP answers
  // 200), e.g. for a server that speaks HTTPS.
  void SetReadyProbe(std::function<bool(uint16_t port)> probe) { ready_probe_ = std::move(probe); }
  bool Restart() { Stop(); return Start(); }
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::string log() const;  // what the server wrote to stderr so far

 private:
  std::vector<std::string> extra_args_;
  std::filesystem::path dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path config_path_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::function<bool(uint16_t)> ready_probe_;
};

}  // namespace perfwatch::testing
