// BlockWriter: streams compressed chunk groups to `chunks`, builds the index in memory at
// Finish. Layout: docs/format/blocks.md.
#include "tsdb/block_writer.h"

#include "common/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <random>

#include "common/crc32c.h"

namespace perfwatch::tsdb {

namespace fs = std::filesystem;

std::string NewBlockName() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%012llx-%08x", static_cast<unsigned long long>(ms) & 0xffffffffffffULL,
                static_cast<unsigned>(rng()));
  return buf;
}

namespace {

Status WriteAll(int fd, const void* data, size_t n, const fs::path& path) {
  return perfwatch::WriteAll(fd, std::string_view(static_cast<const char*>(data), n)).WithContext(path.string());
}

std::string FileHeader(const char magic[4]) {
  std::string h(magic, 4);
  h.push_back(char(kBlockFormatVersion));
  h.append(3, '\0');
  return h;
}

}  // namespace

Status WriteFileSynced(const fs::path& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create " + path.string(), errno);
  Status s = WriteAll(fd, data.data(), data.size(), path);
  if (s.ok() && ::fdatasync(fd) != 0) s = IoError("fdatasync " + path.string(), errno);
  ::close(fd);
  return s;
}

BlockWriter::BlockWriter(fs::path parent, std::string name, BlockWriterOptions opts)
    : parent_(std::move(parent)), name_(std::move(name)), tmp_(parent_ / (name_ + ".tmp")), opts_(opts) {}

BlockWriter::~BlockWriter() {
  if (chunks_fd_ >= 0) ::close(chunks_fd_);
  if (!finished_) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
}

Result<std::unique_ptr<BlockWriter>> BlockWriter::Create(fs::path parent, std::string name, BlockWriterOptions opts) {
  if (opts.chunk_samples == 0 || opts.chunk_samples > kMaxChunkSamples) {
    return InvalidArgument("block writer: chunk_samples out of range");
  }
  if (name.empty() || name.find('/') != std::string::npos) return InvalidArgument("block writer: bad name");
  std::unique_ptr<BlockWriter> w(new BlockWriter(std::move(parent), std::move(name), opts));
  std::error_code ec;
  fs::create_directories(w->parent_, ec);
  if (ec) return IoError("mkdir " + w->parent_.string(), ec.value());
  fs::remove_all(w->tmp_, ec);
  if (!fs::create_directory(w->tmp_, ec) || ec) return IoError("mkdir " + w->tmp_.string(), ec.value());
  fs::path chunks = w->tmp_ / kChunksFileName;
  w->chunks_fd_ = ::open(chunks.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->chunks_fd_ < 0) return IoError("create " + chunks.string(), errno);
  std::string header = FileHeader(kChunksMagic);
  PW_RETURN_IF_ERROR(w->WriteOut(header.data(), header.size()));
  return w;
}

Status BlockWriter::WriteOut(const void* data, size_t n) {
  PW_RETURN_IF_ERROR(WriteAll(chunks_fd_, data, n, tmp_ / kChunksFileName));
  file_offset_ += n;
  return Status::Ok();
}

Status BlockWriter::FlushGroup() {
  if (group_.empty()) return Status::Ok();
  std::vector<uint8_t> z = CompressBlock(group_, opts_.zstd_level);
  groups_.push_back(Group{uint32_t(z.size()), uint32_t(group_.size()), Crc32c(z.data(), z.size())});
  group_.clear();
  return WriteOut(z.data(), z.size());
}

Status BlockWriter::AddSeries(std::span<const LabelView> labels, std::span<const Sample> samples) {
  if (finished_) return Internal("block writer: AddSeries after Finish");
  if (samples.empty()) return Status::Ok();
  if (labels.empty()) return InvalidArgument("block writer: series without labels");
  if (!series_.empty()) {
    auto prev = series_.back().labels.Views();
    if (CompareLabels(prev, labels) >= 0) {
      return InvalidArgument("block writer: series out of label order: " + LabelsToString(labels));
    }
  }
  for (size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].t <= samples[i - 1].t) {
      return InvalidArgument("block writer: samples out of time order in " + LabelsToString(labels));
    }
  }
  SeriesEntry e;
  e.labels = Labels::FromViews(labels);
  for (size_t off = 0; off < samples.size(); off += opts_.chunk_samples) {
    size_t n = std::min<size_t>(opts_.chunk_samples, samples.size() - off);
    std::vector<uint8_t> sealed = SealSamples(samples.subspan(off, n));
    e.chunks.push_back(ChunkRef{samples[off].t, samples[off + n - 1].t, raw_offset_, uint32_t(sealed.size())});
    group_.insert(group_.end(), sealed.begin(), sealed.end());
    raw_offset_ += sealed.size();
    ++num_chunks_;
    // A chunk never spans two groups: groups close at chunk boundaries.
    if (group_.size() >= opts_.group_bytes) PW_RETURN_IF_ERROR(FlushGroup());
  }
  num_samples_ += samples.size();
  mint_ = std::min(mint_, samples.front().t);
  maxt_ = std::max(maxt_, samples.back().t);
  series_.push_back(std::move(e));
  return Status::Ok();
}

std::string BlockWriter::BuildIndex() const {
  // Symbols: every distinct label name and value, sorted, so symbol order is string order.
  std::vector<std::string_view> syms;
  for (const SeriesEntry& s : series_) {
    for (const Label& l : s.labels) {
      syms.push_back(l.name);
      syms.push_back(l.value);
    }
  }
  std::sort(syms.begin(), syms.end());
  syms.erase(std::unique(syms.begin(), syms.end()), syms.end());
  auto sym = [&](std::string_view s) {
    return uint64_t(std::lower_bound(syms.begin(), syms.end(), s) - syms.begin());
  };

  std::string out = FileHeader(kIndexMagic);
  const uint64_t sym_off = out.size();
  PutUvarint(out, syms.size());
  for (std::string_view s : syms) {
    PutUvarint(out, s.size());
    out.append(s);
  }

  const uint64_t series_off = out.size();
  std::vector<uint32_t> entry_offsets;
  entry_offsets.reserve(series_.size());
  std::map<std::pair<uint64_t, uint64_t>, std::vector<uint32_t>> postings;
  for (size_t i = 0; i < series_.size(); ++i) {
    const SeriesEntry& s = series_[i];
    entry_offsets.push_back(uint32_t(out.size() - series_off));
    PutUvarint(out, s.labels.size());
    for (const Label& l : s.labels) {
      uint64_t n = sym(l.name), v = sym(l.value);
      PutUvarint(out, n);
      PutUvarint(out, v);
      postings[{n, v}].push_back(uint32_t(i));
    }
    PutUvarint(out, s.chunks.size());
    PutUvarint(out, s.chunks.front().raw_offset);
    int64_t prev = mint_;
    for (const ChunkRef& c : s.chunks) {
      PutVarint(out, int64_t(uint64_t(c.mint) - uint64_t(prev)));
      PutUvarint(out, uint64_t(c.maxt) - uint64_t(c.mint));
      PutUvarint(out, c.length);
      prev = c.maxt;
    }
  }

  const uint64_t table_off = out.size();
  for (uint32_t o : entry_offsets) PutU32(out, o);

  const uint64_t postings_off = out.size();
  size_t names = 0;
  for (auto it = postings.begin(); it != postings.end(); ++it) {
    if (it == postings.begin() || std::prev(it)->first.first != it->first.first) ++names;
  }
  PutUvarint(out, names);
  for (auto it = postings.begin(); it != postings.end();) {
    uint64_t name = it->first.first;
    auto end = it;
    size_t values = 0;
    while (end != postings.end() && end->first.first == name) ++end, ++values;
    PutUvarint(out, name);
    PutUvarint(out, values);
    for (; it != end; ++it) {
      PutUvarint(out, it->first.second);
      PutUvarint(out, it->second.size());
      uint32_t prev = 0;
      for (uint32_t id : it->second) {
        PutUvarint(out, id - prev);
        prev = id;
      }
    }
  }

  const uint64_t groups_off = out.size();
  PutUvarint(out, groups_.size());
  for (const Group& g : groups_) {
    PutUvarint(out, g.compressed);
    PutUvarint(out, g.raw);
    PutU32(out, g.crc);
  }

  PutU64(out, sym_off);
  PutU64(out, series_off);
  PutU64(out, table_off);
  PutU64(out, postings_off);
  PutU64(out, groups_off);
  PutU64(out, series_.size());
  PutU64(out, uint64_t(mint_));
  PutU32(out, Crc32c(out.data(), out.size()));
  out.append(kIndexMagic, 4);
  return out;
}

Result<BlockMeta> BlockWriter::Finish(uint32_t level, std::vector<std::string> sources) {
  if (finished_) return Internal("block writer: Finish called twice");
  if (series_.empty()) return NotFound("block writer: no samples");
  PW_RETURN_IF_ERROR(FlushGroup());
  fs::path chunks = tmp_ / kChunksFileName;
  if (::fdatasync(chunks_fd_) != 0) return IoError("fdatasync " + chunks.string(), errno);
  ::close(chunks_fd_);
  chunks_fd_ = -1;

  std::string index = BuildIndex();
  if (index.size() > UINT32_MAX) return ResourceExhausted("block writer: index larger than 4 GiB");
  PW_RETURN_IF_ERROR(WriteFileSynced(tmp_ / kIndexFileName, index));

  BlockMeta meta;
  meta.name = name_;
  meta.mint = mint_;
  meta.maxt = maxt_;
  meta.num_series = series_.size();
  meta.num_samples = num_samples_;
  meta.num_chunks = num_chunks_;
  meta.level = level;
  meta.sources = sources.empty() ? std::vector<std::string>{name_} : std::move(sources);
  std::sort(meta.sources.begin(), meta.sources.end());
  PW_RETURN_IF_ERROR(WriteFileSynced(tmp_ / kMetaFileName, EncodeBlockMeta(meta)));
  PW_RETURN_IF_ERROR(SyncDirectory(tmp_));

  fs::path final_dir = parent_ / name_;
  std::error_code ec;
  fs::remove_all(final_dir, ec);
  fs::rename(tmp_, final_dir, ec);
  if (ec) return IoError("rename " + tmp_.string(), ec.value());
  finished_ = true;
  PW_RETURN_IF_ERROR(SyncDirectory(parent_));
  return meta;
}

Result<BlockMeta> WriteBlockFromQuerier(const Querier& source, int64_t mint, int64_t maxt, const fs::path& parent,
                                        const std::string& name, uint32_t level, std::vector<std::string> sources,
                                        const BlockWriterOptions& opts) {
  PW_ASSIGN_OR_RETURN(auto writer, BlockWriter::Create(parent, name, opts));
  auto set = source.Select({});
  std::vector<Sample> samples;
  while (set->Next()) {
    const Series& s = set->At();
    samples.clear();
    SeriesIterator it = s.Iterator();
    while (it.Next()) {
      if (it.t() < mint || it.t() > maxt) continue;
      samples.push_back(Sample{it.t(), it.v()});
    }
    if (!it.status().ok()) return it.status().WithContext("reading " + s.labels().ToString());
    auto views = s.labels().Views();
    PW_RETURN_IF_ERROR(writer->AddSeries(views, samples));
  }
  PW_RETURN_IF_ERROR(set->status());
  return writer->Finish(level, std::move(sources));
}

}  // namespace perfwatch::tsdb
