#include "cli/data_formats.h"

#include "cli/build_info.h"
#include "common/log.h"
#include "events/log_file.h"
#include "tsdb/block_format.h"
#include "tsdb/wal.h"

namespace perfwatch::cli {
namespace {

// A format whose code carries its version as a constant uses it (tsdb-blocks:
// kBlockFormatVersion, written in meta.json and both file headers). The others are
// versioned here; where the format's magic ends in a version digit, the assertion below
// fails when it changes, so the table cannot be forgotten.
static_assert(tsdb::kWalMagic[7] == '1', "tsdb WAL format changed: bump tsdb-wal below and register an upgrade step");
static_assert(events::kLogMagic[7] == '1', "event log format changed: bump events below and register an upgrade step");

// In the order of the directory's listing in docs/format/versions.md.
const DataFormat kFormats[] = {
    {.name = "tsdb-blocks", .version = tsdb::kBlockFormatVersion, .paths = {"tsdb/blocks"}},
    {.name = "tsdb-wal", .version = 1, .paths = {"tsdb/wal"}},  // segments and checkpoints
    {.name = "events", .version = 1, .paths = {"events"}},
    {.name = "spans", .version = 1, .paths = {"spans"}},
    {.name = "errors", .version = 1, .paths = {"errors"}},
    {.name = "deploys", .version = 1, .paths = {"deploys"}},
    {.name = "budget-runs", .version = 1, .paths = {"budget-runs"}},
    {.name = "checks", .version = 1, .paths = {"checks"}},
    {.name = "report-schedule", .version = 1, .paths = {"reports/schedule.state"}},
    {.name = "rum-journeys", .version = 1, .paths = {"rum-journeys.json"}},
    {.name = "remote-write", .version = 1, .paths = {"remote_write"}},
    {.name = "alertmanager", .version = 1, .paths = {"alertmanager"}},
    {.name = "rule-state", .version = 1, .paths = {"rules"}},
};

}  // namespace

std::span<const DataFormat> ProductDataFormats() { return kFormats; }

std::span<const UpgradeStep> ProductUpgradeSteps() { return {}; }

Status PrepareDataFormats(const std::filesystem::path& data_dir, MetricsRegistry* metrics) {
  auto outcome = PrepareDataDirectory(data_dir, ProductDataFormats(), ProductUpgradeSteps(), CurrentBuild().version);
  if (!outcome.ok()) return outcome.status();
  for (const std::string& step : outcome->upgraded) PW_LOG_INFO("data format upgraded", "step={}", LogQuote(step));
  if (!outcome->had_record) {
    PW_LOG_INFO("data format versions recorded", "file={}", LogQuote((data_dir / kFormatsFileName).string()));
  }
  for (const auto& [format, version] : outcome->record.versions) {
    metrics
        ->GetGauge("perfwatch_data_format_version",
                   "The version of each on-disk format in the data directory's FORMATS record "
                   "(docs/format/versions.md).",
                   {{"format", format}})
        ->Set(version);
  }
  return Status::Ok();
}

}  // namespace perfwatch::cli
