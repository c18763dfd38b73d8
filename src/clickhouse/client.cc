#include "clickhouse/client.h"

namespace perfwatch::clickhouse {
namespace {

constexpr size_t kMaxAnswerBytes = 256u << 20;

std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 600)) out += (c == '\n' || c == '\r') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string QueryParamEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::unique_ptr<Client>> Client::Create(const ClickHouseConfig& config, std::string password) {
  auto url = alert::ParseHttpUrl(config.url);
  if (!url.ok()) return url.status().WithContext("events.backend url");
  std::unique_ptr<Client> c(new Client());
  c->url_ = *url;
  // The base path of the URL (a proxy may put ClickHouse under one); parameters follow.
  std::string& target = c->url_.target;
  if (target.find('?') != std::string::npos) return InvalidArgument("events.backend url: no query string is accepted");
  if (target.empty() || target.back() != '/') target += '/';
  c->url_text_ = config.url;
  c->database_ = config.database;
  c->user_ = config.user;
  c->password_ = std::move(password);
  c->timeout_ms_ = config.timeout_ms;
  return c;
}

alert::HttpPostResult Client::Post(const std::string& params, std::string_view body,
                                   const std::atomic<bool>* cancel) const {
  alert::HttpPostRequest req;
  req.url = url_;
  req.url.target += "?" + params;
  req.headers.emplace_back("X-ClickHouse-User", user_);
  if (!password_.empty()) req.headers.emplace_back("X-ClickHouse-Key", password_);
  req.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  req.body = body;
  req.timeout_ms = timeout_ms_;
  req.cancel = cancel;
  req.tls = tls_;
  req.max_body_bytes = kMaxAnswerBytes;
  return alert::HttpPost(req);
}

Result<std::string> Client::Query(std::string_view sql, bool use_database, const std::atomic<bool>* cancel) const {
  std::string params = use_database ? "database=" + QueryParamEscape(database_) : "";
  alert::HttpPostResult res = Post(params, sql, cancel);
  if (res.status == 0) return Unavailable("clickhouse " + url_text_ + ": " + res.error);
  if (res.status != 200) {
    return Unavailable("clickhouse " + url_text_ + " answered " + std::to_string(res.status) + ": " + OneLine(res.body));
  }
  if (res.truncated) return Unavailable("clickhouse " + url_text_ + ": the answer exceeds 256 MiB");
  return std::move(res.body);
}

Status Client::Insert(std::string_view table_and_columns, std::string_view rows,
                      const std::atomic<bool>* cancel) const {
  std::string params = "database=" + QueryParamEscape(database_) + "&query=" +
                       QueryParamEscape("INSERT INTO " + std::string(table_and_columns) + " FORMAT TabSeparated");
  alert::HttpPostResult res = Post(params, rows, cancel);
  if (res.status == 0) return Unavailable("clickhouse " + url_text_ + ": " + res.error);
  if (res.status != 200) {
    return Unavailable("clickhouse " + url_text_ + " answered " + std::to_string(res.status) + ": " + OneLine(res.body));
  }
  return Status::Ok();
}

}  // namespace perfwatch::clickhouse
