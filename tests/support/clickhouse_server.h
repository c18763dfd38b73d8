#pragma once
// Runs a real clickhouse-server (Debian's, 18.16) for tests: a temp dir with a minimal
// config.xml and users.xml (user `default` without password, user `pw` with password
// "s3cret", both loopback only), free loopback http_port and tcp_port, readiness by
// polling GET /ping for "Ok.\n". Stop/Start keep the data (an outage and a recovery).
// Tests skip (GTEST_SKIP) when the clickhouse-server binary is missing.
// Not thread-safe.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"

namespace perfwatch::testing {

// Debian installs it in /usr/sbin; other packagings in /usr/bin.
inline const char* ClickHouseBinary() {
  for (const char* p : {"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return nullptr;
}

class ClickHouseServer {
 public:
  static bool Available() { return ClickHouseBinary() != nullptr; }

  ClickHouseServer() {
    char tmpl[] = "/tmp/perfwatch-clickhouse-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    http_port_ = FreePort();
    do tcp_port_ = FreePort(); while (tcp_port_ == http_port_);
    const std::string d = dir_.string();
    std::ofstream(dir_ / "config.xml")
        << "<?xml version=\"1.0\"?>\n<yandex>\n"
           "  <logger><level>warning</level><log>" << d << "/server.log</log><errorlog>" << d
        << "/error.log</errorlog><console>0</console></logger>\n"
           "  <http_port>" << http_port_ << "</http_port>\n  <tcp_port>" << tcp_port_
        << "</tcp_port>\n  <listen_host>127.0.0.1</listen_host>\n"
           "  <path>" << d << "/data/</path>\n  <tmp_path>" << d << "/tmp/</tmp_path>\n"
           "  <user_files_path>" << d << "/user_files/</user_files_path>\n"
           "  <format_schema_path>" << d << "/format_schemas/</format_schema_path>\n"
           "  <users_config>" << d << "/users.xml</users_config>\n"
           "  <default_profile>default</default_profile>\n  <default_database>default</default_database>\n"
           "  <mark_cache_size>67108864</mark_cache_size>\n  <timezone>UTC</timezone>\n</yandex>\n";
    std::ofstream(dir_ / "users.xml")
        << "<?xml version=\"1.0\"?>\n<yandex>\n  <profiles><default></default></profiles>\n  <users>\n"
           "    <default><password></password><networks><ip>127.0.0.1</ip></networks>"
           "<profile>default</profile><quota>default</quota></default>\n"
           "    <pw><password>s3cret</password><networks><ip>127.0.0.1</ip></networks>"
           "<profile>default</profile><quota>default</quota></pw>\n"
           "  </users>\n  <quotas><default></default></quotas>\n</yandex>\n";
  }
  ~ClickHouseServer() {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ClickHouseServer(const ClickHouseServer&) = delete;
  ClickHouseServer& operator=(const ClickHouseServer&) = delete;

  // Starts and waits (60 s at most) until /ping answers "Ok.\n".
  bool Start() {
    const std::string config = "--config-file=" + (dir_ / "config.xml").string();
    const std::string out = (dir_ / "stdout.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      const char* bin = ClickHouseBinary();
      if (bin) ::execl(bin, bin, config.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      int st;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      HttpClient c(http_port_);
      HttpResponse r = c.Get("/ping");
      if (r.status == 200 && r.body == "Ok.\n") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // SIGTERM (SIGKILL with `kill`), waits.
  void Stop(bool kill = false) {
    if (pid_ <= 0) return;
    ::kill(pid_, kill ? SIGKILL : SIGTERM);
    int st;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

  // Runs `sql` as user `default`; the body (TabSeparated unless the query says otherwise).
  HttpResponse Query(const std::string& sql) const {
    HttpClient c(http_port_);
    return c.Post("/", sql, "text/plain");
  }
  // The single value a query answers, without its newline ("" on error).
  std::string Scalar(const std::string& sql) const {
    HttpResponse r = Query(sql);
    if (r.status != 200) return "";
    std::string s = r.body;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }

  bool running() const { return pid_ > 0; }
  uint16_t http_port() const { return http_port_; }
  uint16_t tcp_port() const { return tcp_port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  uint16_t http_port_ = 0, tcp_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace perfwatch::testing
