#pragma once
// Text for HTML (element content and quoted attribute values): & < > " ' escaped. For the
// pages perfwatch renders itself (reports, the public status page); Go-template
// compatible escaping lives with the templates (alert/template_*).
//
// Thread safety: pure function.
#include <string>
#include <string_view>

namespace perfwatch {

inline std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace perfwatch
