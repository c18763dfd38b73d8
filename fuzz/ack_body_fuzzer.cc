// libFuzzer target for the POST /api/v1/alerts/{fingerprint}/ack body parser
// (alert::ParseAckBody) and what follows it: the acknowledgement's snapshot encoding and
// the JSON the API answers with. Any input must give either an error or an acknowledgement
// whose `until` is unset or in the future, that round-trips through its encoding and whose
// JSON parses.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alert/acks.h"

using namespace perfwatch::alert;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr int64_t kNow = 1'700'000'000'000;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  AckBodyParse parsed = ParseAckBody(body, kNow);
  if (!parsed.error.empty()) return 0;
  Check(parsed.until_ms == 0 || parsed.until_ms > kNow);
  Acknowledgement ack{0x0123456789abcdefull, kNow - 1, "fuzz", kNow, parsed.comment, parsed.until_ms};
  Acknowledgement decoded;
  Check(DecodeAck(EncodeAck(ack), &decoded));
  Check(decoded.comment == ack.comment && decoded.until_ms == ack.until_ms &&
        decoded.fingerprint == ack.fingerprint);
  simdjson::dom::parser p;
  Check(!p.parse(AckJson(ack)).error());
  Alert alert;
  alert.starts_at_ms = kNow - 1;
  Check(AckInForce(ack, alert, kNow));
  return 0;
}
