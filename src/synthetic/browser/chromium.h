#pragma once
// A headless Chromium process for one browser check (docs/synthetic.md "Browser checks").
// Start() spawns `binary` (found on PATH when it has no slash) in a process group of its
// own with a fresh --user-data-dir and --remote-debugging-port=0, and waits for the
// DevToolsActivePort file that tells the WebSocket endpoint. Kill() (also run by the
// destructor) SIGKILLs the whole group and any other process whose command line names the
// profile directory (helpers that left the group), reaps the browser and removes the
// profile: a ChromiumProcess never leaves a process or a directory behind.
// Thread safety: one thread per object; ProcessesUsing is thread-safe.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace perfwatch::synthetic::browser {

class ChromiumProcess {
 public:
  struct Options {
    std::string binary = "chromium";
    std::filesystem::path user_data_dir;    // created; must not exist yet; removed by Kill()
    std::vector<std::string> extra_flags;   // appended after ours
    int window_width = 1350, window_height = 940;
  };

  ChromiumProcess() = default;
  ~ChromiumProcess();
  ChromiumProcess(const ChromiumProcess&) = delete;
  ChromiumProcess& operator=(const ChromiumProcess&) = delete;

  // Launches and waits (until `deadline`) for the DevTools endpoint. On failure the
  // process is already killed and the error says why (with the end of Chromium's stderr).
  Status Start(const Options& options, std::chrono::steady_clock::time_point deadline);

  int port() const { return port_; }
  const std::string& browser_ws_path() const { return ws_path_; }  // "/devtools/browser/<id>"
  pid_t pid() const { return pid_; }

  // True once the browser process has exited (reaps it); *status gets a description.
  bool Exited(std::string* status = nullptr);
  // Kills the group and stragglers, reaps, removes the profile. Idempotent.
  void Kill();
  // The end of Chromium's stdout/stderr (for error messages), at most `max` bytes.
  std::string LogTail(size_t max = 600) const;

  // Live (non-zombie) processes whose command line contains `needle` (e.g. a profile
  // path), by scanning /proc.
  static std::vector<pid_t> ProcessesUsing(const std::string& needle);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
  int port_ = 0;
  std::string ws_path_;
  std::filesystem::path profile_;
  std::filesystem::path log_path_;
};

}  // namespace perfwatch::synthetic::browser
