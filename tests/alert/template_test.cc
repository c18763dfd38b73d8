// Tests for alert/template.h: Go text/template with Prometheus' template functions.
// Expected strings are what Prometheus 2.42 (Go 1.19) prints; several cases come from
// Prometheus' template/template_test.go. Parse prepends Prometheus' 112-byte variable
// prefix, so execution errors on line 1 report column 112 + the column in the text.
#include "alert/template.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace perfwatch::alert {
namespace {

constexpr int kPrefix = 112;

std::string Col(int c) { return std::to_string(kPrefix + c); }

class TemplateTest : public ::testing::Test {
 protected:
  TemplateTest() {
    labels_ = {{"instance", "host1:9100"}, {"job", "node"}, {"severity", "critical"}};
    external_ = {{"cluster", "prod"}};
    data_.labels = &labels_;
    data_.external_labels = &external_;
    data_.external_url = "http://prom.example.com:9090/path/prefix";
    data_.value = 0.1234;
    data_.query = [this](std::string_view q) -> Result<std::vector<QuerySample>> {
      queries_.emplace_back(q);
      if (q == "boom") return InvalidArgument("1:1: parse error: unexpected end of input");
      if (q == "empty") return std::vector<QuerySample>{};
      if (q == "big")
        return std::vector<QuerySample>{{{{"__name__", "up"}, {"job", "a"}}, 1234567}};
      return std::vector<QuerySample>{
          {{{"__name__", "up"}, {"instance", "b:1"}, {"job", "b"}}, 2.5},
          {{{"__name__", "up"}, {"__value__", "text"}, {"instance", "a:1"}, {"job", "a"}}, 1},
      };
    };
  }

  // The expansion, or the error message.
  std::string Run(std::string_view text) {
    Result<Template> t = Template::Parse("test", text);
    if (!t.ok()) return "PARSE: " + t.status().message();
    Result<std::string> r = t->Execute(data_);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      return "EXEC: " + r.status().message();
    }
    return r.value();
  }
  std::string WithValue(double v, std::string_view text) {
    data_.value = v;
    return Run(text);
  }
  // Execution error text for an error at column `c` of line 1 on node `at`.
  static std::string ExecErr(int c, std::string_view at, std::string_view msg) {
    return "EXEC: template: test:1:" + Col(c) + ": executing \"test\" at <" + std::string(at) +
           ">: " + std::string(msg);
  }

  LabelSet labels_, external_;
  TemplateData data_;
  std::vector<std::string> queries_;
};

TEST_F(TemplateTest, PlainTextAndVariables) {
  EXPECT_EQ(Run("plain text"), "plain text");
  EXPECT_EQ(Run(""), "");
  EXPECT_EQ(Run("{{ 1 }}"), "1");
  EXPECT_EQ(Run("{{ $labels.instance }}"), "host1:9100");
  EXPECT_EQ(Run("{{ .Labels.job }}/{{ $labels.severity }}"), "node/critical");
  EXPECT_EQ(Run("[{{ $labels.missing }}]"), "[]");  // missingkey=zero: "" for map[string]string
  EXPECT_EQ(Run("{{ $value }}"), "0.1234");
  EXPECT_EQ(Run("{{ .Value }}"), "0.1234");
  EXPECT_EQ(Run("{{ $externalURL }}"), "http://prom.example.com:9090/path/prefix");
  EXPECT_EQ(Run("{{ $externalLabels.cluster }}{{ .ExternalLabels.cluster }}"), "prodprod");
  EXPECT_EQ(Run("{{ $labels }}"), "map[instance:host1:9100 job:node severity:critical]");
  EXPECT_EQ(Run("{{ . }}"),
            "{map[instance:host1:9100 job:node severity:critical] map[cluster:prod] "
            "http://prom.example.com:9090/path/prefix 0.1234}");
  data_.labels = nullptr;
  data_.external_labels = nullptr;
  EXPECT_EQ(Run("[{{ $labels.job }}]{{ $labels }}{{ len $externalLabels }}"), "[]map[]0");
}

TEST_F(TemplateTest, RealWorldAnnotations) {
  EXPECT_EQ(Run("{{ $labels.instance }} has {{ $value | humanizePercentage }} errors"),
            "host1:9100 has 12.34% errors");
  EXPECT_EQ(Run("{{ printf \"%.2f\" $value }}"), "0.12");
  EXPECT_EQ(Run("{{ $value | printf \"%.2f\" }}"), "0.12");
  EXPECT_EQ(Run("{{ with query \"big\" }}{{ . | first | value | humanize }}{{ end }}"), "1.235M");
  EXPECT_EQ(Run("{{ range query \"x\" }}{{ .Labels.job }}={{ .Value }} {{ end }}"), "b=2.5 a=1 ");
  // kube-prometheus TargetDown.
  EXPECT_EQ(
      WithValue(0.5,
                "{{ printf \"%.4g\" $value }}% of the {{ $labels.job }}/{{ $labels.service }} "
                "targets in {{ $labels.namespace }} namespace are down."),
      "0.5% of the node/ targets in  namespace are down.");
  // kube-prometheus KubePodCrashLooping.
  EXPECT_EQ(WithValue(3,
                      "Pod {{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is "
                      "restarting {{ printf \"%.2f\" $value }} times / 10 minutes."),
            "Pod / () is restarting 3.00 times / 10 minutes.");
  // awesome-prometheus-alerts HostOutOfDiskSpace.
  EXPECT_EQ(
      WithValue(
          9.87654321,
          "Disk is almost full (< 10% left)\n  VALUE = {{ $value }}\n  LABELS = {{ $labels }}"),
      "Disk is almost full (< 10% left)\n  VALUE = 9.87654321\n  LABELS = map[instance:host1:9100 "
      "job:node severity:critical]");
  EXPECT_EQ(WithValue(123456789, "{{ $value | humanize1024 }}B used, {{ $value }}"),
            "117.7MiB used, 1.23456789e+08");
  EXPECT_EQ(WithValue(0.75, "{{ if gt $value 0.5 }}high{{ else }}low{{ end }}"), "high");
  EXPECT_EQ(WithValue(93784, "up for {{ $value | humanizeDuration }}"), "up for 1d 2h 3m 4s");
  EXPECT_EQ(Run("{{ $labels.instance | stripPort }} in {{ $externalLabels.cluster | toUpper }}"),
            "host1 in PROD");
  EXPECT_EQ(Run("{{ range $i, $s := query \"x\" | sortByLabel \"instance\" }}{{ if $i }}, {{ end }}"
                "{{ $s.Labels.instance }}: {{ $s.Value | humanize }}{{ end }}"),
            "a:1: 1, b:1: 2.5");
  EXPECT_EQ(Run("{{ with query \"empty\" }}{{ . | first | value }}{{ else }}no data{{ end }}"),
            "no data");
  EXPECT_EQ(Run("See {{ $externalURL }}{{ graphLink \"up == 0\" }}"),
            "See http://prom.example.com:9090/path/prefix/graph?g0.expr=up+%3D%3D+0&g0.tab=0");
}

TEST_F(TemplateTest, FloatPrinting) {
  const std::pair<double, const char*> cases[] = {
      {0, "0"},
      {-0.0, "-0"},
      {1, "1"},
      {-2.5, "-2.5"},
      {100000, "100000"},
      {999999, "999999"},
      {1e6, "1e+06"},
      {123456.7, "123456.7"},
      {1234567, "1.234567e+06"},
      {12345678.9, "1.23456789e+07"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {0.000123, "0.000123"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1e21, "1e+21"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {std::nan(""), "NaN"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
  };
  for (const auto& [v, want] : cases) {
    EXPECT_EQ(FormatGoFloat(v), want) << v;
    EXPECT_EQ(WithValue(v, "{{ $value }}"), want) << v;
  }
  EXPECT_EQ(Run("{{ 1.5e6 }} {{ 1e3 }} {{ 0.5 }} {{ 1000.0 }}"), "1.5e+06 1000 0.5 1000");
}

TEST_F(TemplateTest, Humanize) {
  EXPECT_EQ(Run("{{ humanize 0 }}:{{ humanize 1 }}:{{ humanize 1234567 }}:{{ humanize .12 }}:"
                "{{ humanize 0.001234 }}:{{ humanize -1 }}:{{ humanize -1234.5 }}"),
            "0:1:1.235M:120m:1.234m:-1:-1.234k");
  EXPECT_EQ(Run("{{ humanize \"0.0\" }}:{{ humanize \"1.0\" }}:{{ humanize \"1234567.0\" }}:{{ "
                "humanize \".12\" }}"),
            "0:1:1.235M:120m");
  EXPECT_EQ(Run("{{ humanize 1e30 }}:{{ humanize 1e-30 }}:{{ humanize 5e-7 }}"),
            "1e+06Y:1e-06y:500n");
  EXPECT_EQ(Run("{{ humanize1024 0 }}:{{ humanize1024 1 }}:{{ humanize1024 1048576 }}:"
                "{{ humanize1024 .12 }}:{{ humanize1024 1024 }}:{{ humanize1024 1234567 }}"),
            "0:1:1Mi:0.12:1ki:1.177Mi");
  EXPECT_EQ(Run("{{ humanize1024 \"1048576.0\" }}:{{ humanize1024 -2048 }}"), "1Mi:-2ki");
  EXPECT_EQ(
      Run("{{ humanizeDuration 0 }}:{{ humanizeDuration 1 }}:{{ humanizeDuration 60 }}:"
          "{{ humanizeDuration 3600 }}:{{ humanizeDuration 86400 }}:{{ humanizeDuration 90000 }}:"
          "{{ humanizeDuration -183845 }}:{{ humanizeDuration 899.99 }}"),
      "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s");
  EXPECT_EQ(
      Run("{{ humanizeDuration .1 }}:{{ humanizeDuration .0001 }}:{{ humanizeDuration .12345 }}:"
          "{{ humanizeDuration 60.1 }}:{{ humanizeDuration 60.5 }}:{{ humanizeDuration 1.2345 }}:"
          "{{ humanizeDuration 12.345 }}"),
      "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s");
  EXPECT_EQ(Run("{{ humanizeDuration 90061 }}:{{ humanizeDuration 0.0015 }}:{{ humanizeDuration "
                "1234567 }}:"
                "{{ humanizeDuration \"3600\" }}:{{ humanizeDuration -1 }}"),
            "1d 1h 1m 1s:1.5ms:14d 6h 56m 7s:1h 0m 0s:-1s");
  EXPECT_EQ(Run("{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:"
                "{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}:"
                "{{ humanizePercentage 1234567 }}:{{ humanizePercentage 0.1234 }}"),
            "-22.22%:0%:12.35%:123.5%:1.235e+08%:12.34%");
  EXPECT_EQ(
      Run("{{ humanizeTimestamp 0 }}|{{ humanizeTimestamp -1 }}|{{ humanizeTimestamp 1234567 }}|"
          "{{ humanizeTimestamp 9223372036 }}"),
      "1970-01-01 00:00:00 +0000 UTC|1969-12-31 23:59:59 +0000 UTC|1970-01-15 06:56:07 +0000 UTC|"
      "2262-04-11 23:47:16 +0000 UTC");
  EXPECT_EQ(
      Run("{{ 1435065584.128 | humanizeTimestamp }}|{{ \"1435065584.128\" | humanizeTimestamp }}"),
      "2015-06-23 13:19:44.128 +0000 UTC|2015-06-23 13:19:44.128 +0000 UTC");
  const double inf = std::numeric_limits<double>::infinity();
  const char* all =
      "{{ humanize $value }}:{{ humanize1024 $value }}:{{ humanizeDuration $value }}:"
      "{{ humanizeTimestamp $value }}";
  EXPECT_EQ(WithValue(inf, all), "+Inf:+Inf:+Inf:+Inf");
  EXPECT_EQ(WithValue(-inf, all), "-Inf:-Inf:-Inf:-Inf");
  EXPECT_EQ(WithValue(std::nan(""), all), "NaN:NaN:NaN:NaN");
  EXPECT_EQ(Run("{{ humanize \"+Inf\" }}:{{ humanize \"-inf\" }}:{{ humanize \"NaN\" }}:{{ "
                "humanize \"1_000\" }}"),
            "+Inf:-Inf:NaN:1k");
}

TEST_F(TemplateTest, HumanizeErrors) {
  EXPECT_EQ(Run("{{ humanize \"one\" }}"),
            ExecErr(3, "humanize \"one\"",
                    "error calling humanize: strconv.ParseFloat: parsing \"one\": invalid syntax"));
  EXPECT_EQ(
      Run("{{ \"one\" | humanizePercentage }}"),
      ExecErr(
          11, "humanizePercentage",
          "error calling humanizePercentage: strconv.ParseFloat: parsing \"one\": invalid syntax"));
  EXPECT_EQ(Run("{{ humanizeDuration true }}"),
            ExecErr(3, "humanizeDuration true",
                    "error calling humanizeDuration: can't convert bool to float"));
  EXPECT_EQ(Run("{{ humanize $labels }}"),
            ExecErr(3, "humanize $labels",
                    "error calling humanize: can't convert map[string]string to float"));
  EXPECT_EQ(
      Run("{{ humanize \"1e400\" }}"),
      ExecErr(3, "humanize \"1e400\"",
              "error calling humanize: strconv.ParseFloat: parsing \"1e400\": value out of range"));
  EXPECT_EQ(
      Run("{{ humanizeTimestamp 1e10 }}"),
      ExecErr(
          3, "humanizeTimestamp 1e10",
          "error calling humanizeTimestamp: 1e+10 cannot be represented as a nanoseconds timestamp "
          "since it overflows int64"));
  EXPECT_EQ(Run("{{ humanize }}"),
            ExecErr(3, "humanize", "wrong number of args for humanize: want 1 got 0"));
  EXPECT_EQ(Run("{{ humanize 1 2 }}"),
            ExecErr(3, "humanize", "wrong number of args for humanize: want 1 got 2"));
}

TEST_F(TemplateTest, TimeFunctions) {
  EXPECT_EQ(Run("{{ (1435065584.128 | toTime).Format \"2006\" }}"), "2015");
  EXPECT_EQ(Run("{{ (\"1435065584.128\" | toTime).Format \"2006\" }}"), "2015");
  EXPECT_EQ(Run("{{ (toTime 1435065584.128).Format \"2006-01-02T15:04:05.000Z07:00\" }}"),
            "2015-06-23T13:19:44.128Z");
  EXPECT_EQ(
      Run("{{ (toTime 1435065584.128).Format \"Mon Jan _2 3:04:05.999 PM MST 2006 -0700\" }}"),
      "Tue Jun 23 1:19:44.128 PM UTC 2015 +0000");
  EXPECT_EQ(Run("{{ (toTime 1435065584).Format \"Monday, 02-January-06 15h04 .000 .999 002\" }}"),
            "Tuesday, 23-June-15 13h19 .000  174");
  EXPECT_EQ(Run("{{ toTime 1435065584.128 }}"), "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(Run("{{ (toTime 1435065584.128).Unix }} {{ (toTime 1435065584.128).UnixMilli }} "
                "{{ (toTime 1435065584).Year }} {{ (toTime 1435065584).Hour }}"),
            "1435065584 1435065584128 2015 13");
  EXPECT_EQ(Run("{{ (toTime -1.5).UTC }}"), "1969-12-31 23:59:58.5 +0000 UTC");
  EXPECT_EQ(WithValue(std::nan(""), "{{ toTime $value }}"),
            ExecErr(3, "toTime $value", "error calling toTime: value is NaN or Inf"));
  EXPECT_EQ(Run("{{ (toTime 0).Nope }}"),
            ExecErr(11, "0", "can't evaluate field Nope in type *time.Time"));
  EXPECT_EQ(Run("{{ printf \"%.2f\" (parseDuration \"1h2m10ms\") }}"), "3720.01");
  EXPECT_EQ(Run("{{ parseDuration \"1d\" }} {{ parseDuration \"0\" }} {{ parseDuration "
                "\"1y2w3d4h5m6s7ms\" }} "
                "{{ parseDuration \"90s\" }}"),
            "86400 0 3.3019506007e+07 90");
  EXPECT_EQ(Run("{{ parseDuration \"1m1h\" }}"),
            ExecErr(3, "parseDuration \"1m1h\"",
                    "error calling parseDuration: not a valid duration string: \"1m1h\""));
  EXPECT_EQ(Run("{{ parseDuration \"\" }}"),
            ExecErr(3, "parseDuration \"\"", "error calling parseDuration: empty duration string"));
  EXPECT_EQ(
      Run("{{ parseDuration \"300y\" }}"),
      ExecErr(3, "parseDuration \"300y\"", "error calling parseDuration: duration out of range"));
  EXPECT_EQ(Run("{{ pathPrefix }}|{{ externalURL }}"),
            "/path/prefix|http://prom.example.com:9090/path/prefix");
  data_.external_url = "http://x/a%20b?q=1";
  EXPECT_EQ(Run("{{ pathPrefix }}"), "/a b");
  data_.external_url = "";
  EXPECT_EQ(Run("[{{ pathPrefix }}]"), "[]");
}

TEST_F(TemplateTest, StringFunctions) {
  EXPECT_EQ(
      Run("{{ \"aa bb CC\" | title }}|{{ \"aa bb CC\" | toUpper }}|{{ \"aA bB CC\" | toLower }}"),
      "Aa Bb CC|AA BB CC|aa bb cc");
  EXPECT_EQ(Run("{{ title \"hello_world foo-bar x.y\" }}|{{ toUpper \"straße é\" }}|{{ toLower "
                "\"ÀÉÎ Ω\" }}"),
            "Hello_world Foo-Bar X.Y|STRAßE É|àéî ω");
  EXPECT_EQ(Run("{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }} {{ match \"^b\" \"ab\" }}"),
            "true false false");
  EXPECT_EQ(Run("{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}"), "xa");
  EXPECT_EQ(Run("{{ reReplaceAll \"(.*):\\\\d+\" \"$1\" \"host:9090\" }}"), "host");
  EXPECT_EQ(Run("{{ reReplaceAll `(\\w+)@(\\w+)` `${2}_$1` \"a@b c@d\" }}"), "b_a d_c");
  EXPECT_EQ(Run("{{ reReplaceAll `(a)` `$1x|$$|${1}x|$` \"a\" }}"), "|$|ax|$");
  EXPECT_EQ(Run("{{ reReplaceAll `(?P<host>[^:]+):(?P<port>\\d+)` `$port@$host` \"h:80\" }}"),
            "80@h");
  EXPECT_EQ(Run("{{ reReplaceAll \"a*\" \"-\" \"baaac\" }}"), "-b-c-");
  EXPECT_EQ(Run("{{ reReplaceAll \"\" \"-\" \"héj\" }}"), "-h-é-j-");
  EXPECT_EQ(Run("{{ reReplaceAll \"(\" \"x\" \"y\" }}"),
            ExecErr(3, "reReplaceAll \"(\" \"x\" \"y\"",
                    "error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: "
                    "missing closing ): `(`"));
  EXPECT_EQ(Run("{{ match \"a(\" \"y\" }}"),
            ExecErr(3, "match \"a(\" \"y\"",
                    "error calling match: error parsing regexp: missing closing ): `a(`"));
  EXPECT_EQ(Run("{{ graphLink \"up\" }}|{{ tableLink \"up\" }}"),
            "/graph?g0.expr=up&g0.tab=0|/graph?g0.expr=up&g0.tab=1");
  EXPECT_EQ(Run("{{ graphLink `rate(x{a=\"b c\"}[5m])` }}"),
            "/graph?g0.expr=rate%28x%7Ba%3D%22b+c%22%7D%5B5m%5D%29&g0.tab=0");
  EXPECT_EQ(Run("{{ \"<b>\" | safeHtml }}|{{ \"<b>\" }}|{{ html \"<a href='x'>&\" }}|{{ urlquery "
                "\"a b&c\" }}|"
                "{{ js \"it's <x>\" }}"),
            "<b>|<b>|&lt;a href=&#39;x&#39;&gt;&amp;|a+b%26c|it\\'s \\u003Cx\\u003E");
  const std::pair<const char*, const char*> hosts[] = {
      {"foo.example.com", "foo.example.com"},
      {"foo.example.com:12345", "foo.example.com"},
      {"192.0.2.1", "192.0.2.1"},
      {"192.0.2.1:12345", "192.0.2.1"},
      {"2001:0DB8::1", "2001:0DB8::1"},
      {"[2001:0DB8::1]:12345", "2001:0DB8::1"},
      {"[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"},
  };
  for (const auto& [in, want] : hosts)
    EXPECT_EQ(Run(std::string("{{ \"") + in + "\" | stripPort }}"), want);
  const std::pair<const char*, const char*> domains[] = {
      {"foo.example.com", "foo"},
      {"foo.example.com:12345", "foo:12345"},
      {"192.0.2.1", "192.0.2.1"},
      {"192.0.2.1:12345", "192.0.2.1:12345"},
      {"2001:0DB8::1", "2001:0DB8::1"},
      {"[2001:0DB8::1]:12345", "[2001:0DB8::1]:12345"},
      {"[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"},
  };
  for (const auto& [in, want] : domains)
    EXPECT_EQ(Run(std::string("{{ \"") + in + "\" | stripDomain }}"), want);
}

TEST_F(TemplateTest, QueryFunctions) {
  EXPECT_EQ(Run("{{ query \"x\" | first | value }}"), "2.5");
  EXPECT_EQ(Run("{{ query \"x\" | first | label \"instance\" }}"), "b:1");
  EXPECT_EQ(Run("[{{ query \"x\" | first | label \"foo\" }}]"), "[]");
  EXPECT_EQ(Run("{{ $x := query \"x\" | first }}[{{ $x.Labels.foo }}]"), "[]");
  EXPECT_EQ(Run("[{{ query \"x\" | first | strvalue }}][{{ index (query \"x\") 1 | strvalue }}]"),
            "[][text]");
  EXPECT_EQ(Run("{{ range query \"x\" | sortByLabel \"instance\" "
                "}}{{.Labels.instance}}:{{.Value}}: {{end}}"),
            "a:1:1: b:1:2.5: ");
  EXPECT_EQ(Run("{{ query \"x\" | len }} {{ (index (query \"x\") 1).Value }}"), "2 1");
  EXPECT_EQ(Run("{{ query \"big\" | first }}"), "{map[__name__:up job:a] 1.234567e+06}");
  EXPECT_EQ(Run("{{ range $i, $s := query \"x\" }}{{ $i }}={{ $s.Labels.job }} {{ end }}"),
            "0=b 1=a ");
  EXPECT_EQ(Run("{{ range query \"empty\" }}x{{ else }}none{{ end }}"), "none");
  EXPECT_EQ(Run("{{ query \"missing\" | len }}"), "2");
  ASSERT_FALSE(queries_.empty());
  EXPECT_EQ(queries_.back(), "missing");
  EXPECT_EQ(Run("{{ query \"empty\" | first }}"),
            ExecErr(19, "first", "error calling first: first() called on vector with no elements"));
  EXPECT_EQ(Run("{{ (query \"empty\").banana }}"),
            ExecErr(10, "\"empty\"", "can't evaluate field banana in type template.queryResult"));
  EXPECT_EQ(Run("{{ query \"boom\" }}"),
            ExecErr(3, "query \"boom\"",
                    "error calling query: 1:1: parse error: unexpected end of input"));
  EXPECT_EQ(Run("{{ query 1 }}"), ExecErr(9, "1", "expected string; found 1"));
  EXPECT_EQ(Run("{{ first \"x\" }}"),
            ExecErr(9, "\"x\"", "can't handle \"x\" for arg of type template.queryResult"));
  EXPECT_EQ(Run("{{ value 1.5 }}"),
            ExecErr(9, "1.5", "can't handle 1.5 for arg of type *template.sample"));
  EXPECT_EQ(Run("{{ $value | value }}"),
            ExecErr(12, "value", "wrong type for value; expected *template.sample; got float64"));
  EXPECT_EQ(Run("{{ value nil }}"),
            ExecErr(3, "value nil",
                    "error calling value: runtime error: invalid memory address or nil "
                    "pointer dereference"));
  data_.query = nullptr;
  EXPECT_EQ(Run("{{ query \"x\" }}"),
            ExecErr(3, "query \"x\"", "error calling query: query is not available here"));
}

TEST_F(TemplateTest, DefineTemplateAndArgs) {
  EXPECT_EQ(Run("{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1 \"2\")}}"),
            "1 2");
  EXPECT_EQ(Run("{{ args 1 \"x\" 2.5 }}"), "map[arg0:1 arg1:x arg2:2.5]");
  EXPECT_EQ(Run("{{ (args 1).arg5 }}|{{ printf \"%v\" (args 1).arg5 }}"), "<no value>|<nil>");
  EXPECT_EQ(Run("{{ define \"h\" }}[{{ . }}]{{ end }}{{ template \"h\" $labels.job }}{{ template "
                "\"h\" }}"),
            "[node][<no value>]");
  EXPECT_EQ(Run("{{ block \"b\" $value }}<{{ . }}>{{ end }}"), "<0.1234>");
  EXPECT_EQ(Run("{{ template \"nope\" }}"),
            ExecErr(12, "{{template \"nope\"}}", "template \"nope\" not defined"));
  EXPECT_EQ(Run("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}"),
            "EXEC: template: test:1:" + Col(28) +
                ": executing \"r\" at <{{template \"r\" .}}>: "
                "exceeded maximum template depth (100)");
  EXPECT_EQ(Run("{{ define \"v\" }}{{ $labels }}{{ end }}"),
            "PARSE: template: test:1: undefined variable \"$labels\"");
  EXPECT_EQ(Run("{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}"),
            "PARSE: template: test:1: template: multiple definition of template \"a\"");
}

TEST_F(TemplateTest, PrintfVerbs) {
  const std::pair<const char*, const char*> cases[] = {
      {"{{ printf \"%d|%5d|%-5d|%05d|%+d|% d\" 42 42 42 42 42 42 }}",
       "42|   42|42   |00042|+42| 42"},
      {"{{ printf \"%x|%X|%#x|%o|%#o|%O|%b|%c|%q|%U|%#U\" 255 255 255 8 8 8 5 65 65 128512 65 }}",
       "ff|FF|0xff|10|010|0o10|101|A|'A'|U+1F600|U+0041 'A'"},
      {"{{ printf \"%d\" -7 }}{{ printf \"%.3d|%6.3d|%x\" 7 -7 -255 }}", "-7007|  -007|-ff"},
      {"{{ printf \"%d\" 1.5 }}", "%!d(float64=1.5)"},
      {"{{ printf \"%s\" 1 }}", "%!s(int=1)"},
      {"{{ printf \"%d\" \"x\" }}", "%!d(string=x)"},
      {"{{ printf \"%f|%.2f|%5.1f|%e|%E|%g|%G\" 3.14159 3.14159 3.14159 1234.5678 1234.5678 "
       "1234.5678 1e-7 }}",
       "3.141590|3.14|  3.1|1.234568e+03|1.234568E+03|1234.5678|1E-07"},
      {"{{ printf \"%g|%.3g|%.3g|%g|%.0f|%.1f|%v\" 1e21 1234.5678 0.0001234 100000.0 2.5 0.25 0.1 "
       "}}",
       "1e+21|1.23e+03|0.000123|100000|2|0.2|0.1"},
      {"{{ printf \"%08.3f|%+.1f|% .1f|%-8.2f|%x|%F\" -3.14159 2.0 2.0 1.5 1.0 1.5 }}",
       "-003.142|+2.0| 2.0|1.50    |0x1p+00|1.500000"},
      {"{{ printf \"%6.2f%%\" 12.3456 }}", " 12.35%"},
      {"{{ printf \"%s|%q|%x|%X|%10s|%-10s|%.2s|%5.1s|%v\" \"abc\" \"a\\\"b\" \"hi\" \"hi\" "
       "\"abc\" \"abc\" \"abc\" \"xyz\" \"v\" }}",
       "abc|\"a\\\"b\"|6869|6869|       abc|abc       |ab|    x|v"},
      {"{{ printf \"%q|%#q|%+q\" \"é\\n\" \"ab\" \"é\" }}", "\"é\\n\"|`ab`|\"\\u00e9\""},
      {"{{ printf \"%t|%v|%5t\" true false true }}", "true|false| true"},
      {"{{ printf \"%v|%d\" nil nil }}", "<nil>|%!d(<nil>)"},
      {"{{ printf \"%d %d\" 1 }}", "1 %!d(MISSING)"},
      {"{{ printf \"%d\" 1 2 }}", "1%!(EXTRA int=2)"},
      {"{{ printf \"%d\" 1 \"a\" 2.5 }}", "1%!(EXTRA string=a, float64=2.5)"},
      {"{{ printf \"100%%\" }}|{{ printf \"%z\" 1 }}|{{ printf \"%\" }}|{{ printf \"%!\" }}",
       "100%|%!z(int=1)|%!(NOVERB)|%!!(MISSING)"},
      {"{{ printf \"%[2]d %[1]d|%*d|%-*d|\" 1 2 5 1 3 2 }}", "2 1| 5|3|"},
      {"{{ printf \"%[3]d\" 1 }}", "%!d(BADINDEX)"},
      {"{{ printf \"%T %T %T %T %T\" 1.5 1 \"s\" $labels true }}",
       "float64 int string map[string]string bool"},
      {"{{ printf \"%v|%s\" $labels $labels }}",
       "map[instance:host1:9100 job:node severity:critical]|map[instance:host1:9100 job:node "
       "severity:critical]"},
      {"{{ printf \"%d\" $labels }}",
       "map[%!d(string=instance):%!d(string=host1:9100) %!d(string=job):%!d(string=node) "
       "%!d(string=severity):%!d(string=critical)]"},
      {"{{ printf \"%v\" (query \"big\" | first) }}", "&{map[__name__:up job:a] 1.234567e+06}"},
      {"{{ printf \"%+v\" (query \"big\" | first) }}",
       "&{Labels:map[__name__:up job:a] Value:1.234567e+06}"},
      {"{{ printf \"%s\" (safeHtml \"<i>\") }}{{ printf \"%T\" (safeHtml \"x\") }}",
       "<i>template.HTML"},
      {"{{ printf \"%v %s\" (toTime 0) (toTime 0) }}",
       "1970-01-01 00:00:00 +0000 UTC 1970-01-01 00:00:00 +0000 UTC"},
      {"{{ printf \"%5.1f|%.2f|%v|%+f\" $value $value $value $value }}",
       "  0.1|0.12|0.1234|+0.123400"},
      {"{{ print 1 2 \"a\" \"b\" 3 }}|{{ println 1 \"a\" }}", "1 2ab3|1 a\n"},
      {"{{ printf \"%s\" }}", "%!s(MISSING)"},
  };
  for (const auto& [text, want] : cases) EXPECT_EQ(Run(text), want) << text;
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(WithValue(inf, "{{ printf \"%.2f|%5.1f|%05.1f|%+v\" $value $value $value $value }}"),
            "+Inf| +Inf| +Inf|+Inf");
  EXPECT_EQ(WithValue(std::nan(""), "{{ printf \"%.2f|%+.1f|%v\" $value $value $value }}"),
            "NaN|+NaN|NaN");
  EXPECT_EQ(Run("{{ printf 1 }}"), ExecErr(10, "1", "expected string; found 1"));
}

TEST_F(TemplateTest, Comparisons) {
  EXPECT_EQ(
      Run("{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne \"a\" \"b\" }} {{ lt 1 2 }} {{ le 2 2 }} "
          "{{ gt 1.5 2.5 }} {{ ge \"b\" \"a\" }} {{ eq true true }} {{ eq $labels.job \"node\" }}"),
      "true true true true true false true true true");
  EXPECT_EQ(Run("{{ eq (index \"a\" 0) 97 }} {{ lt 96 (index \"a\" 0) }}"),
            "true true");  // uint8 vs int
  EXPECT_EQ(Run("{{ eq $value 1 }}"),
            ExecErr(3, "eq $value 1", "error calling eq: incompatible types for comparison"));
  EXPECT_EQ(Run("{{ gt $value 1 }}"),
            ExecErr(3, "gt $value 1", "error calling gt: incompatible types for comparison"));
  EXPECT_EQ(Run("{{ lt true false }}"),
            ExecErr(3, "lt true false", "error calling lt: invalid type for comparison"));
  EXPECT_EQ(Run("{{ lt $labels 1 }}"),
            ExecErr(3, "lt $labels 1", "error calling lt: invalid type for comparison"));
  EXPECT_EQ(Run("{{ eq 1 }}"),
            ExecErr(3, "eq 1", "error calling eq: missing argument for comparison"));
  EXPECT_EQ(
      Run("{{ eq $labels $labels }}"),
      ExecErr(
          3, "eq $labels $labels",
          "error calling eq: uncomparable type map[string]string: map[instance:host1:9100 job:node "
          "severity:critical]"));
  EXPECT_EQ(Run("{{ eq nil nil }} {{ eq (query \"x\" | first) (query \"x\" | first) }}"),
            "true false");
  EXPECT_EQ(Run("{{ ne 1 }}"), ExecErr(3, "ne", "wrong number of args for ne: want 2 got 1"));
  EXPECT_EQ(Run("{{ and 1 0 }} {{ and 1 2 }} {{ or 0 \"\" \"x\" }} {{ or 0 \"\" }} {{ not 0 }} {{ "
                "not $labels }}"),
            "0 2 x  true false");
  EXPECT_EQ(Run("{{ and false (query \"boom\") }} {{ or true (query \"boom\") }} {{ 0 | and 1 }}"),
            "false true 0");
  EXPECT_EQ(Run("{{ and }}"),
            ExecErr(3, "and", "wrong number of args for and: want at least 1 got 0"));
  EXPECT_EQ(Run("{{ if and (gt $value 0.1) (lt $value 0.2) }}in{{ end }}"), "in");
}

TEST_F(TemplateTest, LenIndexSlice) {
  EXPECT_EQ(Run("{{ len \"abc\" }} {{ len $labels }} {{ len \"é\" }} {{ len (args) }}"), "3 3 2 0");
  EXPECT_EQ(Run("{{ len 3 }}"), ExecErr(3, "len 3", "error calling len: len of type int"));
  EXPECT_EQ(Run("{{ len nil }}"),
            ExecErr(3, "len nil",
                    "error calling len: reflect: call of reflect.Value.Type on zero Value"));
  EXPECT_EQ(Run("{{ index $labels \"job\" }}|{{ index $labels \"nope\" }}|{{ index \"abc\" 1 }}|"
                "{{ index .Labels \"instance\" }}"),
            "node||98|host1:9100");
  EXPECT_EQ(Run("{{ index (query \"x\") 5 }}"),
            ExecErr(3, "index (query \"x\") 5", "error calling index: index out of range: 5"));
  EXPECT_EQ(Run("{{ index (query \"x\") 2 }}"),
            ExecErr(3, "index (query \"x\") 2",
                    "error calling index: reflect: slice index out of range"));
  EXPECT_EQ(
      Run("{{ index $labels 1 }}"),
      ExecErr(3, "index $labels 1", "error calling index: value has type int; should be string"));
  EXPECT_EQ(Run("{{ index $value 1 }}"),
            ExecErr(3, "index $value 1", "error calling index: can't index item of type float64"));
  EXPECT_EQ(Run("{{ index nil 1 }}"),
            ExecErr(3, "index nil 1", "error calling index: index of untyped nil"));
  EXPECT_EQ(
      Run("{{ slice \"abcdef\" 1 3 }}|{{ slice \"abc\" 1 }}|{{ len (slice (query \"x\") 1) }}"),
      "bc|bc|1");
  EXPECT_EQ(Run("{{ slice \"abc\" 2 1 }}"),
            ExecErr(3, "slice \"abc\" 2 1", "error calling slice: invalid slice index: 2 > 1"));
}

TEST_F(TemplateTest, Syntax) {
  EXPECT_EQ(Run("a  {{- 1 -}}  b"), "a1b");
  EXPECT_EQ(Run("a \n {{- \"x\" }} \n b"), "ax \n b");
  EXPECT_EQ(Run("a{{/* a comment */}}b{{- /* trimmed */ -}} c"), "abc");
  EXPECT_EQ(Run("{{ `raw \\n \"x\"` }}"), "raw \\n \"x\"");
  EXPECT_EQ(Run("{{ \"esc\\t\\u00e9\\x41\" }}"),
            "esc\té"
            "A");
  EXPECT_EQ(Run("{{ 'a' }} {{ print 'a' }} {{ '\\n' }}"), "97 97 10");
  EXPECT_EQ(
      Run("{{ 0x10 }} {{ 017 }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ -1 }} {{ +2 }} {{ .5 }}"),
      "16 15 15 5 1000 -1 2 0.5");
  EXPECT_EQ(
      Run("{{ if eq $labels.severity \"warning\" }}W{{ else if eq $labels.severity \"critical\" }}C"
          "{{ else }}?{{ end }}"),
      "C");
  EXPECT_EQ(Run("{{ with $labels.nope }}x{{ else }}empty{{ end }}|{{ with $labels.job }}{{ . }}{{ "
                "end }}"),
            "empty|node");
  EXPECT_EQ(Run("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}"),
            "instance=host1:9100;job=node;severity=critical;");
  EXPECT_EQ(Run("{{ range $labels }}{{ . }},{{ end }}"), "host1:9100,node,critical,");
  EXPECT_EQ(Run("{{ range $k, $v := $labels }}{{ if eq $k \"job\" }}{{ continue }}{{ end }}{{ $k "
                "}};{{ end }}"),
            "instance;severity;");
  EXPECT_EQ(Run("{{ range $k, $v := $labels }}{{ if eq $k \"job\" }}{{ break }}{{ end }}{{ $k "
                "}};{{ end }}"),
            "instance;");
  EXPECT_EQ(Run("{{ range .Labels.nope }}x{{ else }}none{{ end }}"),
            "EXEC: template: test:1:" + Col(9) +
                ": executing \"test\" at <{{range .Labels.nope}}"
                "x{{else}}none{{end}}>: range can't iterate over ");
  EXPECT_EQ(Run("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}"), "2");
  EXPECT_EQ(Run("{{ $x := \"a\" }}{{ if true }}{{ $x = \"b\" }}{{ $y := 1 }}{{ end }}{{ $x }}"),
            "b");
  EXPECT_EQ(Run("{{ $value := 5 }}{{ $value }}"), "5");
  EXPECT_EQ(Run("{{ (printf \"%s-%s\" \"a\" \"b\") | toUpper }}"), "A-B");
  EXPECT_EQ(Run("{{ if\n  true\n}}multi{{ end }}"), "multi");
  EXPECT_EQ(Run("{{ $.Labels.job }}{{ with \"x\" }}{{ $.Value }}{{ end }}"), "node0.1234");
  EXPECT_EQ(Run("{{ $labels.job.x }}"),
            ExecErr(10, "$labels.job.x", "can't evaluate field x in type string"));
  EXPECT_EQ(
      Run("{{ .Foo }}"),
      ExecErr(3, ".Foo",
              "can't evaluate field Foo in type struct { Labels map[string]string; ExternalLabels "
              "map[string]string; ExternalURL string; Value float64 }"));
  EXPECT_EQ(Run("{{ nil }}"), ExecErr(3, "nil", "nil is not a command"));
  EXPECT_EQ(Run("{{ 1 2 }}"), ExecErr(3, "1", "can't give argument to non-function 1"));
  EXPECT_EQ(Run("{{ $labels.job 1 }}"),
            ExecErr(10, "$labels.job", "job is not a method but has arguments"));
  EXPECT_EQ(Run("{{ $y = 1 }}"), ExecErr(8, "1", "undefined variable: $y"));
  EXPECT_EQ(
      Run("x\n{{ humanize \"a\" }}"),
      "EXEC: template: test:2:3: executing \"test\" at <humanize \"a\">: error calling humanize: "
      "strconv.ParseFloat: parsing \"a\": invalid syntax");
  EXPECT_EQ(Run("{{ $value | toUpper }}"),
            ExecErr(12, "toUpper", "wrong type for value; expected string; got float64"));
  EXPECT_EQ(Run("{{ toUpper $labels.nope }}|{{ toUpper (args).x }}"),
            ExecErr(39, "args", "invalid value; expected string"));
}

TEST_F(TemplateTest, ParseErrorsNameTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"{{ foo }}", "template: test:1: function \"foo\" not defined"},
      {"{{ $value | humanizeBytes }}", "template: test:1: function \"humanizeBytes\" not defined"},
      {"line1\n{{ if true }}\n{{ sprintf \"x\" }}{{ end }}",
       "template: test:3: function \"sprintf\" not defined"},
      {"{{", "template: test:1: unclosed action"},
      {"{{ if true }}", "template: test:1: unexpected EOF"},
      {"{{ end }}", "template: test:1: unexpected {{end}}"},
      {"{{ else }}", "template: test:1: unexpected {{else}}"},
      {"{{ $x }}", "template: test:1: undefined variable \"$x\""},
      {"{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}",
       "template: test:1: undefined variable \"$y\""},
      {"{{ \"a }}", "template: test:1: unterminated quoted string"},
      {"{{ }}", "template: test:1: missing value for command"},
      {"{{ 1 | 2 }}", "template: test:1: non executable command in pipeline stage 2"},
      {"{{\xC2\xA0}}", "template: test:1: unrecognized character in action: U+00A0"},
      {"{{ break }}", "template: test:1: {{break}} outside {{range}}"},
      {"{{ range $x := . }}{{ else }}{{ continue }}{{ end }}",
       "template: test:1: {{continue}} outside {{range}}"},
      {"{{ (1 }}", "template: test:1: unclosed left paren"},
      {"{{ 1) }}", "template: test:1: unexpected \")\" in command"},
      {"{{ .Labels..job }}", "template: test:1: unexpected <.> in operand"},
      {"{{ 3x }}", "template: test:1: bad number syntax: \"3x\""},
      {"{{ 99999999999999999999 }}",
       "template: test:1: integer overflow: \"99999999999999999999\""},
      {"{{ \"a\".x }}", "template: test:1: unexpected . after term \"\\\"a\\\"\""},
      {"{{ /* x */ }}", "template: test:1: unexpected \"/\" in command"},
      {"{{/* x", "template: test:1: unclosed comment"},
      {"{{/* x */ y }}", "template: test:1: comment ends before closing delimiter"},
      {"{{ with $x := 1 }}{{ else if true }}{{ end }}",
       "template: test:1: unexpected <if> in input"},
      {"{{ range $a, $b, $c := . }}{{ end }}", "template: test:1: too many declarations in range"},
      {"{{ $a, $b := 1 }}", "template: test:1: too many declarations in command"},
      {"{{ template x }}", "template: test:1: unexpected \"x\" in template clause"},
      {"{{ 1i }}", "template: test:1: complex constant 1i is not supported"},
      {"{{ if 1 }}\n\n{{ end", "template: test:3: unclosed action"},
      {"{{ if 1 \n\n }}{{ \"x\n\" }}", "template: test:3: unterminated quoted string"},
  };
  for (const auto& [text, want] : cases)
    EXPECT_EQ(Run(text), std::string("PARSE: ") + want) << text;
}

TEST_F(TemplateTest, ExpandOrErrorMatchesPrometheus) {
  EXPECT_EQ(ExpandOrError("__alert_X", "{{ $labels.job }}: {{ $value }}", data_), "node: 0.1234");
  EXPECT_EQ(ExpandOrError("__alert_X", "{{ foo }}", data_),
            "<error expanding template: error parsing template __alert_X: template: __alert_X:1: "
            "function "
            "\"foo\" not defined>");
  EXPECT_EQ(
      ExpandOrError("__alert_X", "{{ query \"boom\" }}", data_),
      "<error expanding template: error executing template __alert_X: template: __alert_X:1:" +
          Col(3) +
          ": executing \"__alert_X\" at <query \"boom\">: error calling query: 1:1: parse error: "
          "unexpected end of input>");
  Result<Template> t = Template::Parse("__alert_Y", "{{ first (query \"empty\") }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(
      t->ExecuteOrError(data_),
      "<error expanding template: error executing template __alert_Y: template: __alert_Y:1:" +
          Col(3) +
          ": executing \"__alert_Y\" at <first (query \"empty\")>: error calling first: first() "
          "called on "
          "vector with no elements>");
  // A parsed template is reusable and yields the same text each time.
  Result<Template> u = Template::Parse("n", "{{ $labels.job }}={{ $value }}");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->Execute(data_).value(), "node=0.1234");
  data_.value = 2;
  EXPECT_EQ(u->Execute(data_).value(), "node=2");
}

TEST_F(TemplateTest, LimitsEndRunawayTemplates) {
  data_.max_output_bytes = 100;
  EXPECT_EQ(Run("{{ printf \"%200d\" 1 }}"),
            ExecErr(3, "printf \"%200d\" 1", "error calling printf: output exceeds 100 bytes"));
  EXPECT_EQ(Run("{{ range $labels }}{{ printf \"%40s\" . }}{{ end }}"),
            ExecErr(22, "{{printf \"%40s\" .}}", "output exceeds 100 bytes"));
  data_.max_output_bytes = 1 << 20;
  data_.max_steps = 1000;
  std::string nested =
      "{{ range $labels }}{{ range $labels }}{{ range $labels }}{{ range $labels }}"
      "{{ range $labels }}{{ range $labels }}{{ range $labels }}x"
      "{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}";
  std::string r = Run(nested);
  EXPECT_NE(r.find("execution exceeds 1000 steps"), std::string::npos) << r;
  std::string deep;
  for (int i = 0; i < 1100; ++i) deep += "(";
  deep = "{{ " + deep + "1" + std::string(1100, ')') + " }}";
  EXPECT_EQ(Run(deep), "PARSE: template: test:1: max expression depth exceeded");
  std::string ifs;
  for (int i = 0; i < 1100; ++i) ifs += "{{ if 1 }}";
  EXPECT_EQ(Run(ifs), "PARSE: template: test:1: max control nesting depth exceeded");
  std::string ok_deep = "{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}";
  data_.max_steps = 10'000'000;
  EXPECT_EQ(Run(ok_deep), "1");
}

TEST_F(TemplateTest, ConcurrentExecutionOfOneTemplate) {
  Result<Template> t =
      Template::Parse("c",
                      "{{ range query \"x\" | sortByLabel \"job\" }}{{ .Labels.job }}{{ end }}"
                      "{{ $value | humanize }}");
  ASSERT_TRUE(t.ok());
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      TemplateData d = data_;
      d.query = [](std::string_view) -> Result<std::vector<QuerySample>> {
        return std::vector<QuerySample>{{{{"job", "b"}}, 1}, {{{"job", "a"}}, 2}};
      };
      for (int k = 0; k < 200; ++k) {
        if (t->Execute(d).value() == "ab123.4m") good++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 800);
}

}  // namespace
}  // namespace perfwatch::alert
