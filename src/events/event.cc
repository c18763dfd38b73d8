#include "events/event.h"

namespace perfwatch::events {

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kVital: return "vital";
    case EventType::kNavigation: return "navigation";
    case EventType::kResource: return "slow-resources";
    case EventType::kLongTask: return "long-task";
    case EventType::kError: return "error";
    case EventType::kUnhandledRejection: return "unhandled-rejection";
    case EventType::kSessionEnd: return "session-end";
    case EventType::kMemory: return "memory";
    case EventType::kJourney: return "journey";
    case EventType::kMeasure: return "measure";
  }
  return "unknown";
}

std::optional<EventType> ParseEventType(std::string_view n) {
  if (n == "vital") return EventType::kVital;
  if (n == "navigation") return EventType::kNavigation;
  if (n == "slow-resources" || n == "resource" || n == "resources") return EventType::kResource;
  if (n == "long-task") return EventType::kLongTask;
  if (n == "error") return EventType::kError;
  if (n == "unhandled-rejection") return EventType::kUnhandledRejection;
  if (n == "session-end") return EventType::kSessionEnd;
  if (n == "memory") return EventType::kMemory;
  if (n == "journey") return EventType::kJourney;
  if (n == "measure") return EventType::kMeasure;
  return std::nullopt;
}

std::string_view VitalName(Vital v) {
  switch (v) {
    case Vital::kNone: return "";
    case Vital::kLCP: return "LCP";
    case Vital::kINP: return "INP";
    case Vital::kCLS: return "CLS";
    case Vital::kFCP: return "FCP";
    case Vital::kTTFB: return "TTFB";
    case Vital::kFID: return "FID";
  }
  return "";
}

std::optional<Vital> ParseVital(std::string_view n) {
  if (n == "LCP") return Vital::kLCP;
  if (n == "INP") return Vital::kINP;
  if (n == "CLS") return Vital::kCLS;
  if (n == "FCP") return Vital::kFCP;
  if (n == "TTFB") return Vital::kTTFB;
  if (n == "FID") return Vital::kFID;
  return std::nullopt;
}

std::string_view DimName(int dim) {
  static constexpr std::string_view kNames[kDimCount] = {"app", "page", "device", "connection", "browser"};
  return dim >= 0 && dim < kDimCount ? kNames[dim] : "";
}

std::optional<int> ParseDim(std::string_view name) {
  for (int d = 0; d < kDimCount; ++d) {
    if (DimName(d) == name) return d;
  }
  return std::nullopt;
}

}  // namespace perfwatch::events
