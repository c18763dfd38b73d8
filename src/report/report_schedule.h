#pragma once
// Scheduled reports (`reports:` in the YAML; docs/reports.md "Scheduled reports"): each
// entry's report is built every `every` and sent as an email through the SMTP client of
// the alert notifications (alert::SendEmail), to the email configs of the `alerting:`
// receiver named by `to` (their smarthost, from, to, TLS and auth settings; `from` and
// `to` are used as written: templates are not expanded).
//
// Due rule: a report is due when it was never sent, or `every` has passed since it was
// last sent. The time of the last successful send is persisted in `state_file` (written
// atomically after each send), so a restart neither forgets the schedule nor sends again
// a report already sent in the current period. A failed send is retried after
// min(every, 5m); the error is logged and counted.
//
// Reload (`reports:` changed; docs/operations.md "Reloading"): Prepare checks the new list
// as Create does, Apply swaps it in (waiting for a send in progress) and checks at once;
// the schedule state is by name, so a kept report is not sent again early and a new one
// is due at once.
//
// Thread safety: Start/Stop/Apply from the controlling thread; RunDue is serialised internally.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alert/am_config.h"
#include "common/config.h"
#include "common/metrics.h"
#include "common/status.h"
#include "report/report.h"

namespace perfwatch::report {

// The queued form alert::SendEmail takes (alert/integrations.h): envelope sender, a line
// feed, the recipients comma-separated, a line feed, an empty line, then the MIME message
// (From, To, Subject, Date, Message-Id, MIME-Version, a single quoted-printable part of
// `content_type`). InvalidArgument when `from` or `to` is not an address list.
Result<std::string> BuildReportEmail(const alert::EmailConfig& email, const std::string& subject,
                                     const std::string& body, std::string_view content_type, int64_t now_ms);

struct ReportSchedulerOptions {
  std::filesystem::path state_file;   // data_dir/reports/schedule.state
  int64_t check_interval_ms = 60'000;  // how often due reports are looked for (first check at Start)
  MetricsRegistry* metrics = nullptr;  // null: none
};

class ReportScheduler {
 public:
  // One scheduled report with the email configs of its `to` receiver.
  struct Entry {
    ReportScheduleConfig config;
    std::vector<alert::EmailConfig> emails;
    int64_t retry_at_ms = 0;  // after a failure
  };

  // Checks that every entry's `to` names a receiver of `am_config` with at least one
  // email config (InvalidArgument naming the report otherwise) and loads the state file.
  static Result<std::unique_ptr<ReportScheduler>> Create(std::vector<ReportScheduleConfig> schedules,
                                                         const alert::AlertmanagerConfig& am_config,
                                                         ReportSources sources, ReportSchedulerOptions options);
  ~ReportScheduler();
  ReportScheduler(const ReportScheduler&) = delete;
  ReportScheduler& operator=(const ReportScheduler&) = delete;

  // The entries for `schedules`, checked as Create checks them (reload, before anything
  // changes).
  static Result<std::vector<Entry>> Prepare(std::vector<ReportScheduleConfig> schedules,
                                            const alert::AlertmanagerConfig& am_config);
  // Replaces the schedules with `entries` (from Prepare) and, once started, checks for due
  // reports at once (starting the thread when Start found no schedules). A report keeps its
  // retry time when its name stays.
  void Apply(std::vector<Entry> entries);

  // Checks at once, then every check_interval_ms, on its own thread. No-op without schedules.
  void Start();
  void Stop();  // idempotent; an SMTP exchange in progress is cancelled

  // Builds and sends every report due at `now_ms`; returns how many were sent.
  size_t RunDue(int64_t now_ms);
  // When `name` was last sent (ms), 0 when never.
  int64_t LastSent(const std::string& name) const;

 private:
  ReportScheduler(std::vector<Entry> entries, ReportSources sources, ReportSchedulerOptions options);
  Status Send(const Entry& e, int64_t now_ms);
  Status SaveState();  // holds run_mu_

  const ReportSources sources_;
  const ReportSchedulerOptions options_;
  Counter* sent_ = nullptr;
  Counter* failed_ = nullptr;
  Counter* checks_ = nullptr;
  std::atomic<bool> cancel_{false};

  std::mutex run_mu_;                      // serialises RunDue
  std::vector<Entry> entries_;             // guarded by run_mu_
  mutable std::mutex state_mu_;
  std::map<std::string, int64_t> last_sent_;  // guarded by state_mu_

  std::mutex thread_mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by thread_mu_
  bool wake_ = false;      // guarded by thread_mu_: Apply asks for a check now
  bool started_ = false;   // guarded by thread_mu_: Start was called (Apply may start the thread)
  std::thread thread_;
};

}  // namespace perfwatch::report
