#pragma once
// tests/support/smtp_sink.py as a child process (python3), stopped (SIGTERM) when
// destroyed: a real SMTP server on loopback whose accepted messages are files
// (NNNN.eml, NNNN.env; see the script's docstring). Header-only so any test binary can
// use it.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

extern char** environ;

namespace perfwatch::testing {

class SmtpSinkProcess {
 public:
  explicit SmtpSinkProcess(std::vector<std::string> extra = {}) {
    namespace fs = std::filesystem;
    const fs::path script = fs::path(__FILE__).parent_path() / "smtp_sink.py";
    out_ = dir_.path() / "out";
    fs::create_directories(out_);
    const std::string port_file = (dir_.path() / "port").string();
    std::vector<std::string> args = {"python3", script.string(), "--dir", out_.string(), "--port-file", port_file};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "python3", nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      return;
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      if (fs::exists(port_file)) {
        port_ = std::stoi(ReadText(port_file));
        return;
      }
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~SmtpSinkProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status;
      ::waitpid(pid_, &status, 0);
    }
  }
  SmtpSinkProcess(const SmtpSinkProcess&) = delete;
  SmtpSinkProcess& operator=(const SmtpSinkProcess&) = delete;

  bool ok() const { return port_ > 0; }
  std::string smarthost(const std::string& host = "127.0.0.1") const {
    return host + ":" + std::to_string(port_);
  }
  int messages() const {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(out_)) n += e.path().extension() == ".env";
    return n;
  }
  // File `ext` (".eml", ".env") of message n (from 1).
  std::string File(int n, const char* ext) const {
    char name[32];
    std::snprintf(name, sizeof name, "%04d%s", n, ext);
    return ReadText(out_ / name);
  }
  std::string Log() const { return ReadText(out_ / "transactions.log"); }

 private:
  static std::string ReadText(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  TempDir dir_{"pw_smtp_sink_"};
  std::filesystem::path out_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Quoted-printable (RFC 2045) decoded; soft line breaks removed.
inline std::string DecodeQuotedPrintable(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=' && s.substr(i + 1, 2) == "\r\n") {
      i += 2;
    } else if (s[i] == '=' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The value of header `name` of a message (CRLF line ends), or "<none>".
inline std::string MailHeader(const std::string& msg, const std::string& name) {
  const size_t end = msg.find("\r\n\r\n");
  size_t pos = 0;
  while (pos < end) {
    const size_t eol = msg.find("\r\n", pos);
    const std::string line = msg.substr(pos, eol - pos);
    if (line.rfind(name + ": ", 0) == 0) return line.substr(name.size() + 2);
    pos = eol + 2;
  }
  return "<none>";
}

}  // namespace perfwatch::testing
