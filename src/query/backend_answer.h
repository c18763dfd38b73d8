#pragma once
// Reads a Prometheus HTTP API query answer (GET /api/v1/query or /api/v1/query_range of
// Prometheus, VictoriaMetrics, Mimir, Thanos) into a PromQL value, for the rules that
// evaluate against `query.backend` (docs/scale-out.md). The bytes come from another
// server, so they are untrusted: anything malformed is an error, never a crash
// (fuzz/backend_answer_fuzzer.cc).
//   success: {"status":"success","data":{"resultType":"vector|scalar|matrix|string",
//            "result":...}} (other members such as "warnings", "stats", "isPartial" are
//            ignored); sample values are strings ("1", "+Inf", "NaN"), timestamps Unix
//            seconds (fractions: milliseconds, rounded).
//   error:   {"status":"error","errorType":"bad_data","error":"..."}.
// Thread safety: pure functions.
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/promql_value.h"

namespace perfwatch::query {

// The value of a success answer. Errors: InvalidArgument for an error answer whose
// errorType is bad_data (the expression's fault: "bad_data: parse error ..."), Unavailable
// for other error answers ("<errorType>: <error>") and for bytes that are not a valid
// answer ("malformed query answer: ...").
Result<promql::Value> ParseQueryAnswer(std::string_view body);

// The list of a /api/v1/labels or /api/v1/label/<name>/values answer
// ({"status":"success","data":["a","b"]}); errors as ParseQueryAnswer's.
Result<std::vector<std::string>> ParseStringListAnswer(std::string_view body);

// A Prometheus sample value as the API writes it ("1.5", "+Inf", "-Inf", "NaN"); false
// if `text` is not one.
bool ParsePromValue(std::string_view text, double* out);

}  // namespace perfwatch::query
