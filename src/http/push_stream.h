#pragma once
// Adapts a push-style producer (one that calls a sink with chunks until done, such as
// EventStore::Export) to Response::stream's pull style. The producer runs on its own
// thread and hands chunks over a bounded queue, so memory stays bounded whatever the
// export size; destroying the adapter (client gone) stops the producer and joins it.
// Thread safety: internal; the returned function is called by one worker thread at a time.
#include <functional>
#include <string>
#include <string_view>

namespace perfwatch::http {

using ChunkSink = std::function<bool(std::string_view chunk)>;
using PushProducer = std::function<void(const ChunkSink& sink)>;

// Returns a Response::stream function. At most `max_queued` chunks wait in memory.
std::function<bool(std::string& chunk)> MakePullStream(PushProducer producer, size_t max_queued = 8);

}  // namespace perfwatch::http
