#include "ingest/scrape/scrape_buffer.h"

#include <algorithm>
#include <cstring>

namespace perfwatch::ingest {

std::string_view StringArena::Copy(std::string_view s) {
  if (s.empty()) return {};
  if (s.size() > kBlockSize / 4) {
    // Large strings get a block of their own, inserted before the current standard one.
    if (blocks_.empty()) {
      blocks_.push_back(std::make_unique<char[]>(kBlockSize));
      used_in_last_ = 0;
    }
    auto block = std::make_unique<char[]>(s.size());
    std::memcpy(block.get(), s.data(), s.size());
    std::string_view out(block.get(), s.size());
    blocks_.insert(blocks_.end() - 1, std::move(block));
    return out;
  }
  if (used_in_last_ + s.size() > kBlockSize) {
    blocks_.push_back(std::make_unique<char[]>(kBlockSize));
    used_in_last_ = 0;
  }
  char* dst = blocks_.back().get() + used_in_last_;
  std::memcpy(dst, s.data(), s.size());
  used_in_last_ += s.size();
  return {dst, s.size()};
}

void StringArena::Clear() {
  if (blocks_.empty()) return;
  // Keep one standard block (the last one is always standard-sized when large blocks
  // are inserted before it).
  auto keep = std::move(blocks_.back());
  blocks_.clear();
  blocks_.push_back(std::move(keep));
  used_in_last_ = 0;
}

std::string_view MetadataTypeName(MetricType type) {
  return type == MetricType::kUntyped ? "unknown" : MetricTypeName(type);
}

void ScrapeBuffer::Reset(const ScrapeTarget* target, int64_t scrape_time_ms, SeriesCache* cache) {
  target_ = target;
  cache_ = cache;
  hits_.clear();
  series_text_.clear();
  target_views_ = target->labels.Views();
  scrape_time_ms_ = scrape_time_ms;
  arena_.Clear();
  labels_.clear();
  label_ends_.clear();
  samples_.clear();
  explicit_ts_.clear();
  batch_.clear();
  metadata_.clear();
}

std::string_view ScrapeBuffer::ExportedName(std::string_view name) {
  std::string candidate = "exported_" + std::string(name);
  auto taken = [&](std::string_view n) {
    return std::any_of(scratch_.begin(), scratch_.end(), [&](const tsdb::LabelView& l) { return l.name == n; });
  };
  while (taken(candidate)) candidate = "exported_" + candidate;
  return arena_.Copy(candidate);
}

Status ScrapeBuffer::OnSample(const ExpositionSample& sample) {
  if (target_->max_samples > 0 && size() >= target_->max_samples) {
    return ResourceExhausted("sample limit of " + std::to_string(target_->max_samples) +
                             " exceeded (scrape.max_samples_per_scrape)");
  }
  const bool own_ts = sample.timestamp_ms.has_value() && target_->honor_timestamps;
  const int64_t t = own_ts ? *sample.timestamp_ms : scrape_time_ms_;
  if (cache_ != nullptr) {
    if (auto it = cache_->find(sample.series); it != cache_->end()) {
      hits_.push_back(Hit{&it->second, tsdb::Sample{t, sample.value}, own_ts});
      return Status::Ok();
    }
  }
  series_text_.push_back(arena_.Copy(sample.series));
  scratch_.clear();
  scratch_.push_back({tsdb::kMetricNameLabel, arena_.Copy(sample.name)});
  for (const ExpositionLabel& l : sample.labels) {
    if (l.value.empty()) continue;
    scratch_.push_back({arena_.Copy(l.name), arena_.Copy(l.value)});
  }
  const size_t scraped_end = scratch_.size();
  for (const tsdb::LabelView& t : target_views_) {
    auto it = std::find_if(scratch_.begin(), scratch_.begin() + scraped_end,
                           [&](const tsdb::LabelView& l) { return l.name == t.name; });
    if (it == scratch_.begin() + scraped_end) {
      scratch_.push_back(t);
    } else if (!target_->honor_labels) {
      it->name = ExportedName(it->name);
      scratch_.push_back(t);
    }
  }
  std::sort(scratch_.begin(), scratch_.end(),
            [](const tsdb::LabelView& a, const tsdb::LabelView& b) { return a.name < b.name; });
  labels_.insert(labels_.end(), scratch_.begin(), scratch_.end());
  label_ends_.push_back(static_cast<uint32_t>(labels_.size()));
  samples_.push_back({t, sample.value});
  explicit_ts_.push_back(own_ts);
  return Status::Ok();
}

Status ScrapeBuffer::OnMetadata(const ExpositionMetadata& m) {
  if (!m.has_type && !m.has_help && !m.has_unit) return Status::Ok();
  metadata_.push_back(
      {std::string(m.family), {std::string(MetadataTypeName(m.type)), std::string(m.help), std::string(m.unit)}});
  return Status::Ok();
}

std::span<const tsdb::SeriesSamples> ScrapeBuffer::Batch() {
  batch_.clear();
  batch_.reserve(samples_.size());
  uint32_t begin = 0;
  for (size_t i = 0; i < samples_.size(); ++i) {
    uint32_t end = label_ends_[i];
    batch_.push_back({std::span<const tsdb::LabelView>(labels_.data() + begin, end - begin),
                      std::span<const tsdb::Sample>(&samples_[i], 1)});
    begin = end;
  }
  return batch_;
}

}  // namespace perfwatch::ingest
