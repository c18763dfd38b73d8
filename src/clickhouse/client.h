#pragma once
// ClickHouse's HTTP interface through perfwatch's notification HTTP client
// (alert/http_post.h): one POST per request, credentials in the X-ClickHouse-User and
// X-ClickHouse-Key headers, the database in `?database=`. A SELECT travels as the body; an
// INSERT as `?query=INSERT ... FORMAT TabSeparated` with the rows as the body. Any answer
// but 200 is an error: Unavailable (no answer, 5xx, 401/403: retried by the forwarder), with
// ClickHouse's message ("Code: 60, e.displayText() = ...") cut to one line.
// Thread safety: thread-safe (each call uses its own connection; the fields are immutable).
#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "alert/http_post.h"
#include "clickhouse/clickhouse_config.h"
#include "common/status.h"

namespace perfwatch::clickhouse {

class Client {
 public:
  // Parses the URL; `password` as ResolvePassword gave it.
  static Result<std::unique_ptr<Client>> Create(const ClickHouseConfig& config, std::string password);

  // Runs `sql` (a statement, or a SELECT with its FORMAT clause); returns the body. With
  // `use_database` false the request names no database (CREATE DATABASE runs before it
  // exists). `cancel`: give up as soon as it is set.
  Result<std::string> Query(std::string_view sql, bool use_database = true,
                            const std::atomic<bool>* cancel = nullptr) const;
  // INSERT INTO `table_and_columns` FORMAT TabSeparated with `rows` as the body.
  Status Insert(std::string_view table_and_columns, std::string_view rows,
                const std::atomic<bool>* cancel = nullptr) const;

  const std::string& database() const { return database_; }
  const std::string& url() const { return url_text_; }

 private:
  Client() = default;
  alert::HttpPostResult Post(const std::string& params, std::string_view body, const std::atomic<bool>* cancel) const;
  alert::HttpUrl url_;
  std::string url_text_;
  std::string database_;
  std::string user_, password_;
  int64_t timeout_ms_ = 30'000;
  std::shared_ptr<http::TlsContext> tls_;
};

// Percent-encodes a query parameter value.
std::string QueryParamEscape(std::string_view s);

}  // namespace perfwatch::clickhouse
