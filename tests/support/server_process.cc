#include "support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/http_client.h"

namespace perfwatch::testing {

ServerProcess::ServerProcess(std::vector<std::string> extra_args, std::string config_yaml)
    : extra_args_(std::move(extra_args)) {
  char tmpl[] = "/tmp/perfwatch-test-XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  data_dir_ = dir_ / "data";
  if (!config_yaml.empty()) {
    config_path_ = dir_ / "perfwatch.yml";
    std::ofstream(config_path_) << config_yaml;
  }
  port_ = FreePort();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(9);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool ServerProcess::Start() {
  std::vector<std::string> args = {PERFWATCH_BINARY, "serve", "--listen", "127.0.0.1:" + std::to_string(port_),
                                   "--data-dir", data_dir_.string()};
  if (!config_path_.empty()) {
    args.push_back("--config");
    args.push_back(config_path_.string());
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::string log_path = (dir_ / "server.log").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 2);
    ::dup2(fd, 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int st;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (ready_probe_) {
      if (ready_probe_(port_)) return true;
    } else if (HttpClient(port_).Get("/readyz").status == 200) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}

void ServerProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

std::string ServerProcess::log() const {
  std::ifstream in(dir_ / "server.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace perfwatch::testing
