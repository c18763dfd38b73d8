// perfwatch: the command-line entry point. Subcommands live in their own files.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/backup_command.h"
#include "cli/bundle_cmd.h"
#include "cli/budget_cmd.h"
#include "cli/changepoints_command.h"
#include "cli/check_command.h"
#include "cli/config_command.h"
#include "cli/deploy_command.h"
#include "cli/health_command.h"
#include "cli/help_text.h"
#include "cli/query_command.h"
#include "cli/report_cmd.h"
#include "cli/rules_command.h"
#include "cli/serve.h"

#ifndef PERFWATCH_VERSION
#define PERFWATCH_VERSION "dev"
#endif

int main(int argc, char** argv) {
  using namespace perfwatch::cli;
  BlockTerminationSignals();  // before any thread starts, so sigwait sees the signals

  CLI::App app{"perfwatch: self-hosted web performance monitoring and alerting"};
  app.set_version_flag("--version", std::string("perfwatch ") + PERFWATCH_VERSION);
  app.require_subcommand(1);

  ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "run the server (ingest, storage, query API, dashboard)");
  AddServeFlags(*serve, serve_flags);

  ServeFlags demo_serve_flags;
  DemoFlags demo_flags;
  CLI::App* demo = app.add_subcommand(
      "demo", "run the server with simulated visitors posting RUM beacons (data in ./demo-data by default)");
  AddServeFlags(*demo, demo_serve_flags, "./demo-data");
  AddDemoFlags(*demo, demo_flags);

  QueryFlags query_flags;
  CLI::App* query = app.add_subcommand("query", "run a PromQL query against a server and print the result as a table");
  AddQueryFlags(*query, query_flags);

  RulesCheckFlags rules_check_flags;
  CLI::App* rules_check = AddRulesCommand(app, rules_check_flags);

  ChangepointsFlags changepoints_flags;
  CLI::App* changepoints = AddChangepointsCommand(app, changepoints_flags);

  HealthFlags health_flags;
  CLI::App* health = AddHealthCommand(app, health_flags);

  DeployFlags deploy_flags;
  CLI::App* deploy = AddDeployCommand(app, deploy_flags);

  ReportFlags report_flags;
  CLI::App* report = AddReportCommand(app, report_flags);

  BundleFlags bundle_flags;
  CLI::App* bundle_report = AddBundleCommand(app, bundle_flags);

  BudgetCheckFlags budget_check_flags;
  CLI::App* budget_check = AddBudgetCommand(app, budget_check_flags);

  CheckRunFlags check_run_flags;
  CLI::App* check_run = AddCheckCommand(app, check_run_flags);

  ConfigCheckFlags config_check_flags;
  CLI::App* config = AddConfigCommand(app, config_check_flags);

  BackupFlags backup_flags;
  CLI::App* backup = AddBackupCommand(app, backup_flags);
  RestoreFlags restore_flags;
  CLI::App* restore = AddRestoreCommand(app, restore_flags);

  CLI::App* version = app.add_subcommand("version", "print the version");

  AddHelpFooters(app);  // man-page-style --help (cli/help_text.h)
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error (a missing argument, an unknown flag)
    // exits 2, as each subcommand's --help says.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (version->parsed()) {
    std::printf("perfwatch %s\n", PERFWATCH_VERSION);
    return 0;
  }
  if (serve->parsed()) return RunServe(serve_flags);
  if (query->parsed()) return RunQuery(query_flags);
  if (rules_check->parsed()) return RunRulesCheck(rules_check_flags);
  if (config->parsed()) return RunConfigCheck(config_check_flags);
  if (backup->parsed()) return RunBackup(backup_flags);
  if (restore->parsed()) return RunRestore(restore_flags);
  if (changepoints->parsed()) return RunChangepoints(changepoints_flags);
  if (deploy->parsed()) return RunDeploy(deploy_flags);
  if (check_run->parsed()) return RunCheckCommand(check_run_flags);
  if (health->parsed()) return RunHealth(health_flags);
  if (budget_check->parsed()) return RunBudgetCheck(budget_check_flags);
  if (bundle_report->parsed()) return RunBundleReport(bundle_flags);
  if (report->parsed()) return RunReport(report_flags);
  if (demo->parsed()) {
    if (!demo_serve_flags.data_dir) demo_serve_flags.data_dir = "./demo-data";
    return RunDemo(demo_serve_flags, demo_flags);
  }
  return 0;
}
