#include "synthetic/browser/cdp_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "common/json_writer.h"

namespace perfwatch::synthetic::browser {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct CdpClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool connected = false;
  bool reading = false;
  bool closed = false;
  std::string close_reason;
  int64_t next_id = 1;
  int64_t bad = 0;
  std::map<int64_t, CdpMessage> responses;
  std::deque<CdpMessage> events;

  void Close(const std::string& why) {
    if (closed) return;
    closed = true;
    close_reason = why;
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }

  void StartRead() {
    if (closed || reading) return;
    reading = true;
    ws.async_read(buffer, [this](beast::error_code ec, size_t) {
      reading = false;
      if (ec) {
        Close("connection to chromium closed: " + ec.message());
        return;
      }
      const std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      CdpMessage m;
      std::string why;
      if (!ParseCdpMessage(text, &m, &why)) {
        ++bad;
      } else if (m.is_event()) {
        events.push_back(std::move(m));
      } else {
        const int64_t id = m.id;
        responses[id] = std::move(m);
      }
      StartRead();
    });
  }

  // Runs handlers until `done()` or the deadline; false at the deadline.
  bool RunUntil(const std::function<bool()>& done, Clock::time_point deadline) {
    while (!done()) {
      if (closed) return false;
      if (Clock::now() >= deadline) return false;
      if (ioc.stopped()) ioc.restart();
      ioc.run_one_until(deadline);
    }
    return true;
  }
};

CdpClient::CdpClient() : impl_(std::make_unique<Impl>()) {}
CdpClient::~CdpClient() {
  impl_->Close("client destroyed");
  // Let the aborted read's handler run so nothing references the stream afterwards.
  impl_->ioc.restart();
  impl_->ioc.poll();
}

Status CdpClient::Connect(const std::string& host, int port, const std::string& path, Clock::time_point deadline) {
  Impl& d = *impl_;
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument("bad DevTools host " + host);
  bool done = false;
  beast::error_code result;
  auto& lowest = beast::get_lowest_layer(d.ws);
  lowest.expires_at(deadline);
  lowest.async_connect(tcp::endpoint(address, static_cast<unsigned short>(port)), [&](beast::error_code e) {
    result = e;
    done = true;
  });
  d.RunUntil([&] { return done; }, Clock::time_point::max());
  if (result) return Unavailable("cannot connect to chromium's DevTools port " + std::to_string(port) + ": " + result.message());
  done = false;
  d.ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, "perfwatch-synthetic");
  }));
  d.ws.read_message_max(512u << 20);  // screenshots of tall pages are large
  d.ws.async_handshake(host + ":" + std::to_string(port), path, [&](beast::error_code e) {
    result = e;
    done = true;
  });
  d.RunUntil([&] { return done; }, Clock::time_point::max());
  if (result) return Unavailable("DevTools WebSocket handshake failed: " + result.message());
  lowest.expires_never();  // deadlines are per call from here on
  d.connected = true;
  d.StartRead();
  return Status::Ok();
}

Result<std::string> CdpClient::Call(std::string_view method, std::string_view params_json, std::string_view session_id,
                                    Clock::time_point deadline) {
  Impl& d = *impl_;
  if (d.closed) return Unavailable(d.close_reason);
  if (!d.connected) return Unavailable("not connected to chromium");
  const int64_t id = d.next_id++;
  auto text = std::make_shared<std::string>("{\"id\":");
  AppendJsonInt(*text, id);
  *text += ",\"method\":";
  AppendJsonString(*text, method);
  if (!params_json.empty()) {
    *text += ",\"params\":";
    *text += params_json;
  }
  if (!session_id.empty()) {
    *text += ",\"sessionId\":";
    AppendJsonString(*text, session_id);
  }
  *text += '}';
  bool written = false;
  beast::error_code wec;
  d.ws.text(true);
  d.ws.async_write(asio::buffer(*text), [text, &written, &wec](beast::error_code e, size_t) {
    wec = e;
    written = true;
  });
  // The write must finish before `written` goes out of scope: wait without a deadline
  // (a local socket; a dead peer fails the write at once).
  d.RunUntil([&] { return written || d.closed; }, Clock::time_point::max());
  if (!written) {
    // Closed while writing: the handler still references locals; drain it.
    while (!written) {
      if (d.ioc.stopped()) d.ioc.restart();
      if (d.ioc.run_one() == 0) break;
    }
    return Unavailable(d.close_reason);
  }
  if (wec) {
    d.Close("connection to chromium closed: " + wec.message());
    return Unavailable(d.close_reason);
  }
  const bool got = d.RunUntil([&] { return d.responses.count(id) > 0; }, deadline);
  if (!got) {
    if (d.closed) return Unavailable(d.close_reason);
    return Unavailable(std::string(method) + " timed out");
  }
  CdpMessage m = std::move(d.responses[id]);
  d.responses.erase(id);
  if (m.is_error) return Internal(std::string(method) + ": " + m.error);
  return std::move(m.payload);
}

std::optional<CdpMessage> CdpClient::WaitEvent(const std::function<bool(const CdpMessage&)>& match,
                                               Clock::time_point deadline) {
  Impl& d = *impl_;
  size_t checked = 0;
  std::optional<CdpMessage> found;
  auto scan = [&] {
    for (; checked < d.events.size(); ++checked) {
      if (match(d.events[checked])) {
        found = std::move(d.events[checked]);
        d.events.erase(d.events.begin() + static_cast<std::ptrdiff_t>(checked));
        return true;
      }
    }
    return false;
  };
  if (scan()) return found;
  d.RunUntil(scan, deadline);
  return found;
}

void CdpClient::PumpUntil(Clock::time_point deadline) {
  impl_->RunUntil([] { return false; }, deadline);
}

std::vector<CdpMessage> CdpClient::TakeEvents() {
  std::vector<CdpMessage> out(std::make_move_iterator(impl_->events.begin()),
                              std::make_move_iterator(impl_->events.end()));
  impl_->events.clear();
  return out;
}

bool CdpClient::closed() const { return impl_->closed; }
const std::string& CdpClient::close_reason() const { return impl_->close_reason; }
int64_t CdpClient::bad_messages() const { return impl_->bad; }

}  // namespace perfwatch::synthetic::browser
