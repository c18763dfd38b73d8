#include "report/report_schedule.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>

#include "alert/integrations.h"
#include "alert/smtp_client.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/time.h"
#include "report/report_render.h"

namespace perfwatch::report {
namespace {

constexpr int64_t kMaxRetryDelayMs = 5 * 60'000;

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

Result<std::string> BuildReportEmail(const alert::EmailConfig& email, const std::string& subject,
                                     const std::string& body, std::string_view content_type, int64_t now_ms) {
  auto from = alert::ParseAddressList(email.from);
  if (!from.ok()) return InvalidArgument("parse 'from' addresses: " + from.status().message());
  if (from->size() != 1) return InvalidArgument("must be exactly one 'from' address");
  auto to = alert::ParseAddressList(email.to);
  if (!to.ok()) return InvalidArgument("parse 'to' addresses: " + to.status().message());
  std::string out = (*from)[0] + "\n";
  for (size_t i = 0; i < to->size(); ++i) out += (i ? "," : "") + (*to)[i];
  out += "\n\n";
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char id[32];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng()));
  out += "From: " + alert::MimeQEncodeHeader(OneLine(email.from)) + "\r\n";
  out += "To: " + alert::MimeQEncodeHeader(OneLine(email.to)) + "\r\n";
  out += "Subject: " + alert::MimeQEncodeHeader(OneLine(subject)) + "\r\n";
  out += "Date: " + alert::Rfc1123z(now_ms) + "\r\n";
  out += "Message-Id: <" + std::to_string(now_ms) + "." + id + "@" + alert::Hostname() + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: " + std::string(content_type) + "\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += alert::QuotedPrintable(body) + "\r\n";
  return out;
}

Result<std::unique_ptr<ReportScheduler>> ReportScheduler::Create(std::vector<ReportScheduleConfig> schedules,
                                                                 const alert::AlertmanagerConfig& am_config,
                                                                 ReportSources sources, ReportSchedulerOptions options) {
  PW_ASSIGN_OR_RETURN(std::vector<Entry> entries, Prepare(std::move(schedules), am_config));
  std::unique_ptr<ReportScheduler> out(new ReportScheduler(std::move(entries), std::move(sources), std::move(options)));
  if (!out->options_.state_file.empty()) {
    auto text = ReadFile(out->options_.state_file);
    if (!text.ok() && text.status().code() != StatusCode::kNotFound) return text.status();
    if (text.ok()) {
      std::string_view rest = *text;
      while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        const size_t tab = line.rfind('\t');
        int64_t ms = 0;
        if (tab == std::string_view::npos) continue;
        const std::string_view num = line.substr(tab + 1);
        if (std::from_chars(num.data(), num.data() + num.size(), ms).ec != std::errc()) continue;
        out->last_sent_[std::string(line.substr(0, tab))] = ms;
      }
    }
  }
  return out;
}

Result<std::vector<ReportScheduler::Entry>> ReportScheduler::Prepare(std::vector<ReportScheduleConfig> schedules,
                                                                     const alert::AlertmanagerConfig& am_config) {
  std::vector<Entry> entries;
  for (ReportScheduleConfig& s : schedules) {
    const alert::Receiver* r = am_config.FindReceiver(s.to);
    if (r == nullptr) {
      return InvalidArgument("reports: \"" + s.name + "\": to \"" + s.to + "\" is not a receiver of alerting");
    }
    if (r->email_configs.empty()) {
      return InvalidArgument("reports: \"" + s.name + "\": receiver \"" + s.to + "\" has no email_configs");
    }
    for (const alert::EmailConfig& ec : r->email_configs) {
      auto probe = BuildReportEmail(ec, "", "", "text/plain", 0);
      if (!probe.ok()) {
        return InvalidArgument("reports: \"" + s.name + "\": receiver \"" + s.to + "\": " + probe.status().message());
      }
    }
    entries.push_back(Entry{std::move(s), r->email_configs, 0});
  }
  return entries;
}

void ReportScheduler::Apply(std::vector<Entry> entries) {
  const bool any = !entries.empty();
  {
    std::lock_guard lock(run_mu_);
    for (Entry& e : entries) {
      for (const Entry& old : entries_) {
        if (old.config.name == e.config.name) e.retry_at_ms = old.retry_at_ms;
      }
    }
    entries_ = std::move(entries);
  }
  bool running, start;
  {
    std::lock_guard lock(thread_mu_);
    running = thread_.joinable();
    start = !running && started_ && !stopping_ && any;  // Start found no schedules then
    wake_ = true;
  }
  if (running) {
    cv_.notify_all();
  } else if (start) {
    Start();
  }
}

ReportScheduler::ReportScheduler(std::vector<Entry> entries, ReportSources sources, ReportSchedulerOptions options)
    : sources_(std::move(sources)), options_(std::move(options)), entries_(std::move(entries)) {
  if (options_.metrics) {
    sent_ = options_.metrics->GetCounter("perfwatch_reports_sent_total", "Scheduled reports sent by email.");
    failed_ = options_.metrics->GetCounter("perfwatch_reports_failed_total",
                                           "Scheduled reports that could not be built or sent (retried).");
    checks_ = options_.metrics->GetCounter("perfwatch_report_checks_total",
                                           "Checks of the report schedule for due reports.");
  }
}

ReportScheduler::~ReportScheduler() { Stop(); }

void ReportScheduler::Start() {
  std::lock_guard lock(thread_mu_);
  started_ = true;
  if (thread_.joinable() || entries_.empty()) return;
  stopping_ = false;
  wake_ = false;  // the thread checks at once anyway
  cancel_ = false;
  thread_ = NamedThread("pw-reports", [this] {
    std::unique_lock lk(thread_mu_);
    while (!stopping_) {
      lk.unlock();
      RunDue(NowMs());
      lk.lock();
      cv_.wait_for(lk, std::chrono::milliseconds(std::max<int64_t>(options_.check_interval_ms, 10)),
                   [this] { return stopping_ || wake_; });
      wake_ = false;
    }
  });
}

void ReportScheduler::Stop() {
  std::thread t;
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = true;
    cancel_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
}

int64_t ReportScheduler::LastSent(const std::string& name) const {
  std::lock_guard lock(state_mu_);
  auto it = last_sent_.find(name);
  return it == last_sent_.end() ? 0 : it->second;
}

Status ReportScheduler::Send(const Entry& e, int64_t now_ms) {
  const std::optional<ReportFormat> format = ParseReportFormat(e.config.format);
  if (!format) return InvalidArgument("unknown format " + e.config.format);
  ReportRequest rq;
  rq.app = e.config.app;
  rq.window_ms = e.config.window_ms;
  rq.to_ms = now_ms;
  PW_ASSIGN_OR_RETURN(Report report, BuildReport(sources_, rq));
  const std::string body = RenderReport(report, *format);
  const std::string content_type =
      *format == ReportFormat::kHtml ? "text/html; charset=UTF-8" : "text/plain; charset=UTF-8";
  const std::string subject = "[perfwatch] " + ReportTitle(report);
  for (const alert::EmailConfig& ec : e.emails) {
    PW_ASSIGN_OR_RETURN(std::string queued, BuildReportEmail(ec, subject, body, content_type, now_ms));
    alert::WebhookAttempt a = alert::SendEmail(ec, queued, &cancel_);
    if (a.outcome != alert::DeliveryOutcome::kDelivered) {
      return Unavailable("send to " + ec.smarthost + ": " + a.error);
    }
  }
  return Status::Ok();
}

Status ReportScheduler::SaveState() {
  if (options_.state_file.empty()) return Status::Ok();
  std::string text;
  {
    std::lock_guard lock(state_mu_);
    for (const Entry& e : entries_) {
      auto it = last_sent_.find(e.config.name);
      if (it != last_sent_.end()) text += e.config.name + "\t" + std::to_string(it->second) + "\n";
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.state_file.parent_path(), ec);
  return WriteFileAtomically(options_.state_file, text);
}

size_t ReportScheduler::RunDue(int64_t now_ms) {
  std::lock_guard lock(run_mu_);
  size_t sent = 0;
  for (Entry& e : entries_) {
    const int64_t last = LastSent(e.config.name);
    if (last != 0 && now_ms < last + e.config.every_ms) continue;
    if (now_ms < e.retry_at_ms) continue;
    Status s = Send(e, now_ms);
    if (!s.ok()) {
      e.retry_at_ms = now_ms + std::min(e.config.every_ms, kMaxRetryDelayMs);
      if (failed_) failed_->Inc();
      PW_LOG_WARN("scheduled report failed", "report={} err={}", LogQuote(e.config.name), LogQuote(s.message()));
      continue;
    }
    e.retry_at_ms = 0;
    {
      std::lock_guard state_lock(state_mu_);
      last_sent_[e.config.name] = now_ms;
    }
    if (Status w = SaveState(); !w.ok()) {
      PW_LOG_ERROR("scheduled report: cannot save the schedule state", "err={}", LogQuote(w.ToString()));
    }
    if (sent_) sent_->Inc();
    ++sent;
    PW_LOG_INFO("scheduled report sent", "report={} app={} to={}", LogQuote(e.config.name), LogQuote(e.config.app),
                LogQuote(e.config.to));
  }
  if (checks_) checks_->Inc();
  return sent;
}

}  // namespace perfwatch::report
