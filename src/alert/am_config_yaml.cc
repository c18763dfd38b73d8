// Strict decoding of YAML values as Alertmanager's yaml.v2 (UnmarshalStrict) does it:
// which plain scalars are booleans and integers, the "cannot unmarshal" messages, unknown
// and repeated keys refused, and "line N: " positions on every error.
#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "alert/am_config_internal.h"
#include "alert/am_format.h"
#include "alert/rule_file.h"

namespace perfwatch::alert::amconfig {
namespace {

bool PlainBool(std::string_view s, bool* v) {
  static constexpr std::string_view kTrue[] = {"y",  "Y",  "yes",  "Yes",  "YES", "on",
                                               "On", "ON", "true", "True", "TRUE"};
  static constexpr std::string_view kFalse[] = {"n",   "N",   "no",    "No",    "NO",   "off",
                                                "Off", "OFF", "false", "False", "FALSE"};
  for (auto t : kTrue) {
    if (s == t) return *v = true, true;
  }
  for (auto f : kFalse) {
    if (s == f) return *v = false, true;
  }
  return false;
}

// An integer as yaml.v2 resolves one (Go's ParseInt with base 0 after removing '_').
// Returns false when `s` is not an integer; *negative tells the sign.
bool PlainUint(std::string_view text, uint64_t* v, bool* negative) {
  std::string s;
  for (char c : text) {
    if (c != '_') s += c;
  }
  *negative = false;
  std::string_view d = s;
  if (!d.empty() && (d[0] == '+' || d[0] == '-')) {
    *negative = d[0] == '-';
    d.remove_prefix(1);
  }
  if (d.empty()) return false;
  int base = 10;
  if (d.size() > 1 && d[0] == '0') {
    if (d[1] == 'x' || d[1] == 'X') {
      base = 16, d.remove_prefix(2);
    } else if (d[1] == 'b' || d[1] == 'B') {
      base = 2, d.remove_prefix(2);
    } else if (d[1] == 'o' || d[1] == 'O') {
      base = 8, d.remove_prefix(2);
    } else {
      base = 8, d.remove_prefix(1);
    }
    if (d.empty()) return false;
  }
  unsigned __int128 acc = 0;
  for (char c : d) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    if (digit >= base) return false;
    acc = acc * base + digit;
    if (acc > UINT64_MAX) return false;
  }
  *v = static_cast<uint64_t>(acc);
  return true;
}

// yaml.v2's short tag of a node, for "cannot unmarshal !!seq into string".
std::string ShortTag(const YAML::Node& n) {
  if (n.IsSequence()) return "!!seq";
  if (n.IsMap()) return "!!map";
  if (n.IsNull()) return "!!null";
  const std::string& tag = n.Tag();
  constexpr std::string_view kPrefix = "tag:yaml.org,2002:";
  if (std::string_view(tag).starts_with(kPrefix)) return "!!" + tag.substr(kPrefix.size());
  if (tag != "?") return "!!str";  // quoted or locally tagged
  const std::string& s = n.Scalar();
  bool b;
  uint64_t u;
  bool neg;
  if (PlainBool(s, &b)) return "!!bool";
  if (PlainUint(s, &u, &neg)) return "!!int";
  return "!!str";
}

}  // namespace

Status ErrAt(const YAML::Node& n, std::string_view msg) { return ErrAt(n.Mark(), msg); }

Status ErrAt(const YAML::Mark& mark, std::string_view msg) {
  std::string prefix = mark.line < 0 ? "" : "line " + std::to_string(mark.line + 1) + ": ";
  return InvalidArgument(prefix + std::string(msg));
}

Status TypeErr(const YAML::Node& n, std::string_view into) {
  std::string what = ShortTag(n);
  if (n.IsScalar()) what += " `" + n.Scalar() + "`";
  return ErrAt(n, "cannot unmarshal " + what + " into " + std::string(into));
}

// A string field: any scalar's text (yaml.v2 decodes 1, true, 1.5 into strings); null is "".
Status ReadString(const YAML::Node& n, std::string* out) {
  if (n.IsNull()) {
    out->clear();
    return Status::Ok();
  }
  if (!n.IsScalar()) return TypeErr(n, "string");
  *out = n.Scalar();
  return Status::Ok();
}

Status ReadBool(const YAML::Node& n, bool* out) {
  if (n.IsNull()) {
    *out = false;  // yaml.v2 sets the zero value
    return Status::Ok();
  }
  if (n.IsScalar() && (n.Tag() == "?" || n.Tag() == "tag:yaml.org,2002:bool") &&
      PlainBool(n.Scalar(), out)) {
    return Status::Ok();
  }
  return TypeErr(n, "bool");
}

Status ReadUint64(const YAML::Node& n, uint64_t* out) {
  if (n.IsNull()) {
    *out = 0;
    return Status::Ok();
  }
  bool negative = false;
  uint64_t v = 0;
  if (n.IsScalar() && n.Tag() == "?" && PlainUint(n.Scalar(), &v, &negative) &&
      (!negative || v == 0)) {
    *out = v;
    return Status::Ok();
  }
  return TypeErr(n, "uint64");
}

// A list of strings; null is empty.
Status ReadStringList(const YAML::Node& n, std::string_view type_name,
                      std::vector<std::string>* out) {
  out->clear();
  if (n.IsNull()) return Status::Ok();
  if (!n.IsSequence()) return TypeErr(n, type_name);
  for (const auto& item : n) {
    std::string s;
    PW_RETURN_IF_ERROR(ReadString(item, &s));
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

// Calls `fn(key_node, key, value)` for each entry of a mapping decoded strictly into
// `type_name`: unknown keys ("field x not found in type config.plain") and repeated keys
// are errors. A null node has no entries.
Status ForEachField(
    const YAML::Node& n, std::string_view type_name, std::initializer_list<std::string_view> known,
    const std::function<Status(const YAML::Node&, const std::string&, const YAML::Node&)>& fn) {
  if (n.IsNull()) return Status::Ok();
  if (!n.IsMap()) return TypeErr(n, type_name);
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string key;
    PW_RETURN_IF_ERROR(ReadString(kv.first, &key));
    if (!seen.insert(key).second) {
      return ErrAt(kv.first, "key " + GoQuote(key) + " already set in map");
    }
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return ErrAt(kv.first, "field " + key + " not found in type " + std::string(type_name));
    }
    PW_RETURN_IF_ERROR(fn(kv.first, key, kv.second));
  }
  return Status::Ok();
}

// A map[string]string, in document order.
Status ReadStringMap(const YAML::Node& n, std::string_view type_name,
                     std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  if (n.IsNull()) return Status::Ok();
  if (!n.IsMap()) return TypeErr(n, type_name);
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string key, value;
    PW_RETURN_IF_ERROR(ReadString(kv.first, &key));
    if (!seen.insert(key).second) {
      return ErrAt(kv.first, "key " + GoQuote(key) + " already set in map");
    }
    PW_RETURN_IF_ERROR(ReadString(kv.second, &value));
    out->emplace_back(std::move(key), std::move(value));
  }
  return Status::Ok();
}

Status ReadDuration(const YAML::Node& n, int64_t* ms) {
  std::string s;
  PW_RETURN_IF_ERROR(ReadString(n, &s));
  auto d = ParsePromDuration(s);  // model.ParseDuration, as Alertmanager
  if (!d.ok()) return ErrAt(n, d.status().message());
  *ms = *d;
  return Status::Ok();
}

}  // namespace perfwatch::alert::amconfig
