#pragma once
// Converts decoded OTLP spans into the span store's records (events/span_record.h) and
// appends them (tracker issue 14 item 2; docs/otlp.md "Span store").
//
// Contract: every span of the request that CheckSpanTimes() accepts is stored (those it
// rejects are the ones the receiver reports in partialSuccess); `service` is the resource's
// service.name ("unknown_service" when absent, as the SDKs name it); span attributes keep
// their types (int, double, bool, string; bytes as base64, arrays and key-value lists as
// JSON text); span events with their attributes; links, trace state, scope and the other
// resource attributes are not stored. The append is durable (SpanStore::Append) or fails
// as a whole, with the store's status (kIo ... -> the receiver answers 503).
//
// Thread safety: stateless; SpanStore::Append is thread-safe.
#include <cstdint>
#include <vector>

#include "common/status.h"
#include "events/span_record.h"
#include "events/span_store.h"
#include "ingest/otlp/otlp_model.h"

namespace perfwatch::ingest::otlp {

// Appends the request's valid spans as records to `out`.
void ToSpanRecords(const TracesRequest& request, std::vector<events::SpanRecord>& out);

// ToSpanRecords + SpanStore::Append. *stored (optional) receives the number of spans stored.
Status StoreSpans(events::SpanStore* store, const TracesRequest& request, uint64_t* stored = nullptr);

}  // namespace perfwatch::ingest::otlp
