#pragma once
// Small helpers that append JSON to a std::string without intermediate allocation.
// Thread safety: stateless functions.
#include <string>
#include <string_view>

namespace perfwatch {

// Appends `s` as a quoted JSON string, escaping quotes, backslashes and control
// characters. `s` must be valid UTF-8 (callers validate input at the edge).
void AppendJsonString(std::string& out, std::string_view s);

// Appends a number in the shortest form that round-trips ("2480.5", "0.1"); whole
// numbers below 1e15 as integers ("1700000000").
// Non-finite values are written as the JSON strings "NaN", "+Inf", "-Inf".
void AppendJsonNumber(std::string& out, double v);

// Appends an integer.
void AppendJsonInt(std::string& out, long long v);

}  // namespace perfwatch
