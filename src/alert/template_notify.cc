// Alertmanager 0.25's notification data model in the template engine
// (template/template.go: Data, Alert, Alerts with Firing/Resolved, KV with SortedPairs,
// Names, Values, Remove, Pairs, Pair) and the functions Alertmanager adds to Go's
// builtins (DefaultFuncs: toUpper, toLower, title, join, match, safeHtml, reReplaceAll,
// stringSlice).
#include <algorithm>
#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "alert/template_funcs_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

using AlertList = std::vector<const NotificationAlert*>;

Value MakeAlerts(std::shared_ptr<const AlertList> list, Type t) {
  Value v;
  v.type = t;
  v.alerts = std::move(list);
  return v;
}

Value BorrowKV(const LabelSet& kv) {
  Value v;
  v.type = Type::kKV;
  v.labels = BorrowLabels(&kv);
  return v;
}

// KV.SortedPairs: "alertname" first, then the other names sorted.
LabelSet SortedPairs(const Value& kv) {
  LabelSet out;
  if (!kv.labels) return out;
  for (const auto& p : *kv.labels) {
    if (p.first == "alertname") out.push_back(p);
  }
  for (const auto& p : *kv.labels) {
    if (p.first != "alertname") out.push_back(p);
  }
  std::stable_sort(out.begin() + (out.size() > 0 && out[0].first == "alertname" ? 1 : 0),
                   out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

Value PairsValue(LabelSet pairs) {
  Value v;
  v.type = Type::kPairs;
  v.labels = std::make_shared<const LabelSet>(std::move(pairs));
  return v;
}

std::vector<std::string> Column(const LabelSet& pairs, bool names) {
  std::vector<std::string> out;
  out.reserve(pairs.size());
  for (const auto& [n, v] : pairs) out.push_back(names ? n : v);
  return out;
}

// ---- methods

Value MFiring(FuncEnv&, const Value& r, std::vector<Value>&) {
  auto out = std::make_shared<AlertList>();
  if (r.alerts) {
    for (const NotificationAlert* a : *r.alerts) {
      if (a->status == "firing") out->push_back(a);
    }
  }
  return MakeAlerts(std::move(out), Type::kAlertSlice);
}
Value MResolved(FuncEnv&, const Value& r, std::vector<Value>&) {
  auto out = std::make_shared<AlertList>();
  if (r.alerts) {
    for (const NotificationAlert* a : *r.alerts) {
      if (a->status == "resolved") out->push_back(a);
    }
  }
  return MakeAlerts(std::move(out), Type::kAlertSlice);
}
Value MSortedPairs(FuncEnv&, const Value& r, std::vector<Value>&) {
  return PairsValue(SortedPairs(r));
}
Value MNames(FuncEnv&, const Value& r, std::vector<Value>&) {
  if (r.type == Type::kPairs) return MakeStringSlice(Column(r.labels ? *r.labels : LabelSet{}, true));
  return MakeStringSlice(Column(SortedPairs(r), true));
}
Value MValues(FuncEnv&, const Value& r, std::vector<Value>&) {
  if (r.type == Type::kPairs) return MakeStringSlice(Column(r.labels ? *r.labels : LabelSet{}, false));
  return MakeStringSlice(Column(SortedPairs(r), false));
}
Value MRemove(FuncEnv&, const Value& r, std::vector<Value>& a) {
  LabelSet out;
  if (r.labels) {
    for (const auto& p : *r.labels) {
      bool drop = false;
      if (a[0].strs) drop = std::find(a[0].strs->begin(), a[0].strs->end(), p.first) != a[0].strs->end();
      if (!drop) out.push_back(p);
    }
  }
  return MakeKV(out);
}

const std::vector<FuncDef>& AlertsMethods() {
  static const std::vector<FuncDef> m = {{"Firing", {}, false, false, MFiring},
                                         {"Resolved", {}, false, false, MResolved}};
  return m;
}
const std::vector<FuncDef>& KVMethods() {
  static const std::vector<FuncDef> m = {{"SortedPairs", {}, false, false, MSortedPairs},
                                         {"Names", {}, false, false, MNames},
                                         {"Values", {}, false, false, MValues},
                                         {"Remove", {Param::kStringSlice}, false, false, MRemove}};
  return m;
}
const std::vector<FuncDef>& PairsMethods() {
  static const std::vector<FuncDef> m = {{"Names", {}, false, false, MNames},
                                         {"Values", {}, false, false, MValues}};
  return m;
}

// ---- functions

Value FnJoin(FuncEnv& env, const Value&, std::vector<Value>& a) {
  std::string out;
  if (a[1].strs) {
    for (size_t i = 0; i < a[1].strs->size(); ++i) {
      if (i > 0) out += a[0].s;
      out += (*a[1].strs)[i];
      CheckLen(env, out);
    }
  }
  return Value::String(std::move(out));
}

Value FnStringSlice(FuncEnv&, const Value&, std::vector<Value>& a) {
  std::vector<std::string> out;
  out.reserve(a.size());
  for (const Value& v : a) out.push_back(v.s);
  return MakeStringSlice(std::move(out));
}

// golang.org/x/text/cases Title for American English: the first letter of each word upper
// case, the rest of the word lower case (words are runs of letters, digits and ').
Value FnTitle(FuncEnv& env, const Value&, std::vector<Value>& a) {
  const std::string& s = a[0].s;
  std::string out;
  out.reserve(s.size());
  bool in_word = false;
  for (size_t i = 0; i < s.size();) {
    int w = 1;
    int32_t r = DecodeRune(s, i, &w);
    const bool letter = IsLetterRune(r) || r == '\'';
    if (letter) {
      AppendRune(out, in_word ? ToLowerRune(r) : ToUpperRune(r));
    } else {
      out.append(s, i, static_cast<size_t>(w));
    }
    in_word = letter;
    i += static_cast<size_t>(w);
  }
  CheckLen(env, out);
  return Value::String(std::move(out));
}

std::string JoinPrinted(const std::vector<std::string>& parts, char open, char close) {
  std::string out(1, open);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out += parts[i];
  }
  out.push_back(close);
  return out;
}

std::string PrintKV(const LabelSet* kv) {
  std::vector<std::string> parts;
  if (kv) {
    for (const auto& [k, v] : *kv) parts.push_back(k + ":" + v);
  }
  return "map" + JoinPrinted(parts, '[', ']');
}

std::string PrintTime(int64_t ms) {
  if (ms == 0) return "0001-01-01 00:00:00 +0000 UTC";
  return GoTimeString(ms * 1'000'000);
}

std::string PrintAlert(const NotificationAlert& a) {
  return "{" + a.status + " " + PrintKV(&a.labels) + " " + PrintKV(&a.annotations) + " " +
         PrintTime(a.starts_at_ms) + " " + PrintTime(a.ends_at_ms) + " " + a.generator_url + " " +
         a.fingerprint + "}";
}

std::string PrintAlerts(const AlertList* list) {
  std::vector<std::string> parts;
  if (list) {
    for (const NotificationAlert* a : *list) parts.push_back(PrintAlert(*a));
  }
  return JoinPrinted(parts, '[', ']');
}

Value TimeValue(int64_t ms) {
  // Go's zero time is outside int64 nanoseconds; the earliest representable instant stands
  // in for it (printing uses PrintTime).
  if (ms == 0) return Value::Time(INT64_MIN, false);
  return Value::Time(ms * 1'000'000, false);
}

std::shared_ptr<const AlertList> AllAlerts(const NotificationData& d) {
  auto list = std::make_shared<AlertList>();
  list->reserve(d.alerts.size());
  for (const NotificationAlert& a : d.alerts) list->push_back(&a);
  return list;
}

}  // namespace

Value NotifyDot(const NotificationData* d) {
  Value v;
  v.type = Type::kNotifyData;
  v.notify = d;
  return v;
}

Value MakeKV(const LabelSet& kv) {
  Value v;
  v.type = Type::kKV;
  v.labels = std::make_shared<const LabelSet>(kv);
  return v;
}

Value MakeStringSlice(std::vector<std::string> s) {
  Value v;
  v.type = Type::kStringSlice;
  v.strs = std::make_shared<const std::vector<std::string>>(std::move(s));
  return v;
}

bool NotifyElements(const Value& v, std::vector<std::pair<Value, Value>>* out) {
  out->clear();
  switch (v.type) {
    case Type::kAlerts:
    case Type::kAlertSlice:
      if (v.alerts) {
        for (size_t i = 0; i < v.alerts->size(); ++i) {
          Value e;
          e.type = Type::kAlert;
          e.alert = (*v.alerts)[i];
          out->emplace_back(Value::Int(static_cast<int64_t>(i)), std::move(e));
        }
      }
      return true;
    case Type::kKV:
      if (v.labels) {
        for (const auto& [k, val] : *v.labels) out->emplace_back(Value::String(k), Value::String(val));
      }
      return true;
    case Type::kPairs:
      if (v.labels) {
        for (size_t i = 0; i < v.labels->size(); ++i) {
          Value e;
          e.type = Type::kPair;
          e.s = (*v.labels)[i].first;
          e.s2 = (*v.labels)[i].second;
          out->emplace_back(Value::Int(static_cast<int64_t>(i)), std::move(e));
        }
      }
      return true;
    case Type::kStringSlice:
      if (v.strs) {
        for (size_t i = 0; i < v.strs->size(); ++i)
          out->emplace_back(Value::Int(static_cast<int64_t>(i)), Value::String((*v.strs)[i]));
      }
      return true;
    default:
      return false;
  }
}

bool NotifyPrint(const Value& v, std::string* out) {
  switch (v.type) {
    case Type::kNotifyData: {
      const NotificationData& d = *v.notify;
      *out = "&{" + d.receiver + " " + d.status + " " + PrintAlerts(AllAlerts(d).get()) + " " +
             PrintKV(&d.group_labels) + " " + PrintKV(&d.common_labels) + " " +
             PrintKV(&d.common_annotations) + " " + d.external_url + "}";
      return true;
    }
    case Type::kAlerts:
    case Type::kAlertSlice:
      *out = PrintAlerts(v.alerts.get());
      return true;
    case Type::kAlert:
      *out = PrintAlert(*v.alert);
      return true;
    case Type::kKV:
      *out = PrintKV(v.labels.get());
      return true;
    case Type::kPairs: {
      std::vector<std::string> parts;
      if (v.labels) {
        for (const auto& [k, val] : *v.labels) parts.push_back("{" + k + " " + val + "}");
      }
      *out = JoinPrinted(parts, '[', ']');
      return true;
    }
    case Type::kPair:
      *out = "{" + v.s + " " + v.s2 + "}";
      return true;
    case Type::kStringSlice:
      *out = JoinPrinted(v.strs ? *v.strs : std::vector<std::string>{}, '[', ']');
      return true;
    default:
      return false;
  }
}

const FuncDef* FindNotifyMethod(const Value& receiver, std::string_view name) {
  const std::vector<FuncDef>* table = nullptr;
  switch (receiver.type) {
    case Type::kAlerts:
      table = &AlertsMethods();
      break;
    case Type::kKV:
      table = &KVMethods();
      break;
    case Type::kPairs:
      table = &PairsMethods();
      break;
    default:
      return nullptr;
  }
  for (const FuncDef& f : *table) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool NotifyField(const Value& r, std::string_view name, Value* out) {
  switch (r.type) {
    case Type::kNotifyData: {
      const NotificationData& d = *r.notify;
      if (name == "Receiver") *out = Value::String(d.receiver);
      else if (name == "Status") *out = Value::String(d.status);
      else if (name == "Alerts") *out = MakeAlerts(AllAlerts(d), Type::kAlerts);
      else if (name == "GroupLabels") *out = BorrowKV(d.group_labels);
      else if (name == "CommonLabels") *out = BorrowKV(d.common_labels);
      else if (name == "CommonAnnotations") *out = BorrowKV(d.common_annotations);
      else if (name == "ExternalURL") *out = Value::String(d.external_url);
      else return false;
      return true;
    }
    case Type::kAlert: {
      const NotificationAlert& a = *r.alert;
      if (name == "Status") *out = Value::String(a.status);
      else if (name == "Labels") *out = BorrowKV(a.labels);
      else if (name == "Annotations") *out = BorrowKV(a.annotations);
      else if (name == "StartsAt") *out = TimeValue(a.starts_at_ms);
      else if (name == "EndsAt") *out = TimeValue(a.ends_at_ms);
      else if (name == "GeneratorURL") *out = Value::String(a.generator_url);
      else if (name == "Fingerprint") *out = Value::String(a.fingerprint);
      else return false;
      return true;
    }
    case Type::kPair:
      if (name == "Name") *out = Value::String(r.s);
      else if (name == "Value") *out = Value::String(r.s2);
      else return false;
      return true;
    default:
      return false;
  }
}

const std::vector<FuncDef>& AlertmanagerFunctions() {
  static const std::vector<FuncDef> table = [] {
    std::vector<FuncDef> t;
    for (std::string_view name : {"toUpper", "toLower", "match", "safeHtml", "reReplaceAll"}) {
      if (const FuncDef* f = FindPrometheusFunction(name)) t.push_back(*f);
    }
    t.push_back({"title", {Param::kString}, false, false, FnTitle});
    t.push_back({"join", {Param::kString, Param::kStringSlice}, false, false, FnJoin});
    t.push_back({"stringSlice", {Param::kString}, true, false, FnStringSlice});
    return t;
  }();
  return table;
}

}  // namespace perfwatch::alert::tmpl
