// The committed data directories (tests/fixtures/data-v*/, written by
// tests/fixtures/make-data-fixture; docs/format/versions.md) open in this build with every
// sample and event intact: a copy of each is served, and every answer recorded in its
// <name>.expected.json when it was written is answered byte for byte; the FORMATS record
// is rewritten valid; a record naming a format version newer than this build reads, or a
// malformed one, stops the start with one line and a non-zero exit, leaving it as it was.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/data_formats.h"
#include "common/file_util.h"
#include "support/http_client.h"
#include "support/run_perfwatch.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using testing::HttpClient;

// The repository's tests/fixtures: __FILE__ is relative to the build directory under
// Ninja, so also look above the binary (<repo>/build-x/tests/integration_tests).
fs::path FixturesDir() {
  std::error_code ec;
  fs::path from_source = fs::path(__FILE__).parent_path().parent_path() / "fixtures";
  if (fs::exists(from_source / "make-data-fixture", ec)) return from_source;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (fs::exists(p / "tests" / "fixtures" / "make-data-fixture", ec)) return p / "tests" / "fixtures";
  }
  return from_source;
}

std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(FixturesDir(), ec)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = ".expected.json";
    if (name.size() > suffix.size() && name.ends_with(suffix)) names.push_back(name.substr(0, name.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadText(const fs::path& p) {
  auto text = ReadFile(p);
  return text.ok() ? *text : "";
}

// perfwatch started in `dir` (so the config's relative rule_files name the same paths as
// when the fixture was written), output to dir/server.log.
class Server {
 public:
  Server(fs::path dir, fs::path data_dir) : dir_(std::move(dir)), data_dir_(std::move(data_dir)) {}
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void Spawn() {
    port_ = testing::FreePort();
    std::vector<std::string> args = {PERFWATCH_BINARY, "serve", "--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--data-dir", data_dir_.string(), "--config", "perfwatch.yml"};
    const std::string log = (dir_ / "server.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::chdir(dir_.c_str()) != 0) ::_exit(126);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }

  // Until /readyz answers 200 (true) or the process exits (false, exit code kept).
  bool WaitReady() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Exited()) return false;
      if (HttpClient(port_).Get("/readyz").status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Until the process exits by itself: its exit code, or -1 after 30 s (then killed).
  int WaitExit() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Exited()) return exit_code_;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  int Stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return exit_code_;
  }

  uint16_t port() const { return port_; }
  std::string log() const { return ReadText(dir_ / "server.log"); }

 private:
  bool Exited() {
    int st = 0;
    if (pid_ <= 0) return true;
    if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
    pid_ = -1;
    exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
  }

  fs::path dir_, data_dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

std::vector<std::string> SortedLines(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

class DataFixtureTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/perfwatch-fixture-test-XXXXXX";
    work_ = ::mkdtemp(tmpl);
    data_dir_ = work_ / "data";
    const fs::path fixtures = FixturesDir();
    ASSERT_TRUE(fs::is_directory(fixtures / GetParam())) << fixtures / GetParam();
    fs::copy(fixtures / GetParam(), data_dir_, fs::copy_options::recursive);
    expected_text_ = ReadText(fixtures / (GetParam() + ".expected.json"));
    auto doc = parser_.parse(expected_text_);
    ASSERT_FALSE(doc.error()) << "expected file does not parse";
    expected_ = doc.value();
    std::ofstream(work_ / "perfwatch.yml") << std::string_view(expected_["config_yaml"].get_string().value());
    simdjson::dom::object rule_files = expected_["rule_files"].get_object().value();
    for (auto [name, text] : rule_files) {
      std::ofstream(work_ / std::string(name)) << std::string_view(text.get_string().value());
    }
    fixture_record_ = ReadText(data_dir_ / kFormatsFileName);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(work_, ec);
  }

  std::string Window() const {
    return "start=" + std::to_string(int64_t(expected_["start"].get_int64().value())) +
           "&end=" + std::to_string(int64_t(expected_["end"].get_int64().value()));
  }

  fs::path work_, data_dir_;
  std::string expected_text_, fixture_record_;
  simdjson::dom::parser parser_;
  simdjson::dom::element expected_;
};

TEST_P(DataFixtureTest, EverySampleEventAndStateIsAnsweredAsRecorded) {
  ASSERT_FALSE(fixture_record_.empty()) << "the fixture has no FORMATS record";
  Server server(work_, data_dir_);
  server.Spawn();
  ASSERT_TRUE(server.WaitReady()) << server.log();
  HttpClient client(server.port());

  // Every series, every sample, as /api/v1/export writes them.
  std::vector<std::string> want_series;
  simdjson::dom::array series = expected_["series"].get_array().value();
  for (auto line : series) want_series.emplace_back(line.get_string().value());
  std::sort(want_series.begin(), want_series.end());
  ASSERT_GT(want_series.size(), 30u);
  auto exported = client.Get("/api/v1/export?match[]=" + testing::UrlEncode("{__name__=~\".+\"}") + "&" + Window());
  ASSERT_EQ(exported.status, 200) << exported.body;
  std::vector<std::string> got_series = SortedLines(exported.body);
  EXPECT_EQ(got_series.size(), want_series.size());
  for (size_t i = 0; i < std::min(got_series.size(), want_series.size()); ++i) {
    ASSERT_EQ(got_series[i], want_series[i]) << "series line " << i;
  }

  // Events, vitals, journeys, errors, deploys, silences, a range query: byte for byte.
  size_t answers = 0;
  simdjson::dom::object recorded = expected_["answers"].get_object().value();
  for (auto [path, want] : recorded) {
    auto got = client.Get(std::string(path));
    EXPECT_EQ(got.status, 200) << path;
    EXPECT_EQ(got.body, std::string_view(want.get_string().value())) << path;
    ++answers;
  }
  EXPECT_GE(answers, 10u);

  // The alerts fire again with the activeAt they had (rules/rules.json restored).
  std::string alerts_body;
  size_t matched = 0;
  simdjson::dom::array want_alerts = expected_["alerts"].get_array().value();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    alerts_body = client.Get("/api/v1/alerts").body;
    simdjson::dom::parser p;
    auto doc = p.parse(alerts_body);
    matched = 0;
    if (!doc.error()) {
      simdjson::dom::array got_alerts = doc.value()["data"]["alerts"].get_array().value();
      for (auto want : want_alerts) {
        for (auto got : got_alerts) {
          if (std::string_view(got["labels"]["alertname"]) == std::string_view(want["labels"]["alertname"]) &&
              std::string_view(got["state"]) == std::string_view(want["state"]) &&
              std::string_view(got["activeAt"]) == std::string_view(want["activeAt"])) {
            ++matched;
          }
        }
      }
    }
    if (matched == want_alerts.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(matched, want_alerts.size()) << alerts_body;
  EXPECT_GT(matched, 0u);

  // Synthetic check definitions.
  auto checks = client.Get("/api/v1/checks");
  simdjson::dom::parser cp;
  auto checks_doc = cp.parse(checks.body);
  ASSERT_FALSE(checks_doc.error()) << checks.body;
  simdjson::dom::array want_checks = expected_["checks"].get_array().value();
  simdjson::dom::array got_checks = checks_doc.value()["data"].get_array().value();
  for (auto want : want_checks) {
    bool found = false;
    for (auto got : got_checks) {
      if (std::string_view(got["name"]) != std::string_view(want["name"])) continue;
      found = true;
      EXPECT_EQ(simdjson::minify(got["spec"]), std::string_view(want["spec"].get_string().value()));
    }
    EXPECT_TRUE(found) << want["name"];
  }

  // The record was rewritten valid by this build, keeping every format of the fixture at
  // the same or a newer version, and /metrics shows it.
  auto record = ParseFormatsRecord(ReadText(data_dir_ / kFormatsFileName));
  ASSERT_TRUE(record.ok()) << record.status().message();
  auto version = testing::RunPerfwatch("version");
  EXPECT_NE(version.output.find(record->written_by), std::string::npos) << version.output;
  auto fixture_record = ParseFormatsRecord(fixture_record_);
  ASSERT_TRUE(fixture_record.ok()) << fixture_record.status().message();
  const std::string metrics = client.Get("/metrics").body;
  for (const auto& [format, v] : fixture_record->versions) {
    ASSERT_TRUE(record->Get(format).has_value()) << format;
    EXPECT_GE(*record->Get(format), v) << format;
    EXPECT_NE(metrics.find("perfwatch_data_format_version{format=\"" + format + "\"} " +
                           std::to_string(*record->Get(format)) + "\n"),
              std::string::npos)
        << format;
  }
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

TEST_P(DataFixtureTest, NewerFormatVersionIsRefusedWithOneLine) {
  auto record = ParseFormatsRecord(fixture_record_);
  ASSERT_TRUE(record.ok()) << record.status().message();
  ASSERT_TRUE(record->Get("tsdb-blocks").has_value());
  const uint32_t reads = *record->Get("tsdb-blocks");  // this build reads the fixture's version
  record->written_by = "9.9";
  record->Set("tsdb-blocks", reads + 98);
  const std::string too_new = FormatFormatsRecord(*record);
  std::ofstream(data_dir_ / kFormatsFileName) << too_new;

  Server server(work_, data_dir_);
  server.Spawn();
  const int code = server.WaitExit();
  EXPECT_NE(code, 0) << server.log();
  EXPECT_NE(code, -1) << "still running: " << server.log();
  const std::string line = "data directory " + data_dir_.string() +
                           " was written by perfwatch 9.9 with tsdb-blocks format version " +
                           std::to_string(reads + 98) + "; this perfwatch reads up to " + std::to_string(reads) +
                           ": upgrade perfwatch";
  EXPECT_NE(server.log().find(line), std::string::npos) << server.log();
  EXPECT_EQ(ReadText(data_dir_ / kFormatsFileName), too_new);  // left as it was
}

// A directory written before versioning (no FORMATS) is version 1 of everything in it:
// it opens with its events, and the record is written.
TEST_P(DataFixtureTest, DirectoryWithoutRecordIsVersionOneAndGetsOne) {
  auto fixture_record = ParseFormatsRecord(fixture_record_);
  ASSERT_TRUE(fixture_record.ok()) << fixture_record.status().message();
  fs::remove(data_dir_ / kFormatsFileName);
  Server server(work_, data_dir_);
  server.Spawn();
  ASSERT_TRUE(server.WaitReady()) << server.log();
  const std::string path = "/api/v1/events/export?" + Window();
  EXPECT_EQ(HttpClient(server.port()).Get(path).body,
            std::string_view(expected_["answers"][path].get_string().value()));
  auto record = ParseFormatsRecord(ReadText(data_dir_ / kFormatsFileName));
  ASSERT_TRUE(record.ok()) << record.status().message();
  for (const auto& [format, v] : fixture_record->versions) EXPECT_TRUE(record->Get(format).has_value()) << format;
  EXPECT_NE(server.log().find("data format versions recorded"), std::string::npos) << server.log();
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

TEST_P(DataFixtureTest, MalformedRecordIsRefusedWithOneLine) {
  std::ofstream(data_dir_ / kFormatsFileName) << "written-by 0.1.0\ntsdb-blocks one\n";
  Server server(work_, data_dir_);
  server.Spawn();
  const int code = server.WaitExit();
  EXPECT_NE(code, 0) << server.log();
  EXPECT_NE(code, -1) << "still running: " << server.log();
  EXPECT_NE(server.log().find("data directory " + data_dir_.string() +
                              ": malformed FORMATS (docs/format/versions.md): line 2: version \\\"one\\\""),
            std::string::npos)
      << server.log();
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DataFixtureTest, ::testing::ValuesIn(FixtureNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// The release's fixture is there (a missing one would otherwise test nothing).
TEST(DataFixtures, TheFirstReleasesDirectoryIsCommitted) {
  const std::vector<std::string> names = FixtureNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "data-v1"), names.end()) << FixturesDir();
  EXPECT_TRUE(fs::exists(FixturesDir() / "data-v1" / kFormatsFileName)) << FixturesDir();
}

}  // namespace
}  // namespace perfwatch
