#pragma once
// Prometheus' rule and alert listing, answered as Prometheus 2.42 answers them:
//   GET /api/v1/rules  ?type=alert|record, rule_name[]=, rule_group[]=, file[]= (the last
//                       three from later Prometheus versions: groups left without rules by
//                       them are omitted, as those versions do)
//   GET /api/v1/alerts  (firing alerts acknowledged through POST /api/v1/alerts/{fp}/ack
//                       also carry "acknowledgedBy" and "acknowledgedAt", and firing alerts
//                       with an escalation chain "escalation": perfwatch's own)
// Alert values are strings in Go's %e form ("1e+00"), times RFC 3339 as Go prints them.
// Thread safety: the handlers may run concurrently; they read the manager's groups.
#include <functional>
#include <optional>

#include "alert/acks.h"
#include "alert/rule_manager.h"
#include "http/router.h"

namespace perfwatch::alert {

// The acknowledgement in force for an alert with these labels (external labels added, as
// sent to the pipeline); Alertmanager::AcknowledgementOf.
using AckLookup = std::function<std::optional<Acknowledgement>(const LabelSet& labels)>;

// The escalation state of an alert with these labels (as for AckLookup), as the JSON object
// of escalation.h's EscalationViewJson; Alertmanager::EscalationOf.
using EscalationLookup = std::function<std::optional<std::string>(const LabelSet& labels)>;

// `manager` outlives the router. `acks` / `escalations` may be empty (nothing shown).
void RegisterRulesApi(http::Router& router, const RuleManager* manager, AckLookup acks = {},
                      EscalationLookup escalations = {});

// Go's strconv.FormatFloat(v, 'e', -1, 64): "1e+00", "1.5e+02", "NaN", "+Inf".
std::string FormatGoExp(double v);

}  // namespace perfwatch::alert
