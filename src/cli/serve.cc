#include "cli/serve.h"

#include <malloc.h>

#include <csignal>
#include <cstdio>

#include "cli/demo_simulator.h"
#include "cli/server_app.h"
#include "common/time.h"
#include "ingest/rum/route_templater.h"
#include "common/log.h"
#include "common/memory_trim.h"

namespace perfwatch::cli {

void AddServeFlags(CLI::App& cmd, ServeFlags& flags, const std::string& default_data_dir) {
  cmd.add_option("--listen", flags.listen, "address to listen on, HOST:PORT (default 127.0.0.1:9797)");
  cmd.add_option("--data-dir", flags.data_dir, "directory for stored data (default " + default_data_dir + ")");
  cmd.add_option("--config", flags.config_path, "YAML configuration file (see docs/configuration.md)");
  cmd.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error or off (default info)");
  cmd.add_option("--web-dir", flags.web_dir,
                 "serve the dashboard from this directory (a web/dist build) instead of the built-in copy; "
                 "for dashboard development (http.web_dir)");
}

Result<Config> BuildConfig(const ServeFlags& flags) {
  Config config;
  if (!flags.config_path.empty()) {
    PW_ASSIGN_OR_RETURN(config, LoadConfigFile(flags.config_path));
  }
  if (flags.listen) config.http.listen = *flags.listen;
  if (flags.data_dir) config.data_dir = *flags.data_dir;
  if (flags.log_level) config.log_level = *flags.log_level;
  if (flags.web_dir) config.http.web_dir = *flags.web_dir;
  PW_RETURN_IF_ERROR(ValidateConfig(config));
  PW_RETURN_IF_ERROR(ingest::ValidateRouteRules(config.rum.route_rules).WithContext("rum.route_rules"));
  return config;
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int WaitForTerminationSignal(const std::function<void()>& on_hangup) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  for (;;) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig != SIGHUP) return sig;
    if (on_hangup) on_hangup();
  }
}

namespace {

// Runs the server (and, with `demo`, the simulated visitors) until SIGINT/SIGTERM.
int Run(const ServeFlags& flags, const DemoFlags* demo) {
  auto config = BuildConfig(flags);
  if (!config.ok()) {
    std::fprintf(stderr, "perfwatch: %s\n", config.status().message().c_str());
    return 2;
  }
  int64_t backfill_ms = 0;
  if (demo) {
    auto d = ParseDurationMs(demo->backfill);
    if (!d.ok() || demo->rate <= 0 || demo->rate > 10'000) {
      std::fprintf(stderr, "perfwatch: --rate must be in (0, 10000] and --backfill a duration such as 1h\n");
      return 2;
    }
    backfill_ms = *d;
  }
  InitLogging(config->log_level);
  // Allocations of 256 KiB and more (request bodies, parse buffers, query batches) get
  // their own mapping, returned to the kernel on free. glibc would otherwise raise this
  // threshold after the first large free and carve such buffers out of the heap, where
  // they fragment it: 51 -> 48 MB RSS on the 1M-event load (docs/benchmarks.md).
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
  ServerApp app(*config);
  app.set_log_level_from_flag(flags.log_level.has_value());  // the flag wins over reloads too
  if (Status s = app.Start(); !s.ok()) {
    PW_LOG_ERROR("start failed", "error={}", LogQuote(s.message()));
    return 1;
  }
  // Returns what small freed chunks leave behind to the kernel (common/memory_trim.h).
  MemoryTrimmer trimmer(std::chrono::seconds(10), &app.metrics());
  trimmer.Start();
  std::unique_ptr<DemoSimulator> visitors;
  if (demo) {
    visitors = std::make_unique<DemoSimulator>(
        DemoOptions{.port = app.port(), .page_views_per_second = demo->rate, .backfill_ms = backfill_ms});
    visitors->Start();
    PW_LOG_INFO("demo running", "dashboard=http://127.0.0.1:{}/", app.port());
  }
  int sig = WaitForTerminationSignal([&app] {
    PW_LOG_INFO("reloading configuration", "signal=SIGHUP");
    if (Status s = app.Reload(); !s.ok()) PW_LOG_WARN("reload failed", "err={}", LogQuote(s.message()));
  });
  PW_LOG_INFO("shutting down", "signal={}", sig == SIGINT ? "SIGINT" : "SIGTERM");
  if (visitors) visitors->Stop();
  trimmer.Stop();
  app.Stop();
  PW_LOG_INFO("stopped", "clean=true");
  return 0;
}

}  // namespace

int RunServe(const ServeFlags& flags) { return Run(flags, nullptr); }

void AddDemoFlags(CLI::App& cmd, DemoFlags& flags) {
  cmd.add_option("--rate", flags.rate, "simulated page views per second (default 5)");
  cmd.add_option("--backfill", flags.backfill, "past page views generated at start, as a duration (default 1h)");
}

int RunDemo(const ServeFlags& flags, const DemoFlags& demo) { return Run(flags, &demo); }

}  // namespace perfwatch::cli
