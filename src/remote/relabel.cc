#include "remote/relabel.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

namespace perfwatch::remote {
namespace {

const std::string* Find(const LabelPairs& labels, const std::string& name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const std::pair<std::string, std::string>& l, const std::string& n) { return l.first < n; });
  return it != labels.end() && it->first == name ? &it->second : nullptr;
}

void Set(LabelPairs& labels, const std::string& name, std::string value) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const std::pair<std::string, std::string>& l, const std::string& n) { return l.first < n; });
  const bool present = it != labels.end() && it->first == name;
  if (value.empty()) {
    if (present) labels.erase(it);
  } else if (present) {
    it->second = std::move(value);
  } else {
    labels.insert(it, {name, std::move(value)});
  }
}

// Go's regexp.Expand: $1, ${1}, $name, ${name}; $$ is a literal $; a reference to a
// group that does not exist (or did not match) expands to "".
std::string Expand(const std::string& tmpl, const re2::RE2& re, const std::vector<re2::StringPiece>& groups) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '$' || i + 1 == tmpl.size()) {
      out += tmpl[i];
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    size_t next = i + 1;
    if (tmpl[next] == '{') {
      size_t close = tmpl.find('}', next);
      if (close == std::string::npos) {
        out += tmpl[i];
        continue;
      }
      name = tmpl.substr(next + 1, close - next - 1);
      next = close + 1;
    } else {
      while (next < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[next])) || tmpl[next] == '_')) {
        name += tmpl[next++];
      }
    }
    if (name.empty()) {
      out += tmpl[i];
      continue;
    }
    int index = -1;
    if (std::all_of(name.begin(), name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      if (name.size() <= 4) index = std::stoi(name);
    } else {
      auto it = re.NamedCapturingGroups().find(name);
      if (it != re.NamedCapturingGroups().end()) index = it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size() && groups[index].data() != nullptr) {
      out.append(groups[index].data(), groups[index].size());
    }
    i = next - 1;
  }
  return out;
}

}  // namespace

Relabeler::Relabeler(Relabeler&&) noexcept = default;
Relabeler& Relabeler::operator=(Relabeler&&) noexcept = default;
Relabeler::~Relabeler() = default;

Result<Relabeler> Relabeler::Create(const std::vector<RelabelConfig>& configs, LabelPairs external_labels) {
  Relabeler r;
  std::sort(external_labels.begin(), external_labels.end());
  r.external_ = std::move(external_labels);
  for (const RelabelConfig& c : configs) {
    auto re = std::make_unique<re2::RE2>("^(?:" + c.regex + ")$", re2::RE2::Quiet);
    if (!re->ok()) return InvalidArgument("write_relabel_configs: invalid regex \"" + c.regex + "\": " + re->error());
    r.rules_.push_back(Rule{c, std::move(re)});
  }
  return r;
}

bool Relabeler::Apply(LabelPairs& labels) const {
  for (const auto& [name, value] : external_) {
    if (!value.empty() && Find(labels, name) == nullptr) Set(labels, name, value);
  }
  std::vector<re2::StringPiece> groups;
  for (const Rule& rule : rules_) {
    const RelabelConfig& c = rule.config;
    std::string value;
    for (size_t i = 0; i < c.source_labels.size(); ++i) {
      if (i) value += c.separator;
      if (const std::string* v = Find(labels, c.source_labels[i])) value += *v;
    }
    if (c.action == "keep") {
      if (!re2::RE2::FullMatch(value, *rule.re)) return false;
    } else if (c.action == "drop") {
      if (re2::RE2::FullMatch(value, *rule.re)) return false;
    } else if (c.action == "replace") {
      groups.assign(rule.re->NumberOfCapturingGroups() + 1, re2::StringPiece());
      if (!rule.re->Match(value, 0, value.size(), re2::RE2::ANCHOR_BOTH, groups.data(), static_cast<int>(groups.size()))) {
        continue;
      }
      const std::string target = Expand(c.target_label, *rule.re, groups);
      if (target.empty()) continue;
      Set(labels, target, Expand(c.replacement, *rule.re, groups));
    } else if (c.action == "lowercase" || c.action == "uppercase") {
      const bool lower = c.action == "lowercase";
      std::transform(value.begin(), value.end(), value.begin(), [lower](unsigned char ch) {
        return static_cast<char>(lower ? std::tolower(ch) : std::toupper(ch));
      });
      Set(labels, c.target_label, std::move(value));
    } else if (c.action == "labeldrop" || c.action == "labelkeep") {
      const bool keep = c.action == "labelkeep";
      labels.erase(std::remove_if(labels.begin(), labels.end(),
                                  [&](const std::pair<std::string, std::string>& l) {
                                    return re2::RE2::FullMatch(l.first, *rule.re) != keep;
                                  }),
                   labels.end());
    }
  }
  return !labels.empty();
}

}  // namespace perfwatch::remote
