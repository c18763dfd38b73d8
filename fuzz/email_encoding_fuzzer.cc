// libFuzzer target for the email integration's text handling (alert/smtp_client.h):
// ParseAddressList gives addresses with one '@' and no spaces or brackets, or an error;
// SmtpDataPayload's output has CRLF line ends only, no line that is a lone "." before the
// terminator, and undoes to the input (modulo line ends) when unstuffed; QuotedPrintable's
// lines are at most 76 characters of printable ASCII and decode to the input (line ends
// as CRLF); MimeQEncodeHeader's output is printable ASCII.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alert/smtp_client.h"

using namespace perfwatch::alert;

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
std::string Crlf(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    if (s[i] == '\n' || s[i] == '\r') {
      out += "\r\n";
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}
int Hex(char c) { return c <= '9' ? c - '0' : c - 'A' + 10; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto addrs = ParseAddressList(in); addrs.ok()) {
    Check(!addrs->empty());
    for (const std::string& a : *addrs) {
      Check(a.find('@') != std::string::npos);
      Check(a.find_first_of(" \t\r\n<>,") == std::string::npos);
    }
  }

  const std::string payload = SmtpDataPayload(in);
  Check(payload.size() >= 3 && payload.ends_with(".\r\n"));
  std::string unstuffed;
  size_t pos = 0;
  const size_t body_end = payload.size() - 3;
  while (pos < body_end) {
    const size_t eol = payload.find("\r\n", pos);
    Check(eol != std::string::npos && eol < body_end);
    std::string_view line(payload.data() + pos, eol - pos);
    Check(line.find_first_of("\r\n") == std::string_view::npos);
    Check(line != ".");
    if (line.starts_with('.')) line.remove_prefix(1);
    unstuffed.append(line);
    unstuffed += "\r\n";
    pos = eol + 2;
  }
  std::string expect = Crlf(in);
  if (!expect.empty() && !expect.ends_with("\r\n")) expect += "\r\n";
  Check(unstuffed == expect);

  const std::string qp = QuotedPrintable(in);
  std::string decoded;
  pos = 0;
  for (;;) {
    const size_t eol = qp.find("\r\n", pos);
    std::string_view line(qp.data() + pos, (eol == std::string::npos ? qp.size() : eol) - pos);
    Check(line.size() <= 76);
    bool soft = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      Check((c >= 32 && c <= 126) || c == '\t');
      if (c == '=') {
        if (i + 1 == line.size()) {
          soft = true;
          break;
        }
        Check(i + 2 < line.size());
        decoded.push_back(static_cast<char>(Hex(line[i + 1]) * 16 + Hex(line[i + 2])));
        i += 2;
      } else {
        decoded.push_back(c);
      }
    }
    if (eol == std::string::npos) break;
    if (!soft) decoded += "\r\n";
    pos = eol + 2;
  }
  Check(decoded == Crlf(in));

  for (char c : MimeQEncodeHeader(in)) Check(c >= 32 && c <= 126);
  return 0;
}
