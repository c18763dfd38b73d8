#!/usr/bin/env python3
"""Grafana compatibility: replays the HTTP requests Grafana's Prometheus data source
(Grafana 9 and 10) sends to its Prometheus server, on "Save & test", in the query editor
(metric and label autocompletion, metric browser, template variables) and for dashboard
panels, against the real `prometheus` and against perfwatch holding the same data, and
asserts the same answers. docs/grafana.md lists the requests.

  python3 tests/conformance/grafana_compat.py [--perfwatch build/perfwatch]
      [--prometheus /usr/bin/prometheus] [--sut perfwatch|prometheus] [--keep] [--only REGEX]

Encodings follow Grafana's code: the Go backend (health check, panel queries, exemplars)
encodes parameters with url.Values.Encode (keys sorted, `+` for spaces), as a
form-encoded POST body when the data source's HTTP method is POST (the default for new
data sources) or in the URL for GET, times as fractional Unix seconds; the browser side
(metadata requests through the resource proxy) sends start/end as whole Unix seconds,
encodeURIComponent-encoded in GET URLs, or a form body for the endpoints Grafana allows
POST on (query, query_range, series, labels).

Compared: status; for queries resultType, series sets, timestamps and values (1e-9
relative); label and value lists exactly; series as sets of label sets; metadata as maps
(leaving out families a server describes before any data arrives: its own metrics).
buildinfo: shape only (and no `features`, or Grafana takes the server for Mimir).
Checks marked "soft" are reported but do not fail the run (endpoints outside issue 6).
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from promql_conformance import compare as compare_query  # noqa: E402


def go_encode(params):
    """Go's url.Values.Encode: keys sorted, QueryEscape (space -> '+')."""
    return "&".join(f"{urllib.parse.quote_plus(k)}={urllib.parse.quote_plus(v)}" for k, v in sorted(params))


def js_uri_encode(params):
    """The frontend's GET: `${encodeURIComponent(k)}=${encodeURIComponent(v)}` in insertion order."""
    safe = "-_.!~*'()"
    return "&".join(f"{urllib.parse.quote(k, safe=safe)}={urllib.parse.quote(v, safe=safe)}" for k, v in params)


def js_form_encode(params):
    """URLSearchParams(data).toString(): insertion order, '+' for spaces."""
    return "&".join(f"{urllib.parse.quote_plus(k, safe='*')}={urllib.parse.quote_plus(v, safe='*')}"
                    for k, v in params)


class Step:
    def __init__(self, phase, what, method, path, params, enc, check, soft=False, headers=None):
        self.phase, self.what, self.method, self.path = phase, what, method, path
        self.params, self.enc, self.check, self.soft = params, enc, check, soft
        self.headers = headers or {}

    def send(self, server):
        if self.method == "GET":
            q = go_encode(self.params) if self.enc == "go" else js_uri_encode(self.params)
            return common.request(server.base, "GET", self.path, raw_query=q, headers=self.headers)
        body = go_encode(self.params) if self.enc == "go" else js_form_encode(self.params)
        return common.request(server.base, "POST", self.path, form=body, headers=self.headers)

    def describe(self):
        enc = go_encode(self.params) if self.enc == "go" else (
            js_uri_encode(self.params) if self.method == "GET" else js_form_encode(self.params))
        where = "?" if self.method == "GET" else " body: "
        return f"{self.method} {self.path}" + (f"{where}{enc}" if enc else "")


def plan(ds):
    """The request sequence, for a simulated "now" five minutes after the data's last step
    and the dashboard time range "last 1 hour"."""
    now = ds.end_ms / 1000 + 300
    frm = now - 3600
    s_int, e_int = str(int(frm)), str(int(now))  # frontend: dateTime.unix()
    s_narrow = str(int(now - 600))  # "last 10 minutes"

    def ft(t):  # Go backend formatTime
        return repr(float(t)).rstrip("0").rstrip(".") if t != int(t) else str(int(t))

    steps = []
    add = steps.append
    # -- Save & test
    add(Step("connect", "health check (Grafana 10 backend: instant 1+1 at t=4)", "POST", "/api/v1/query",
             [("query", "1+1"), ("time", "4")], "go", "query"))
    add(Step("connect", "health check (Grafana 9: instant 1+1 at now, GET data source)", "GET", "/api/v1/query",
             [("query", "1+1"), ("time", ft(now - 0.25))], "go", "query"))
    add(Step("connect", "buildinfo (type/version detection, Mimir heuristics)", "GET",
             "/api/v1/status/buildinfo", [], "js", "buildinfo"))
    add(Step("connect", "exemplars availability probe (Grafana 9: start/end in ms)", "GET",
             "/api/v1/query_exemplars", [("query", "test"), ("start", str(int(now * 1000) - 1800_000)),
                                         ("end", str(int(now * 1000)))], "go", "exemplars"))
    add(Step("connect", "recording rules for Explore (loadRules)", "GET", "/api/v1/rules", [], "js", "rules",
             soft=True))
    # -- query editor: autocompletion and metric browser
    add(Step("editor", "metric names", "GET", "/api/v1/label/__name__/values",
             [("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("editor", "metric metadata (help/type in completions)", "GET", "/api/v1/metadata", [], "js",
             "metadata"))
    add(Step("editor", "label names (POST data source)", "POST", "/api/v1/labels",
             [("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("editor", "label names (GET data source)", "GET", "/api/v1/labels",
             [("start", s_int), ("end", e_int)], "js", "list"))
    for label in ("job", "instance", "route", "le", "device", "case"):
        add(Step("editor", f"values of {label}", "GET", f"/api/v1/label/{label}/values",
                 [("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("editor", "values of a label nobody has", "GET", "/api/v1/label/no_such_label/values",
             [("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("editor", "series of a metric (Grafana 9 fetchSeriesLabels, POST)", "POST", "/api/v1/series",
             [("match[]", "http_requests_total"), ("start", s_int), ("end", e_int)], "js", "series"))
    add(Step("editor", "series of a selector (GET)", "GET", "/api/v1/series",
             [("match[]", 'http_requests_total{route="/search",method="GET"}'), ("start", s_int), ("end", e_int)],
             "js", "series"))
    add(Step("editor", "series, two match[] (label browser)", "GET", "/api/v1/series",
             [("match[]", "conf_gauge"), ("match[]", '{__name__="conf_info"}'), ("start", s_int), ("end", e_int)],
             "js", "series"))
    add(Step("editor", "label names of a metric (Grafana 10 labels match API)", "POST", "/api/v1/labels",
             [("match[]", "http_request_duration_seconds_bucket"), ("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("editor", "label names of a selector (GET)", "GET", "/api/v1/labels",
             [("match[]", '{job="conf",instance="i1"}'), ("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("editor", "label values with match[] (Grafana 10 fetchSeriesValuesWithMatch)", "GET",
             "/api/v1/label/route/values",
             [("match[]", 'http_requests_total{method="POST"}'), ("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("editor", "metric search in the builder (regex)", "GET", "/api/v1/label/__name__/values",
             [("match[]", '{__name__=~".*request.*"}'), ("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("editor", "metric search, case-insensitive (?i)", "GET", "/api/v1/label/__name__/values",
             [("match[]", '{__name__=~"(?i).*RUM.*"}'), ("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("editor", "label names, last 10 minutes", "GET", "/api/v1/labels",
             [("start", s_narrow), ("end", e_int)], "js", "list"))
    add(Step("editor", "series, last 10 minutes (stopped series drop out)", "GET", "/api/v1/series",
             [("match[]", '{job="conf"}'), ("start", s_narrow), ("end", e_int)], "js", "series"))
    # -- template variables
    add(Step("variables", "label_values(instance)", "GET", "/api/v1/label/instance/values",
             [("start", s_int), ("end", e_int)], "js", "list"))
    add(Step("variables", "label_values(http_requests_total, route) (Grafana 10)", "GET",
             "/api/v1/label/route/values", [("match[]", "http_requests_total"), ("start", s_int), ("end", e_int)],
             "js", "list"))
    add(Step("variables", "label_values(http_requests_total, route) (Grafana 9: via series)", "POST",
             "/api/v1/series", [("match[]", "http_requests_total"), ("start", s_int), ("end", e_int)], "js",
             "series"))
    add(Step("variables", "query_result(topk(3, ...))", "POST", "/api/v1/query",
             [("query", "topk(3, sum by (route) (rate(http_requests_total[5m])))"), ("time", e_int)], "js", "query"))
    add(Step("variables", "metrics(rum_.*)", "GET", "/api/v1/label/__name__/values",
             [("start", s_int), ("end", e_int)], "js", "list"))
    # -- dashboard panels (Go backend; start/end aligned to the step)
    panels = [
        ("request rate by route", "sum by (route) (rate(http_requests_total[1m]))", 15),
        ("p95 latency", "histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket[2m0s])))",
         30),
        ("error ratio", 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))', 60),
        ("memory", "process_resident_memory_bytes", 20),
        ("RUM LCP by device", "avg by (device) (rum_lcp_p75_ms)", 60),
        ("counter with resets", "increase(conf_requests_total[$__rate_interval])".replace("$__rate_interval", "1m0s"),
         15),
    ]
    for title, expr, step in panels:
        start, end = (frm // step) * step, (now // step) * step
        add(Step("panel", f"{title}: range query (POST)", "POST", "/api/v1/query_range",
                 [("query", expr), ("start", ft(start)), ("end", ft(end)), ("step", str(step))], "go", "query"))
    title, expr, step = panels[0]
    add(Step("panel", f"{title}: range query (GET data source)", "GET", "/api/v1/query_range",
             [("query", expr), ("start", ft((frm // step) * step)), ("end", ft((now // step) * step)),
              ("step", str(step))], "go", "query"))
    add(Step("panel", "range query, fractional step and times", "POST", "/api/v1/query_range",
             [("query", "rate(conf_requests_total[1m])"), ("start", ft(frm + 0.5)), ("end", ft(now - 0.25)),
              ("step", "7.5")], "go", "query"))
    add(Step("panel", "range query with custom query parameter timeout=30s", "POST", "/api/v1/query_range",
             [("query", "sum(rate(http_requests_total[1m]))"), ("start", ft(frm)), ("end", ft(now)), ("step", "60"),
              ("timeout", "30s")], "go", "query"))
    add(Step("panel", "instant query (table / stat panel)", "POST", "/api/v1/query",
             [("query", "sum by (status) (increase(http_requests_total[1h]))"), ("time", ft(now))], "go", "query"))
    add(Step("panel", "instant query (GET data source)", "GET", "/api/v1/query",
             [("query", 'max by (instance) (process_resident_memory_bytes{job="webapp"})'), ("time", ft(now))], "go",
             "query"))
    add(Step("panel", "exemplars for a panel query", "POST", "/api/v1/query_exemplars",
             [("query", "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))"),
              ("start", ft(frm)), ("end", ft(now))], "go", "exemplars"))
    add(Step("panel", "query error surfaces in the panel", "POST", "/api/v1/query_range",
             [("query", "sum(rate(http_requests_total[1m])"), ("start", ft(frm)), ("end", ft(now)), ("step", "15")],
             "go", "query"))
    add(Step("panel", "too many points (over the 11000 per series limit)", "POST", "/api/v1/query_range",
             [("query", "1"), ("start", ft(frm)), ("end", ft(frm + 11001)), ("step", "1")], "go", "query"))
    add(Step("panel", "form POST with charset parameter", "POST", "/api/v1/query_range",
             [("query", "max(conf_gauge)"), ("start", ft(frm)), ("end", ft(now)), ("step", "60")], "go", "query",
             soft=True, headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}))
    # -- HTTP API parameter handling (issue 6, beyond what Grafana sends)
    q = "sum by (instance) (conf_gauge)"
    api = [
        ("instant query, RFC 3339 time", "GET", "/api/v1/query", [("query", q), ("time", "2026-01-01T00:10:00Z")]),
        ("instant query, RFC 3339 time with offset and fraction", "GET", "/api/v1/query",
         [("query", q), ("time", "2026-01-01T01:10:00.500+01:00")]),
        ("range query, RFC 3339 start/end, step as duration", "POST", "/api/v1/query_range",
         [("query", q), ("start", "2025-12-31T23:50:00Z"), ("end", "2026-01-01T00:15:00Z"), ("step", "1m30s")]),
        ("range query, fractional step", "GET", "/api/v1/query_range",
         [("query", q), ("start", ft(now - 120)), ("end", ft(now - 60)), ("step", "0.5")]),
        ("range query, start = end", "GET", "/api/v1/query_range",
         [("query", q), ("start", ft(now - 400)), ("end", ft(now - 400)), ("step", "15")]),
        ("bad time", "GET", "/api/v1/query", [("query", q), ("time", "yesterday")]),
        ("missing query", "GET", "/api/v1/query", [("time", ft(now))]),
        ("empty query", "POST", "/api/v1/query", [("query", ""), ("time", ft(now))]),
        ("range query, end before start", "POST", "/api/v1/query_range",
         [("query", q), ("start", ft(now)), ("end", ft(now - 60)), ("step", "15")]),
        ("range query, step 0", "POST", "/api/v1/query_range",
         [("query", q), ("start", ft(frm)), ("end", ft(now)), ("step", "0")]),
        ("range query, negative step", "POST", "/api/v1/query_range",
         [("query", q), ("start", ft(frm)), ("end", ft(now)), ("step", "-15")]),
        ("range query, missing step", "POST", "/api/v1/query_range",
         [("query", q), ("start", ft(frm)), ("end", ft(now))]),
        ("range query, bad step", "POST", "/api/v1/query_range",
         [("query", q), ("start", ft(frm)), ("end", ft(now)), ("step", "fast")]),
        ("bad timeout", "POST", "/api/v1/query", [("query", q), ("time", ft(now)), ("timeout", "soon")]),
        ("series without match[]", "GET", "/api/v1/series", [("start", s_int), ("end", e_int)]),
        ("series with a bad selector", "GET", "/api/v1/series", [("match[]", "conf_gauge{"), ("start", s_int)]),
        ("series with an empty selector", "GET", "/api/v1/series", [("match[]", "{}")]),
        ("labels with a bad selector", "GET", "/api/v1/labels", [("match[]", "rate(x[5m])")]),
        ("values of an invalid label name", "GET", "/api/v1/label/foo-bar/values", []),
        ("series, RFC 3339 start/end", "GET", "/api/v1/series",
         [("match[]", "conf_info"), ("start", "2025-12-31T23:00:00Z"), ("end", "2026-01-01T01:00:00Z")]),
        ("exemplars without query", "GET", "/api/v1/query_exemplars", [("start", s_int), ("end", e_int)]),
        ("exemplars with a bad query", "POST", "/api/v1/query_exemplars",
         [("query", "sum(rate(x[5m])"), ("start", s_int), ("end", e_int)]),
        ("exemplars, end before start", "GET", "/api/v1/query_exemplars",
         [("query", "conf_gauge"), ("start", e_int), ("end", s_int)]),
    ]
    for what, method, path, params in api:
        kind = {"/api/v1/series": "series", "/api/v1/labels": "list", "/api/v1/query_exemplars": "exemplars"}.get(
            path, "list" if "/label/" in path else "query")
        add(Step("http-api", what, method, path, params, "go", kind))
    return steps


# --------------------------------------------------------------------------- checks
def strip_keys(answer, keys):
    """A metadata answer without the server's own families."""
    st, js, body = answer
    if js and isinstance(js.get("data"), dict):
        js = dict(js, data={k: v for k, v in js["data"].items() if k not in keys})
    return st, js, body


def check(step, ref, got, sut_name):
    rs, rj, rb = ref
    gs, gj, gb = got
    if step.check == "query":
        return compare_query(ref, got, False, sut_name)
    if gj is None:
        return [f"{sut_name} answered HTTP {gs} without JSON: {gb[:200]}"]
    if rj is None:
        return [f"prometheus answered HTTP {rs} without JSON: {rb[:200]}"]
    if step.check == "buildinfo":
        d = gj.get("data") or {}
        diffs = []
        if gs != 200 or gj.get("status") != "success":
            return [f"HTTP {gs} status {gj.get('status')}"]
        for field in ("version", "revision", "branch", "buildUser", "buildDate", "goVersion"):
            if not isinstance(d.get(field), str):
                diffs.append(f"data.{field} missing or not a string (prometheus has {field}={rj['data'].get(field)!r})")
        if not d.get("version"):
            diffs.append("data.version is empty")
        if d.get("features"):
            diffs.append("data.features is non-empty: Grafana would treat the server as Mimir")
        return diffs
    if rj.get("status") != gj.get("status"):
        return [f"status: prometheus {rj.get('status')} (HTTP {rs}) vs {gj.get('status')} (HTTP {gs}): "
                f"{gj.get('error') or rj.get('error')}"]
    if rj.get("status") == "error":
        return [] if rj.get("errorType") == gj.get("errorType") else [
            f"errorType {rj.get('errorType')} vs {gj.get('errorType')}"]
    rd, gd = rj.get("data"), gj.get("data")
    if step.check == "list":
        if not isinstance(gd, list):
            return [f"data is not a list: {str(gd)[:200]}"]
        if rd != gd:
            missing = [x for x in rd if x not in gd]
            extra = [x for x in gd if x not in rd]
            if not missing and not extra:
                return [f"same values, different order: {gd[:8]}"]
            return [f"prometheus {len(rd)} values, {sut_name} {len(gd)}; missing {missing[:6]}; extra {extra[:6]}"]
        return []
    if step.check == "series":
        if not isinstance(gd, list):
            return [f"data is not a list: {str(gd)[:200]}"]
        want = {tuple(sorted(s.items())) for s in rd}
        have = {tuple(sorted(s.items())) for s in gd}
        if len(have) != len(gd):
            return [f"{sut_name} returned duplicate series"]
        if want != have:
            miss = [dict(k) for k in list(want - have)[:2]]
            extra = [dict(k) for k in list(have - want)[:2]]
            return [f"series: prometheus {len(want)}, {sut_name} {len(have)}; missing e.g. {miss}; extra e.g. {extra}"]
        return []
    if step.check == "metadata":
        if not isinstance(gd, dict):
            return [f"data is not an object: {str(gd)[:200]}"]
        return [] if rd == gd else [f"metadata differs: prometheus {str(rd)[:150]} vs {str(gd)[:150]}"]
    if step.check == "exemplars":
        if not isinstance(gd, list):
            return [f"data is not a list: {str(gd)[:200]}"]
        return [] if rd == gd else [f"exemplars: prometheus {str(rd)[:150]} vs {str(gd)[:150]}"]
    if step.check == "rules":
        if not isinstance(gd, dict) or not isinstance(gd.get("groups"), list):
            return [f"data.groups missing: {str(gd)[:200]}"]
        # perfwatch's own default rules (alerts.defaults, docs/alert-forms.md) are extra by design.
        gd = {**gd, "groups": [g for g in gd["groups"] if not str(g.get("file", "")).endswith("#alerts")]}
        return [] if rd == gd else [f"rules differ: prometheus {str(rd)[:150]} vs {str(gd)[:150]}"]
    return [f"unknown check {step.check}"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--perfwatch", default=common.DEFAULT_PERFWATCH)
    ap.add_argument("--prometheus", default=common.DEFAULT_PROMETHEUS)
    ap.add_argument("--sut", choices=["perfwatch", "prometheus"], default="perfwatch")
    ap.add_argument("--only", help="only steps whose description or path matches this regex")
    ap.add_argument("--keep", action="store_true", help="leave the servers running")
    ap.add_argument("--end", type=float, default=common.DEFAULT_END)
    ap.add_argument("--verbose", "-v", action="store_true", help="print each request as sent")
    ap.add_argument("--flush", choices=["none", "mid", "all"], default="mid",
                    help="perfwatch only: when to persist data into blocks (see promql_conformance.py)")
    args = ap.parse_args()
    sut_binary = args.perfwatch if args.sut == "perfwatch" else args.prometheus
    for what, path in (("prometheus", args.prometheus), (args.sut, sut_binary)):
        if not os.path.exists(path):
            print(f"grafana-compat: {what} binary {path} not found")
            return 1
    work = tempfile.mkdtemp(prefix="pw-grafana-")
    servers = []
    ok = False
    t0 = time.time()
    try:
        ds = common.build_dataset(end_s=args.end, work=work)
        ref = common.start_prometheus(args.prometheus, work, "prometheus")
        servers.append(ref)
        sut = common.start_target(args.sut, sut_binary, work, "perfwatch" if args.sut == "perfwatch" else "prometheus-b")
        servers.append(sut)
        # Metadata a server has before any data arrives is its own (perfwatch describes its
        # perfwatch_*/process_* metrics and the rum_* aggregate families): left out below.
        baseline = {}
        for srv in servers:
            st, js, _ = common.request(srv.base, "GET", "/api/v1/metadata")
            baseline[srv.name] = set((js or {}).get("data") or {}) if st == 200 else set()
        rejected = common.load(servers, ds, args.flush)
        if rejected[ref.name]:
            raise RuntimeError(f"prometheus refused remote write: {rejected[ref.name][:3]}")
        if rejected[sut.name]:
            print(f"grafana-compat: WARNING: {sut.name} refused {len(rejected[sut.name])} remote-write requests, "
                  f"e.g. {rejected[sut.name][0][:300]}")
        seen = common.wait_for_data(servers, ds, strict=[ref.name])
        if seen[sut.name][0] < ds.series or (seen[sut.name][1] or ds.samples) < ds.samples:
            print(f"grafana-compat: WARNING: {sut.name} shows {seen[sut.name]} (series, samples), "
                  f"want ({ds.series}, {ds.samples})")
        steps = plan(ds)
        if args.only:
            rx = re.compile(args.only)
            steps = [s for s in steps if rx.search(s.what) or rx.search(s.path)]
        hard_fail = soft_fail = passed = 0
        phase = None
        for st in steps:
            if st.phase != phase:
                phase = st.phase
                print(f"--- {phase}")
            ref_ans = st.send(ref)
            got_ans = st.send(sut)
            if st.check == "metadata":
                ref_ans, got_ans = (strip_keys(ref_ans, baseline[ref.name]), strip_keys(got_ans, baseline[sut.name]))
            diffs = check(st, ref_ans, got_ans, sut.name)
            if st.check != "buildinfo" and not diffs and ref_ans[0] != got_ans[0]:
                diffs = [f"HTTP status: prometheus {ref_ans[0]} vs {got_ans[0]}"]
            if not diffs:
                passed += 1
                print(f"PASS  {st.what}")
            else:
                if st.soft:
                    soft_fail += 1
                else:
                    hard_fail += 1
                print(f"{'WARN' if st.soft else 'FAIL'}  {st.what}")
                print(f"      {st.describe()[:300]}")
                for d in diffs[:3]:
                    print(f"      {d[:400]}")
            if args.verbose and not diffs:
                print(f"      {st.describe()[:300]}")
        print(f"grafana-compat: {passed}/{len(steps)} requests answered alike, {hard_fail} failed, "
              f"{soft_fail} soft differences; {time.time() - t0:.1f}s")
        ok = hard_fail == 0
        if args.keep:
            print("servers left running:")
            for s in servers:
                print(f"  {s}")
            servers = []
        return 0 if ok else 1
    finally:
        common.stop_processes([s.proc for s in servers])
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif not args.keep:
            print(f"grafana-compat: logs and data kept in {work}")


if __name__ == "__main__":
    sys.exit(main())
