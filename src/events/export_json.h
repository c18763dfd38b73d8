#pragma once
// Formats one stored event as the JSON object that EventStore::Export writes per line.
// Field list: docs/events.md ("Export").
// Thread safety: pure function.
#include <string>

#include "events/partition.h"

namespace perfwatch::events {

// Appends `{...}\n` for `r` to `out`.
void AppendEventJson(std::string& out, const RecordView& r);

}  // namespace perfwatch::events
