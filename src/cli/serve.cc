#include "cli/serve.h"

#include <csignal>
#include <cstdio>

#include "cli/server_app.h"
#include "common/log.h"

namespace perfwatch::cli {

void AddServeFlags(CLI::App& cmd, ServeFlags& flags) {
  cmd.add_option("--listen", flags.listen, "address to listen on, HOST:PORT (default 127.0.0.1:9797)");
  cmd.add_option("--data-dir", flags.data_dir, "directory for stored data (default ./data)");
  cmd.add_option("--config", flags.config_path, "YAML configuration file (see docs/configuration.md)");
  cmd.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error or off (default info)");
}

Result<Config> BuildConfig(const ServeFlags& flags) {
  Config config;
  if (!flags.config_path.empty()) {
    PW_ASSIGN_OR_RETURN(config, LoadConfigFile(flags.config_path));
  }
  if (flags.listen) config.http.listen = *flags.listen;
  if (flags.data_dir) config.data_dir = *flags.data_dir;
  if (flags.log_level) config.log_level = *flags.log_level;
  PW_RETURN_IF_ERROR(ValidateConfig(config));
  return config;
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int RunServe(const ServeFlags& flags) {
  auto config = BuildConfig(flags);
  if (!config.ok()) {
    std::fprintf(stderr, "perfwatch: %s\n", config.status().message().c_str());
    return 2;
  }
  InitLogging(config->log_level);
  ServerApp app(*config);
  if (Status s = app.Start(); !s.ok()) {
    PW_LOG_ERROR("start failed", "error={}", LogQuote(s.message()));
    return 1;
  }
  int sig = WaitForTerminationSignal();
  PW_LOG_INFO("shutting down", "signal={}", sig == SIGINT ? "SIGINT" : "SIGTERM");
  app.Stop();
  PW_LOG_INFO("stopped", "clean=true");
  return 0;
}

}  // namespace perfwatch::cli
