// Data-driven PromQL evaluator tests in the spirit of Prometheus' promqltest: every
// tests/query/testdata/*.test file is loaded into an in-memory Head and its `eval`
// commands are checked. Format: docs/promql.md, section "Evaluator" > "Test files".
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/time.h"
#include "query/promql_engine.h"
#include "query/promql_parser.h"
#include "tsdb/head.h"

namespace perfwatch::query::promql {
namespace {

namespace fs = std::filesystem;

std::string Trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// A duration like "10m", "0", or "-1s", in ms (the runner's time syntax).
int64_t Duration(std::string_view s, const std::string& where) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  auto d = ParseDurationMs(s);
  if (!d.ok()) {
    ADD_FAILURE() << where << ": bad duration " << s;
    return 0;
  }
  return neg ? -*d : *d;
}

// Parses `name{a="b", c="d"}` / `{a="b"}` / `name` at the start of `s`; returns the rest.
bool ParseLabels(std::string_view s, tsdb::Labels* out, std::string_view* rest, std::string* err) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t i = 0;
  auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  size_t n0 = i;
  while (i < s.size() && name_char(s[i])) ++i;
  if (i > n0) pairs.emplace_back("__name__", std::string(s.substr(n0, i - n0)));
  if (i < s.size() && s[i] == '{') {
    ++i;
    while (true) {
      while (i < s.size() && (s[i] == ' ' || s[i] == ',')) ++i;
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      size_t a = i;
      while (i < s.size() && name_char(s[i])) ++i;
      std::string name(s.substr(a, i - a));
      while (i < s.size() && s[i] == ' ') ++i;
      if (name.empty() || i >= s.size() || s[i] != '=') {
        *err = "bad label set: " + std::string(s);
        return false;
      }
      ++i;
      while (i < s.size() && s[i] == ' ') ++i;
      if (i >= s.size() || s[i] != '"') {
        *err = "expected quoted value: " + std::string(s);
        return false;
      }
      ++i;
      std::string value;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) {
          ++i;
          value.push_back(s[i] == 'n' ? '\n' : s[i]);
        } else {
          value.push_back(s[i]);
        }
        ++i;
      }
      if (i >= s.size()) {
        *err = "unterminated value: " + std::string(s);
        return false;
      }
      ++i;
      pairs.emplace_back(std::move(name), std::move(value));
    }
  }
  std::vector<tsdb::LabelView> views;
  for (const auto& [n, v] : pairs) views.push_back({n, v});
  *out = tsdb::Labels::FromViews(views);
  *rest = s.substr(i);
  return true;
}

struct SeriesValue {
  bool omitted = false;
  double v = 0;
};

bool ParseNumber(const std::string& tok, double* v) {
  if (tok == "NaN") {
    *v = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (tok == "Inf" || tok == "+Inf") {
    *v = std::numeric_limits<double>::infinity();
    return true;
  }
  if (tok == "-Inf") {
    *v = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (tok == "stale") {
    *v = StaleNaN();
    return true;
  }
  char* end = nullptr;
  *v = std::strtod(tok.c_str(), &end);
  return end == tok.c_str() + tok.size() && !tok.empty();
}

// Expands `1 2 _ stale 0+10x3 5-1x2 _x2 1x3`.
bool ParseValues(std::string_view text, std::vector<SeriesValue>* out, std::string* err) {
  std::istringstream in{std::string(text)};
  std::string tok;
  while (in >> tok) {
    size_t x = tok.find('x');
    if (x != std::string::npos && tok != "Inf" && tok != "+Inf" && tok != "-Inf") {
      std::string head = tok.substr(0, x);
      int64_t times = std::stoll(tok.substr(x + 1));
      if (head == "_") {
        for (int64_t i = 0; i < times; ++i) out->push_back({true, 0});
        continue;
      }
      // start(+|-)delta, or a bare value (delta 0).
      size_t op = head.find_first_of("+-", 1);
      double start, delta = 0;
      if (op == std::string::npos) {
        if (!ParseNumber(head, &start)) {
          *err = "bad value " + tok;
          return false;
        }
      } else {
        if (!ParseNumber(head.substr(0, op), &start) || !ParseNumber(head.substr(op + 1), &delta)) {
          *err = "bad value " + tok;
          return false;
        }
        if (head[op] == '-') delta = -delta;
      }
      for (int64_t i = 0; i <= times; ++i) out->push_back({false, start + delta * static_cast<double>(i)});
      continue;
    }
    if (tok == "_") {
      out->push_back({true, 0});
      continue;
    }
    double v;
    if (!ParseNumber(tok, &v)) {
      *err = "bad value " + tok;
      return false;
    }
    out->push_back({false, v});
  }
  return true;
}

bool Close(double want, double got) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
  if (want == got) return true;
  if (std::isinf(want) || std::isinf(got)) return false;
  const double diff = std::fabs(want - got);
  return diff <= 1e-9 * std::max(std::fabs(want), std::fabs(got)) || diff < 1e-12;
}

std::string Fmt(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}

struct Expected {
  bool scalar = false;
  tsdb::Labels labels;
  std::vector<SeriesValue> values;
  int line = 0;
};

struct EvalCmd {
  int line = 0;
  bool fail = false;
  bool ordered = false;
  bool range = false;
  int64_t at = 0, start = 0, end = 0, step = 0;
  std::string expr;
  std::string fail_message;
  std::vector<Expected> expected;
  int64_t max_samples = 0;
  int64_t lookback = 0;
};

class TestScript {
 public:
  explicit TestScript(std::string name) : name_(std::move(name)) { Reset(); }

  void Reset() {
    head_ = std::make_unique<tsdb::Head>(tsdb::HeadOptions{}, nullptr);
    queryable_ = std::make_unique<HeadQueryable>(head_.get());
    engine_ = std::make_unique<Engine>(queryable_.get());
  }

  void Run(const std::string& text, int* evals) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    size_t i = 0;
    int64_t max_samples = 0, lookback = 0;
    auto is_block_line = [&](size_t j) {
      if (j >= lines.size()) return false;
      const std::string& l = lines[j];
      std::string t = Trim(l);
      if (t.empty()) return false;
      return !l.empty() && (l[0] == ' ' || l[0] == '\t');
    };
    while (i < lines.size()) {
      const int lineno = static_cast<int>(i) + 1;
      std::string t = Trim(lines[i]);
      ++i;
      if (t.empty() || t[0] == '#') continue;
      std::string where = name_ + ":" + std::to_string(lineno);
      if (StartsWith(t, "load ")) {
        auto interval = ParseDurationMs(Trim(t.substr(5)));
        ASSERT_TRUE(interval.ok()) << where;
        while (is_block_line(i)) {
          Load(Trim(lines[i]), *interval, name_ + ":" + std::to_string(i + 1));
          ++i;
        }
      } else if (t == "clear") {
        Reset();
      } else if (StartsWith(t, "set ")) {
        std::istringstream s(t.substr(4));
        std::string key, val;
        s >> key >> val;
        if (key == "max_samples") {
          max_samples = std::stoll(val);
        } else if (key == "lookback") {
          lookback = Duration(val, where);
        } else {
          ADD_FAILURE() << where << ": unknown setting " << key;
        }
      } else if (StartsWith(t, "eval")) {
        EvalCmd cmd;
        cmd.line = lineno;
        cmd.max_samples = max_samples;
        cmd.lookback = lookback;
        std::string rest;
        if (StartsWith(t, "eval_fail ")) {
          cmd.fail = true;
          rest = t.substr(10);
        } else if (StartsWith(t, "eval_ordered ")) {
          cmd.ordered = true;
          rest = t.substr(13);
        } else if (StartsWith(t, "eval ")) {
          rest = t.substr(5);
        } else {
          ADD_FAILURE() << where << ": unknown command";
          continue;
        }
        std::istringstream s(rest);
        std::string kind, word;
        s >> kind;
        if (kind == "instant") {
          std::string at;
          s >> word >> at;
          ASSERT_EQ(word, "at") << where;
          cmd.at = Duration(at, where);
        } else if (kind == "range") {
          std::string from, to, step;
          s >> word >> from;
          ASSERT_EQ(word, "from") << where;
          s >> word >> to;
          ASSERT_EQ(word, "to") << where;
          s >> word >> step;
          ASSERT_EQ(word, "step") << where;
          cmd.range = true;
          cmd.start = Duration(from, where);
          cmd.end = Duration(to, where);
          cmd.step = Duration(step, where);
        } else {
          ADD_FAILURE() << where << ": expected instant or range";
          continue;
        }
        std::getline(s, cmd.expr);
        cmd.expr = Trim(cmd.expr);
        while (is_block_line(i)) {
          std::string l = Trim(lines[i]);
          const int eline = static_cast<int>(i) + 1;
          ++i;
          if (StartsWith(l, "expected_fail_message ")) {
            cmd.fail_message = Trim(l.substr(22));
            continue;
          }
          Expected e;
          e.line = eline;
          std::string err;
          std::string_view restv;
          double v;
          if (ParseNumber(l, &v) && !cmd.range) {
            e.scalar = true;
            e.values.push_back({false, v});
          } else {
            bool ok = ParseLabels(l, &e.labels, &restv, &err);
            ASSERT_TRUE(ok) << name_ << ":" << eline << ": " << err;
            ok = ParseValues(restv, &e.values, &err);
            ASSERT_TRUE(ok) << name_ << ":" << eline << ": " << err;
          }
          cmd.expected.push_back(std::move(e));
        }
        Eval(cmd);
        ++*evals;
      } else {
        ADD_FAILURE() << where << ": unknown command: " << t;
      }
    }
  }

 private:
  void Load(const std::string& line, int64_t interval, const std::string& where) {
    tsdb::Labels labels;
    std::string_view rest;
    std::string err;
    ASSERT_TRUE(ParseLabels(line, &labels, &rest, &err)) << where << ": " << err;
    std::vector<SeriesValue> values;
    ASSERT_TRUE(ParseValues(rest, &values, &err)) << where << ": " << err;
    std::vector<tsdb::Sample> samples;
    for (size_t k = 0; k < values.size(); ++k) {
      if (values[k].omitted) continue;
      samples.push_back(tsdb::Sample{static_cast<int64_t>(k) * interval, values[k].v});
    }
    std::vector<tsdb::LabelView> views = labels.Views();
    tsdb::SeriesSamples ss{views, samples};
    Status st = head_->AppendBatch(std::span<const tsdb::SeriesSamples>(&ss, 1));
    ASSERT_TRUE(st.ok()) << where << ": " << st.ToString();
  }

  void Eval(const EvalCmd& cmd) {
    const std::string where = name_ + ":" + std::to_string(cmd.line) + ": " + cmd.expr;
    auto parsed = ParseExpr(cmd.expr);
    if (!parsed.ok()) {
      if (cmd.fail) return;  // parse errors count as failures
      ADD_FAILURE() << where << ": parse error: " << parsed.status().message();
      return;
    }
    QueryOptions qo;
    qo.max_samples = cmd.max_samples;
    qo.lookback_delta_ms = cmd.lookback;
    Result<Value> res = Status(StatusCode::kInternal, "unset");
    if (cmd.range) {
      auto m = engine_->RangeQuery(**parsed, cmd.start, cmd.end, cmd.step, qo);
      res = m.ok() ? Result<Value>(Value(std::move(m).value())) : Result<Value>(m.status());
    } else {
      res = engine_->InstantQuery(**parsed, cmd.at, qo);
    }
    if (cmd.fail) {
      if (res.ok()) {
        ADD_FAILURE() << where << ": expected an error";
      } else if (!cmd.fail_message.empty() && res.status().message().find(cmd.fail_message) == std::string::npos) {
        ADD_FAILURE() << where << ": error \"" << res.status().message() << "\" lacks \"" << cmd.fail_message
                      << "\"";
      }
      return;
    }
    if (!res.ok()) {
      ADD_FAILURE() << where << ": " << res.status().ToString();
      return;
    }
    Check(cmd, *res, where);
  }

  void Check(const EvalCmd& cmd, const Value& v, const std::string& where) {
    if (const auto* s = std::get_if<Scalar>(&v)) {
      if (cmd.expected.size() != 1 || !cmd.expected[0].scalar) {
        ADD_FAILURE() << where << ": got scalar " << Fmt(s->v) << ", expected something else";
        return;
      }
      EXPECT_TRUE(Close(cmd.expected[0].values[0].v, s->v))
          << where << ": scalar want " << Fmt(cmd.expected[0].values[0].v) << " got " << Fmt(s->v);
      return;
    }
    if (const auto* vec = std::get_if<Vector>(&v)) {
      std::string got_str;
      for (const Sample& s : *vec) got_str += "\n  " + LabelsString(s.metric) + " " + Fmt(s.v);
      if (vec->size() != cmd.expected.size()) {
        ADD_FAILURE() << where << ": want " << cmd.expected.size() << " samples, got " << vec->size() << ":"
                      << got_str;
        return;
      }
      for (size_t i = 0; i < cmd.expected.size(); ++i) {
        const Expected& e = cmd.expected[i];
        if (e.scalar || e.values.size() != 1) {
          ADD_FAILURE() << where << ": bad expectation at line " << e.line;
          return;
        }
        const Sample* found = nullptr;
        if (cmd.ordered) {
          if ((*vec)[i].metric == e.labels) found = &(*vec)[i];
        } else {
          for (const Sample& s : *vec) {
            if (s.metric == e.labels) found = &s;
          }
        }
        if (found == nullptr) {
          ADD_FAILURE() << where << ": " << (cmd.ordered ? "at position " + std::to_string(i) + " " : "")
                        << "missing " << LabelsString(e.labels) << "; got:" << got_str;
          continue;
        }
        EXPECT_TRUE(Close(e.values[0].v, found->v)) << where << ": " << LabelsString(e.labels) << " want "
                                                    << Fmt(e.values[0].v) << " got " << Fmt(found->v);
        EXPECT_EQ(found->t, cmd.at) << where;
      }
      return;
    }
    if (const auto* m = std::get_if<Matrix>(&v)) {
      std::string got_str;
      for (const Series& s : *m) {
        got_str += "\n  " + LabelsString(s.metric);
        for (const Point& p : s.points) got_str += " " + Fmt(p.v) + "@" + std::to_string(p.t);
      }
      if (m->size() != cmd.expected.size()) {
        ADD_FAILURE() << where << ": want " << cmd.expected.size() << " series, got " << m->size() << ":" << got_str;
        return;
      }
      for (const Expected& e : cmd.expected) {
        const Series* found = nullptr;
        for (const Series& s : *m) {
          if (s.metric == e.labels) found = &s;
        }
        if (found == nullptr) {
          ADD_FAILURE() << where << ": missing series " << LabelsString(e.labels) << "; got:" << got_str;
          continue;
        }
        if (cmd.range) {
          // One expected value (or `_`) per step.
          std::map<int64_t, double> got;
          for (const Point& p : found->points) got[p.t] = p.v;
          size_t k = 0;
          for (int64_t ts = cmd.start; ts <= cmd.end; ts += cmd.step, ++k) {
            if (k >= e.values.size()) {
              ADD_FAILURE() << where << ": " << LabelsString(e.labels) << ": too few expected values";
              break;
            }
            auto it = got.find(ts);
            if (e.values[k].omitted) {
              EXPECT_TRUE(it == got.end()) << where << ": " << LabelsString(e.labels) << " at " << ts
                                           << ": want no value, got " << Fmt(it->second);
            } else if (it == got.end()) {
              ADD_FAILURE() << where << ": " << LabelsString(e.labels) << " at " << ts << ": want "
                            << Fmt(e.values[k].v) << ", got none" << got_str;
            } else {
              EXPECT_TRUE(Close(e.values[k].v, it->second)) << where << ": " << LabelsString(e.labels) << " at "
                                                             << ts << ": want " << Fmt(e.values[k].v) << " got "
                                                             << Fmt(it->second);
            }
          }
          EXPECT_EQ(k, e.values.size()) << where << ": " << LabelsString(e.labels) << ": expected values vs steps";
        } else {
          // A range vector at an instant: the raw points in order.
          std::vector<double> want;
          for (const SeriesValue& sv : e.values) {
            if (!sv.omitted) want.push_back(sv.v);
          }
          bool same = want.size() == found->points.size();
          for (size_t k = 0; same && k < want.size(); ++k) same = Close(want[k], found->points[k].v);
          EXPECT_TRUE(same) << where << ": " << LabelsString(e.labels) << " points differ; got:" << got_str;
        }
      }
      return;
    }
    if (const auto* s = std::get_if<String>(&v)) {
      ADD_FAILURE() << where << ": string results are not checked: " << s->v;
    }
  }

  std::string name_;
  std::unique_ptr<tsdb::Head> head_;
  std::unique_ptr<HeadQueryable> queryable_;
  std::unique_ptr<Engine> engine_;
};

fs::path TestdataDir() { return fs::path(__FILE__).parent_path() / "testdata"; }

std::vector<std::string> TestFiles() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(TestdataDir(), ec)) {
    if (entry.path().extension() == ".test") out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class PromqlScriptTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PromqlScriptTest, Evaluates) {
  std::ifstream in(TestdataDir() / GetParam());
  ASSERT_TRUE(in.good()) << GetParam();
  std::stringstream buf;
  buf << in.rdbuf();
  TestScript script(GetParam());
  int evals = 0;
  script.Run(buf.str(), &evals);
  RecordProperty("evals", evals);
  EXPECT_GT(evals, 0);
  std::printf("[ %s: %d evals ]\n", GetParam().c_str(), evals);
}

INSTANTIATE_TEST_SUITE_P(Testdata, PromqlScriptTest, ::testing::ValuesIn(TestFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(0, info.param.find('.'));
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace perfwatch::query::promql
