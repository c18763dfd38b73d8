// remote_write: parsing (remote/remote_config.h): Prometheus' keys and defaults, and
// errors naming the key and its line.
#include "remote/remote_config.h"

#include <gtest/gtest.h>

#include "common/config.h"

namespace perfwatch::remote {
namespace {

std::string ErrorOf(const std::string& yaml) {
  auto r = ParseRemoteWriteConfig(yaml);
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : r.status().message();
}

TEST(RemoteConfig, NoSectionIsEmpty) {
  auto r = ParseRemoteWriteConfig("listen: 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  ASSERT_TRUE(ParseRemoteWriteConfig("").ok());
}

TEST(RemoteConfig, DefaultsArePrometheus) {
  auto r = ParseRemoteWriteConfig("remote_write:\n  - url: http://vm:8428/api/v1/write\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const RemoteWriteConfig& c = (*r)[0];
  EXPECT_EQ(c.url, "http://vm:8428/api/v1/write");
  EXPECT_EQ(c.remote_timeout_ms, 30'000);
  EXPECT_EQ(c.queue.capacity, 10'000);
  EXPECT_EQ(c.queue.max_shards, 50);
  EXPECT_EQ(c.queue.min_shards, 1);
  EXPECT_EQ(c.queue.max_samples_per_send, 2'000);
  EXPECT_EQ(c.queue.batch_send_deadline_ms, 5'000);
  EXPECT_EQ(c.queue.min_backoff_ms, 30);
  EXPECT_EQ(c.queue.max_backoff_ms, 5'000);
  EXPECT_FALSE(c.has_basic_auth);
  EXPECT_FALSE(c.has_authorization);
  // No name: a stable 6-hex-digit hash of the URL.
  EXPECT_EQ(c.RemoteName().size(), 6u);
  EXPECT_EQ(c.RemoteName(), (*ParseRemoteWriteConfig("remote_write: [{url: 'http://vm:8428/api/v1/write'}]"))[0].RemoteName());
  EXPECT_NE(c.RemoteName(), (*ParseRemoteWriteConfig("remote_write: [{url: 'http://vm:8429/api/v1/write'}]"))[0].RemoteName());
}

TEST(RemoteConfig, EveryKey) {
  auto r = ParseRemoteWriteConfig(R"(
remote_write:
  - url: https://mimir.example/api/v1/push
    name: mimir
    authorization:
      credentials: s3cret
    headers:
      X-Scope-OrgID: team-a
    remote_timeout: 10s
    queue_config:
      capacity: 500
      max_shards: 4
      min_shards: 2
      max_samples_per_send: 100
      batch_send_deadline: 1s
      min_backoff: 10ms
      max_backoff: 1s
    write_relabel_configs:
      - source_labels: [__name__]
        regex: go_.*
        action: drop
      - action: labeldrop
        regex: instance
  - url: http://vm:8428/api/v1/write
    basic_auth: {username: u, password_file: pw.txt}
)",
                                  "/etc/perfwatch");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  const RemoteWriteConfig& a = (*r)[0];
  EXPECT_EQ(a.RemoteName(), "mimir");
  EXPECT_TRUE(a.has_authorization);
  EXPECT_EQ(a.authorization_type, "Bearer");
  EXPECT_EQ(a.authorization_credentials, "s3cret");
  ASSERT_EQ(a.headers.size(), 1u);
  EXPECT_EQ(a.headers[0].first, "X-Scope-OrgID");
  EXPECT_EQ(a.remote_timeout_ms, 10'000);
  EXPECT_EQ(a.queue.capacity, 500);
  EXPECT_EQ(a.queue.max_shards, 4);
  EXPECT_EQ(a.queue.min_shards, 2);
  EXPECT_EQ(a.queue.max_samples_per_send, 100);
  EXPECT_EQ(a.queue.batch_send_deadline_ms, 1'000);
  EXPECT_EQ(a.queue.min_backoff_ms, 10);
  EXPECT_EQ(a.queue.max_backoff_ms, 1'000);
  ASSERT_EQ(a.write_relabel_configs.size(), 2u);
  EXPECT_EQ(a.write_relabel_configs[0].action, "drop");
  EXPECT_EQ(a.write_relabel_configs[0].source_labels, std::vector<std::string>{"__name__"});
  EXPECT_EQ(a.write_relabel_configs[1].action, "labeldrop");
  const RemoteWriteConfig& b = (*r)[1];
  EXPECT_TRUE(b.has_basic_auth);
  EXPECT_EQ(b.basic_auth_username, "u");
  EXPECT_EQ(b.basic_auth_password_file, "/etc/perfwatch/pw.txt");  // relative to the config file
}

TEST(RemoteConfig, ErrorsNameKeyAndLine) {
  std::string e = ErrorOf("remote_write:\n  - url: http://a/\n    queue_config:\n      capcity: 5\n");
  EXPECT_NE(e.find("remote_write[0].queue_config.capcity (line 4): unknown key"), std::string::npos) << e;
  e = ErrorOf("remote_write:\n  - url: http://a/\n    send_exemplars: true\n");
  EXPECT_NE(e.find("remote_write[0].send_exemplars (line 3): unknown key"), std::string::npos) << e;
  e = ErrorOf("remote_write:\n  - url: ftp://a/\n");
  EXPECT_NE(e.find("remote_write[0].url (line 2)"), std::string::npos) << e;
  EXPECT_NE(e.find("only http:// and https://"), std::string::npos) << e;
  e = ErrorOf("remote_write:\n  - name: x\n");
  EXPECT_NE(e.find("url is required"), std::string::npos) << e;
  e = ErrorOf("remote_write: {url: http://a/}\n");
  EXPECT_NE(e.find("remote_write (line 1): expected a list"), std::string::npos) << e;
}

TEST(RemoteConfig, ConflictsAndRanges) {
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n    basic_auth: {username: u, password: p}\n"
                    "    authorization: {credentials: c}\n")
                .find("at most one of basic_auth and authorization"),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n    basic_auth: {username: u, password: p, password_file: f}\n")
                .find("at most one of password and password_file"),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n    authorization: {credentials: c, credentials_file: f}\n")
                .find("at most one of credentials and credentials_file"),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n    authorization: {type: Basic, credentials: c}\n")
                .find("use \"basic_auth\" instead"),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n    headers: {Authorization: x}\n").find("reserved header"),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n    queue_config: {min_shards: 5, max_shards: 2}\n")
                .find("min_shards must not exceed max_shards"),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n    queue_config: {min_backoff: 10s, max_backoff: 1s}\n")
                .find("min_backoff must not exceed max_backoff"),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n    queue_config: {capacity: 0}\n").find("capacity"),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n    remote_timeout: soon\n").find("remote_timeout"),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - url: http://a/\n  - url: http://a/\n").find("duplicate url"), std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - {url: http://a/, name: x}\n  - {url: http://b/, name: x}\n")
                .find("duplicate remote write name \"x\""),
            std::string::npos);
  EXPECT_NE(ErrorOf("remote_write:\n  - {url: http://a/, name: a/b}\n").find("must not contain a slash"),
            std::string::npos);
}

TEST(RemoteConfig, RelabelErrors) {
  std::string e = ErrorOf("remote_write:\n  - url: http://a/\n    write_relabel_configs:\n"
                          "      - {source_labels: [job], regex: '(', action: keep}\n");
  EXPECT_NE(e.find("write_relabel_configs[0].regex"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid regex"), std::string::npos) << e;
  e = ErrorOf("remote_write:\n  - url: http://a/\n    write_relabel_configs:\n      - {source_labels: [job], action: hashmod}\n");
  EXPECT_NE(e.find("unsupported action \"hashmod\""), std::string::npos) << e;
  e = ErrorOf("remote_write:\n  - url: http://a/\n    write_relabel_configs:\n      - {regex: x, action: keep}\n");
  EXPECT_NE(e.find("action keep needs source_labels"), std::string::npos) << e;
  e = ErrorOf("remote_write:\n  - url: http://a/\n    write_relabel_configs:\n      - {source_labels: [a], action: replace}\n");
  EXPECT_NE(e.find("needs target_label"), std::string::npos) << e;
  e = ErrorOf("remote_write:\n  - url: http://a/\n    write_relabel_configs:\n      - {source_labels: [a-b], action: keep}\n");
  EXPECT_NE(e.find("expected a label name"), std::string::npos) << e;
}

// The main config accepts the section (and leaves it to this parser).
TEST(RemoteConfig, MainConfigAcceptsSection) {
  auto c = ParseConfig("remote_write:\n  - url: http://a/\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
}

}  // namespace
}  // namespace perfwatch::remote
