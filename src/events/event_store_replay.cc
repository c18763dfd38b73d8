// EventStore::Impl::Replay: rebuilds the in-memory state from the partition logs.
//
// Records of all partitions are applied in global sequence order (a k-way merge: each
// log is in sequence order), so replace-on-repeat resolves exactly as it did live even
// when a repeat landed in an older partition. A log is cut at its first bad record:
// a torn tail (crash mid-write) is truncated with a warning; a bad record with data
// after it is logged as an error, the bytes from it to the end are copied to
// `events.log.corrupt-<offset>` for inspection, and the log is truncated there too
// (later records cannot be trusted: their dictionary references may point into the
// lost part). Policy and rationale: docs/events.md.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "common/log.h"
#include "events/event_store_impl.h"

namespace perfwatch::events {
namespace {

struct Cursor {
  std::shared_ptr<Partition> partition;
  std::unique_ptr<LogReader> reader;
  bool has = false;  // payload/offset/seq describe the next record
  std::string_view payload;
  uint64_t offset = 0;
  uint64_t seq = 0;
  // Where the log must be cut, when it had a bad record.
  std::optional<uint64_t> cut_at;
  bool corrupt = false;
  std::string reason;
};

void Advance(Cursor& c) {
  c.has = false;
  if (c.cut_at) return;
  switch (c.reader->Next(&c.payload, &c.offset)) {
    case LogReader::Outcome::kRecord:
      if (c.partition->PeekSeq(c.payload, &c.seq)) {
        c.has = true;
      } else {
        c.cut_at = c.offset;
        c.corrupt = c.offset + c.payload.size() < c.reader->file_size();
        c.reason = "undecodable record";
      }
      return;
    case LogReader::Outcome::kEnd:
      return;
    case LogReader::Outcome::kTornTail:
      c.cut_at = c.reader->good_bytes();
      c.reason = "torn tail";
      return;
    case LogReader::Outcome::kCorrupt:
      c.cut_at = c.reader->good_bytes();
      c.corrupt = true;
      c.reason = "checksum mismatch";
      return;
  }
}

Status SaveCorruptTail(const Cursor& c) {
  std::filesystem::path out = c.partition->log_path();
  out += ".corrupt-" + std::to_string(*c.cut_at);
  std::string_view tail = c.reader->data().substr(*c.cut_at);
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create " + out.string(), errno);
  while (!tail.empty()) {
    ssize_t n = ::write(fd, tail.data(), tail.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return IoError("write " + out.string(), err);
    }
    tail.remove_prefix(static_cast<size_t>(n));
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("fsync " + out.string(), errno);
  return Status::Ok();
}

}  // namespace

Status EventStore::Impl::Replay() {
  std::lock_guard append_lock(append_mu);
  std::vector<Cursor> cursors;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind("part-", 0) != 0) continue;
    int64_t start = 0;
    auto [ptr, perr] = std::from_chars(name.data() + 5, name.data() + name.size(), start);
    if (perr != std::errc() || ptr != name.data() + name.size()) continue;
    std::filesystem::path log = entry.path() / "events.log";
    std::error_code size_ec;
    uint64_t size = std::filesystem::file_size(log, size_ec);
    if (size_ec || size < kLogHeaderBytes) {
      // Created but its header never became durable: it cannot hold acknowledged events.
      PW_LOG_WARN("removing event partition without a complete log header", "dir={}", entry.path().string());
      std::filesystem::remove_all(entry.path(), size_ec);
      continue;
    }
    PW_ASSIGN_OR_RETURN(auto reader, LogReader::Open(log));
    if (reader->header().start_ms != start) return DataLoss(log.string() + ": header does not match directory name");
    Cursor c;
    c.partition = std::make_shared<Partition>(entry.path(), reader->header());
    c.partition->SetReplayView(reader->data());
    c.reader = std::move(reader);
    cursors.push_back(std::move(c));
  }
  if (ec) return IoError("list " + dir.string(), ec.value());

  for (auto& c : cursors) Advance(c);
  RecordView r;
  uint64_t max_seq = 0;
  for (;;) {
    Cursor* next = nullptr;
    for (auto& c : cursors) {
      if (c.has && (!next || c.seq < next->seq)) next = &c;
    }
    if (!next) break;
    Partition* p = next->partition.get();
    uint32_t row;
    Status s = p->ReplayRecord(next->payload, next->offset, &r, &row);
    if (!s.ok()) {
      next->cut_at = next->offset;
      next->corrupt = true;
      next->reason = s.message();
      next->has = false;
      continue;
    }
    max_seq = std::max(max_seq, next->seq);
    stored_events.fetch_add(1, std::memory_order_relaxed);
    if (!r.session_id.empty() && !r.id.empty()) {
      // ApplyPair searches `partitions`; during replay that map is filled below, so use
      // a temporary one holding every partition being replayed.
      if (partitions.empty()) {
        for (auto& c : cursors) partitions.emplace(c.partition->start_ms(), c.partition);
      }
      if (ApplyPair(p, row, r.session_id, r.id)) stored_events.fetch_sub(1, std::memory_order_relaxed);
    }
    Advance(*next);
  }

  partitions.clear();
  for (auto& c : cursors) {
    Partition* p = c.partition.get();
    std::filesystem::path log = p->log_path();
    if (c.cut_at) {
      replay_truncations->Inc();
      uint64_t dropped = c.reader->file_size() - *c.cut_at;
      if (c.corrupt) {
        Status saved = SaveCorruptTail(c);
        PW_LOG_ERROR("event log corrupted: truncating at the first bad record", "file={} offset={} reason={} dropped_bytes={} saved_copy={}",
                     log.string(), *c.cut_at, LogQuote(c.reason), dropped, saved.ok() ? "yes" : LogQuote(saved.ToString()));
      } else {
        PW_LOG_WARN("event log has a torn tail: truncating", "file={} offset={} dropped_bytes={}", log.string(),
                    *c.cut_at, dropped);
      }
    }
    p->SetReplayView({});
    c.reader.reset();  // unmap before truncating
    PW_ASSIGN_OR_RETURN(auto writer, LogWriter::Open(log, p->header(), c.cut_at));
    disk_bytes.fetch_add(writer->size(), std::memory_order_relaxed);
    p->AttachWriter(std::move(writer));
    max_seq = std::max(max_seq, p->last_seq());
    partitions.emplace(p->start_ms(), c.partition);
  }
  next_seq = max_seq + 1;
  if (!cursors.empty()) {
    PW_LOG_INFO("event store replayed", "dir={} partitions={} events={}", dir.string(), partitions.size(),
                stored_events.load());
  }
  return Status::Ok();
}

}  // namespace perfwatch::events
