// BlockStore: loading, writing, compaction and retention of persisted blocks.
#include "tsdb/block_store.h"

#include "common/file_util.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "tsdb/merge_querier.h"

namespace perfwatch::tsdb {

namespace fs = std::filesystem;

namespace {

bool Older(const std::shared_ptr<const Block>& a, const std::shared_ptr<const Block>& b) {
  if (a->meta().mint != b->meta().mint) return a->meta().mint < b->meta().mint;
  return a->meta().name < b->meta().name;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<std::unique_ptr<BlockStore>> BlockStore::Open(fs::path dir, BlockStoreOptions opts) {
  std::unique_ptr<BlockStore> s(new BlockStore(std::move(dir), std::move(opts)));
  PW_RETURN_IF_ERROR(s->Load());
  return s;
}

Status BlockStore::Load() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return IoError("mkdir " + dir_.string(), ec.value());
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!entry.is_directory()) continue;
    std::string name = entry.path().filename().string();
    if (EndsWith(name, ".tmp")) {
      fs::remove_all(entry.path(), ec);
      problems_.push_back("removed incomplete block " + name);
      continue;
    }
    dirs.push_back(entry.path());
  }
  if (ec) return IoError("list " + dir_.string(), ec.value());
  std::vector<std::shared_ptr<const Block>> blocks;
  for (const fs::path& d : dirs) {
    auto b = Block::Open(d);
    if (!b.ok()) {
      problems_.push_back(b.status().message() + " (skipped)");
      continue;
    }
    blocks.push_back(std::move(*b));
  }
  // Drop blocks fully covered by another block's sources (an interrupted compaction).
  std::vector<std::shared_ptr<const Block>> kept;
  for (const auto& b : blocks) {
    bool covered = false;
    for (const auto& o : blocks) {
      if (o == b || o->meta().sources.size() <= b->meta().sources.size()) continue;
      covered = std::includes(o->meta().sources.begin(), o->meta().sources.end(), b->meta().sources.begin(),
                              b->meta().sources.end());
      if (covered) break;
    }
    if (covered) {
      problems_.push_back("removed block " + b->meta().name + ": already compacted into another block");
      fs::remove_all(b->dir(), ec);
    } else {
      kept.push_back(b);
    }
  }
  std::sort(kept.begin(), kept.end(), Older);
  for (const std::string& p : problems_) PW_LOG_WARN("tsdb block problem", "detail={}", LogQuote(p));
  std::lock_guard lock(mu_);
  blocks_ = std::move(kept);
  return Status::Ok();
}

Result<BlockMeta> BlockStore::WriteBlock(const Querier& source, int64_t mint, int64_t maxt) {
  std::lock_guard wlock(write_mu_);
  std::string name = NewBlockName();
  PW_ASSIGN_OR_RETURN(BlockMeta meta, WriteBlockFromQuerier(source, mint, maxt, dir_, name, 1, {}, opts_.writer));
  PW_ASSIGN_OR_RETURN(auto block, Block::Open(dir_ / name));
  PW_RETURN_IF_ERROR(Swap({}, std::move(block)));
  return meta;
}

std::vector<std::shared_ptr<const Block>> BlockStore::Blocks() const {
  std::lock_guard lock(mu_);
  return blocks_;
}

std::vector<std::unique_ptr<Querier>> BlockStore::BlockQueriers(int64_t mint, int64_t maxt) const {
  std::vector<std::unique_ptr<Querier>> out;
  for (const auto& b : Blocks()) {
    if (b->meta().mint <= maxt && mint <= b->meta().maxt) out.push_back(b->NewQuerier(mint, maxt));
  }
  return out;
}

std::unique_ptr<Querier> BlockStore::NewQuerier(int64_t mint, int64_t maxt) const {
  return NewMergeQuerier(BlockQueriers(mint, maxt), mint, maxt);
}

Status BlockStore::Swap(const std::vector<std::string>& remove, std::shared_ptr<const Block> add) {
  std::vector<std::shared_ptr<const Block>> removed;
  {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<const Block>> next;
    for (const auto& b : blocks_) {
      if (std::find(remove.begin(), remove.end(), b->meta().name) != remove.end()) {
        removed.push_back(b);
      } else {
        next.push_back(b);
      }
    }
    if (add) next.push_back(std::move(add));
    std::sort(next.begin(), next.end(), Older);
    blocks_ = std::move(next);
  }
  // Readers may still hold these blocks: their mappings survive the unlink.
  Status status;
  for (const auto& b : removed) {
    std::error_code ec;
    fs::remove_all(b->dir(), ec);
    if (ec && status.ok()) status = IoError("remove " + b->dir().string(), ec.value());
  }
  if (!removed.empty()) {
    Status s = SyncDirectory(dir_);
    if (status.ok()) status = s;
  }
  return status;
}

Status BlockStore::Compact() {
  std::lock_guard wlock(write_mu_);
  for (int round = 0; round < 10000; ++round) {
    std::vector<std::shared_ptr<const Block>> blocks = Blocks();
    std::vector<BlockMeta> metas;
    for (const auto& b : blocks) metas.push_back(b->meta());
    std::vector<size_t> plan = PlanCompaction(metas, opts_.compaction_ranges);
    if (plan.empty()) return Status::Ok();

    std::sort(plan.begin(), plan.end(), [&](size_t a, size_t b) { return Older(blocks[a], blocks[b]); });
    int64_t mint = INT64_MAX, maxt = INT64_MIN;
    uint32_t level = 0;
    std::set<std::string> sources;
    std::vector<std::string> names;
    std::vector<std::unique_ptr<Querier>> queriers;
    for (size_t i : plan) {
      const BlockMeta& m = metas[i];
      mint = std::min(mint, m.mint);
      maxt = std::max(maxt, m.maxt);
      level = std::max(level, m.level);
      sources.insert(m.sources.begin(), m.sources.end());
      names.push_back(m.name);
    }
    for (size_t i : plan) queriers.push_back(blocks[i]->NewQuerier(mint, maxt));
    auto merged = NewMergeQuerier(std::move(queriers), mint, maxt);
    std::string name = NewBlockName();
    auto meta = WriteBlockFromQuerier(*merged, mint, maxt, dir_, name, level + 1,
                                      std::vector<std::string>(sources.begin(), sources.end()),
                                      opts_.compaction_writer);
    if (!meta.ok()) return meta.status().WithContext("compacting " + std::to_string(plan.size()) + " blocks");
    PW_ASSIGN_OR_RETURN(auto block, Block::Open(dir_ / name));
    PW_RETURN_IF_ERROR(Swap(names, std::move(block)));
    std::lock_guard lock(mu_);
    ++compactions_;
  }
  return Internal("compaction did not converge");
}

Result<size_t> BlockStore::EnforceRetention(int64_t now_ms, int64_t retention_ms, uint64_t max_bytes) {
  std::lock_guard wlock(write_mu_);
  std::vector<std::shared_ptr<const Block>> blocks = Blocks();  // oldest first
  std::vector<std::string> drop;
  uint64_t total = 0;
  for (const auto& b : blocks) total += b->size_bytes();
  for (const auto& b : blocks) {
    bool expired = retention_ms > 0 && b->meta().maxt < now_ms - retention_ms;
    // Oldest first: by mint, so the block with the oldest data goes first.
    bool too_big = max_bytes > 0 && total > max_bytes;
    if (!expired && !too_big) continue;
    drop.push_back(b->meta().name);
    total -= b->size_bytes();
  }
  if (drop.empty()) return size_t{0};
  PW_RETURN_IF_ERROR(Swap(drop, nullptr));
  std::lock_guard lock(mu_);
  deleted_ += drop.size();
  return drop.size();
}

BlockStoreStats BlockStore::Stats() const {
  BlockStoreStats s;
  std::lock_guard lock(mu_);
  s.blocks = blocks_.size();
  for (const auto& b : blocks_) {
    s.bytes += b->size_bytes();
    s.series += b->meta().num_series;
    s.samples += b->meta().num_samples;
    s.min_time = std::min(s.min_time, b->meta().mint);
    s.max_time = std::max(s.max_time, b->meta().maxt);
  }
  s.compactions = compactions_;
  s.blocks_deleted = deleted_;
  return s;
}

}  // namespace perfwatch::tsdb
