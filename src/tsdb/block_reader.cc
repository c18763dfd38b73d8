// Block: mmap'ed index and chunks, validated on open; BlockQuerier reads series through
// the block's postings and decompresses chunk groups lazily (one cached per series set).
#include "tsdb/block_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/crc32c.h"

namespace perfwatch::tsdb {

namespace fs = std::filesystem;

namespace {

Status MapFile(const fs::path& path, const uint8_t** data, size_t* size, int advice) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return DataLoss("open " + path.string() + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("stat " + path.string(), err);
  }
  *size = size_t(st.st_size);
  *data = nullptr;
  if (*size > 0) {
    void* p = ::mmap(nullptr, *size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return IoError("mmap " + path.string(), err);
    }
    ::madvise(p, *size, advice);
    *data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return Status::Ok();
}

bool Overlaps(int64_t a_min, int64_t a_max, int64_t b_min, int64_t b_max) { return a_min <= b_max && b_min <= a_max; }

bool CheckHeader(const uint8_t* data, size_t size, const char magic[4]) {
  return size >= kBlockFileHeaderSize && std::memcmp(data, magic, 4) == 0 && data[4] == kBlockFormatVersion &&
         data[5] == 0 && data[6] == 0 && data[7] == 0;
}

}  // namespace

Block::~Block() {
  if (index_.data) ::munmap(const_cast<uint8_t*>(index_.data), index_.size);
  if (chunks_.data) ::munmap(const_cast<uint8_t*>(chunks_.data), chunks_.size);
}

Result<std::shared_ptr<Block>> Block::Open(const fs::path& dir) {
  std::shared_ptr<Block> b(new Block(dir));
  Status s = b->Load();
  if (!s.ok()) return s.WithContext("block " + dir.filename().string());
  return b;
}

Status Block::Load() {
  // meta.json
  fs::path meta_path = dir_ / kMetaFileName;
  {
    const uint8_t* data;
    size_t size;
    PW_RETURN_IF_ERROR(MapFile(meta_path, &data, &size, MADV_SEQUENTIAL));
    std::string json(reinterpret_cast<const char*>(data), size);
    if (data) ::munmap(const_cast<uint8_t*>(data), size);
    PW_ASSIGN_OR_RETURN(meta_, ParseBlockMeta(json));
    meta_.name = dir_.filename().string();
    size_bytes_ = size;
  }
  PW_RETURN_IF_ERROR(MapFile(dir_ / kIndexFileName, &index_.data, &index_.size, MADV_WILLNEED));
  PW_RETURN_IF_ERROR(MapFile(dir_ / kChunksFileName, &chunks_.data, &chunks_.size, MADV_NORMAL));
  size_bytes_ += index_.size + chunks_.size;
  PW_RETURN_IF_ERROR(ParseIndex());
  if (num_series_ != meta_.num_series) return DataLoss("index and meta.json disagree on the series count");
  return Status::Ok();
}

Status Block::ParseIndex() {
  const uint8_t* d = index_.data;
  const size_t n = index_.size;
  if (!d || !CheckHeader(d, n, kIndexMagic)) return DataLoss("index: bad magic or version");
  if (n < kBlockFileHeaderSize + kIndexTocSize) return DataLoss("index: truncated");
  const uint8_t* toc = d + n - kIndexTocSize;
  if (std::memcmp(toc + 60, kIndexMagic, 4) != 0) return DataLoss("index: truncated (no trailer)");
  if (Crc32c(d, n - 8) != LoadU32(toc + 56)) return DataLoss("index: checksum mismatch");
  uint64_t off[5];
  for (int i = 0; i < 5; ++i) off[i] = LoadU64(toc + 8 * i);
  num_series_ = LoadU64(toc + 40);
  chunk_base_ = int64_t(LoadU64(toc + 48));
  const uint64_t toc_off = n - kIndexTocSize;
  for (int i = 0; i < 5; ++i) {
    if (off[i] < kBlockFileHeaderSize || off[i] > toc_off || (i > 0 && off[i] < off[i - 1])) {
      return DataLoss("index: bad section offsets");
    }
  }
  // Not `num_series_ * 4`: that wraps, and a huge count would pass with a small table.
  if ((off[3] - off[2]) % 4 != 0 || (off[3] - off[2]) / 4 != num_series_) {
    return DataLoss("index: series table size mismatch");
  }

  // Symbols.
  ByteReader r(d + off[0], d + off[1]);
  uint64_t nsyms = r.Uvarint();
  if (nsyms > r.remaining()) return DataLoss("index: bad symbol count");
  symbols_.reserve(nsyms);
  for (uint64_t i = 0; i < nsyms && r.ok(); ++i) symbols_.push_back(r.Bytes(r.Uvarint()));
  if (!r.ok()) return DataLoss("index: truncated symbol table");
  auto symbol = [&](uint64_t id, bool* ok) -> std::string_view {
    if (id >= symbols_.size()) return *ok = false, std::string_view();
    return symbols_[id];
  };

  series_ = d + off[1];
  series_end_ = d + off[2];
  table_ = d + off[2];

  // Postings directory: names and values with a pointer to their lists.
  r = ByteReader(d + off[3], d + off[4]);
  uint64_t nnames = r.Uvarint();
  if (nnames > r.remaining()) return DataLoss("index: bad label name count");
  names_.reserve(nnames);
  bool ok = true;
  for (uint64_t i = 0; i < nnames && r.ok() && ok; ++i) {
    NameEntry e;
    e.name = symbol(r.Uvarint(), &ok);
    uint64_t nvalues = r.Uvarint();
    if (nvalues > r.remaining()) return DataLoss("index: bad label value count");
    e.values.reserve(nvalues);
    for (uint64_t j = 0; j < nvalues && r.ok() && ok; ++j) {
      ValueEntry v;
      v.value = symbol(r.Uvarint(), &ok);
      uint64_t count = r.Uvarint();
      if (count > num_series_) return DataLoss("index: postings list longer than the series count");
      v.count = uint32_t(count);
      v.postings = r.pos();
      for (uint64_t k = 0; k < count; ++k) r.Uvarint();
      e.values.push_back(v);
    }
    names_.push_back(std::move(e));
  }
  if (!r.ok() || !ok) return DataLoss("index: corrupt postings");

  // Group table; the chunks file must be exactly header + groups.
  r = ByteReader(d + off[4], d + toc_off);
  uint64_t ngroups = r.Uvarint();
  if (ngroups > r.remaining()) return DataLoss("index: bad group count");
  groups_.reserve(ngroups);
  uint64_t file_off = kBlockFileHeaderSize, raw = 0;
  for (uint64_t i = 0; i < ngroups && r.ok(); ++i) {
    Group g;
    g.file_offset = file_off;
    g.raw_start = raw;
    uint64_t c = r.Uvarint(), rl = r.Uvarint();
    if (c > UINT32_MAX || rl > UINT32_MAX) return DataLoss("index: bad group size");
    g.compressed = uint32_t(c);
    g.raw = uint32_t(rl);
    g.crc = r.U32();
    file_off += c;
    raw += rl;
    groups_.push_back(g);
  }
  if (!r.ok()) return DataLoss("index: corrupt group table");
  if (!chunks_.data || !CheckHeader(chunks_.data, chunks_.size, kChunksMagic)) {
    return DataLoss("chunks: bad magic or version");
  }
  if (chunks_.size != file_off) {
    return DataLoss("chunks: size " + std::to_string(chunks_.size) + ", index expects " + std::to_string(file_off));
  }
  return Status::Ok();
}

Status Block::ReadSeries(uint64_t id, std::vector<LabelView>* labels, std::vector<ChunkMeta>* chunks) const {
  labels->clear();
  chunks->clear();
  if (id >= num_series_) return DataLoss("series id out of range");
  uint32_t off = LoadU32(table_ + 4 * id);
  if (off >= uint64_t(series_end_ - series_)) return DataLoss("series offset out of range");
  ByteReader r(series_ + off, series_end_);
  uint64_t nlabels = r.Uvarint();
  if (nlabels > r.remaining()) return DataLoss("series: bad label count");
  for (uint64_t i = 0; i < nlabels && r.ok(); ++i) {
    uint64_t n = r.Uvarint(), v = r.Uvarint();
    if (n >= symbols_.size() || v >= symbols_.size()) return DataLoss("series: symbol out of range");
    labels->push_back(LabelView{symbols_[n], symbols_[v]});
  }
  uint64_t nchunks = r.Uvarint();
  if (nchunks > r.remaining()) return DataLoss("series: bad chunk count");
  uint64_t raw = r.Uvarint();
  int64_t prev = chunk_base_;
  for (uint64_t i = 0; i < nchunks && r.ok(); ++i) {
    ChunkMeta c;
    c.mint = int64_t(uint64_t(prev) + uint64_t(r.Varint()));
    c.maxt = int64_t(uint64_t(c.mint) + r.Uvarint());
    uint64_t len = r.Uvarint();
    if (len > UINT32_MAX) return DataLoss("series: bad chunk length");
    c.raw_offset = raw;
    c.length = uint32_t(len);
    raw += len;
    prev = c.maxt;
    chunks->push_back(c);
  }
  if (!r.ok()) return DataLoss("series: truncated entry");
  return Status::Ok();
}

size_t Block::FindGroup(uint64_t raw) const {
  auto it = std::upper_bound(groups_.begin(), groups_.end(), raw,
                             [](uint64_t x, const Group& g) { return x < g.raw_start; });
  if (it == groups_.begin()) return groups_.size();
  size_t g = size_t(it - groups_.begin()) - 1;
  return raw < groups_[g].raw_start + groups_[g].raw ? g : groups_.size();
}

Result<std::vector<uint8_t>> Block::ReadGroup(size_t g) const {
  const Group& grp = groups_[g];
  std::span<const uint8_t> z(chunks_.data + grp.file_offset, grp.compressed);
  if (Crc32c(z.data(), z.size()) != grp.crc) {
    return DataLoss("block " + meta_.name + ": chunk group " + std::to_string(g) + " checksum mismatch");
  }
  // A group holds ~256 KiB (block_writer.h); one series' chunks of a block are a few MB at
  // most. A larger claim is damage, refused before anything is allocated for it.
  constexpr uint32_t kMaxGroupRaw = 256u << 20;
  if (grp.raw > kMaxGroupRaw) {
    return DataLoss("block " + meta_.name + ": chunk group " + std::to_string(g) + " claims " +
                    std::to_string(grp.raw) + " raw bytes (limit " + std::to_string(kMaxGroupRaw) + ")");
  }
  auto raw = DecompressBlock(z, grp.raw);
  if (!raw.ok()) return raw.status().WithContext("block " + meta_.name + ": chunk group " + std::to_string(g));
  if (raw->size() != grp.raw) return DataLoss("block " + meta_.name + ": chunk group size mismatch");
  return raw;
}

const Block::NameEntry* Block::FindName(std::string_view name) const {
  auto it = std::lower_bound(names_.begin(), names_.end(), name,
                             [](const NameEntry& e, std::string_view n) { return e.name < n; });
  return it != names_.end() && it->name == name ? &*it : nullptr;
}

Postings Block::Decode(const ValueEntry& v) const {
  Postings out;
  out.reserve(v.count);
  ByteReader r(v.postings, index_.data + index_.size);
  uint64_t id = 0;
  for (uint32_t i = 0; i < v.count; ++i) {
    id += r.Uvarint();
    if (!r.ok() || id >= num_series_ || (i > 0 && id <= out.back())) break;  // validated at open
    out.push_back(id);
  }
  return out;
}

// Ids whose value of m.name() matches m (false: does not match), ignoring absent labels.
Postings Block::MatchOne(const Matcher& m) const {
  const NameEntry* e = FindName(m.name());
  if (!e) return {};
  if (m.type() == MatchType::kEqual) {
    auto it = std::lower_bound(e->values.begin(), e->values.end(), std::string_view(m.value()),
                               [](const ValueEntry& v, std::string_view x) { return v.value < x; });
    return it != e->values.end() && it->value == m.value() ? Decode(*it) : Postings{};
  }
  std::vector<Postings> lists;
  for (const ValueEntry& v : e->values) {
    if (m.Matches(v.value)) lists.push_back(Decode(v));
  }
  return MergePostings(std::move(lists));
}

Result<Postings> Block::Select(std::span<const Matcher> matchers) const {
  // Matchers that do not match "" intersect their lists; the others subtract the series
  // whose value of the label does not match (series without the label are kept).
  bool have_positive = false;
  Postings result;
  std::vector<const Matcher*> negative;
  for (const Matcher& m : matchers) {
    if (m.MatchesEmpty()) {
      negative.push_back(&m);
      continue;
    }
    Postings p = MatchOne(m);
    result = have_positive ? IntersectPostings(result, p) : std::move(p);
    have_positive = true;
    if (result.empty()) return result;
  }
  if (!have_positive) {
    result.resize(num_series_);
    for (uint64_t i = 0; i < num_series_; ++i) result[i] = i;
  }
  for (const Matcher* m : negative) {
    const NameEntry* e = FindName(m->name());
    if (!e) continue;
    std::vector<Postings> drop;
    for (const ValueEntry& v : e->values) {
      if (!m->Matches(v.value)) drop.push_back(Decode(v));
    }
    if (!drop.empty()) result = SubtractPostings(result, MergePostings(std::move(drop)));
  }
  return result;
}

std::vector<std::string> Block::AllLabelNames() const {
  std::vector<std::string> out;
  for (const NameEntry& e : names_) out.emplace_back(e.name);
  return out;
}

std::vector<std::string> Block::AllLabelValues(std::string_view name) const {
  std::vector<std::string> out;
  if (const NameEntry* e = FindName(name)) {
    for (const ValueEntry& v : e->values) out.emplace_back(v.value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Querier

namespace {

class BlockSeriesSet final : public SeriesSet {
 public:
  BlockSeriesSet(std::shared_ptr<const Block> block, Postings ids, int64_t mint, int64_t maxt)
      : block_(std::move(block)), ids_(std::move(ids)), mint_(mint), maxt_(maxt) {}
  BlockSeriesSet(Status error) : status_(std::move(error)) {}

  bool Next() override {
    while (status_.ok() && pos_ < ids_.size()) {
      if (Load(ids_[pos_++])) return true;
    }
    return false;
  }
  const Series& At() const override { return current_; }
  Series Take() override { return std::move(current_); }
  Status status() const override { return status_; }

 private:
  // Bulk-decodes the chunks until a sample in [mint, maxt] shows up. Corrupt bytes count
  // as "in range" so the reader reports them when it gets there.
  static bool AnySampleInRange(std::span<const uint8_t> data, std::span<const uint32_t> ends, int64_t mint,
                               int64_t maxt) {
    thread_local std::vector<Sample> scratch;
    size_t start = 0;
    for (uint32_t end : ends) {
      scratch.clear();
      Status st = DecodeChunk(data.subspan(start, end - start), &scratch);
      start = end;
      if (!st.ok()) return true;
      auto it = std::lower_bound(scratch.begin(), scratch.end(), mint,
                                 [](const Sample& a, int64_t t) { return a.t < t; });
      if (it != scratch.end() && it->t <= maxt) return true;
    }
    return false;
  }

  bool Load(uint64_t id) {
    Status s = block_->ReadSeries(id, &labels_, &chunks_);
    if (!s.ok()) return Fail(s);
    std::vector<uint8_t> data;
    std::vector<uint32_t> ends;
    for (const Block::ChunkMeta& c : chunks_) {
      if (!Overlaps(c.mint, c.maxt, mint_, maxt_)) continue;
      if (cached_ >= block_->groups().size() || c.raw_offset < group_start_ ||
          c.raw_offset + c.length > group_start_ + group_.size()) {
        size_t g = block_->FindGroup(c.raw_offset);
        if (g >= block_->groups().size()) return Fail(DataLoss("block " + block_->meta().name + ": chunk ref out of range"));
        auto raw = block_->ReadGroup(g);
        if (!raw.ok()) return Fail(raw.status());
        group_ = std::move(*raw);
        cached_ = g;
        group_start_ = block_->groups()[g].raw_start;
        if (c.raw_offset + c.length > group_start_ + group_.size()) {
          return Fail(DataLoss("block " + block_->meta().name + ": chunk spans groups"));
        }
      }
      const uint8_t* p = group_.data() + (c.raw_offset - group_start_);
      data.insert(data.end(), p, p + c.length);
      ends.push_back(uint32_t(data.size()));
    }
    if (ends.empty()) return false;
    // The range may fall between two samples of a chunk: require one sample in range. A
    // chunk whose first or last sample is in range settles it without decoding anything.
    bool edge_in_range = false;
    for (const Block::ChunkMeta& c : chunks_) {
      edge_in_range |= (c.mint >= mint_ && c.mint <= maxt_) || (c.maxt >= mint_ && c.maxt <= maxt_);
    }
    if (!edge_in_range && !AnySampleInRange(data, ends, mint_, maxt_)) return false;
    current_ = Series(Labels::FromViews(labels_), std::move(data), std::move(ends), mint_, maxt_);
    return true;
  }
  bool Fail(Status s) {
    status_ = std::move(s);
    return false;
  }

  std::shared_ptr<const Block> block_;
  Postings ids_;
  size_t pos_ = 0;
  int64_t mint_ = 0, maxt_ = 0;
  std::vector<LabelView> labels_;
  std::vector<Block::ChunkMeta> chunks_;
  std::vector<uint8_t> group_;  // the last decompressed group
  size_t cached_ = SIZE_MAX;
  uint64_t group_start_ = 0;
  Series current_;
  Status status_;
};

class BlockQuerier final : public Querier {
 public:
  BlockQuerier(std::shared_ptr<const Block> block, int64_t mint, int64_t maxt)
      : Querier(mint, maxt), block_(std::move(block)) {}

  std::unique_ptr<SeriesSet> Select(std::span<const Matcher> matchers) const override {
    if (!Overlaps(block_->meta().mint, block_->meta().maxt, mint(), maxt())) {
      return std::make_unique<BlockSeriesSet>(block_, Postings{}, mint(), maxt());
    }
    auto ids = block_->Select(matchers);
    if (!ids.ok()) return std::make_unique<BlockSeriesSet>(ids.status());
    return std::make_unique<BlockSeriesSet>(block_, std::move(*ids), mint(), maxt());
  }

  Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers) const override {
    if (!Overlaps(block_->meta().mint, block_->meta().maxt, mint(), maxt())) return std::vector<std::string>{};
    if (matchers.empty() && Covers()) return block_->AllLabelNames();
    return Collect(matchers, [](std::span<const LabelView> ls, std::vector<std::string>* out) {
      for (const LabelView& l : ls) out->emplace_back(l.name);
    });
  }

  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const Matcher> matchers) const override {
    if (!Overlaps(block_->meta().mint, block_->meta().maxt, mint(), maxt())) return std::vector<std::string>{};
    if (matchers.empty() && Covers()) return block_->AllLabelValues(name);
    return Collect(matchers, [name](std::span<const LabelView> ls, std::vector<std::string>* out) {
      for (const LabelView& l : ls) {
        if (l.name == name) out->emplace_back(l.value);
      }
    });
  }

 private:
  // The range covers the whole block: every series of it is in range.
  bool Covers() const { return mint() <= block_->meta().mint && block_->meta().maxt <= maxt(); }
  // Label names/values of the series matching `matchers` with a chunk overlapping the
  // range (per chunk, not per sample: no chunk is decompressed).
  template <typename Fn>
  Result<std::vector<std::string>> Collect(std::span<const Matcher> matchers, Fn fn) const {
    PW_ASSIGN_OR_RETURN(Postings ids, block_->Select(matchers));
    std::vector<std::string> out;
    std::vector<LabelView> labels;
    std::vector<Block::ChunkMeta> chunks;
    for (uint64_t id : ids) {
      PW_RETURN_IF_ERROR(block_->ReadSeries(id, &labels, &chunks));
      bool in_range = false;
      for (const auto& c : chunks) in_range |= Overlaps(c.mint, c.maxt, mint(), maxt());
      if (in_range) fn(labels, &out);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  std::shared_ptr<const Block> block_;
};

}  // namespace

std::unique_ptr<Querier> Block::NewQuerier(int64_t mint, int64_t maxt) const {
  return std::make_unique<BlockQuerier>(shared_from_this(), mint, maxt);
}

}  // namespace perfwatch::tsdb
