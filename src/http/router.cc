#include "http/router.h"

#include <poll.h>

#include <cstddef>

#include "common/json_writer.h"
#include "http/url.h"

namespace perfwatch::http {
namespace {

bool MethodMatches(std::string_view route_method, std::string_view method) {
  return route_method == method || (method == "HEAD" && route_method == "GET");
}

bool IsFormBody(const Request& req) {
  if (req.method != "POST" || req.body.empty()) return false;
  std::string_view ct = req.Header("Content-Type");
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  return ct.size() >= kForm.size() && EqualsIgnoreCase(ct.substr(0, kForm.size()), kForm) &&
         (ct.size() == kForm.size() || ct[kForm.size()] == ';' || ct[kForm.size()] == ' ');
}

}  // namespace

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

std::optional<std::string> Request::Param(std::string_view name) const {
  std::optional<std::string> out;
  auto take_first = [&](std::string_view, std::string_view raw_value) {
    out.emplace();
    PercentDecode(raw_value, *out);
    return false;  // stop
  };
  ForEachUrlParam(query, name, take_first);
  if (!out && IsFormBody(*this)) ForEachUrlParam(body, name, take_first);
  return out;
}

std::vector<std::string> Request::Params(std::string_view name) const {
  std::vector<std::string> out;
  auto take_all = [&](std::string_view, std::string_view raw_value) {
    PercentDecode(raw_value, out.emplace_back());
    return true;
  };
  ForEachUrlParam(query, name, take_all);
  if (IsFormBody(*this)) ForEachUrlParam(body, name, take_all);
  return out;
}

bool Request::ClientGone() const {
  if (client_fd < 0) return false;
  pollfd p{client_fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

void Router::Handle(std::string method, std::string path, Handler handler, RouteOptions options) {
  if (options.metric_label.empty()) options.metric_label = path;
  routes_.push_back(
      {std::move(method), std::move(path), false, std::move(handler), std::move(options)});
}

void Router::HandlePrefix(std::string method, std::string prefix, Handler handler,
                          RouteOptions options) {
  if (options.metric_label.empty()) options.metric_label = prefix;
  routes_.push_back(
      {std::move(method), std::move(prefix), true, std::move(handler), std::move(options)});
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  // Resolution order: an exact route for this method, then the longest prefix route for
  // this method; failing both, any route covering the path (exact first, then longest
  // prefix) makes the path "known" (405) and lends its options (CORS preflight).
  const Route* exact = nullptr;
  const Route* exact_other = nullptr;
  const Route* prefix = nullptr;
  const Route* prefix_other = nullptr;
  int exact_i = -1, prefix_i = -1, exact_other_i = -1, prefix_other_i = -1;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    if (!r.prefix) {
      if (r.path.size() != path.size() || r.path != path) continue;
      if (MethodMatches(r.method, method)) {
        exact = &r;
        exact_i = static_cast<int>(i);
        break;  // cannot be beaten
      }
      if (!exact_other) {
        exact_other = &r;
        exact_other_i = static_cast<int>(i);
      }
    } else {
      if (path.size() < r.path.size() || path.compare(0, r.path.size(), r.path) != 0) continue;
      if (MethodMatches(r.method, method)) {
        if (!prefix || r.path.size() > prefix->path.size()) {
          prefix = &r;
          prefix_i = static_cast<int>(i);
        }
      } else if (!prefix_other || r.path.size() > prefix_other->path.size()) {
        prefix_other = &r;
        prefix_other_i = static_cast<int>(i);
      }
    }
  }
  Match m;
  const Route* hit = exact ? exact : prefix;
  if (hit) {
    m.handler = &hit->handler;
    m.options = &hit->options;
    m.path_known = true;
    m.metric_label = hit->options.metric_label;
    m.route_index = exact ? exact_i : prefix_i;
    return m;
  }
  const Route* known = exact_other ? exact_other : prefix_other;
  if (known) {
    m.options = &known->options;
    m.path_known = true;
    m.metric_label = known->options.metric_label;
    m.route_index = exact_other ? exact_other_i : prefix_other_i;
    return m;
  }
  m.metric_label = "other";
  return m;
}

std::string Router::AllowedMethods(std::string_view path) const {
  // Methods of the routes that would serve `path`: exact routes, else prefix routes.
  std::string out;
  auto add = [&out](std::string_view m) {
    // Avoid duplicates such as two prefixes registering GET.
    size_t pos = 0;
    while (pos < out.size()) {
      size_t end = out.find(", ", pos);
      if (end == std::string::npos) end = out.size();
      if (std::string_view(out).substr(pos, end - pos) == m) return;
      pos = end + 2;
    }
    if (!out.empty()) out += ", ";
    out += m;
  };
  for (const Route& r : routes_) {
    bool covers = r.prefix ? path.substr(0, r.path.size()) == r.path : r.path == path;
    if (!covers) continue;
    add(r.method);
    if (r.method == "GET") add("HEAD");
  }
  return out;
}

std::string_view Router::RouteLabel(size_t index) const {
  return index < routes_.size() ? std::string_view(routes_[index].options.metric_label)
                                : std::string_view("other");
}

void WriteApiError(Response& res, int status, std::string_view error_type,
                   std::string_view message) {
  res.status = status;
  res.content_type = "application/json";
  res.stream = nullptr;
  res.body.clear();
  res.body += R"({"status":"error","errorType":)";
  AppendJsonString(res.body, error_type);
  res.body += R"(,"error":)";
  AppendJsonString(res.body, message);
  res.body += '}';
}

void WriteStoreError(Response& res, const Status& status) {
  if (status.code() == StatusCode::kUnavailable) return WriteApiError(res, 503, "unavailable", status.message());
  WriteApiError(res, 500, "internal", status.message());
}

}  // namespace perfwatch::http
