#include "synthetic/browser/cdp_message.h"

#include <simdjson.h>

#include <charconv>

namespace perfwatch::synthetic::browser {
namespace {

// CDP messages are small except screenshots (a few MB of base64); refuse absurd ones.
constexpr size_t kMaxMessageBytes = 256u << 20;

}  // namespace

bool ParseCdpMessage(std::string_view text, CdpMessage* out, std::string* why) {
  *out = CdpMessage{};
  if (text.size() > kMaxMessageBytes) {
    *why = "message too large";
    return false;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::padded_string padded(text);
  if (auto err = parser.parse(padded).get(root)) {
    *why = std::string("invalid JSON: ") + simdjson::error_message(err);
    return false;
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    *why = "not a JSON object";
    return false;
  }
  simdjson::dom::element v;
  if (!obj["sessionId"].get(v)) {
    std::string_view s;
    if (v.get_string().get(s)) {
      *why = "sessionId is not a string";
      return false;
    }
    out->session_id = std::string(s);
  }
  if (!obj["id"].get(v)) {
    int64_t id = -1;
    uint64_t uid = 0;
    if (!v.get_int64().get(id)) {
    } else if (!v.get_uint64().get(uid)) {
      id = -1;  // beyond int64: never one of ours
    } else {
      *why = "id is not an integer";
      return false;
    }
    if (id < 0) {
      *why = "id is negative or too large";
      return false;
    }
    out->id = id;
    simdjson::dom::element r;
    if (!obj["error"].get(r)) {
      out->is_error = true;
      int64_t code = 0;
      std::string_view msg;
      if (r.is_object()) {
        if (r["code"].get_int64().get(code)) code = 0;
        if (r["message"].get_string().get(msg)) msg = {};
      }
      out->error = std::to_string(code) + " " + std::string(msg);
      out->payload = "{}";
      return true;
    }
    out->payload = obj["result"].get(r) ? std::string("{}") : simdjson::minify(r);
    return true;
  }
  if (!obj["method"].get(v)) {
    std::string_view m;
    if (v.get_string().get(m) || m.empty()) {
      *why = "method is not a non-empty string";
      return false;
    }
    out->method = std::string(m);
    simdjson::dom::element p;
    out->payload = obj["params"].get(p) ? std::string("{}") : simdjson::minify(p);
    return true;
  }
  *why = "neither a response (id) nor an event (method)";
  return false;
}

struct CdpJson::Impl {
  simdjson::padded_string input;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool ok = false;

  bool Find(std::string_view path, simdjson::dom::element* out) const {
    if (!ok) return false;
    simdjson::dom::element cur = root;
    while (!path.empty()) {
      const size_t dot = path.find('.');
      const std::string_view key = path.substr(0, dot);
      path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
      if (cur.is_array()) {
        size_t index = 0;
        auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
        if (ec != std::errc() || end != key.data() + key.size()) return false;
        if (cur.at(index).get(cur)) return false;
      } else if (cur.is_object()) {
        if (cur[key].get(cur)) return false;
      } else {
        return false;
      }
    }
    *out = cur;
    return true;
  }
};

CdpJson::CdpJson(std::string_view json) : impl_(std::make_unique<Impl>()) {
  impl_->input = simdjson::padded_string(json);
  impl_->ok = !impl_->parser.parse(impl_->input).get(impl_->root);
}
CdpJson::~CdpJson() = default;
bool CdpJson::valid() const { return impl_->ok; }

std::optional<std::string> CdpJson::String(std::string_view path) const {
  simdjson::dom::element e;
  std::string_view s;
  if (!impl_->Find(path, &e) || e.get_string().get(s)) return std::nullopt;
  return std::string(s);
}

std::optional<double> CdpJson::Number(std::string_view path) const {
  simdjson::dom::element e;
  double d = 0;
  if (!impl_->Find(path, &e) || e.get_double().get(d)) return std::nullopt;  // get_double accepts integers
  return d;
}

std::optional<bool> CdpJson::Bool(std::string_view path) const {
  simdjson::dom::element e;
  bool b = false;
  if (!impl_->Find(path, &e) || e.get_bool().get(b)) return std::nullopt;
  return b;
}

std::optional<std::string> CdpJson::Raw(std::string_view path) const {
  simdjson::dom::element e;
  if (!impl_->Find(path, &e)) return std::nullopt;
  return simdjson::minify(e);
}

size_t CdpJson::ArraySize(std::string_view path) const {
  simdjson::dom::element e;
  simdjson::dom::array a;
  if (!impl_->Find(path, &e) || e.get_array().get(a)) return 0;
  return a.size();
}

}  // namespace perfwatch::synthetic::browser
