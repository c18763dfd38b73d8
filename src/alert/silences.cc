// The silence store: validation, Set/Expire rules, matching, persistence and GC.
// Contract: silences.h.
#include "alert/silences.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <random>

#include <re2/re2.h>

#include "alert/am_format.h"
#include "alert/state_file.h"
#include "common/coding.h"
#include "common/log.h"

namespace perfwatch::alert {
namespace {

constexpr std::string_view kMagic = "PWSIL001";
constexpr uint8_t kRecordVersion = 1;

bool ValidLabelName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ValidUtf8(std::string_view s) {
  // Go's utf8.ValidString: well-formed sequences only (no surrogates, nothing above U+10FFFF).
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    size_t n;
    uint32_t c, min;
    if (b0 < 0x80) {
      ++i;
      continue;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      n = 2, c = b0 & 0x1F, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 3, c = b0 & 0x0F, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 4, c = b0 & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      c = (c << 6) | (b & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

// Go's regexp error text ("error parsing regexp: missing closing ): `(`") for an RE2
// compile error.
std::string GoRegexpError(const re2::RE2& re) {
  const char* code = "invalid regexp";
  switch (re.error_code()) {
    case re2::RE2::ErrorBadEscape: code = "invalid escape sequence"; break;
    case re2::RE2::ErrorBadCharClass: code = "invalid character class"; break;
    case re2::RE2::ErrorBadCharRange: code = "invalid character class range"; break;
    case re2::RE2::ErrorMissingBracket: code = "missing closing ]"; break;
    case re2::RE2::ErrorMissingParen: code = "missing closing )"; break;
    case re2::RE2::ErrorUnexpectedParen: code = "unexpected )"; break;
    case re2::RE2::ErrorTrailingBackslash: code = "trailing backslash at end of expression"; break;
    case re2::RE2::ErrorRepeatArgument: code = "missing argument to repetition operator"; break;
    case re2::RE2::ErrorRepeatSize: code = "invalid repeat count"; break;
    case re2::RE2::ErrorRepeatOp: code = "invalid nested repetition operator"; break;
    case re2::RE2::ErrorBadPerlOp: code = "invalid or unsupported Perl syntax"; break;
    case re2::RE2::ErrorBadUTF8: code = "invalid UTF-8"; break;
    case re2::RE2::ErrorBadNamedCapture: code = "invalid named capture"; break;
    case re2::RE2::ErrorPatternTooLarge: code = "expression too large"; break;
    default: break;
  }
  std::string arg = re.error_arg();
  if (re.error_code() == re2::RE2::ErrorMissingParen && arg.empty()) arg = re.pattern();
  return "error parsing regexp: " + std::string(code) + ": `" + arg + "`";
}

bool MatchersEqual(const Matchers& a, const Matchers& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].type != b[i].type || a[i].value != b[i].value) return false;
  }
  return true;
}

// Go's time.Time.Unix() of a millisecond time: whole seconds, rounded down.
int64_t UnixSeconds(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

// silence.canUpdate.
bool CanUpdate(const Silence& a, const Silence& b, int64_t now) {
  if (!MatchersEqual(a.matchers, b.matchers)) return false;
  switch (SilenceStateAt(a, now)) {
    case SilenceState::kActive:
      return UnixSeconds(b.starts_at_ms) == UnixSeconds(a.starts_at_ms) && b.ends_at_ms >= now;
    case SilenceState::kPending:
      return b.starts_at_ms >= now;
    case SilenceState::kExpired:
      return false;
  }
  return false;
}

}  // namespace

SilenceState SilenceStateAt(const Silence& s, int64_t now_ms) {
  if (now_ms < s.starts_at_ms) return SilenceState::kPending;
  if (now_ms < s.ends_at_ms) return SilenceState::kActive;
  return SilenceState::kExpired;
}

const char* SilenceStateName(SilenceState st) {
  switch (st) {
    case SilenceState::kActive: return "active";
    case SilenceState::kPending: return "pending";
    case SilenceState::kExpired: return "expired";
  }
  return "expired";
}

std::string ValidateSilence(const Silence& s) {
  if (s.matchers.empty()) return "at least one matcher required";
  bool all_match_empty = true;
  for (size_t i = 0; i < s.matchers.size(); ++i) {
    const Matcher& m = s.matchers[i];
    const std::string prefix = "invalid label matcher " + std::to_string(i) + ": ";
    if (!ValidLabelName(m.name)) return prefix + "invalid label name " + GoQuote(m.name);
    bool matches_empty = false;
    if (m.type == Matcher::Type::kEqual || m.type == Matcher::Type::kNotEqual) {
      if (!ValidUtf8(m.value)) return prefix + "invalid label value " + GoQuote(m.value);
      matches_empty = m.type == Matcher::Type::kEqual && m.value.empty();
    } else {
      re2::RE2::Options o;
      o.set_log_errors(false);
      re2::RE2 re(m.value, o);  // unanchored, as regexp.Compile
      if (!re.ok()) {
        return prefix + "invalid regular expression " + GoQuote(m.value) + ": " + GoRegexpError(re);
      }
      // matchesEmpty: regexp.MatchString(pattern, "") (unanchored), only for =~.
      matches_empty = m.type == Matcher::Type::kRegexp && re2::RE2::PartialMatch("", re);
    }
    all_match_empty = all_match_empty && matches_empty;
  }
  if (all_match_empty) return "at least one matcher must not match the empty string";
  if (s.ends_at_ms < s.starts_at_ms) return "end time must not be before start time";
  return "";
}

std::string NewUuidV4() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  uint8_t b[16];
  for (int i = 0; i < 16; i += 8) {
    const uint64_t v = rng();
    for (int k = 0; k < 8; ++k) b[i + k] = static_cast<uint8_t>(v >> (8 * k));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

bool LooksLikeUuid(std::string_view s) {
  size_t digits = 0;
  const int groups[] = {8, 4, 4, 4, 12};
  size_t pos = 0;
  for (int g = 0; g < 5; ++g) {
    if (g > 0 && pos < s.size() && s[pos] == '-') ++pos;
    for (int k = 0; k < groups[g]; ++k, ++pos, ++digits) {
      if (pos >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[pos]))) return false;
    }
  }
  return pos == s.size() && digits == 32;
}

std::string EncodeSilence(const Silence& s) {
  std::string out;
  out.push_back(static_cast<char>(kRecordVersion));
  PutString(out, s.id);
  PutVarint(out, s.matchers.size());
  for (const Matcher& m : s.matchers) {
    out.push_back(static_cast<char>(m.type));
    PutString(out, m.name);
    PutString(out, m.value);
  }
  PutVarint(out, ZigZag(s.starts_at_ms));
  PutVarint(out, ZigZag(s.ends_at_ms));
  PutVarint(out, ZigZag(s.updated_at_ms));
  PutString(out, s.created_by);
  PutString(out, s.comment);
  return out;
}

bool DecodeSilence(std::string_view payload, Silence* s) {
  Decoder d(payload);
  uint8_t version;
  std::string_view id, created_by, comment;
  uint64_t n;
  if (!d.Byte(&version) || version != kRecordVersion || !d.LengthPrefixed(&id) ||
      !d.Varint(&n) || n > d.remaining()) {
    return false;
  }
  s->id = std::string(id);
  s->matchers.clear();
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t type;
    std::string_view name, value;
    if (!d.Byte(&type) || type > 3 || !d.LengthPrefixed(&name) || !d.LengthPrefixed(&value))
      return false;
    auto m = Matcher::Make(std::string(name), static_cast<Matcher::Type>(type), std::string(value));
    if (!m.ok()) return false;
    s->matchers.push_back(std::move(*m));
  }
  uint64_t starts, ends, updated;
  if (!d.Varint(&starts) || !d.Varint(&ends) || !d.Varint(&updated) ||
      !d.LengthPrefixed(&created_by) || !d.LengthPrefixed(&comment) || d.remaining() != 0) {
    return false;
  }
  s->starts_at_ms = UnZigZag(starts);
  s->ends_at_ms = UnZigZag(ends);
  s->updated_at_ms = UnZigZag(updated);
  s->created_by = std::string(created_by);
  s->comment = std::string(comment);
  return true;
}

Silences::Silences(SilencesOptions options)
    : opts_(std::move(options)), clock_(opts_.clock ? opts_.clock : SystemClock::Get()) {}

Result<std::unique_ptr<Silences>> Silences::Open(SilencesOptions options) {
  std::unique_ptr<Silences> s(new Silences(std::move(options)));
  PW_RETURN_IF_ERROR(s->Load());
  return s;
}

Status Silences::Load() {
  if (opts_.file.empty()) return Status::Ok();
  auto records = ReadSnapshot(opts_.file, kMagic);
  if (!records.ok()) return records.status();
  std::lock_guard lock(mu_);
  silences_.clear();
  for (const std::string& r : *records) {
    Silence s;
    if (!DecodeSilence(r, &s)) return DataLoss(opts_.file.string() + ": undecodable silence");
    silences_[s.id] = std::move(s);
  }
  ++version_;
  return Status::Ok();
}

Status Silences::Persist() {
  if (opts_.file.empty()) return Status::Ok();
  std::vector<std::string> records;
  {
    std::lock_guard lock(mu_);
    records.reserve(silences_.size());
    for (const auto& [id, s] : silences_) records.push_back(EncodeSilence(s));
  }
  std::sort(records.begin(), records.end());  // a stable file for a given state
  Status st = WriteSnapshot(opts_.file, kMagic, records);
  dirty_ = !st.ok();
  if (!st.ok()) {
    PW_LOG_ERROR("alertmanager: writing silences failed", "err={}", LogQuote(st.ToString()));
  }
  return st;
}

Result<std::string> Silences::Set(Silence s) {
  std::lock_guard write_lock(write_mu_);
  std::string id;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMs();
    auto prev = s.id.empty() ? silences_.end() : silences_.find(s.id);
    if (!s.id.empty() && prev == silences_.end()) return NotFound("silence not found");
    s.updated_at_ms = now;
    if (prev != silences_.end() && CanUpdate(prev->second, s, now)) {
      if (std::string err = ValidateSilence(s); !err.empty())
        return InvalidArgument("silence invalid: " + err);
      prev->second = std::move(s);
      id = prev->first;
    } else {
      Silence fresh = std::move(s);
      fresh.id = NewUuidV4();
      if (fresh.starts_at_ms < now) fresh.starts_at_ms = now;
      if (std::string err = ValidateSilence(fresh); !err.empty())
        return InvalidArgument("silence invalid: " + err);
      if (prev != silences_.end()) (void)ExpireLocked(prev->first, now);
      id = fresh.id;
      silences_[id] = std::move(fresh);
    }
    ++version_;
  }
  PW_RETURN_IF_ERROR(Persist());
  return id;
}

Status Silences::ExpireLocked(const std::string& id, int64_t now) {
  auto it = silences_.find(id);
  if (it == silences_.end()) return NotFound("silence not found");
  Silence& s = it->second;
  switch (SilenceStateAt(s, now)) {
    case SilenceState::kExpired:
      return Status::Ok();
    case SilenceState::kActive:
      s.ends_at_ms = now;
      break;
    case SilenceState::kPending:
      s.starts_at_ms = now;
      s.ends_at_ms = now;
      break;
  }
  s.updated_at_ms = now;
  ++version_;
  return Status::Ok();
}

Status Silences::Expire(const std::string& id) {
  std::lock_guard write_lock(write_mu_);
  uint64_t before;
  {
    std::lock_guard lock(mu_);
    before = version_;
    PW_RETURN_IF_ERROR(ExpireLocked(id, clock_->NowMs()));
    if (version_ == before && !dirty_) return Status::Ok();  // already expired
  }
  return Persist();
}

std::optional<Silence> Silences::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return std::nullopt;
  return it->second;
}

std::vector<Silence> Silences::List() const {
  std::lock_guard lock(mu_);
  std::vector<Silence> out;
  out.reserve(silences_.size());
  for (const auto& [id, s] : silences_) out.push_back(s);
  return out;
}

std::vector<std::string> Silences::MutedBy(const LabelSet& labels, int64_t now_ms) const {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, s] : silences_) {
    if (SilenceStateAt(s, now_ms) == SilenceState::kActive && MatchesAll(s.matchers, labels))
      out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Silences::Counts Silences::CountAt(int64_t now_ms) const {
  Counts c;
  std::lock_guard lock(mu_);
  for (const auto& [id, s] : silences_) {
    switch (SilenceStateAt(s, now_ms)) {
      case SilenceState::kActive:
        ++c.active;
        c.next_change_ms = std::min(c.next_change_ms, s.ends_at_ms);
        break;
      case SilenceState::kPending:
        ++c.pending;
        c.next_change_ms = std::min(c.next_change_ms, s.starts_at_ms);
        break;
      case SilenceState::kExpired:
        ++c.expired;
        if (s.ends_at_ms <= INT64_MAX - opts_.retention_ms)
          c.next_change_ms = std::min(c.next_change_ms, s.ends_at_ms + opts_.retention_ms);
        break;
    }
  }
  return c;
}

size_t Silences::GarbageCollect(int64_t now_ms) {
  std::lock_guard write_lock(write_mu_);
  size_t n = 0;
  {
    std::lock_guard lock(mu_);
    for (auto it = silences_.begin(); it != silences_.end();) {
      const int64_t end = it->second.ends_at_ms;
      const bool gone = end <= INT64_MAX - opts_.retention_ms && end + opts_.retention_ms <= now_ms;
      if (gone) {
        it = silences_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    if (n > 0) ++version_;
  }
  if (n > 0 || dirty_) (void)Persist();
  return n;
}

Status Silences::Flush() {
  std::lock_guard write_lock(write_mu_);
  if (!dirty_) return Status::Ok();
  return Persist();
}

uint64_t Silences::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

}  // namespace perfwatch::alert
