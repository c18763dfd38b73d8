#include "ingest/rum/beacon_parser.h"

#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/json_writer.h"
#include "ingest/rum/beacon_fields.h"
#include "ingest/rum/json_repair.h"

namespace perfwatch::ingest {
namespace {

namespace dom = simdjson::dom;

// Tapes shorter than this cannot hold max_depth nested containers: skip the depth scan.
size_t MinTapeForDepth(int max_depth) { return 2 * static_cast<size_t>(max_depth) + 2; }

// The deepest container nesting in the parsed document (root container = 1).
int TapeDepth(const dom::document& doc) {
  const uint64_t* tape = doc.tape.get();
  const size_t end = tape[0] & simdjson::internal::JSON_VALUE_MASK;
  int depth = 0;
  int max = 0;
  for (size_t i = 1; i < end; ++i) {
    switch (static_cast<char>(tape[i] >> 56)) {
      case '{':
      case '[':
        if (++depth > max) max = depth;
        break;
      case '}':
      case ']':
        --depth;
        break;
      case 'l':
      case 'u':
      case 'd':
        ++i;  // the number's value occupies the next word
        break;
      default:
        break;
    }
  }
  return max;
}

BeaconRejection BodyError(simdjson::error_code err, int max_depth) {
  using simdjson::error_code;
  switch (err) {
    case error_code::UTF8_ERROR:
      return {-1, RejectCode::kInvalidUtf8, "body is not valid UTF-8"};
    case error_code::DEPTH_ERROR:
      return {-1, RejectCode::kTooDeep,
              "JSON nesting deeper than " + std::to_string(max_depth) + " levels"};
    case error_code::EMPTY:
      return {-1, RejectCode::kInvalidJson, "invalid JSON: empty body"};
    case error_code::INCOMPLETE_ARRAY_OR_OBJECT:
      return {-1, RejectCode::kInvalidJson, "invalid JSON: truncated"};
    case error_code::UNCLOSED_STRING:
      return {-1, RejectCode::kInvalidJson, "invalid JSON: unclosed string"};
    case error_code::STRING_ERROR:
      return {-1, RejectCode::kInvalidJson, "invalid JSON: bad string escape"};
    case error_code::UNESCAPED_CHARS:
      return {-1, RejectCode::kInvalidJson, "invalid JSON: control character in a string"};
    case error_code::NUMBER_ERROR:
      return {-1, RejectCode::kInvalidJson, "invalid JSON: bad number"};
    case error_code::T_ATOM_ERROR:
    case error_code::F_ATOM_ERROR:
    case error_code::N_ATOM_ERROR:
      return {-1, RejectCode::kInvalidJson, "invalid JSON: bad literal"};
    case error_code::CAPACITY:
    case error_code::MEMALLOC:
      return {-1, RejectCode::kInvalidJson, "body too large to parse"};
    default:
      return {-1, RejectCode::kInvalidJson, "invalid JSON: malformed structure"};
  }
}

}  // namespace

struct BeaconParser::Impl {
  Impl(const RumConfig& config, std::shared_ptr<const RouteTemplater> templater)
      : max_beacons(config.max_beacons_per_request),
        max_depth(config.max_json_depth),
        fields(config, std::move(templater)) {
    // simdjson's own limit is one level looser (see Parse); the exact check is ours.
    // On failure parse() allocates (and reports) again.
    simdjson::error_code err = parser.allocate(4096, static_cast<size_t>(max_depth) + 1);
    (void)err;
  }

  ParsedBatch Parse(std::string_view body, const BeaconContext& context);
  ParsedBatch RejectBody(BeaconRejection rejection);
  void CopyInput(std::string_view body);

  const size_t max_beacons;
  const int max_depth;

  std::unique_ptr<char[]> input;  // body copy + simdjson padding; may be repaired in place
  size_t input_capacity = 0;
  dom::parser parser;
  BeaconFields fields;  // per-beacon rules and the output vectors
};

void BeaconParser::Impl::CopyInput(std::string_view body) {
  const size_t need = body.size() + simdjson::SIMDJSON_PADDING;
  if (need > input_capacity) {
    size_t cap = std::max(need, input_capacity * 2);
    input = std::make_unique<char[]>(cap);
    input_capacity = cap;
  }
  std::memcpy(input.get(), body.data(), body.size());
  std::memset(input.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);
}

ParsedBatch BeaconParser::Impl::RejectBody(BeaconRejection rejection) {
  fields.Clear();
  fields.rejections().push_back(std::move(rejection));
  return {{}, fields.rejections(), true};
}

ParsedBatch BeaconParser::Impl::Parse(std::string_view body, const BeaconContext& context) {
  fields.Clear();
  CopyInput(body);
  dom::element root;
  auto err = parser.parse(input.get(), body.size(), false).get(root);
  if ((err == simdjson::NUMBER_ERROR || err == simdjson::STRING_ERROR) &&
      RepairJsonInPlace(input.get(), body.size())) {
    err = parser.parse(input.get(), body.size(), false).get(root);
  }
  if (err) return RejectBody(BodyError(err, max_depth));

  // simdjson (allocated with max_depth + 1) rejects a non-empty container at depth
  // max_depth + 1 but not an empty one; count exactly when the tape is long enough.
  const size_t tape_len = parser.doc.tape[0] & simdjson::internal::JSON_VALUE_MASK;
  if (tape_len >= MinTapeForDepth(max_depth) && TapeDepth(parser.doc) > max_depth) {
    return RejectBody(BodyError(simdjson::DEPTH_ERROR, max_depth));
  }

  if (root.is_object()) {
    fields.Process(root, 0, context);
  } else if (root.is_array()) {
    dom::array beacons = root.get_array().value_unsafe();
    // size() saturates at 0xFFFFFF, which is still over any sane limit.
    if (beacons.size() > max_beacons) {
      return RejectBody({-1, RejectCode::kTooMany,
                         "too many beacons: more than " + std::to_string(max_beacons)});
    }
    int index = 0;
    for (dom::element beacon : beacons) fields.Process(beacon, index++, context);
  } else {
    return RejectBody({-1, RejectCode::kNotObject, "body must be a JSON object or array"});
  }
  fields.Finish();
  return {fields.events(), fields.rejections(), false};
}

BeaconParser::BeaconParser(const RumConfig& config, std::shared_ptr<const RouteTemplater> templater)
    : impl_(std::make_unique<Impl>(config, std::move(templater))) {}

BeaconParser::~BeaconParser() = default;

ParsedBatch BeaconParser::Parse(std::string_view body, const BeaconContext& context) {
  // Buffers grown by large bodies are kept while large bodies keep coming (reallocating
  // megabytes per request cost a third of the throughput of 1000-beacon batches) and
  // dropped at the first ordinary one.
  if (body.size() <= kRetainedBodyBytes) ReleaseLargeBuffers();
  return impl_->Parse(body, context);
}

void BeaconParser::ReleaseLargeBuffers() {
  if (impl_->input_capacity > kRetainedBodyBytes + simdjson::SIMDJSON_PADDING) {
    impl_->input.reset();
    impl_->input_capacity = 0;
  }
  if (impl_->parser.capacity() > kRetainedBodyBytes) {
    // Reallocate small, keeping the depth limit; on failure parse() allocates again.
    impl_->parser = dom::parser(impl_->parser.max_capacity());
    [[maybe_unused]] simdjson::error_code err = impl_->parser.allocate(4096, static_cast<size_t>(impl_->max_depth) + 1);
  }
}

}  // namespace perfwatch::ingest
