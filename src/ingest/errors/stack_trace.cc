#include "ingest/errors/stack_trace.h"

#include <algorithm>

namespace perfwatch::ingest::errors {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Parses a trailing ":digits" of `*s` into *out and removes it. Values are capped so that
// absurd inputs do not overflow.
bool TakeTrailingNumber(std::string_view* s, int64_t* out) {
  size_t end = s->size();
  size_t i = end;
  while (i > 0 && IsDigit((*s)[i - 1])) --i;
  if (i == end || i == 0 || (*s)[i - 1] != ':') return false;
  int64_t v = 0;
  for (size_t k = i; k < end; ++k) v = std::min<int64_t>(v * 10 + ((*s)[k] - '0'), 1'000'000'000);
  *out = v;
  *s = s->substr(0, i - 1);
  return true;
}

// "file:line:col", "file:line" or "file" into the frame.
void ParseLocation(std::string_view loc, StackFrame* f) {
  loc = Trim(loc);
  int64_t a = 0, b = 0;
  if (TakeTrailingNumber(&loc, &a)) {
    if (TakeTrailingNumber(&loc, &b)) {
      f->line = b;
      f->column = a;
    } else {
      f->line = a;
    }
  }
  f->file = std::string(loc);
}

// V8: the part after "at ".
bool ParseV8(std::string_view rest, StackFrame* f) {
  rest = Trim(rest);
  if (rest.empty()) return false;
  if (rest.back() == ')') {
    // "fn (location)": the location is in the last balanced parentheses.
    size_t depth = 0, open = std::string_view::npos;
    for (size_t i = rest.size(); i-- > 0;) {
      if (rest[i] == ')') ++depth;
      else if (rest[i] == '(' && --depth == 0) {
        open = i;
        break;
      }
    }
    if (open == std::string_view::npos) return false;
    std::string_view fn = Trim(rest.substr(0, open));
    std::string_view loc = rest.substr(open + 1, rest.size() - open - 2);
    // "eval at fn (file:1:2), <anonymous>:1:1": use the outer location.
    if (StartsWith(loc, "eval at ")) {
      size_t p = loc.find('(');
      size_t q = loc.find(')', p == std::string_view::npos ? 0 : p);
      if (p != std::string_view::npos && q != std::string_view::npos) loc = loc.substr(p + 1, q - p - 1);
    }
    if (StartsWith(fn, "async ")) fn.remove_prefix(6);
    f->function = std::string(fn);
    ParseLocation(loc, f);
    return true;
  }
  if (StartsWith(rest, "async ")) rest.remove_prefix(6);
  // Java without a space before '(' is handled by the caller; here a bare location.
  ParseLocation(rest, f);
  return true;
}

// Java: "pkg.Cls.fn(Cls.java:42)" (after "at ").
bool ParseJava(std::string_view rest, StackFrame* f) {
  size_t open = rest.find('(');
  if (open == std::string_view::npos || rest.back() != ')' || open == 0) return false;
  f->function = std::string(rest.substr(0, open));
  ParseLocation(rest.substr(open + 1, rest.size() - open - 2), f);
  return true;
}

// Python: `File "x.py", line 12, in fn`.
bool ParsePython(std::string_view line, StackFrame* f) {
  if (!StartsWith(line, "File \"")) return false;
  size_t q = line.find('"', 6);
  if (q == std::string_view::npos) return false;
  f->file = std::string(line.substr(6, q - 6));
  std::string_view rest = line.substr(q + 1);
  size_t l = rest.find("line ");
  if (l != std::string_view::npos) {
    int64_t v = 0;
    for (size_t i = l + 5; i < rest.size() && IsDigit(rest[i]); ++i) v = std::min<int64_t>(v * 10 + (rest[i] - '0'), 1'000'000'000);
    f->line = v;
  }
  size_t in = rest.find(", in ");
  if (in != std::string_view::npos) f->function = std::string(Trim(rest.substr(in + 5)));
  return true;
}

// Firefox/Safari: "fn@location" or "@location"; the location must look like one.
bool ParseGecko(std::string_view line, StackFrame* f) {
  size_t at = line.find('@');
  if (at == std::string_view::npos) return false;
  std::string_view loc = line.substr(at + 1);
  // A location has a scheme, a path or ends in :line(:col).
  bool looks = loc.find("://") != std::string_view::npos || loc.find('/') != std::string_view::npos ||
               (!loc.empty() && IsDigit(loc.back())) || loc == "[native code]";
  if (!looks || line.substr(0, at).find(' ') != std::string_view::npos) return false;
  f->function = std::string(line.substr(0, at));
  ParseLocation(loc, f);
  return true;
}

}  // namespace

bool IsInAppFile(std::string_view file) {
  if (file.empty() || file == "<anonymous>" || file == "native" || file == "[native code]") return false;
  for (std::string_view p : {"chrome-extension://", "moz-extension://", "safari-extension://",
                             "safari-web-extension://", "node:", "internal/", "<anonymous>"}) {
    if (StartsWith(file, p)) return false;
  }
  for (std::string_view p : {"/node_modules/", "node_modules/", "\\node_modules\\", "/site-packages/",
                             "/dist-packages/", "/usr/local/go/src/", "/usr/lib/go/src/"}) {
    if (file.find(p) != std::string_view::npos) return false;
  }
  return true;
}

std::string CleanFrameFile(std::string_view file) {
  size_t scheme = file.find("://");
  if (scheme != std::string_view::npos && scheme > 0 && file.substr(0, scheme).find('/') == std::string_view::npos) {
    std::string_view rest = file.substr(scheme + 3);
    size_t slash = rest.find('/');
    file = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  file = file.substr(0, std::min(file.find('?'), file.find('#')));
  std::string out;
  out.reserve(file.size());
  size_t i = 0;
  while (i < file.size()) {
    char c = file[i];
    bool sep = c == '.' || c == '-' || c == '_';
    if (sep) {
      size_t j = i + 1;
      bool digit = false;
      while (j < file.size() && IsAlnum(file[j])) digit |= IsDigit(file[j++]);
      // A hash token is followed by another separator part (".js"), never ends the name.
      if (j - i - 1 >= 8 && digit && j < file.size() && (file[j] == '.' || file[j] == '-' || file[j] == '_')) {
        i = j;
        continue;
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

std::vector<StackFrame> ParseStackTrace(std::string_view stack, size_t max_frames) {
  std::vector<StackFrame> frames;
  bool python = false;
  StackFrame pending_go;  // Go: a function line waiting for its file line
  bool have_go = false;
  size_t pos = 0;
  while (pos <= stack.size() && frames.size() < max_frames) {
    size_t nl = stack.find('\n', pos);
    if (nl == std::string_view::npos) nl = stack.size();
    std::string_view raw = stack.substr(pos, nl - pos);
    pos = nl + 1;
    std::string_view line = Trim(raw);
    if (line.empty()) {
      if (nl == stack.size()) break;
      continue;
    }
    StackFrame f;
    if (have_go) {
      have_go = false;
      if (!raw.empty() && raw.front() == '\t' && line.find(".go:") != std::string_view::npos) {
        std::string_view loc = line.substr(0, line.find(" +0x"));
        f = pending_go;
        ParseLocation(loc, &f);
        f.in_app = IsInAppFile(f.file) && !StartsWith(f.function, "runtime.");
        frames.push_back(std::move(f));
        continue;
      }
    }
    bool ok = false;
    if (StartsWith(line, "at ")) {
      std::string_view rest = Trim(line.substr(3));
      size_t open = rest.find('(');
      // Java frames have no space before '(' and a "File.java:N" / "Native Method" location.
      ok = (open != std::string_view::npos && open > 0 && rest[open - 1] != ' ' && rest.find(' ') > open &&
            ParseJava(rest, &f)) ||
           ParseV8(rest, &f);
    } else if (ParsePython(line, &f)) {
      ok = python = true;
    } else if (ParseGecko(line, &f)) {
      ok = true;
    } else if (line.back() == ')' && line.find('(') != std::string_view::npos &&
               line.substr(0, line.find('(')).find(' ') == std::string_view::npos &&
               pos < stack.size() && stack[pos] == '\t') {
      pending_go = StackFrame{};
      pending_go.function = std::string(line.substr(0, line.find('(')));
      have_go = true;
      continue;
    }
    if (!ok) continue;
    f.in_app = IsInAppFile(f.file);
    frames.push_back(std::move(f));
  }
  if (python) std::reverse(frames.begin(), frames.end());
  return frames;
}

}  // namespace perfwatch::ingest::errors
