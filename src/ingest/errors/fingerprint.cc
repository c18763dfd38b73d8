#include "ingest/errors/fingerprint.h"

#include <algorithm>

#include "common/hex.h"

namespace perfwatch::ingest::errors {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsWordChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
// Characters that end a URL or an e-mail address.
bool EndsToken(char c) { return IsSpace(c) || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>' || c == ')' || c == ']' || c == ','; }

// Length of a UUID (8-4-4-4-12 hex) at s[i], or 0.
size_t UuidAt(std::string_view s, size_t i) {
  static constexpr int kGroups[] = {8, 4, 4, 4, 12};
  size_t j = i;
  for (int g = 0; g < 5; ++g) {
    for (int k = 0; k < kGroups[g]; ++k, ++j) {
      if (j >= s.size() || !IsHex(s[j])) return 0;
    }
    if (g < 4) {
      if (j >= s.size() || s[j] != '-') return 0;
      ++j;
    }
  }
  if (j < s.size() && IsWordChar(s[j])) return 0;
  return j - i;
}

// Length of a URL (scheme://...) starting at s[i], or 0.
size_t UrlAt(std::string_view s, size_t i) {
  size_t j = i;
  if (j >= s.size() || !IsAlpha(s[j])) return 0;
  while (j < s.size() && (IsAlpha(s[j]) || IsDigit(s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.')) ++j;
  if (s.substr(j, 3) != "://" || j - i > 32) return 0;
  j += 3;
  while (j < s.size() && !EndsToken(s[j])) ++j;
  // A trailing full stop or colon belongs to the sentence.
  while (j > i && (s[j - 1] == '.' || s[j - 1] == ':')) --j;
  return j - i;
}

bool IsEmailChar(char c) { return IsWordChar(c) || c == '.' || c == '-' || c == '+' || c == '%'; }

void CutUtf8(std::string& s, size_t max) {
  if (s.size() <= max) return;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

// Replaces placeholders-to-be inside a quoted string body: does the quote need "<str>"?
bool QuoteIsValue(std::string_view body) {
  if (body.size() > 40) return true;
  for (char c : body) {
    if (IsDigit(c) || IsSpace(c) || c == '/') return true;
  }
  return false;
}

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;
void Fnv(uint64_t& h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  h ^= 0xFF;  // field separator: ("ab","c") != ("a","bc")
  h *= kFnvPrime;
}

bool IsTypeName(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  for (char c : t) {
    if (!(IsWordChar(c) || c == '.' || c == '$')) return false;
  }
  if (!IsAlpha(t.front()) && t.front() != '_') return false;
  auto ends = [&](std::string_view suffix) {
    return t.size() >= suffix.size() && t.substr(t.size() - suffix.size()) == suffix;
  };
  return ends("Error") || ends("Exception") || t == "Panic" || t == "panic" || ends("Rejection");
}

}  // namespace

std::pair<std::string_view, std::string_view> SplitErrorType(std::string_view message) {
  std::string_view m = message;
  if (m.substr(0, 9) == "Uncaught ") m.remove_prefix(9);
  size_t colon = m.find(':');
  if (colon == std::string_view::npos) {
    // A bare type name ("TypeError") is a type without a message.
    std::string_view t = m;
    while (!t.empty() && IsSpace(t.back())) t.remove_suffix(1);
    if (IsTypeName(t)) return {t, {}};
    return {{}, message};
  }
  std::string_view t = m.substr(0, colon);
  if (!IsTypeName(t)) return {{}, message};
  std::string_view rest = m.substr(colon + 1);
  while (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
  return {t, rest};
}

std::string NormalizeErrorMessage(std::string_view s) {
  std::string out;
  out.reserve(std::min(s.size(), kMaxNormalizedMessageBytes + 16));
  size_t i = 0;
  auto prev_word = [&]() { return i > 0 && IsWordChar(s[i - 1]); };
  while (i < s.size() && out.size() <= kMaxNormalizedMessageBytes) {
    char c = s[i];
    if (IsSpace(c)) {
      while (i < s.size() && IsSpace(s[i])) ++i;
      if (!out.empty() && i < s.size()) out.push_back(' ');
      continue;
    }
    if (!prev_word()) {
      if (size_t n = UrlAt(s, i)) {
        out += "<url>";
        i += n;
        continue;
      }
      if (size_t n = UuidAt(s, i)) {
        out += "<uuid>";
        i += n;
        continue;
      }
      if (c == '0' && i + 2 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X') && IsHex(s[i + 2])) {
        i += 2;
        while (i < s.size() && IsHex(s[i])) ++i;
        out += "<hex>";
        continue;
      }
    }
    if (c == '@' && !out.empty() && i + 1 < s.size() && IsWordChar(s[i + 1])) {
      // An e-mail address: take back the local part already copied.
      size_t back = out.size();
      while (back > 0 && IsEmailChar(out[back - 1])) --back;
      size_t j = i + 1;
      bool dot = false;
      while (j < s.size() && IsEmailChar(s[j])) dot |= s[j++] == '.';
      if (back < out.size() && dot) {
        out.resize(back);
        out += "<email>";
        i = j;
        while (i > 0 && s[i - 1] == '.') --i;  // a trailing full stop stays
        continue;
      }
    }
    if (IsHex(c) && !prev_word()) {
      // A hex run of 8+ with a digit, standing alone: an id.
      size_t j = i;
      bool digit = false, alpha = false;
      while (j < s.size() && IsHex(s[j])) {
        digit |= IsDigit(s[j]);
        alpha |= !IsDigit(s[j]);
        ++j;
      }
      if (j - i >= 8 && digit && alpha && (j == s.size() || !IsWordChar(s[j]))) {
        out += "<hex>";
        i = j;
        continue;
      }
    }
    if (IsDigit(c) && !prev_word()) {
      size_t j = i;
      while (j < s.size() && (IsDigit(s[j]) || ((s[j] == '.' || s[j] == ',') && j + 1 < s.size() && IsDigit(s[j + 1]))))
        ++j;
      // Units glued to a number ("250ms", "3px") stay after the placeholder.
      out += "<n>";
      i = j;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      size_t close = s.find(c, i + 1);
      if (close != std::string_view::npos && close - i - 1 <= 1024) {
        std::string_view body = s.substr(i + 1, close - i - 1);
        if (QuoteIsValue(body) && body.find('\n') == std::string_view::npos) {
          out.push_back(c);
          out += "<str>";
          out.push_back(c);
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(c);
    ++i;
  }
  CutUtf8(out, kMaxNormalizedMessageBytes);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

ErrorFingerprint FingerprintError(std::string_view type, std::string_view message, std::string_view stack,
                                  std::string_view default_type) {
  ErrorFingerprint fp;
  auto [message_type, rest] = SplitErrorType(message);
  if (!message_type.empty() && (type.empty() || type == message_type)) {
    if (type.empty()) type = message_type;
    message = rest;
  }
  if (type.empty()) {
    std::string_view first = stack.substr(0, stack.find('\n'));
    auto [stack_type, stack_rest] = SplitErrorType(first);
    type = stack_type;
    if (message.empty()) message = stack_rest;
  }
  if (type.empty()) type = default_type;
  fp.type = std::string(type.substr(0, 128));
  fp.normalized_message = NormalizeErrorMessage(message);

  std::vector<StackFrame> frames = ParseStackTrace(stack);
  bool any_in_app = std::any_of(frames.begin(), frames.end(), [](const StackFrame& f) { return f.in_app; });
  for (StackFrame& f : frames) {
    if (fp.frames.size() == kFingerprintFrames) break;
    if (any_in_app && !f.in_app) continue;
    fp.frames.push_back(std::move(f));
  }
  uint64_t h = kFnvOffset;
  Fnv(h, fp.type);
  Fnv(h, fp.normalized_message);
  for (const StackFrame& f : fp.frames) {
    Fnv(h, f.function);
    Fnv(h, CleanFrameFile(f.file));
  }
  fp.fingerprint = Hex64(h);
  return fp;
}

}  // namespace perfwatch::ingest::errors
