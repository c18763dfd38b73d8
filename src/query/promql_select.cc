// ForEachSelectedSeries: the evaluator's read path. Selecting, copying and decoding a
// series' chunks costs about as much as evaluating a range function over it, so once a
// selector turns out to match more than a handful of series, a producer thread reads and
// decodes batches of them while the query thread evaluates: the two halves run on two
// cores. Order is preserved (one producer, a FIFO of batches).
//
// Ownership and locking: the producer owns the SeriesSet after the hand-over; batches
// move through `BatchQueue` (one mutex, two condition variables, at most kMaxQueued
// batches in flight, so memory stays bounded). The query thread stops the producer on
// its own error (Cancel) and always joins it before returning.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/thread_name.h"
#include "query/promql_eval.h"

namespace perfwatch::query::promql {
namespace {

constexpr size_t kSequentialSeries = 32;  // below this, no thread
constexpr size_t kBatchSeries = 64;
constexpr size_t kMaxQueued = 4;

struct DecodedBatch {
  std::vector<tsdb::Series> series;  // labels (and chunk bytes, dropped with the batch)
  std::vector<Point> points;
  std::vector<size_t> ends;  // points of series i end at ends[i]
  Status status;             // a read error after the series above
  bool last = false;
};

class BatchQueue {
 public:
  // Producer: false when the consumer cancelled.
  bool Push(DecodedBatch b) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return cancelled_ || queue_.size() < kMaxQueued; });
    if (cancelled_) return false;
    queue_.push_back(std::move(b));
    not_empty_.notify_one();
    return true;
  }
  DecodedBatch Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty(); });
    DecodedBatch b = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return b;
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    not_full_.notify_all();
  }
  // Consumed batches go back for reuse, so their buffers (hundreds of KiB, which the
  // allocator maps and unmaps when they are freed) are allocated once per query.
  void Recycle(DecodedBatch b) {
    b.series.clear();
    b.points.clear();
    b.ends.clear();
    b.status = Status::Ok();
    b.last = false;
    std::lock_guard lock(mu_);
    free_.push_back(std::move(b));
  }
  DecodedBatch Fresh() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return DecodedBatch{};
    DecodedBatch b = std::move(free_.back());
    free_.pop_back();
    return b;
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<DecodedBatch> queue_;  // guarded by mu_
  std::vector<DecodedBatch> free_;  // guarded by mu_
  bool cancelled_ = false;          // guarded by mu_
};

// Appends the points of `s` in [mint, maxt] to `out`.
Status DecodeInto(const tsdb::Series& s, int64_t mint, int64_t maxt, bool drop_stale, std::vector<Point>& out) {
  thread_local std::vector<tsdb::Sample> decoded;
  decoded.clear();
  Status read = s.AppendSamples(&decoded);
  if (!read.ok()) return Status(StatusCode::kInternal, "reading series: " + read.message());
  auto lo = std::lower_bound(decoded.begin(), decoded.end(), mint,
                             [](const tsdb::Sample& a, int64_t t) { return a.t < t; });
  auto hi = std::upper_bound(lo, decoded.end(), maxt, [](int64_t t, const tsdb::Sample& a) { return t < a.t; });
  // No exact-size reserve: `out` collects a whole batch and must grow geometrically.
  for (auto it = lo; it != hi; ++it) {
    if (!drop_stale || !IsStaleNaN(it->v)) out.push_back(Point{it->t, it->v});
  }
  return Status::Ok();
}

Status SetStatus(const tsdb::SeriesSet& set) {
  Status st = set.status();
  if (!st.ok()) return Status(StatusCode::kInternal, "selecting series: " + st.message());
  return Status::Ok();
}

}  // namespace

Status ForEachSelectedSeries(EvalShared* sh, const VectorSelector& vs, int64_t mint, int64_t maxt, bool drop_stale,
                             std::vector<Point>& buf, const SeriesFn& fn) {
  if (mint > maxt) return Status::Ok();
  std::unique_ptr<tsdb::SeriesSet> set = sh->querier->Select(vs.matchers);
  for (size_t n = 0; n < kSequentialSeries; ++n) {
    if (!set->Next()) return SetStatus(*set);
    if ((++sh->deadline_counter & 63) == 0) PW_RETURN_IF_ERROR(sh->CheckDeadline());
    const tsdb::Series& s = set->At();
    buf.clear();
    PW_RETURN_IF_ERROR(DecodeInto(s, mint, maxt, drop_stale, buf));
    PW_RETURN_IF_ERROR(fn(s.labels(), std::span<const Point>(buf)));
  }

  BatchQueue queue;
  auto producer = NamedThread("pw-query-read", [&queue, set = std::move(set), mint, maxt, drop_stale] {
    for (bool last = false; !last;) {
      DecodedBatch b = queue.Fresh();
      while (b.series.size() < kBatchSeries) {
        if (!set->Next()) {
          b.status = SetStatus(*set);
          b.last = true;
          break;
        }
        b.series.push_back(set->Take());
        b.status = DecodeInto(b.series.back(), mint, maxt, drop_stale, b.points);
        b.ends.push_back(b.points.size());
        if (!b.status.ok()) {
          b.last = true;
          break;
        }
      }
      last = b.last;
      if (!queue.Push(std::move(b))) return;
    }
  });
  Status result;
  for (bool last = false; !last && result.ok();) {
    DecodedBatch b = queue.Pop();
    last = b.last;
    size_t begin = 0;
    for (size_t i = 0; i < b.series.size() && result.ok(); ++i) {
      if ((++sh->deadline_counter & 63) == 0) result = sh->CheckDeadline();
      if (result.ok()) {
        result = fn(b.series[i].labels(), std::span<const Point>(b.points).subspan(begin, b.ends[i] - begin));
      }
      begin = b.ends[i];
    }
    if (result.ok()) result = b.status;
    queue.Recycle(std::move(b));
  }
  queue.Cancel();  // unblocks a producer waiting for room after an early error
  producer.join();
  return result;
}

}  // namespace perfwatch::query::promql
