#include "http/worker.h"

#include <exception>

#include "common/log.h"
#include "common/thread_name.h"
#include "http/connection.h"

namespace perfwatch::http {

void Worker::Start() {
  ArmSweep();
  thread_ = NamedThread("pw-http", [this] { Run(); });
}

void Worker::Run() {
  for (;;) {
    try {
      ioc_.run();
      return;
    } catch (const std::exception& e) {
      // Handlers catch what they expect; this is a last resort (e.g. bad_alloc) that
      // keeps the other connections of this worker alive.
      PW_LOG_ERROR("http worker caught exception", "error={}", LogQuote(e.what()));
    }
  }
}

void Worker::RequestStop() {
  boost::asio::post(ioc_, [this] {
    stopping_ = true;
    sweep_timer_.cancel();
    for (Connection* c = connections_; c != nullptr; c = c->next_) c->Close();
  });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Adopt(Socket socket, ClientConnections::Slot slot) {
  if (stopping_) {
    boost::system::error_code ec;
    socket.close(ec);
    state_->open_connections.fetch_sub(1, std::memory_order_relaxed);
    return;  // `slot` is given back here
  }
  std::make_shared<Connection>(this, std::move(socket), std::move(slot))->Start();
}

void Worker::Link(Connection* c) {
  c->prev_ = nullptr;
  c->next_ = connections_;
  if (connections_) connections_->prev_ = c;
  connections_ = c;
}

void Worker::Unlink(Connection* c) {
  if (c->prev_) {
    c->prev_->next_ = c->next_;
  } else {
    connections_ = c->next_;
  }
  if (c->next_) c->next_->prev_ = c->prev_;
  c->prev_ = c->next_ = nullptr;
}

void Worker::ArmSweep() {
  sweep_timer_.expires_after(std::chrono::milliseconds(state_->sweep_interval_ms.load(std::memory_order_relaxed)));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    auto now = Connection::Clock::now();
    // Close() only cancels pending operations; connections are destroyed later by their
    // completion handlers, so the list stays intact while walking it.
    for (Connection* c = connections_; c != nullptr; c = c->next_) c->CloseIfExpired(now);
    ArmSweep();
  });
}

}  // namespace perfwatch::http
