#include "ingest/scrape/exposition_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace perfwatch::ingest {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct OwnedSample {
  std::string name;
  Labels labels;
  double value;
  std::optional<int64_t> ts;
};

struct OwnedMetadata {
  std::string family;
  MetricType type;
  std::string help;
  std::string unit;
  bool has_type, has_help, has_unit;
};

class CollectingSink : public ExpositionSink {
 public:
  Status OnSample(const ExpositionSample& s) override {
    OwnedSample o{std::string(s.name), {}, s.value, s.timestamp_ms};
    for (const ExpositionLabel& l : s.labels) o.labels.emplace_back(l.name, l.value);
    samples.push_back(std::move(o));
    return Status::Ok();
  }
  Status OnMetadata(const ExpositionMetadata& m) override {
    metadata.push_back({std::string(m.family), m.type, std::string(m.help), std::string(m.unit),
                        m.has_type, m.has_help, m.has_unit});
    return Status::Ok();
  }
  std::vector<OwnedSample> samples;
  std::vector<OwnedMetadata> metadata;
};

constexpr auto kText = ExpositionFormat::kPrometheusText;
constexpr auto kOm = ExpositionFormat::kOpenMetrics;

class ExpositionParserTest : public ::testing::Test {
 protected:
  Status Parse(std::string_view text, ExpositionFormat f = kText) {
    sink_ = CollectingSink();
    return parser_.Parse(text, f, sink_);
  }
  // The error message of a parse that must fail with kInvalidArgument.
  std::string Error(std::string_view text, ExpositionFormat f = kText) {
    Status s = Parse(text, f);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    return s.message();
  }
  ExpositionParser parser_;
  CollectingSink sink_;
};

TEST(ExpositionFormatTest, FromContentType) {
  EXPECT_EQ(ExpositionFormatFromContentType("text/plain; version=0.0.4; charset=utf-8"), kText);
  EXPECT_EQ(
      ExpositionFormatFromContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"),
      kOm);
  EXPECT_EQ(ExpositionFormatFromContentType("Application/OpenMetrics-Text;version=0.0.1"), kOm);
  EXPECT_EQ(ExpositionFormatFromContentType(" application/openmetrics-text "), kOm);
  EXPECT_EQ(ExpositionFormatFromContentType(""), kText);
  EXPECT_EQ(ExpositionFormatFromContentType("application/json"), kText);
}

TEST_F(ExpositionParserTest, SimpleSamplesAndMetadata) {
  ASSERT_TRUE(Parse("# HELP http_requests_total The total number of requests.\n"
                    "# TYPE http_requests_total counter\n"
                    "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
                    "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
                    "metric_without_timestamp_and_labels 12.47\n")
                  .ok());
  ASSERT_EQ(sink_.samples.size(), 3u);
  EXPECT_EQ(sink_.samples[0].name, "http_requests_total");
  EXPECT_EQ(sink_.samples[0].labels, (Labels{{"code", "200"}, {"method", "post"}}));
  EXPECT_EQ(sink_.samples[0].value, 1027);
  EXPECT_EQ(sink_.samples[0].ts, 1395066363000);
  EXPECT_EQ(sink_.samples[1].value, 3);
  EXPECT_FALSE(sink_.samples[2].ts.has_value());
  EXPECT_TRUE(sink_.samples[2].labels.empty());
  ASSERT_EQ(sink_.metadata.size(), 1u);
  EXPECT_EQ(sink_.metadata[0].family, "http_requests_total");
  EXPECT_EQ(sink_.metadata[0].type, MetricType::kCounter);
  EXPECT_EQ(sink_.metadata[0].help, "The total number of requests.");
  EXPECT_TRUE(sink_.metadata[0].has_help && sink_.metadata[0].has_type &&
              !sink_.metadata[0].has_unit);
  EXPECT_EQ(parser_.stats().samples, 3u);
  EXPECT_EQ(parser_.stats().families, 1u);
}

TEST_F(ExpositionParserTest, SpecialValues) {
  ASSERT_TRUE(
      Parse("a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf 1e-400\ng -0\nh .5\ni +3\nj 1.5E3\n").ok());
  ASSERT_EQ(sink_.samples.size(), 10u);
  EXPECT_TRUE(std::isnan(sink_.samples[0].value));
  EXPECT_EQ(sink_.samples[1].value, INFINITY);
  EXPECT_EQ(sink_.samples[2].value, -INFINITY);
  EXPECT_EQ(sink_.samples[3].value, INFINITY);
  EXPECT_TRUE(std::isnan(sink_.samples[4].value));
  EXPECT_EQ(sink_.samples[5].value, 0);
  EXPECT_TRUE(std::signbit(sink_.samples[6].value));
  EXPECT_EQ(sink_.samples[7].value, 0.5);
  EXPECT_EQ(sink_.samples[8].value, 3);
  EXPECT_EQ(sink_.samples[9].value, 1500);
}

TEST_F(ExpositionParserTest, BadValues) {
  EXPECT_EQ(Error("a 1e400\n"), "line 1, column 3: invalid value \"1e400\"");
  EXPECT_EQ(Error("a 0x10\n"), "line 1, column 3: invalid value \"0x10\"");
  EXPECT_EQ(Error("a --1\n"), "line 1, column 3: invalid value \"--1\"");
  EXPECT_EQ(Error("a nan(1)\n"), "line 1, column 3: invalid value \"nan(1)\"");
  EXPECT_EQ(Error("a\n"), "line 1, column 2: expected a value after \"a\"");
  EXPECT_EQ(Error("a{} \n"), "line 1, column 5: expected a value after \"a\"");
}

TEST_F(ExpositionParserTest, EscapesInLabelValuesAndHelp) {
  ASSERT_TRUE(Parse("# HELP m Multi\\nline \\\\ with \"quotes\"\n"
                    "m{path=\"C:\\\\dir\\\\\",msg=\"say \\\"hi\\\"\\n\",plain=\"x\"} 1\n")
                  .ok());
  ASSERT_EQ(sink_.samples.size(), 1u);
  EXPECT_EQ(sink_.samples[0].labels,
            (Labels{{"msg", "say \"hi\"\n"}, {"path", "C:\\dir\\"}, {"plain", "x"}}));
  EXPECT_EQ(sink_.metadata[0].help, "Multi\nline \\ with \"quotes\"");
}

TEST_F(ExpositionParserTest, BadEscapes) {
  EXPECT_EQ(Error("m{a=\"x\\q\"} 1\n"),
            "line 1, column 7: invalid escape sequence \"\\\\q\" in label value");
  EXPECT_EQ(Error("# HELP m bad \\t escape\n"),
            "line 1, column 14: invalid escape sequence \"\\\\t\" in HELP text");
  // \" is an escape in OpenMetrics HELP but not in 0.0.4 HELP.
  EXPECT_FALSE(Parse("# HELP m a \\\"b\\\"\n").ok());
  ASSERT_TRUE(Parse("# HELP m a \\\"b\\\"\n# EOF\n", kOm).ok());
  EXPECT_EQ(sink_.metadata[0].help, "a \"b\"");
  EXPECT_EQ(Error("m{a=\"x\\\"} 1\n"), "line 1, column 5: unterminated label value");
}

TEST_F(ExpositionParserTest, LabelsAreSortedAndValidated) {
  ASSERT_TRUE(Parse("m{z=\"1\",a=\"2\",m=\"3\",} 1\nm { b = \"1\" , a=\"\" } 2\n").ok());
  EXPECT_EQ(sink_.samples[0].labels, (Labels{{"a", "2"}, {"m", "3"}, {"z", "1"}}));
  EXPECT_EQ(sink_.samples[1].labels, (Labels{{"a", ""}, {"b", "1"}}));
  EXPECT_EQ(Error("m{a=\"1\",b=\"2\",a=\"3\"} 1\n"),
            "line 1, column 15: duplicate label name \"a\"");
  EXPECT_EQ(Error("m{1a=\"1\"} 1\n"), "line 1, column 3: invalid label name \"1a\"");
  EXPECT_EQ(Error("m{a-b=\"1\"} 1\n"), "line 1, column 4: expected '=' after label name \"a\"");
  EXPECT_EQ(Error("m{__name__=\"x\"} 1\n"),
            "line 1, column 3: label name \"__name__\" is reserved");
  EXPECT_EQ(Error("m{a=1} 1\n"),
            "line 1, column 5: expected '\"' to open the value of label \"a\"");
  EXPECT_EQ(Error("m{a=\"1\" b=\"2\"} 1\n"),
            "line 1, column 9: expected ',' or '}' after a label value, found \"b\"");
  EXPECT_EQ(Error("m{a=\"1\"\n"), "line 1, column 8: unterminated label set (expected '}')");
  EXPECT_EQ(Error("m{,} 1\n"), "line 1, column 3: expected a label name, found \",\"");
  EXPECT_EQ(Error("m{a=\"\xff\"} 1\n"), "line 1, column 6: label value is not valid UTF-8");
  EXPECT_EQ(Error("m{\"quoted\"=\"1\"} 1\n"),
            "line 1, column 3: quoted label names are not supported");
}

TEST_F(ExpositionParserTest, MetricNames) {
  ASSERT_TRUE(Parse("ns:rule:rate5m 1\n_under 2\n").ok());
  EXPECT_EQ(sink_.samples[0].name, "ns:rule:rate5m");
  EXPECT_EQ(Error("1abc 1\n"), "line 1, column 1: invalid metric name \"1abc\"");
  EXPECT_EQ(Error("{a=\"1\"} 1\n"),
            "line 1, column 1: expected a metric name (quoted names are not supported)");
  EXPECT_EQ(Error("me-tric 1\n"),
            "line 1, column 3: unexpected character \"-\" after the metric name");
  EXPECT_EQ(Error("# TYPE 1x counter\n"),
            "line 1, column 8: invalid metric name \"1x\" in TYPE line");
  EXPECT_EQ(Error("# HELP\n"), "line 1, column 7: expected a metric name after HELP");
}

TEST_F(ExpositionParserTest, TimestampsAndTrailingText) {
  ASSERT_TRUE(Parse("a 1 -5\nb 2 +7  \t\nc 3\t\t\n").ok());
  EXPECT_EQ(sink_.samples[0].ts, -5);
  EXPECT_EQ(sink_.samples[1].ts, 7);
  EXPECT_FALSE(sink_.samples[2].ts.has_value());
  EXPECT_EQ(Error("a 1 1.5\n"),
            "line 1, column 5: invalid timestamp \"1.5\" (integer milliseconds expected)");
  EXPECT_EQ(Error("a 1 2 3\n"), "line 1, column 7: unexpected text after the timestamp");
  EXPECT_EQ(Error("ok 1\nok 2\na 1 # {x=\"y\"} 1\n"),
            "line 3, column 5: invalid timestamp \"#\" (integer milliseconds expected)");
  EXPECT_EQ(Error("a 1\r\n"), "line 1, column 3: invalid value \"1\\x0d\"");
  EXPECT_EQ(Error("a 1 99999999999999999999\n"),
            "line 1, column 5: invalid timestamp \"99999999999999999999\" (integer milliseconds "
            "expected)");
}

TEST_F(ExpositionParserTest, TextFormatLeniency) {
  // Blank lines, leading whitespace, free comments, no final newline, empty body.
  ASSERT_TRUE(Parse("\n  \n# just a comment\n#HELP m help\n  m 1\n\t# TYPE m gauge\nm 2").ok());
  ASSERT_EQ(sink_.samples.size(), 2u);
  EXPECT_EQ(sink_.samples[1].value, 2);
  ASSERT_EQ(sink_.metadata.size(), 2u);
  EXPECT_EQ(sink_.metadata[0].help, "help");
  EXPECT_EQ(sink_.metadata[1].type, MetricType::kGauge);
  ASSERT_TRUE(Parse("").ok());
  EXPECT_TRUE(sink_.samples.empty());
  ASSERT_TRUE(Parse("# HELP m\n# HELP n  \n").ok());
  ASSERT_EQ(sink_.metadata.size(), 2u);
  EXPECT_EQ(sink_.metadata[0].help, "");
  EXPECT_EQ(sink_.metadata[1].help, "");
}

TEST_F(ExpositionParserTest, TypeLines) {
  ASSERT_TRUE(Parse("# TYPE a untyped\n# TYPE b summary\n# TYPE c histogram\n").ok());
  ASSERT_EQ(sink_.metadata.size(), 3u);
  EXPECT_EQ(sink_.metadata[0].type, MetricType::kUntyped);
  EXPECT_EQ(sink_.metadata[2].type, MetricType::kHistogram);
  EXPECT_EQ(Error("# TYPE a info\n"),
            "line 1, column 10: unknown metric type \"info\" for Prometheus text 0.0.4");
  EXPECT_EQ(Error("# TYPE a counter extra\n"),
            "line 1, column 18: unexpected text after the metric type");
  EXPECT_EQ(Error("# TYPE a\n"),
            "line 1, column 9: unknown metric type \"\" for Prometheus text 0.0.4");
}

TEST_F(ExpositionParserTest, HistogramNamesUntouched) {
  ASSERT_TRUE(Parse("# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum "
                    "0.3\nh_count 2\n"
                    "# TYPE c counter\nc_total 4\nc_created 1.7e9\n")
                  .ok());
  ASSERT_EQ(sink_.samples.size(), 6u);
  EXPECT_EQ(sink_.samples[1].labels, (Labels{{"le", "+Inf"}}));
  EXPECT_EQ(sink_.samples[4].name, "c_total");
  EXPECT_EQ(sink_.samples[5].name, "c_created");
}

TEST_F(ExpositionParserTest, OpenMetricsExample) {
  constexpr std::string_view kBody =
      "# TYPE acme_http_router_request_seconds summary\n"
      "# UNIT acme_http_router_request_seconds seconds\n"
      "# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.\n"
      "acme_http_router_request_seconds_sum{path=\"/api/v1\",method=\"GET\"} 9036.32\n"
      "acme_http_router_request_seconds_count{path=\"/api/v1\",method=\"GET\"} 807283.0\n"
      "acme_http_router_request_seconds_created{path=\"/api/v1\",method=\"GET\"} 1605281325.0\n"
      "# TYPE foo histogram\n"
      "foo_bucket{le=\"0.01\"} 0 # {trace_id=\"KOO5S4vxi0o\"} 0.001 1605281325.5\n"
      "foo_bucket{le=\"+Inf\"} 17 # {trace_id=\"oHg5SJYRHA0\",esc=\"a\\\"b\"} 9.8\n"
      "foo_count 17 1520879607.789\n"
      "# TYPE st stateset\n"
      "st{st=\"a\"} 1\n"
      "# TYPE i info\n"
      "i_info{version=\"1.0\"} 1\n"
      "# EOF\n";
  Status s = Parse(kBody, kOm);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(sink_.samples.size(), 8u);
  EXPECT_EQ(sink_.samples[0].labels, (Labels{{"method", "GET"}, {"path", "/api/v1"}}));
  EXPECT_EQ(sink_.samples[2].name, "acme_http_router_request_seconds_created");
  EXPECT_EQ(sink_.samples[3].value, 0);
  EXPECT_FALSE(sink_.samples[3].ts.has_value());
  EXPECT_EQ(sink_.samples[4].labels, (Labels{{"le", "+Inf"}}));
  EXPECT_EQ(sink_.samples[5].ts, 1520879607789);
  ASSERT_EQ(sink_.metadata.size(), 4u);
  EXPECT_EQ(sink_.metadata[0].unit, "seconds");
  EXPECT_EQ(sink_.metadata[0].type, MetricType::kSummary);
  EXPECT_EQ(sink_.metadata[0].help, "Latency though all of ACME's HTTP request router.");
  EXPECT_EQ(sink_.metadata[2].type, MetricType::kStateSet);
  EXPECT_EQ(sink_.metadata[3].type, MetricType::kInfo);
  EXPECT_EQ(parser_.stats().exemplars, 2u);
}

TEST_F(ExpositionParserTest, OpenMetricsExemplarWithTimestampedSample) {
  ASSERT_TRUE(Parse("c_total 5 100.25 # {a=\"b\"} 1 99\n# EOF", kOm).ok());
  EXPECT_EQ(sink_.samples[0].ts, 100250);
  EXPECT_EQ(Error("c_total 5 # {a=\"b\"}\n# EOF\n", kOm),
            "line 1, column 20: expected a space and a value after the exemplar's labels");
  EXPECT_EQ(Error("c_total 5 # {a=\"b\"} x\n# EOF\n", kOm),
            "line 1, column 21: invalid exemplar value \"x\"");
  EXPECT_EQ(Error("c_total 5 # {a=\"b\"} 1 2 3\n# EOF\n", kOm),
            "line 1, column 24: unexpected text after the exemplar");
  EXPECT_EQ(Error("c_total 5 # comment\n# EOF\n", kOm),
            "line 1, column 11: expected an exemplar \"# {...} value\"");
  EXPECT_EQ(Error("c_total 5 # {a=\"1\",a=\"2\"} 1\n# EOF\n", kOm),
            "line 1, column 20: duplicate label name \"a\"");
  EXPECT_EQ(Error("c_total 5 1 x\n# EOF\n", kOm),
            "line 1, column 13: unexpected text after the timestamp");
  EXPECT_EQ(Error("c_total 5 NaN\n# EOF\n", kOm), "line 1, column 11: invalid timestamp \"NaN\"");
}

TEST_F(ExpositionParserTest, OpenMetricsStrictness) {
  EXPECT_EQ(Error("a 1\n", kOm),
            "line 2, column 1: missing \"# EOF\" at the end of an OpenMetrics exposition");
  EXPECT_EQ(Error("", kOm),
            "line 1, column 1: missing \"# EOF\" at the end of an OpenMetrics exposition");
  EXPECT_EQ(Error("# EOF\na 1\n", kOm), "line 2, column 1: content after \"# EOF\"");
  EXPECT_EQ(Error("# EOF\n\n", kOm), "line 2, column 1: content after \"# EOF\"");
  EXPECT_EQ(Error("a 1\n\n# EOF\n", kOm),
            "line 2, column 1: empty line (not allowed in OpenMetrics)");
  EXPECT_EQ(Error("# free comment\n# EOF\n", kOm),
            "line 1, column 1: expected \"# HELP\", \"# TYPE\", \"# UNIT\" or \"# EOF\" "
            "(OpenMetrics has no free comments)");
  EXPECT_EQ(Error("a  1\n# EOF\n", kOm), "line 1, column 3: invalid value \"\"");
  EXPECT_EQ(Error("a 1 \n# EOF\n", kOm),
            "line 1, column 4: trailing space (not allowed in OpenMetrics)");
  EXPECT_EQ(Error("a{b=\"1\",} 1\n# EOF\n", kOm),
            "line 1, column 9: trailing comma in label set (not allowed in OpenMetrics)");
  EXPECT_EQ(Error("a{b = \"1\"} 1\n# EOF\n", kOm),
            "line 1, column 4: expected '=' after label name \"b\"");
  EXPECT_EQ(Error("# TYPE a untyped\n# EOF\n", kOm),
            "line 1, column 10: unknown metric type \"untyped\" for OpenMetrics 1.0");
  EXPECT_EQ(Error("# TYPE a counter\n# TYPE a gauge\n# EOF\n", kOm),
            "line 2, column 9: second TYPE line for \"a\"");
  EXPECT_EQ(Error("# TYPE a gauge\na 1\n# HELP a late\n# EOF\n", kOm),
            "line 3, column 8: metadata for \"a\" after its samples");
  EXPECT_EQ(Error("# UNIT a_seconds bytes\n# EOF\n", kOm),
            "line 1, column 18: unit \"bytes\" is not a suffix of the metric name \"a_seconds\"");
  ASSERT_TRUE(Parse("# EOF", kOm).ok());
  ASSERT_TRUE(Parse("a 1\n# EOF", kOm).ok());
  EXPECT_EQ(sink_.samples.size(), 1u);
}

TEST_F(ExpositionParserTest, ErrorLineNumbersCountEveryLine) {
  EXPECT_EQ(Error("# HELP a x\n\na 1\nb{c=\"d\"} 2 3\nbad line\n"),
            "line 5, column 5: invalid value \"line\"");
}

TEST_F(ExpositionParserTest, SinkErrorStopsTheParse) {
  class Failing : public ExpositionSink {
   public:
    Status OnSample(const ExpositionSample& s) override {
      return s.value > 1 ? ResourceExhausted("sample limit 1 exceeded") : Status::Ok();
    }
  } failing;
  Status s = parser_.Parse("a 1\nb 2\nc 3\n", kText, failing);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "line 2: sample limit 1 exceeded");
}

TEST_F(ExpositionParserTest, ReusedParserGivesStableViews) {
  // Escaped values live in scratch space that grows while a line is parsed; earlier views
  // must survive that.
  std::string line = "m{";
  for (int i = 0; i < 50; ++i) {
    line +=
        "l" + std::to_string(i) + "=\"" + std::string(40, 'x') + "\\n" + std::to_string(i) + "\",";
  }
  line += "} 1\n";
  ASSERT_TRUE(Parse(line).ok());
  ASSERT_EQ(sink_.samples[0].labels.size(), 50u);
  for (const auto& [name, value] : sink_.samples[0].labels) {
    EXPECT_EQ(value, std::string(40, 'x') + "\n" + name.substr(1));
  }
}

// ------------------------------------------------------------------ real expositions

std::filesystem::path TestData() {
  return std::filesystem::path(__FILE__).parent_path() / "testdata" / "exposition";
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sample lines counted without the parser: non-empty lines that do not start with '#'.
size_t CountSampleLines(const std::string& body) {
  size_t n = 0;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') ++n;
  }
  return n;
}

size_t CountTypeLines(const std::string& body) {
  size_t n = 0;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) ++n;
  }
  return n;
}

class RealExpositionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RealExpositionTest, ParsesWithTheRightSampleCount) {
  std::filesystem::path path = TestData() / GetParam();
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  std::string body = ReadFile(path);
  ExpositionFormat format = GetParam().ends_with(".om.txt") ? kOm : kText;
  size_t expected = CountSampleLines(body);
  ASSERT_GT(expected, 20u);
  ExpositionParser parser;
  CollectingSink sink;
  Status s = parser.Parse(body, format, sink);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(sink.samples.size(), expected);
  size_t types = 0;
  for (const OwnedMetadata& m : sink.metadata) types += m.has_type;
  EXPECT_EQ(types, CountTypeLines(body));
  for (const OwnedSample& sample : sink.samples) {
    for (size_t i = 1; i < sample.labels.size(); ++i)
      EXPECT_LT(sample.labels[i - 1].first, sample.labels[i].first);
  }
  // Parsing again with the same parser gives the same samples.
  CollectingSink again;
  ASSERT_TRUE(parser.Parse(body, format, again).ok());
  ASSERT_EQ(again.samples.size(), sink.samples.size());
  EXPECT_EQ(again.samples.back().labels, sink.samples.back().labels);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RealExpositionTest,
                         ::testing::Values("perfwatch.txt", "prometheus.txt", "node_exporter.txt"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '.') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace perfwatch::ingest
