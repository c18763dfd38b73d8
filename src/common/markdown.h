#pragma once
// Markdown table cells (budget check summaries, reports): pipes escaped, line ends
// flattened to spaces, so any text stays in its cell.
//
// Thread safety: pure function.
#include <string>
#include <string_view>

namespace perfwatch {

inline std::string MarkdownCell(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace perfwatch
