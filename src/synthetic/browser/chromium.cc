#include "synthetic/browser/chromium.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace perfwatch::synthetic::browser {
namespace {

std::string ReadSmallFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string DescribeWaitStatus(int st) {
  if (WIFEXITED(st)) return "exited with status " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return std::string("killed by signal ") + std::to_string(WTERMSIG(st)) + " (" + strsignal(WTERMSIG(st)) + ")";
  return "stopped";
}

}  // namespace

ChromiumProcess::~ChromiumProcess() { Kill(); }

Status ChromiumProcess::Start(const Options& options, std::chrono::steady_clock::time_point deadline) {
  if (pid_ > 0) return Internal("chromium already started");
  profile_ = options.user_data_dir;
  std::error_code ec;
  std::filesystem::create_directories(profile_, ec);
  if (ec) return Internal("cannot create the chromium profile directory " + profile_.string() + ": " + ec.message());
  log_path_ = profile_ / "chromium.log";

  std::vector<std::string> args = {
      options.binary,
      "--headless=new",
      "--remote-debugging-port=0",
      "--user-data-dir=" + profile_.string(),
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-component-update",
      "--disable-background-networking",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-breakpad",
      "--disable-crash-reporter",
      "--disable-dev-shm-usage",
      "--disable-background-timer-throttling",
      "--disable-backgrounding-occluded-windows",
      "--disable-renderer-backgrounding",
      "--disable-features=Translate,MediaRouter,OptimizationHints,DialMediaRouteProvider,BackForwardCache",
      "--password-store=basic",
      "--use-mock-keychain",
      "--mute-audio",
      "--hide-scrollbars",
      "--window-size=" + std::to_string(options.window_width) + "," + std::to_string(options.window_height),
  };
  if (geteuid() == 0) args.push_back("--no-sandbox");  // the sandbox refuses to run as root
  for (const auto& f : options.extra_flags) args.push_back(f);
  args.push_back("about:blank");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);  // a group of its own, led by the browser
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, options.binary.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    Kill();
    return Unavailable("cannot start chromium \"" + options.binary + "\": " + strerror(rc));
  }
  pid_ = pid;
  reaped_ = false;

  const auto port_file = profile_ / "DevToolsActivePort";
  while (true) {
    std::string status;
    if (Exited(&status)) {
      const std::string tail = LogTail();
      Kill();
      return Unavailable("chromium " + status + " at startup" + (tail.empty() ? "" : ": " + tail));
    }
    const std::string text = ReadSmallFile(port_file);
    const size_t nl = text.find('\n');
    if (nl != std::string::npos && text.size() > nl + 1) {
      int port = 0;
      try {
        port = std::stoi(text.substr(0, nl));
      } catch (...) {
      }
      std::string path = text.substr(nl + 1);
      while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
      if (port > 0 && port < 65536 && path.rfind("/devtools/", 0) == 0) {
        port_ = port;
        ws_path_ = path;
        return Status::Ok();
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      const std::string tail = LogTail();
      Kill();
      return Unavailable("chromium did not open its DevTools port in time" + (tail.empty() ? "" : ": " + tail));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool ChromiumProcess::Exited(std::string* status) {
  if (pid_ <= 0) return true;
  if (!reaped_) {
    int st = 0;
    const pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      reaped_ = true;
      wait_status_ = r == pid_ ? st : 0;
    }
  }
  if (reaped_ && status) *status = DescribeWaitStatus(wait_status_);
  return reaped_;
}

void ChromiumProcess::Kill() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);  // the whole group: browser, zygotes, renderers, utilities
    if (!reaped_) kill(pid_, SIGKILL);
  }
  if (!profile_.empty()) {
    // Until every process naming the profile is gone: those that left the group (none are
    // expected) get their own SIGKILL, and a killed process can take a while to finish
    // exiting on a loaded machine (tearing down a renderer's memory). Bounded: 2 s.
    for (int round = 0; round < 200; ++round) {
      const auto left = ProcessesUsing(profile_.string());
      if (left.empty()) break;
      for (pid_t p : left) kill(p, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (pid_ > 0 && !reaped_) {
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    wait_status_ = st;
  }
  if (!profile_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(profile_, ec);
    profile_.clear();
  }
  pid_ = -1;
}

std::string ChromiumProcess::LogTail(size_t max) const {
  if (log_path_.empty()) return "";
  std::string text = ReadSmallFile(log_path_);
  if (text.size() > max) text = text.substr(text.size() - max);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::vector<pid_t> ChromiumProcess::ProcessesUsing(const std::string& needle) {
  std::vector<pid_t> out;
  if (needle.empty()) return out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  const pid_t self = getpid();
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    const long pid = strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == self) continue;
    const std::string base = std::string("/proc/") + e->d_name;
    const std::string stat = ReadSmallFile(base + "/stat");
    const size_t rp = stat.rfind(')');
    if (rp == std::string::npos || rp + 2 >= stat.size() || stat[rp + 2] == 'Z' || stat[rp + 2] == 'X') continue;
    std::string cmd = ReadSmallFile(base + "/cmdline");
    for (char& c : cmd) {
      if (c == '\0') c = ' ';
    }
    if (cmd.find(needle) != std::string::npos) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return out;
}

}  // namespace perfwatch::synthetic::browser
