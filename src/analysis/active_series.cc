#include "analysis/active_series.h"

#include "tsdb/stale.h"

namespace perfwatch::analysis {

void ActiveSeriesWriter::Add(const tsdb::Labels& labels, bool active) {
  std::vector<tsdb::LabelView> views = labels.Views();
  views.push_back({tsdb::kMetricNameLabel, metric_});
  tsdb::Labels full = tsdb::Labels::FromViews(views);
  std::string key = full.ToString();
  auto it = rows_.try_emplace(std::move(key), std::move(full), 0.0).first;
  if (active) it->second.second = 1;
}

Status ActiveSeriesWriter::Write(int64_t now_ms) {
  std::map<std::string, std::pair<tsdb::Labels, double>> rows = std::move(rows_);
  rows_.clear();
  if (!tsdb_) return Status::Ok();
  std::map<std::string, tsdb::Labels> current;
  std::vector<std::pair<tsdb::Labels, double>> out;
  for (auto& [key, row] : rows) {
    current.emplace(key, row.first);
    out.push_back(std::move(row));
  }
  for (const auto& [key, labels] : written_) {
    if (!current.count(key)) out.emplace_back(labels, tsdb::StaleNaN());
  }
  written_ = std::move(current);
  if (out.empty()) return Status::Ok();
  std::vector<std::vector<tsdb::LabelView>> views;
  views.reserve(out.size());
  std::vector<tsdb::Sample> samples;
  samples.reserve(out.size());
  std::vector<tsdb::SeriesSamples> batch;
  batch.reserve(out.size());
  for (const auto& [labels, v] : out) {
    views.push_back(labels.Views());
    samples.push_back({now_ms, v});
    batch.push_back({views.back(), std::span(&samples.back(), 1)});
  }
  tsdb::AppendResult result;
  return tsdb_->AppendBatch(batch, &result);
}

}  // namespace perfwatch::analysis
