#pragma once
// Reading the JSON bodies of the analysis POST endpoints (changepoints, leak, deploys):
// the object at the top and finite numbers, with messages that name what is wrong.
// Thread safety: pure functions; a parser belongs to one thread.
#include <simdjson.h>

#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::analysis {

// Parses `body` with `parser` and returns its top-level object. Errors: "invalid JSON
// body: ..." or "the body must be a JSON object: <example>". Strings of the result live in
// `parser` (until its next parse).
Result<simdjson::dom::object> ParseObjectBody(simdjson::dom::parser& parser, std::string_view body,
                                              std::string_view example);

// A JSON number as a finite double; InvalidArgument "<what> must be a number" or
// "<what> must be finite".
Result<double> JsonNumber(simdjson::dom::element e, std::string_view what);

// A time member given as unix seconds (a number, fractions allowed) or an RFC 3339 string,
// in unix ms. Errors name `key`: "\"<key>\" must be unix seconds or an RFC 3339 string",
// "invalid \"<key>\": <why>", "invalid \"<key>\": before 1970".
Result<int64_t> JsonTimeMs(simdjson::dom::element e, std::string_view key);

// The "values" member: an array of at most `max` finite numbers. Errors: "\"values\" must
// be an array of numbers<unit>", "\"values\" has more than <max> points", "values[i] must
// be a number" / "... finite".
Result<std::vector<double>> JsonValuesArray(simdjson::dom::element e, size_t max, std::string_view unit = "");

}  // namespace perfwatch::analysis
