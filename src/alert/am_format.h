#pragma once
// Text as Alertmanager's Go code prints it, so payloads, group keys and API answers match
// Alertmanager 0.25 byte for byte: strconv.Quote (%q), model.LabelSet.String() (the group
// key's label part), regexp.QuoteMeta (the webhook's "receiver"), encoding/json strings
// (HTML-escaping, as json.Encoder does by default), maps marshalled with sorted keys,
// strfmt.DateTime (the v2 API's times), and the sort orders of types.AlertSlice and
// model.LabelSet.Before.
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>

#include "alert/alert.h"

namespace perfwatch::alert {

// Go's strconv.Quote: `"a\"b\n"`. Printable non-ASCII is kept; control characters,
// U+0080..U+009F, U+00AD, U+2028/29 and U+FEFF are escaped; invalid UTF-8 as \xNN.
std::string GoQuote(std::string_view s);

// model.LabelSet.String(): `{alertname="x", job="y"}`, the "name=%q" strings sorted.
std::string GoLabelSetString(const LabelSet& labels);

// regexp.QuoteMeta: a backslash before each of \.+*?()|[]{}^$
std::string GoQuoteMeta(std::string_view s);

// A JSON string as Go's encoding/json writes it with HTML escaping on (json.Marshal and a
// default json.Encoder): \" \\ \n \r \t, other controls and <, >, & as \u00XX, U+2028 and
// U+2029 escaped, invalid UTF-8 replaced by \ufffd.
void AppendGoJsonString(std::string& out, std::string_view s);

// A map[string]string: an object with keys in byte order (LabelSet is sorted already).
void AppendGoJsonObject(std::string& out, const LabelSet& kv);

// Prometheus' model.Duration.String(): "1h30m", "5m", "0s"; years and weeks only when exact.
// An alias of FormatPromDuration (common/time.h).
std::string GoModelDuration(int64_t ms);

// strfmt.DateTime as the v2 API marshals it: "2006-01-02T15:04:05.000Z07:00" in UTC,
// always three fraction digits; 0 is Go's zero time "0001-01-01T00:00:00.000Z".
std::string FormatApiTime(int64_t ms);

// model.LabelSet.Before: fewer labels first, then the first differing name/value in the
// sorted union of names.
bool LabelSetBefore(const LabelSet& a, const LabelSet& b);

// types.AlertSlice.Less: by labels "job", then "instance" (present before absent), then
// LabelSetBefore.
bool AlertLabelsLess(const LabelSet& a, const LabelSet& b);

}  // namespace perfwatch::alert
