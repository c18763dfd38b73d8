// Alertmanager API v2 for silences: the POST body parser (ParsePostableSilence, declared in
// silences.h) and the handlers of POST /api/v2/silences, GET /api/v2/silences and
// GET / DELETE /api/v2/silence/{silenceID}, answering as Alertmanager 0.25 does.
// Contract: silences.h, alertmanager.h; reference: Alertmanager's api/v2/api.go.
#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "alert/alertmanager_impl.h"
#include "alert/am_api.h"
#include "alert/am_format.h"
#include "alert/silences.h"
#include "common/log.h"
#include "common/time.h"

namespace perfwatch::alert {
namespace {

namespace dom = simdjson::dom;

std::string GoJsonTypeName(const dom::element& e) {
  switch (e.type()) {
    case dom::element_type::ARRAY: return "array";
    case dom::element_type::OBJECT: return "object";
    case dom::element_type::STRING: return "string";
    case dom::element_type::BOOL: return "bool";
    case dom::element_type::NULL_VALUE: return "null";
    default: return "number";
  }
}

bool KeyIs(std::string_view key, std::string_view lower_name) {
  if (key.size() != lower_name.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(key[i])) != lower_name[i]) return false;
  }
  return true;
}

PostableSilenceParse Fail(int status, std::string body) {
  PostableSilenceParse r;
  r.error_status = status;
  r.error_body = std::move(body);
  return r;
}

PostableSilenceParse ParseFailure(std::string_view because) {
  return Fail(400, OpenApiErrorJson(400, "parsing silence body from \"\" failed, because " +
                                             std::string(because)));
}

std::string TypeError(const dom::element& e, std::string_view field, std::string_view go_type) {
  return "json: cannot unmarshal " + GoJsonTypeName(e) + " into Go struct field " +
         std::string(field) + " of type " + std::string(go_type);
}

// A *string field: null leaves it unset.
std::string ParseOptString(const dom::element& e, std::string_view field, std::string* out,
                           bool* present) {
  if (e.is_null()) {
    *present = false;
    return "";
  }
  if (!e.is_string()) return TypeError(e, field, "string");
  *out = std::string(std::string_view(e));
  *present = true;
  return "";
}

std::string ParseOptBool(const dom::element& e, std::string_view field, bool* out, bool* present) {
  if (e.is_null()) {
    *present = false;
    return "";
  }
  if (!e.is_bool()) return TypeError(e, field, "bool");
  *out = bool(e);
  *present = true;
  return "";
}

// A *strfmt.DateTime: null leaves it unset; "" is the Unix epoch (strfmt.ParseDateTime).
std::string ParseOptTime(const dom::element& e, int64_t* ms, bool* present) {
  if (e.is_null()) {
    *present = false;
    return "";
  }
  if (!e.is_string()) return "json: cannot unmarshal " + GoJsonTypeName(e) + " into Go value of type string";
  std::string_view s = e;
  *present = true;
  if (s.empty()) {
    *ms = 0;
    return "";
  }
  const bool looks_like_date = s.size() >= 10 && s[4] == '-' && s[7] == '-';
  auto parsed = looks_like_date ? ParseTimeMs(s) : Result<int64_t>(InvalidArgument("not a date-time"));
  if (!parsed.ok())
    return "parsing time " + GoQuote(s) + " as \"2006-01-02T15:04:05.000Z07:00\": cannot parse";
  *ms = *parsed;
  return "";
}

struct RawMatcher {
  bool is_null = true;
  std::string name, value;
  bool has_name = false, has_value = false, has_is_regex = false, has_is_equal = false;
  bool is_regex = false, is_equal = true;
};

std::string ParseMatcherObject(const dom::element& e, RawMatcher* m) {
  if (e.is_null()) return "";
  if (!e.is_object())
    return "json: cannot unmarshal " + GoJsonTypeName(e) + " into Go value of type models.Matcher";
  m->is_null = false;
  for (auto [key, value] : dom::object(e)) {
    std::string err;
    if (KeyIs(key, "name")) {
      err = ParseOptString(value, "Matcher.name", &m->name, &m->has_name);
    } else if (KeyIs(key, "value")) {
      err = ParseOptString(value, "Matcher.value", &m->value, &m->has_value);
    } else if (KeyIs(key, "isregex")) {
      err = ParseOptBool(value, "Matcher.isRegex", &m->is_regex, &m->has_is_regex);
    } else if (KeyIs(key, "isequal")) {
      err = ParseOptBool(value, "Matcher.isEqual", &m->is_equal, &m->has_is_equal);
    }
    if (!err.empty()) return err;
  }
  if (!m->has_is_equal) m->is_equal = true;
  return "";
}

void WriteStringError(http::Response& res, int status, std::string_view message) {
  res.status = status;
  res.content_type = "application/json";
  res.body.clear();
  AppendGoJsonString(res.body, message);
  res.body += "\n";
}

void WriteOpenApiError(http::Response& res, int status, int code, std::string_view message) {
  res.status = status;
  res.content_type = "application/json";
  res.body = OpenApiErrorJson(code, message) + "\n";
}

void AppendGettableSilence(std::string& out, const Silence& s, int64_t now) {
  out += "{\"id\":";
  AppendGoJsonString(out, s.id);
  out += ",\"status\":{\"state\":\"";
  out += SilenceStateName(SilenceStateAt(s, now));
  out += "\"},\"updatedAt\":\"" + FormatApiTime(s.updated_at_ms) + "\",\"comment\":";
  AppendGoJsonString(out, s.comment);
  out += ",\"createdBy\":";
  AppendGoJsonString(out, s.created_by);
  out += ",\"endsAt\":\"" + FormatApiTime(s.ends_at_ms) + "\",\"matchers\":[";
  for (size_t i = 0; i < s.matchers.size(); ++i) {
    const Matcher& m = s.matchers[i];
    if (i > 0) out += ",";
    const bool eq = m.type == Matcher::Type::kEqual || m.type == Matcher::Type::kRegexp;
    const bool re = m.type == Matcher::Type::kRegexp || m.type == Matcher::Type::kNotRegexp;
    out += std::string("{\"isEqual\":") + (eq ? "true" : "false") +
           ",\"isRegex\":" + (re ? "true" : "false") + ",\"name\":";
    AppendGoJsonString(out, m.name);
    out += ",\"value\":";
    AppendGoJsonString(out, m.value);
    out += "}";
  }
  out += "],\"startsAt\":\"" + FormatApiTime(s.starts_at_ms) + "\"}";
}

// api.CheckSilenceMatchesFilterLabels: every filter matcher equals (name, type, value)
// one of the silence's matchers.
bool SilenceMatchesFilter(const Silence& s, const Matchers& filter) {
  for (const Matcher& f : filter) {
    const bool found = std::any_of(s.matchers.begin(), s.matchers.end(), [&](const Matcher& m) {
      return m.name == f.name && m.type == f.type && m.value == f.value;
    });
    if (!found) return false;
  }
  return true;
}

int StateOrder(SilenceState st) {
  switch (st) {
    case SilenceState::kActive: return 1;
    case SilenceState::kPending: return 2;
    case SilenceState::kExpired: return 3;
  }
  return 3;
}

// api.SortSilences: active by endsAt ascending, pending by startsAt ascending, expired by
// endsAt descending (ties by id, for a stable answer).
void SortSilences(std::vector<Silence>& sils, int64_t now) {
  std::sort(sils.begin(), sils.end(), [now](const Silence& a, const Silence& b) {
    const SilenceState sa = SilenceStateAt(a, now), sb = SilenceStateAt(b, now);
    if (sa != sb) return StateOrder(sa) < StateOrder(sb);
    int64_t ka = 0, kb = 0;
    switch (sa) {
      case SilenceState::kActive: ka = a.ends_at_ms, kb = b.ends_at_ms; break;
      case SilenceState::kPending: ka = a.starts_at_ms, kb = b.starts_at_ms; break;
      case SilenceState::kExpired: ka = -a.ends_at_ms, kb = -b.ends_at_ms; break;
    }
    if (ka != kb) return ka < kb;
    return a.id < b.id;
  });
}

void HandlePostSilences(Alertmanager::Impl& impl, const http::Request& req, http::Response& res) {
  PostableSilenceParse parsed = ParsePostableSilence(req.body);
  if (parsed.error_status != 0) {
    res.status = parsed.error_status;
    res.content_type = "application/json";
    res.body = std::move(parsed.error_body) + "\n";
    return;
  }
  Silence& s = parsed.silence;
  if (s.starts_at_ms >= s.ends_at_ms) {
    WriteStringError(res, 400, "Failed to create silence: start time must be before end time");
    return;
  }
  if (s.ends_at_ms < impl.clock->NowMs()) {
    WriteStringError(res, 400, "Failed to create silence: end time can't be in the past");
    return;
  }
  Result<std::string> id = impl.silences->Set(std::move(s));
  if (!id.ok()) {
    const Status& st = id.status();
    PW_LOG_WARN("Failed to create silence", "err={}", LogQuote(st.message()));
    const int code = st.code() == StatusCode::kNotFound       ? 404
                     : st.code() == StatusCode::kInvalidArgument ? 400
                                                                 : 500;
    WriteStringError(res, code, st.message());
    return;
  }
  impl.Wake();
  res.status = 200;
  res.content_type = "application/json";
  res.body = "{\"silenceID\":";
  AppendGoJsonString(res.body, *id);
  res.body += "}\n";
}

void HandleGetSilences(Alertmanager::Impl& impl, const http::Request& req, http::Response& res) {
  Matchers filter;
  for (const std::string& text : req.Params("filter")) {
    auto m = ParseMatcher(text);
    if (!m.ok()) {
      WriteStringError(res, 400, m.status().message());
      return;
    }
    filter.push_back(std::move(*m));
  }
  const int64_t now = impl.clock->NowMs();
  std::vector<Silence> sils = impl.silences->List();
  std::erase_if(sils, [&](const Silence& s) { return !SilenceMatchesFilter(s, filter); });
  SortSilences(sils, now);
  std::string out = "[";
  for (size_t i = 0; i < sils.size(); ++i) {
    if (i > 0) out += ",";
    AppendGettableSilence(out, sils[i], now);
  }
  out += "]\n";
  res.status = 200;
  res.content_type = "application/json";
  res.body = std::move(out);
}

constexpr std::string_view kSilencePrefix = "/api/v2/silence/";

// The {silenceID} of the path, or false after answering as go-swagger does.
bool SilenceIdParam(const http::Request& req, http::Response& res, std::string* id) {
  std::string_view rest = std::string_view(req.path).substr(kSilencePrefix.size());
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    WriteOpenApiError(res, 404, 404, "path " + std::string(req.path) + " was not found");
    return false;
  }
  if (!LooksLikeUuid(rest)) {
    WriteOpenApiError(res, 422, 601,
                      "silenceID in path must be of type strfmt.UUID: " + GoQuote(rest));
    return false;
  }
  *id = std::string(rest);
  return true;
}

void HandleGetSilence(Alertmanager::Impl& impl, const http::Request& req, http::Response& res) {
  std::string id;
  if (!SilenceIdParam(req, res, &id)) return;
  std::optional<Silence> s = impl.silences->Get(id);
  if (!s) {
    res.status = 404;
    res.content_type.clear();
    res.body.clear();
    return;
  }
  res.status = 200;
  res.content_type = "application/json";
  res.body.clear();
  AppendGettableSilence(res.body, *s, impl.clock->NowMs());
  res.body += "\n";
}

void HandleDeleteSilence(Alertmanager::Impl& impl, const http::Request& req, http::Response& res) {
  std::string id;
  if (!SilenceIdParam(req, res, &id)) return;
  if (Status st = impl.silences->Expire(id); !st.ok()) {
    // Alertmanager 0.25 answers every Expire error, "silence not found" included, with 500.
    PW_LOG_WARN("Failed to expire silence", "err={}", LogQuote(st.message()));
    WriteStringError(res, 500, st.message());
    return;
  }
  impl.Wake();
  res.status = 200;
  res.content_type.clear();
  res.body.clear();
}

}  // namespace

PostableSilenceParse ParsePostableSilence(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return Fail(422, OpenApiErrorJson(602, "silence in body is required"));
  dom::parser parser;
  simdjson::padded_string padded(body);
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err) return ParseFailure(simdjson::error_message(err));
  PostableSilenceParse r;
  bool has_comment = false, has_created_by = false, has_starts = false, has_ends = false;
  bool has_matchers = false;
  std::vector<RawMatcher> raw;
  if (!root.is_null()) {
    if (!root.is_object()) {
      return ParseFailure("json: cannot unmarshal " + GoJsonTypeName(root) +
                          " into Go value of type models.PostableSilence");
    }
    for (auto [key, value] : dom::object(root)) {
      std::string err;
      bool present = false;
      if (KeyIs(key, "id")) {
        r.silence.id.clear();
        err = ParseOptString(value, "PostableSilence.id", &r.silence.id, &present);
      } else if (KeyIs(key, "comment")) {
        err = ParseOptString(value, "Silence.comment", &r.silence.comment, &has_comment);
      } else if (KeyIs(key, "createdby")) {
        err = ParseOptString(value, "Silence.createdBy", &r.silence.created_by, &has_created_by);
      } else if (KeyIs(key, "startsat")) {
        err = ParseOptTime(value, &r.silence.starts_at_ms, &has_starts);
      } else if (KeyIs(key, "endsat")) {
        err = ParseOptTime(value, &r.silence.ends_at_ms, &has_ends);
      } else if (KeyIs(key, "matchers")) {
        raw.clear();
        has_matchers = false;
        if (value.is_array()) {
          has_matchers = true;
          for (dom::element item : dom::array(value)) {
            RawMatcher m;
            err = ParseMatcherObject(item, &m);
            if (!err.empty()) break;
            raw.push_back(std::move(m));
          }
        } else if (!value.is_null()) {
          err = "json: cannot unmarshal " + GoJsonTypeName(value) +
                " into Go struct field Silence.matchers of type models.Matchers";
        }
      }
      if (!err.empty()) return ParseFailure(err);
    }
  }
  // go-swagger's validation; the first failure is the answer.
  auto required = [](const std::string& path) {
    return Fail(422, OpenApiErrorJson(602, path + " in body is required"));
  };
  if (!has_comment) return required("comment");
  if (!has_created_by) return required("createdBy");
  if (!has_ends) return required("endsAt");
  if (!has_matchers) return required("matchers");
  if (raw.empty())
    return Fail(422, OpenApiErrorJson(612, "matchers in body should have at least 1 items"));
  for (size_t i = 0; i < raw.size(); ++i) {
    const std::string path = "matchers." + std::to_string(i);
    // A null entry is skipped by go-swagger and crashes Alertmanager's handler; refuse it.
    if (raw[i].is_null || !raw[i].has_is_regex) return required(path + ".isRegex");
    if (!raw[i].has_name) return required(path + ".name");
    if (!raw[i].has_value) return required(path + ".value");
  }
  if (!has_starts) return required("startsAt");
  for (RawMatcher& m : raw) {
    Matcher::Type type = m.is_regex ? (m.is_equal ? Matcher::Type::kRegexp : Matcher::Type::kNotRegexp)
                                    : (m.is_equal ? Matcher::Type::kEqual : Matcher::Type::kNotEqual);
    auto made = Matcher::Make(m.name, type, m.value);
    if (made.ok()) {
      r.silence.matchers.push_back(std::move(*made));
    } else {
      Matcher bad;  // kept for ValidateSilence's message
      bad.name = std::move(m.name);
      bad.type = type;
      bad.value = std::move(m.value);
      r.silence.matchers.push_back(std::move(bad));
    }
  }
  return r;
}

void RegisterSilenceApi(Alertmanager::Impl& impl, http::Router& router) {
  Alertmanager::Impl* p = &impl;
  router.Handle("POST", "/api/v2/silences", [p](const http::Request& req, http::Response& res) {
    HandlePostSilences(*p, req, res);
  }, {.scope = http::Scope::kAlert});
  router.Handle("GET", "/api/v2/silences", [p](const http::Request& req, http::Response& res) {
    HandleGetSilences(*p, req, res);
  }, {.scope = http::Scope::kRead});
  router.HandlePrefix("GET", std::string(kSilencePrefix), [p](const http::Request& req, http::Response& res) {
    HandleGetSilence(*p, req, res);
  }, {.metric_label = "/api/v2/silence/{id}", .scope = http::Scope::kRead});
  router.HandlePrefix("DELETE", std::string(kSilencePrefix), [p](const http::Request& req, http::Response& res) {
    HandleDeleteSilence(*p, req, res);
  }, {.metric_label = "/api/v2/silence/{id}", .scope = http::Scope::kAlert});
}

}  // namespace perfwatch::alert
