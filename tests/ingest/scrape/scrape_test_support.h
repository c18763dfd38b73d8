#pragma once
// Helpers for the scrape tests: an in-process /metrics target (perfwatch's own
// http::Server) whose answer the test sets, and a TSDB on a temp dir read back as
// plain values.
// Thread safety: Target's setters and getters lock; the rest is single-threaded.
#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/metrics.h"
#include "http/server.h"
#include "ingest/scrape/scrape_gzip.h"
#include "ingest/scrape/scrape_target.h"
#include "tsdb/tsdb.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::ingest::testing {

// A scrape target answering GET `path` with whatever the test set last.
class Target {
 public:
  // With `tls` set the target serves HTTPS.
  explicit Target(std::string path = "/metrics", TlsServerConfig tls = {}) {
    http::Router router;
    router.Handle("GET", path, [this](const http::Request& req, http::Response& res) { Serve(req, res); });
    HttpConfig config;
    config.listen = "127.0.0.1:0";
    config.threads = 2;
    config.tls = std::move(tls);
    auto s = http::Server::Create(config, std::move(router), &metrics_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    Status st = server_->Start();
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  ~Target() { server_->Stop(); }

  std::string address() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  void SetBody(std::string body, std::string content_type = "text/plain; version=0.0.4; charset=utf-8") {
    std::lock_guard lock(mu_);
    body_ = std::move(body);
    content_type_ = std::move(content_type);
  }
  void SetStatus(int status) {
    std::lock_guard lock(mu_);
    status_ = status;
  }
  void SetGzip(bool gzip) {
    std::lock_guard lock(mu_);
    gzip_ = gzip;
  }
  void SetDelay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    delay_ = delay;
  }
  int requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Headers (lower-cased names) and query of the last request.
  std::string LastHeader(const std::string& name) const {
    std::lock_guard lock(mu_);
    for (const auto& [n, v] : last_headers_) {
      if (n == name) return v;
    }
    return "";
  }
  std::string LastQuery() const {
    std::lock_guard lock(mu_);
    return last_query_;
  }

 private:
  void Serve(const http::Request& req, http::Response& res) {
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mu_);
      ++requests_;
      last_headers_.clear();
      for (const auto& [n, v] : req.headers) {
        std::string lower(n);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        last_headers_.emplace_back(lower, std::string(v));
      }
      last_query_ = std::string(req.query);
      res.status = status_;
      res.content_type = content_type_;
      if (gzip_) {
        res.body = Gzip(body_);
        res.headers.emplace_back("Content-Encoding", "gzip");
      } else {
        res.body = body_;
      }
      delay = delay_;
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
  }

  mutable std::mutex mu_;
  std::string body_;                                             // guarded by mu_
  std::string content_type_ = "text/plain; version=0.0.4";       // guarded by mu_
  int status_ = 200;                                             // guarded by mu_
  bool gzip_ = false;                                            // guarded by mu_
  std::chrono::milliseconds delay_{0};                           // guarded by mu_
  int requests_ = 0;                                             // guarded by mu_
  std::vector<std::pair<std::string, std::string>> last_headers_;  // guarded by mu_
  std::string last_query_;                                       // guarded by mu_
  MetricsRegistry metrics_;
  std::unique_ptr<http::Server> server_;
};

// A TSDB on a temp dir.
class TestStore {
 public:
  TestStore() {
    tsdb::TsdbOptions opts;
    opts.dir = dir_.path() / "tsdb";
    opts.maintenance_interval = std::chrono::milliseconds(0);
    auto t = tsdb::Tsdb::Open(opts, &metrics_);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    tsdb_ = std::move(t).value();
  }
  tsdb::Tsdb* get() { return tsdb_.get(); }
  MetricsRegistry& metrics() { return metrics_; }

  // Every series: labels string -> (t, value bits).
  tsdb::testing::Dump Dump() const {
    auto q = tsdb_->NewQuerier(INT64_MIN / 4, INT64_MAX / 4);
    return tsdb::testing::DumpQuerier(*q);
  }
  // The samples of the series whose ToString() is `labels` (empty if none).
  std::vector<std::pair<int64_t, uint64_t>> Samples(const std::string& labels) const {
    auto d = Dump();
    auto it = d.find(labels);
    return it == d.end() ? std::vector<std::pair<int64_t, uint64_t>>{} : it->second;
  }

 private:
  tsdb::testing::TempDir dir_;
  MetricsRegistry metrics_;
  std::unique_ptr<tsdb::Tsdb> tsdb_;
};

inline uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// A target for `address` with job "j" and the given static labels.
inline ScrapeTarget MakeTarget(const std::string& address, std::vector<std::pair<std::string, std::string>> labels = {},
                               bool honor_labels = false) {
  Config config;
  ScrapeConfig job;
  job.job_name = "j";
  job.interval_ms = 15'000;
  job.timeout_ms = 10'000;
  job.honor_labels = honor_labels;
  job.static_configs.push_back({{address}, std::move(labels)});
  config.scrape_configs.push_back(job);
  return TargetsFromConfig(config).at(0);
}

}  // namespace perfwatch::ingest::testing
