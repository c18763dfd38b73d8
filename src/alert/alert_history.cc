#include "alert/alert_history.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "common/file_util.h"
#include "common/log.h"

namespace perfwatch::alert {
namespace {

// Label values are written as one field: tabs and line ends become spaces.
std::string Field(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t tab = line.find('\t');
    out.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  return out;
}

bool ParseInt(std::string_view s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseHex(std::string_view s, uint64_t* out) {
  if (s.size() != 16) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

std::string EncodeHistoryRecord(char kind, const AlertEpisode& e) {
  std::string out(1, kind);
  out += '\t' + FingerprintHex(e.fingerprint) + '\t' + std::to_string(e.starts_at_ms);
  if (kind == 'F') {
    out += '\t' + Field(e.alertname) + '\t' + Field(e.severity) + '\t' + Field(e.app);
  } else if (kind == 'A') {
    out += '\t' + std::to_string(e.acknowledged_at_ms);
  } else {
    out += '\t' + std::to_string(e.resolved_at_ms);
  }
  return out;
}

bool ApplyHistoryRecord(std::string_view line, std::map<std::pair<uint64_t, int64_t>, AlertEpisode>* episodes) {
  const std::vector<std::string_view> f = SplitTabs(line);
  if (f.size() < 4 || f[0].size() != 1) return false;
  uint64_t fp = 0;
  int64_t starts = 0;
  if (!ParseHex(f[1], &fp) || !ParseInt(f[2], &starts)) return false;
  const auto key = std::make_pair(fp, starts);
  if (f[0] == "F") {
    if (f.size() != 6) return false;
    AlertEpisode& e = (*episodes)[key];
    e.fingerprint = fp;
    e.starts_at_ms = starts;
    e.alertname = std::string(f[3]);
    e.severity = std::string(f[4]);
    e.app = std::string(f[5]);
    return true;
  }
  int64_t t = 0;
  if (f.size() != 4 || !ParseInt(f[3], &t)) return false;
  auto it = episodes->find(key);
  if (it == episodes->end()) return false;  // its episode was trimmed away
  if (f[0] == "A") {
    if (it->second.acknowledged_at_ms == 0) it->second.acknowledged_at_ms = t;
    return true;
  }
  if (f[0] == "R") {
    it->second.resolved_at_ms = t;
    return true;
  }
  return false;
}

Result<std::unique_ptr<AlertHistory>> AlertHistory::Open(std::filesystem::path file, int64_t now_ms,
                                                         int64_t retention_ms) {
  if (file.empty()) return std::unique_ptr<AlertHistory>(new AlertHistory({}, -1));
  std::map<std::pair<uint64_t, int64_t>, AlertEpisode> episodes;
  auto text = ReadFile(file);
  if (!text.ok() && text.status().code() != StatusCode::kNotFound) return text.status();
  size_t bad = 0;
  if (text.ok()) {
    std::string_view rest = *text;
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) break;  // a torn last line
      if (!ApplyHistoryRecord(rest.substr(0, nl), &episodes)) ++bad;
      rest.remove_prefix(nl + 1);
    }
  }
  if (bad > 0) PW_LOG_WARN("alert history: skipped unreadable records", "file={} count={}", file.string(), bad);
  // Compact: the episodes within retention, in a fresh log.
  std::erase_if(episodes, [&](const auto& kv) { return kv.second.starts_at_ms < now_ms - retention_ms; });
  std::string compact;
  for (const auto& [key, e] : episodes) {
    compact += EncodeHistoryRecord('F', e) + '\n';
    if (e.acknowledged_at_ms) compact += EncodeHistoryRecord('A', e) + '\n';
    if (e.resolved_at_ms) compact += EncodeHistoryRecord('R', e) + '\n';
  }
  PW_RETURN_IF_ERROR(WriteFileAtomically(file, compact).WithContext("rewrite alert history"));
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return IoError("open " + file.string(), errno);
  std::unique_ptr<AlertHistory> h(new AlertHistory(std::move(file), fd));
  h->episodes_ = std::move(episodes);
  h->Trim();
  return h;
}

AlertHistory::~AlertHistory() {
  if (fd_ >= 0) ::close(fd_);
}

void AlertHistory::AppendLine(const std::string& line) {
  if (fd_ < 0) return;
  Status s = WriteAll(fd_, line + '\n');
  if (!s.ok()) PW_LOG_WARN("alert history: write failed", "err={}", LogQuote(s.ToString()));
}

void AlertHistory::Trim() {
  while (episodes_.size() > kMaxEpisodes) {
    auto oldest = episodes_.begin();
    for (auto it = episodes_.begin(); it != episodes_.end(); ++it) {
      if (it->second.starts_at_ms < oldest->second.starts_at_ms) oldest = it;
    }
    episodes_.erase(oldest);
  }
}

void AlertHistory::Observe(const Alert& alert, int64_t now_ms) {
  const uint64_t fp = Fingerprint(alert.labels);
  std::lock_guard lock(mu_);
  auto key = std::make_pair(fp, alert.starts_at_ms);
  auto it = episodes_.find(key);
  if (it == episodes_.end()) {
    AlertEpisode e;
    e.fingerprint = fp;
    e.starts_at_ms = alert.starts_at_ms;
    e.alertname = std::string(GetLabel(alert.labels, "alertname"));
    e.severity = std::string(GetLabel(alert.labels, "severity"));
    e.app = std::string(GetLabel(alert.labels, "app"));
    AppendLine(EncodeHistoryRecord('F', e));
    it = episodes_.emplace(key, std::move(e)).first;
    Trim();
    it = episodes_.find(key);
    if (it == episodes_.end()) return;
  }
  if (it->second.resolved_at_ms == 0 && alert.ResolvedAt(now_ms)) {
    it->second.resolved_at_ms = alert.ends_at_ms;
    AppendLine(EncodeHistoryRecord('R', it->second));
  }
}

void AlertHistory::Acknowledged(uint64_t fingerprint, int64_t starts_at_ms, int64_t at_ms) {
  std::lock_guard lock(mu_);
  auto it = episodes_.find({fingerprint, starts_at_ms});
  if (it == episodes_.end() || it->second.acknowledged_at_ms != 0) return;
  it->second.acknowledged_at_ms = at_ms;
  AppendLine(EncodeHistoryRecord('A', it->second));
}

std::vector<AlertEpisode> AlertHistory::Episodes(int64_t from_ms, int64_t to_ms) const {
  std::vector<AlertEpisode> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, e] : episodes_) {
      if (e.starts_at_ms >= from_ms && e.starts_at_ms <= to_ms) out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(), [](const AlertEpisode& a, const AlertEpisode& b) {
    return a.starts_at_ms != b.starts_at_ms ? a.starts_at_ms < b.starts_at_ms : a.fingerprint < b.fingerprint;
  });
  return out;
}

}  // namespace perfwatch::alert
