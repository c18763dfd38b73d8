#include "budget/run_store.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <optional>
#include <random>

#include "common/coding.h"
#include "common/file_util.h"
#include "common/log.h"
#include "events/log_file.h"

namespace perfwatch::budget {
namespace {

constexpr char kRunRecord = 'R';
constexpr int64_t kRunLogLength = INT64_MAX;  // runs.log is not a time partition
constexpr size_t kCompactChunkBytes = 1u << 20;
constexpr size_t kMinCommitPrefix = 7;

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

// 'R', id, app, branch, commit, build_id, zigzag(time_ms), json (last, so its offset in
// the file is the record's end minus its size).
std::string EncodeRun(std::string_view id, std::string_view app, std::string_view branch, std::string_view commit,
                      std::string_view build_id, int64_t time_ms, std::string_view json) {
  std::string out;
  out.reserve(json.size() + id.size() + app.size() + branch.size() + commit.size() + build_id.size() + 24);
  out.push_back(kRunRecord);
  PutString(out, id);
  PutString(out, app);
  PutString(out, branch);
  PutString(out, commit);
  PutString(out, build_id);
  PutVarint(out, ZigZag(time_ms));
  PutString(out, json);
  return out;
}

struct DecodedRun {
  std::string_view id, app, branch, commit, build_id, json;
  int64_t time_ms = 0;
};

Status DecodeRun(std::string_view payload, DecodedRun* r) {
  Decoder dec(payload);
  uint8_t kind = 0;
  uint64_t t = 0;
  if (!dec.Byte(&kind) || kind != kRunRecord || !dec.LengthPrefixed(&r->id) || !dec.LengthPrefixed(&r->app) ||
      !dec.LengthPrefixed(&r->branch) || !dec.LengthPrefixed(&r->commit) || !dec.LengthPrefixed(&r->build_id) ||
      !dec.Varint(&t) || !dec.LengthPrefixed(&r->json) || !dec.done()) {
    return DataLoss("malformed budget run record");
  }
  r->time_ms = UnZigZag(t);
  return Status::Ok();
}

std::string NewId() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// {"id":"<id>",<members of json>}
std::string WithId(std::string_view id, std::string_view json) {
  std::string out = "{\"id\":\"";
  out.append(id);
  out += "\",";
  out.append(json.substr(1));
  return out;
}

}  // namespace

bool RunStore::Before(const Entry& a, const Entry& b) {
  return a.time_ms != b.time_ms ? a.time_ms < b.time_ms : a.seq < b.seq;
}

bool RunStore::Matches(const Entry& e, const RunFilter& f) {
  if (!f.app.empty() && e.app != f.app) return false;
  if (!f.branch.empty() && e.branch != f.branch) return false;
  if (!f.build_id.empty() && e.build_id != f.build_id) return false;
  if (!f.commit.empty() && e.commit != f.commit &&
      !(f.commit.size() >= kMinCommitPrefix && std::string_view(e.commit).starts_with(f.commit))) {
    return false;
  }
  return true;
}

RunStore::RunStore(std::filesystem::path dir, RunStoreOptions options, std::unique_ptr<events::LogWriter> writer,
                   std::vector<Entry> runs, size_t records_in_file, uint64_t next_seq)
    : dir_(std::move(dir)),
      options_(options),
      writer_(std::move(writer)),
      runs_(std::move(runs)),
      records_in_file_(records_in_file),
      next_seq_(next_seq) {
  for (const Entry& e : runs_) ids_.insert(e.id);
}

RunStore::~RunStore() = default;

Result<std::unique_ptr<RunStore>> RunStore::Open(const std::filesystem::path& dir, RunStoreOptions options) {
  if (options.max_runs == 0) return InvalidArgument("budget run store: max_runs must be at least 1");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("create " + dir.string(), ec.value());
  std::filesystem::remove(dir / "runs.log.compact", ec);  // an interrupted compaction
  const auto path = dir / "runs.log";
  std::vector<Entry> runs;
  std::optional<uint64_t> valid;
  if (std::filesystem::exists(path)) {
    PW_ASSIGN_OR_RETURN(auto reader, events::LogReader::Open(path));
    const char* base = reader->data().data();
    std::string_view payload;
    uint64_t offset = 0;
    bool done = false;
    while (!done) {
      switch (reader->Next(&payload, &offset)) {
        case events::LogReader::Outcome::kRecord: {
          DecodedRun d;
          PW_RETURN_IF_ERROR(DecodeRun(payload, &d).WithContext(path.string() + " at offset " + std::to_string(offset)));
          Entry e{.id = std::string(d.id),
                  .app = std::string(d.app),
                  .branch = std::string(d.branch),
                  .commit = std::string(d.commit),
                  .build_id = std::string(d.build_id),
                  .time_ms = d.time_ms,
                  .seq = runs.size(),
                  .json_offset = static_cast<uint64_t>(d.json.data() - base),
                  .json_size = static_cast<uint32_t>(d.json.size())};
          runs.push_back(std::move(e));
          continue;
        }
        case events::LogReader::Outcome::kEnd:
          done = true;
          break;
        case events::LogReader::Outcome::kTornTail:
          PW_LOG_WARN("budget run store: torn tail truncated", "file={} offset={}", LogQuote(path.string()),
                      reader->good_bytes());
          valid = reader->good_bytes();
          done = true;
          break;
        case events::LogReader::Outcome::kCorrupt:
          return DataLoss("corrupt record in " + path.string() + " at offset " + std::to_string(reader->good_bytes()));
      }
    }
  }
  PW_ASSIGN_OR_RETURN(auto writer, events::LogWriter::Open(path, events::LogHeader{0, kRunLogLength}, valid));
  const size_t records = runs.size();
  const uint64_t next_seq = runs.size();
  std::stable_sort(runs.begin(), runs.end(), Before);
  std::unique_ptr<RunStore> store(
      new RunStore(dir, options, std::move(writer), std::move(runs), records, next_seq));
  {
    std::unique_lock lock(store->mu_);
    store->EvictLocked();
  }
  return store;
}

Result<std::vector<PinnedFile>> RunStore::PinForSnapshot(const std::filesystem::path& dest) const {
  std::shared_lock lock(mu_);  // Add and compaction hold it exclusively
  std::vector<PinnedFile> pins;
  PW_ASSIGN_OR_RETURN(PinnedFile pin, events::PinLog(*writer_, dir_, dest));
  pins.push_back(std::move(pin));
  return pins;
}

Result<std::string> RunStore::Add(NewRun run) {
  if (run.app.empty()) return InvalidArgument("app is required");
  for (const auto* f : {&run.app, &run.branch, &run.commit, &run.build_id}) {
    if (f->size() > kMaxFieldBytes) return InvalidArgument("field longer than " + std::to_string(kMaxFieldBytes) + " bytes");
  }
  if (run.json.size() < 3 || run.json.front() != '{' || run.json.back() != '}') {
    return InvalidArgument("the run must be a JSON object with members");
  }
  if (run.json.size() > kMaxJsonBytes) {
    return InvalidArgument("the run is larger than " + std::to_string(kMaxJsonBytes) + " bytes");
  }
  std::unique_lock lock(mu_);
  if (!write_error_.ok()) return Unavailable(write_error_.message());
  std::string id;
  do {
    id = NewId();
  } while (ids_.contains(id));
  const std::string json = WithId(id, run.json);
  std::string bytes;
  events::AppendRecord(bytes, EncodeRun(id, run.app, run.branch, run.commit, run.build_id, run.time_ms, json));
  const uint64_t before = writer_->size();
  PW_RETURN_IF_ERROR(writer_->Write(bytes).WithContext("budget run store"));
  if (Status st = writer_->Sync(); !st.ok()) {
    (void)writer_->Truncate(before);
    return st.WithContext("budget run store");
  }
  ++records_in_file_;
  Entry e{.id = id,
          .app = std::move(run.app),
          .branch = std::move(run.branch),
          .commit = std::move(run.commit),
          .build_id = std::move(run.build_id),
          .time_ms = run.time_ms,
          .seq = next_seq_++,
          .json_offset = before + bytes.size() - json.size(),
          .json_size = static_cast<uint32_t>(json.size())};
  runs_.insert(std::upper_bound(runs_.begin(), runs_.end(), e, Before), e);
  ids_.insert(id);
  EvictLocked();
  return id;
}

void RunStore::EvictLocked() {
  if (runs_.size() > options_.max_runs) {
    const size_t drop = runs_.size() - options_.max_runs;
    for (size_t i = 0; i < drop; ++i) ids_.erase(runs_[i].id);
    runs_.erase(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  if (records_in_file_ - runs_.size() >= options_.max_runs) {
    if (Status st = CompactLocked(); !st.ok()) {
      PW_LOG_WARN("budget run store: compaction failed; the file keeps the evicted runs", "error={}",
                  LogQuote(st.message()));
    }
  }
}

Status RunStore::CompactLocked() {
  const auto path = dir_ / "runs.log";
  const auto tmp = dir_ / "runs.log.compact";
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  PW_ASSIGN_OR_RETURN(auto out, events::LogWriter::Open(tmp, events::LogHeader{0, kRunLogLength}, std::nullopt));
  std::vector<uint64_t> offsets;
  offsets.reserve(runs_.size());
  std::string chunk;
  std::string json;
  uint64_t written = out->size();
  for (const Entry& e : runs_) {
    PW_RETURN_IF_ERROR(writer_->ReadAt(e.json_offset, e.json_size, json));
    if (json.size() != e.json_size) return DataLoss("short read of a budget run in " + path.string());
    events::AppendRecord(chunk, EncodeRun(e.id, e.app, e.branch, e.commit, e.build_id, e.time_ms, json));
    offsets.push_back(written + chunk.size() - json.size());
    if (chunk.size() >= kCompactChunkBytes) {
      PW_RETURN_IF_ERROR(out->Write(chunk));
      written += chunk.size();
      chunk.clear();
    }
  }
  PW_RETURN_IF_ERROR(out->Write(chunk));
  PW_RETURN_IF_ERROR(out->Sync());
  out.reset();
  std::filesystem::rename(tmp, path, ec);
  if (ec) return IoError("rename " + tmp.string(), ec.value());
  // From here runs.log is the compacted file: switch to it even if the directory sync fails.
  auto reopened = events::LogWriter::Open(path, events::LogHeader{0, kRunLogLength}, std::nullopt);
  if (!reopened.ok()) {
    // The old descriptor still reads the replaced file (the offsets stay valid), but what
    // it appended would be lost on restart: refuse new runs until a restart.
    write_error_ = reopened.status().WithContext("reopen compacted budget run log");
    return write_error_;
  }
  writer_ = std::move(reopened).value();
  for (size_t i = 0; i < runs_.size(); ++i) {
    runs_[i].json_offset = offsets[i];
    runs_[i].seq = i;
  }
  next_seq_ = runs_.size();
  records_in_file_ = runs_.size();
  return SyncDirectory(dir_);
}

Result<std::vector<std::string>> RunStore::List(const RunFilter& filter) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    if (!Matches(*it, filter)) continue;
    std::string json;
    PW_RETURN_IF_ERROR(writer_->ReadAt(it->json_offset, it->json_size, json).WithContext("read budget run " + it->id));
    if (json.size() != it->json_size) return DataLoss("short read of budget run " + it->id);
    out.push_back(std::move(json));
    if (filter.limit != 0 && out.size() >= filter.limit) break;
  }
  return out;
}

size_t RunStore::size() const {
  std::shared_lock lock(mu_);
  return runs_.size();
}

size_t RunStore::records_in_file() const {
  std::shared_lock lock(mu_);
  return records_in_file_;
}

}  // namespace perfwatch::budget
