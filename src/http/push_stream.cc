#include "http/push_stream.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "common/thread_name.h"

namespace perfwatch::http {
namespace {

// Shared between the producer thread and the pulling worker.
class Channel {
 public:
  explicit Channel(size_t max_queued) : max_queued_(max_queued) {}

  // Producer side: blocks while the queue is full; false once the consumer is gone.
  bool Push(std::string_view chunk) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return cancelled_ || queue_.size() < max_queued_; });
    if (cancelled_) return false;
    queue_.emplace_back(chunk);
    cv_.notify_all();
    return true;
  }
  void Finish() {
    std::lock_guard lock(mu_);
    finished_ = true;
    cv_.notify_all();
  }
  // Consumer side: false when the producer finished and the queue is drained.
  bool Pop(std::string& out) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return finished_ || !queue_.empty(); });
    if (queue_.empty()) return false;
    out.append(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return true;
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

 private:
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // guarded by mu_
  bool finished_ = false;          // guarded by mu_
  bool cancelled_ = false;         // guarded by mu_
};

// Owns the producer thread; cancelling and joining on destruction.
class PullStream {
 public:
  PullStream(PushProducer producer, size_t max_queued)
      : channel_(std::make_shared<Channel>(max_queued)),
        thread_(NamedThread("pw-push", [ch = channel_, producer = std::move(producer)] {
          producer([&](std::string_view chunk) { return ch->Push(chunk); });
          ch->Finish();
        })) {}
  ~PullStream() {
    channel_->Cancel();
    thread_.join();
  }
  bool Next(std::string& chunk) {
    // Skip empty chunks so an empty piece is never mistaken for the end.
    while (channel_->Pop(chunk)) {
      if (!chunk.empty()) return true;
    }
    return false;
  }

 private:
  std::shared_ptr<Channel> channel_;
  std::thread thread_;
};

}  // namespace

std::function<bool(std::string& chunk)> MakePullStream(PushProducer producer, size_t max_queued) {
  auto stream = std::make_shared<PullStream>(std::move(producer), max_queued);
  return [stream](std::string& chunk) { return stream->Next(chunk); };
}

}  // namespace perfwatch::http
