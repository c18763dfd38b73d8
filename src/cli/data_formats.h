#pragma once
// perfwatch's table of on-disk formats and their upgrade steps, checked against the data
// directory's FORMATS record at start (common/data_formats.h, docs/format/versions.md).
// Thread safety: PrepareDataFormats runs once, before any store opens.
#include <filesystem>
#include <span>

#include "common/data_formats.h"
#include "common/metrics.h"
#include "common/status.h"

namespace perfwatch::cli {

// Every format perfwatch writes under the data directory, with the version this build
// writes and reads (docs/format/versions.md has the same table).
std::span<const DataFormat> ProductDataFormats();
// Upgrade steps, per format and from-version. None yet: every format is at version 1.
std::span<const UpgradeStep> ProductUpgradeSteps();

// PrepareDataDirectory with the product table and this build's version; logs what it
// did, and sets perfwatch_data_format_version{format} in `metrics` for every format of
// the record. Errors are one line (a newer directory: "... upgrade perfwatch").
Status PrepareDataFormats(const std::filesystem::path& data_dir, MetricsRegistry* metrics);

}  // namespace perfwatch::cli
