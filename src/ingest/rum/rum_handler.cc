#include "ingest/rum/rum_handler.h"

#include <simdjson.h>

#include <atomic>

#include "common/json_writer.h"
#include "common/log.h"
#include "common/time.h"
#include "http/url.h"
#include "ingest/rum/beacon_parser.h"

namespace perfwatch::ingest {
namespace {

std::atomic<uint64_t> next_handler_id{1};

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsValidUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

std::shared_ptr<const RouteTemplater> MakeTemplater(const RumConfig& config) {
  auto templater = RouteTemplater::Create(config.route_rules);
  if (templater.ok()) return std::move(templater).value();
  PW_LOG_ERROR("ignoring invalid RUM route rules", "error={}", LogQuote(templater.status().message()));
  return std::move(RouteTemplater::Create({})).value();
}

}  // namespace

struct RumHandler::Settings {
  RumConfig config;
  std::shared_ptr<const RouteTemplater> templater;
};

namespace {

void WriteRejection(http::Response& res, int status, RejectCode code, std::string reason) {
  BeaconRejection rejection{-1, code, std::move(reason)};
  res.status = status;
  res.content_type = "application/json";
  res.body = RumResponseBody(0, std::span(&rejection, 1));
}

}  // namespace

std::string RumResponseBody(size_t accepted, std::span<const BeaconRejection> errors) {
  std::string out;
  out.reserve(48 + errors.size() * 48);
  out.append("{\"accepted\":");
  AppendJsonInt(out, static_cast<long long>(accepted));
  out.append(",\"rejected\":");
  AppendJsonInt(out, static_cast<long long>(errors.size()));
  out.append(",\"errors\":[");
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i) out.push_back(',');
    out.append("{\"index\":");
    AppendJsonInt(out, errors[i].index);
    out.append(",\"reason\":");
    AppendJsonString(out, errors[i].reason);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

bool IsRumContentType(std::string_view content_type) {
  std::string_view media = TrimSpaces(content_type.substr(0, content_type.find(';')));
  return media.empty() || http::EqualsIgnoreCase(media, "application/json") ||
         http::EqualsIgnoreCase(media, "text/plain");
}

Result<std::unique_ptr<RumHandler>> RumHandler::Create(const RumConfig& config,
                                                       events::EventStore* store,
                                                       MetricsRegistry* metrics, RumAggregator* aggregator) {
  PW_RETURN_IF_ERROR(ValidateRouteRules(config.route_rules).WithContext("rum route_rules"));
  return std::make_unique<RumHandler>(config, store, metrics, aggregator);
}

Result<std::shared_ptr<const RumHandler::Settings>> RumHandler::Prepare(const RumConfig& config) {
  auto templater = RouteTemplater::Create(config.route_rules);
  if (!templater.ok()) return templater.status().WithContext("rum.route_rules");
  return std::make_shared<const Settings>(Settings{config, std::move(templater).value()});
}

void RumHandler::Apply(std::shared_ptr<const Settings> settings) {
  if (cors_) cors_->Set(settings->config.cors_allowed_origins);
  std::lock_guard lock(settings_mu_);
  settings_ = std::move(settings);
  generation_.fetch_add(1, std::memory_order_release);
}

BeaconParser& RumHandler::ThreadParser() {
  // One parser per worker thread, rebuilt when a different handler uses the thread or
  // Apply changed the settings.
  struct Slot {
    uint64_t owner = 0;
    uint64_t generation = 0;
    std::unique_ptr<BeaconParser> parser;
  };
  thread_local Slot slot;
  if (slot.owner != id_ || slot.generation != generation_.load(std::memory_order_acquire)) {
    std::shared_ptr<const Settings> settings;
    {
      std::lock_guard lock(settings_mu_);
      settings = settings_;
      slot.generation = generation_.load(std::memory_order_relaxed);
    }
    slot.parser = std::make_unique<BeaconParser>(settings->config, settings->templater);
    slot.owner = id_;
  }
  return *slot.parser;
}

RumHandler::RumHandler(const RumConfig& config, events::EventStore* store, MetricsRegistry* metrics,
                       RumAggregator* aggregator)
    : id_(next_handler_id.fetch_add(1)),
      settings_(std::make_shared<const Settings>(Settings{config, MakeTemplater(config)})),
      store_(store),
      aggregator_(aggregator) {
  if (metrics == nullptr) return;
  accepted_ = metrics->GetCounter("perfwatch_rum_beacons_accepted_total",
                                  "RUM beacons accepted and stored.");
  for (int c = 0; c < kRejectCodeCount; ++c) {
    rejected_[c] = metrics->GetCounter(
        "perfwatch_rum_beacons_rejected_total",
        "RUM beacons rejected, by reason (a rejected request body counts once).",
        {{"reason", std::string(RejectCodeName(static_cast<RejectCode>(c)))}});
  }
  append_failures_ = metrics->GetCounter("perfwatch_rum_append_failures_total",
                                         "RUM requests answered 503 because the event store failed.");
}

RumHandler::~RumHandler() = default;

void RumHandler::Register(http::Router& router, const std::vector<std::string>& cors_origins) {
  cors_ = std::make_shared<http::CorsOrigins>(cors_origins);
  router.Handle(
      "POST", "/api/rum", [this](const http::Request& req, http::Response& res) { Handle(req, res); },
      http::RouteOptions{.metric_label = "/api/rum",
                         .cors_allowed_origins = {},
                         .scope = http::Scope::kPublic,  // browsers cannot keep secrets
                         .route_class = http::RouteClass::kIngest,
                         .cors_origins = cors_});  // replaceable (Apply)
}

void RumHandler::Handle(const http::Request& req, http::Response& res) {
  std::string_view content_type = req.Header("Content-Type");
  if (!IsRumContentType(content_type)) {
    if (rejected_[0]) rejected_[static_cast<int>(RejectCode::kUnsupportedMediaType)]->Inc();
    std::string shown(content_type.substr(0, 64));
    if (!IsValidUtf8(shown)) shown = "?";
    WriteRejection(res, 415, RejectCode::kUnsupportedMediaType,
                   "unsupported content type \"" + shown + "\"; use application/json or text/plain");
    return;
  }

  // ?app= (ignored unless valid UTF-8) and the header User-Agent (likewise).
  std::optional<std::string> query_app;
  if (!req.query.empty()) query_app = req.Param("app");
  BeaconContext context;
  context.received_ms = NowMs();
  if (query_app && IsValidUtf8(*query_app)) context.query_app = *query_app;
  std::string_view header_ua = req.Header("User-Agent");
  if (IsValidUtf8(header_ua)) context.header_user_agent = header_ua;

  BeaconParser& parser = ThreadParser();
  const ParsedBatch batch = parser.Parse(req.body, context);
  for (const BeaconRejection& r : batch.rejections) {
    if (rejected_[0]) rejected_[static_cast<int>(r.code)]->Inc();
  }
  if (batch.body_rejected) {
    const BeaconRejection& r = batch.rejections.front();
    res.status = r.code == RejectCode::kTooMany ? 413 : 400;
    res.content_type = "application/json";
    res.body = RumResponseBody(0, batch.rejections);
    return;
  }

  const size_t n = batch.events.size();
  // Which events replaced an earlier report of the same page view (not counted again).
  std::unique_ptr<bool[]> replaced(n != 0 ? new bool[n]() : nullptr);
  if (n != 0 && error_sink_) {
    Status st = error_sink_(batch.events, context.received_ms);
    if (!st.ok()) {
      if (append_failures_) append_failures_->Inc();
      PW_LOG_WARN("rum error store append failed", "error={}", LogQuote(st.message()));
      WriteRejection(res, 503, RejectCode::kInvalidJson, "error store unavailable: " + st.message());
      res.headers.emplace_back("Retry-After", "1");
      return;
    }
  }
  if (n != 0 && store_ != nullptr) {
    Status st = store_->Append(batch.events, std::span<bool>(replaced.get(), n));
    if (!st.ok()) {
      if (append_failures_) append_failures_->Inc();
      PW_LOG_WARN("rum append failed", "error={}", LogQuote(st.message()));
      WriteRejection(res, 503, RejectCode::kInvalidJson, "event store unavailable: " + st.message());
      res.headers.emplace_back("Retry-After", "1");
      return;
    }
  }
  if (n != 0 && aggregator_ != nullptr) {
    // The beacons are stored, so the answer stands; a failure is logged and counted
    // inside, and the counts reach the TSDB with the next successful write.
    (void)aggregator_->Record(batch.events, std::span<const bool>(replaced.get(), n), context.received_ms);
  }
  if (n != 0 && extra_ != nullptr) {
    (void)extra_->Record(batch.events, std::span<const bool>(replaced.get(), n), context.received_ms);
  }
  if (accepted_) accepted_->Inc(batch.events.size());
  if (n != 0 && on_stored_) on_stored_(batch.events);

  if (batch.rejections.empty()) {
    res.status = 204;  // all valid, or an empty array
    res.body.clear();
    return;
  }
  res.status = batch.events.empty() ? 400 : 200;
  res.content_type = "application/json";
  res.body = RumResponseBody(batch.events.size(), batch.rejections);
}

}  // namespace perfwatch::ingest
