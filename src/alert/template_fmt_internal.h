#pragma once
// Internal to Go's fmt and strconv for templates (template_fmt.cc, template_strconv.cc):
// the quoting pieces fmt's %q / %x verbs share with strconv.Quote.
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>

namespace perfwatch::alert::tmpl {

// Digits for %x / %X and strconv's escapes; the last char is the 'x' / 'X' of 0x.
inline constexpr char kLowerHex[] = "0123456789abcdefx";
inline constexpr char kUpperHex[] = "0123456789ABCDEFX";

// strconv.CanBackquote: valid UTF-8 without backquotes, BOMs or control characters
// other than tab.
bool CanBackquote(std::string_view s);
// strconv's appendEscapedRune: `r` as it stands inside a literal quoted by `quote`.
void AppendEscapedRune(std::string& out, int32_t r, char quote, bool ascii_only);
// strconv.Quote (quote '"'), QuoteRune ('\''), QuoteToASCII (ascii_only).
std::string QuoteWith(std::string_view s, char quote, bool ascii_only);

}  // namespace perfwatch::alert::tmpl
