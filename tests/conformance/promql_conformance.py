#!/usr/bin/env python3
"""PromQL conformance: the same data is remote-written into the real `prometheus` and into
perfwatch; every expression of a corpus runs on both as instant queries (at four times)
and as range queries (two windows), and the answers must be the same: status, errorType
(and HTTP status) for errors, resultType, the set of series, timestamps, and values within
1e-9 relative (NaN equals NaN). Order is compared only for sort()/sort_desc() at the top.
For topk/bottomk, series tied at the cut-off may be chosen differently (Prometheus' own
choice varies from run to run): the values at each timestamp must still be the same.

  python3 tests/conformance/promql_conformance.py [--perfwatch build/perfwatch]
      [--prometheus /usr/bin/prometheus] [--query REGEX] [--keep] [--min-pass-rate 0.95]
      [--report FILE] [--corpus tests/conformance/queries.txt] [--sut perfwatch|prometheus]
      [--flush mid|all|none]

Corpus format (queries.txt): one expression per line; `#` starts a comment line; blank
lines are ignored; a line starting with `!error ` is an expression Prometheus must reject
(checked, then compared like any other); `!instant ` runs an expression as instant queries
only (for Prometheus 2.42 bugs in range evaluation, each explained in a comment). Placeholders: ${START} ${MID} ${END} are the Unix
seconds of the data window's start, middle and last step.

`--sut prometheus` compares Prometheus with a second Prometheus (a self-test of the
harness: it must pass 100%). Exit status: 0 when the pass rate is at least --min-pass-rate.
Docs: docs/promql-compatibility.md.
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REL_TOL = 1e-9
ABS_TOL = 1e-12  # below this both values count as zero (rounding in sums of opposite terms)


# --------------------------------------------------------------------------- corpus
class Case:
    def __init__(self, line_no, expr, expect_error, instant_only=False, generated=False):
        self.line_no, self.expr, self.expect_error = line_no, expr, expect_error
        self.instant_only, self.generated = instant_only, generated

    @property
    def ordered(self):
        return re.match(r"^\s*sort(_desc)?\s*\(", self.expr) is not None


def load_corpus(path, subst):
    cases = []
    with open(path) as f:
        for i, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            expect_error = instant_only = False
            if line.startswith("!error "):
                expect_error = True
                line = line[len("!error "):].strip()
            elif line.startswith("!instant "):
                instant_only = True
                line = line[len("!instant "):].strip()
            for k, v in subst.items():
                line = line.replace("${" + k + "}", v)
            cases.append(Case(i, line, expect_error, instant_only))
    return cases


# --------------------------------------------------------------------------- comparison
def parse_value(s):
    if isinstance(s, (int, float)):
        return float(s)
    if s in ("NaN", "nan"):
        return math.nan
    if s in ("+Inf", "Inf", "inf", "+inf"):
        return math.inf
    if s in ("-Inf", "-inf"):
        return -math.inf
    return float(s)


def values_equal(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    if a == b:
        return True
    d = abs(a - b)
    return d <= REL_TOL * max(abs(a), abs(b)) or d <= ABS_TOL


def ts_ms(t):
    return int(round(float(t) * 1000))


def labels_key(metric):
    return tuple(sorted(metric.items()))


def fmt_labels(key):
    d = dict(key)
    name = d.pop("__name__", "")
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(d.items())) + "}"


def fmt_point(p):
    return f"{p[1]}@{p[0] / 1000:.3f}"


def compare_points(where, want, got, diffs):
    """want/got: lists of (ts_ms, value string)."""
    if len(want) != len(got):
        wt = {t for t, _ in want}
        gt = {t for t, _ in got}
        miss = sorted(wt - gt)[:3]
        extra = sorted(gt - wt)[:3]
        diffs.append(f"{where}: {len(want)} points vs {len(got)}"
                     + (f"; missing at {[f'{m / 1000:.3f}' for m in miss]}" if miss else "")
                     + (f"; extra at {[f'{e / 1000:.3f}' for e in extra]}" if extra else ""))
        return
    for (t1, v1), (t2, v2) in zip(want, got):
        if t1 != t2:
            diffs.append(f"{where}: timestamp {t1 / 1000:.3f} vs {t2 / 1000:.3f}")
            return
        try:
            ok = values_equal(parse_value(v1), parse_value(v2))
        except (TypeError, ValueError):
            ok = v1 == v2
        if not ok:
            diffs.append(f"{where} @{t1 / 1000:.3f}: prometheus {v1} vs {v2}")
            return


def compare(ref, got, ordered, sut_name):
    """ref/got: (http status, json or None, body). Returns a list of differences."""
    rs, rj, rb = ref
    gs, gj, gb = got
    diffs = []
    if rj is None:
        return [f"prometheus answered HTTP {rs} without JSON: {rb[:200]}"]
    if gj is None:
        return [f"{sut_name} answered HTTP {gs} without JSON: {gb[:200]}"]
    if rj.get("status") != gj.get("status"):
        msg = gj.get("error") if gj.get("status") == "error" else rj.get("error")
        return [f"status: prometheus {rj.get('status')} vs {sut_name} {gj.get('status')}"
                + (f" ({msg})" if msg else "")]
    if rj.get("status") == "error":
        if rj.get("errorType") != gj.get("errorType"):
            diffs.append(f"errorType: prometheus {rj.get('errorType')} ({rj.get('error')}) vs "
                         f"{gj.get('errorType')} ({gj.get('error')})")
        if rs != gs:
            diffs.append(f"HTTP status on error: prometheus {rs} vs {gs}")
        return diffs
    rd, gd = rj.get("data") or {}, gj.get("data") or {}
    if rd.get("resultType") != gd.get("resultType"):
        return [f"resultType: prometheus {rd.get('resultType')} vs {gd.get('resultType')}"]
    rt = rd.get("resultType")
    rr, gr = rd.get("result"), gd.get("result")
    if rt in ("scalar", "string"):
        if not isinstance(gr, list) or len(gr) != 2:
            return [f"{rt} result malformed: {json.dumps(gr)[:200]}"]
        if ts_ms(rr[0]) != ts_ms(gr[0]):
            diffs.append(f"{rt} timestamp {rr[0]} vs {gr[0]}")
        if rt == "string":
            if rr[1] != gr[1]:
                diffs.append(f"string {rr[1]!r} vs {gr[1]!r}")
        else:
            compare_points("scalar", [(0, rr[1])], [(0, gr[1])], diffs)
        return diffs
    if not isinstance(gr, list):
        return [f"result is not a list: {json.dumps(gr)[:200]}"]

    def index(result, who):
        out = {}
        for s in result:
            k = labels_key(s.get("metric", {}))
            if k in out:
                diffs.append(f"{who} returned series {fmt_labels(k)} twice")
            if rt == "vector":
                pts = [(ts_ms(s["value"][0]), s["value"][1])]
            else:
                pts = [(ts_ms(t), v) for t, v in s.get("values", [])]
            out[k] = pts
        return out

    try:
        want = index(rr, "prometheus")
        have = index(gr, sut_name)
    except (KeyError, TypeError, IndexError, ValueError) as e:
        return [f"malformed {rt} result ({e}): {json.dumps(gr)[:200]}"]
    missing = [k for k in want if k not in have]
    extra = [k for k in have if k not in want]
    if missing or extra:
        d = f"series: prometheus {len(want)}, {sut_name} {len(have)}"
        if missing:
            d += f"; missing {len(missing)} e.g. " + ", ".join(
                fmt_labels(k) + "=" + fmt_point(want[k][0]) if want[k] else fmt_labels(k) for k in missing[:2])
        if extra:
            d += f"; extra {len(extra)} e.g. " + ", ".join(
                fmt_labels(k) + "=" + fmt_point(have[k][0]) if have[k] else fmt_labels(k) for k in extra[:2])
        diffs.append(d)
    for k in want:
        if k in have:
            compare_points(fmt_labels(k), want[k], have[k], diffs)
            if len(diffs) > 4:
                break
    if ordered and rt == "vector" and not diffs:
        wv = [parse_value(s["value"][1]) for s in rr]
        gv = [parse_value(s["value"][1]) for s in gr]
        if not all(values_equal(a, b) for a, b in zip(wv, gv)):
            diffs.append(f"order: prometheus {[s['value'][1] for s in rr][:6]} vs {[s['value'][1] for s in gr][:6]}")
    return diffs


def same_values_per_timestamp(ref, got):
    """True when, at every timestamp, both answers hold the same multiset of values (label
    sets aside). Used for topk/bottomk: Prometheus breaks ties by the heap order of its
    input, and for a computed argument that order is Go map order, which differs even
    between two Prometheus runs; any choice among tied series is accepted."""
    def per_ts(js):
        d = js.get("data") or {}
        out = {}
        for s in d.get("result") or []:
            pts = [s["value"]] if "value" in s else s.get("values", [])
            for t, v in pts:
                out.setdefault(ts_ms(t), []).append(parse_value(v))
        return out

    try:
        a, b = per_ts(ref[1]), per_ts(got[1])
    except (TypeError, ValueError, KeyError, AttributeError):
        return False
    if a.keys() != b.keys():
        return False

    def key(v):
        return (1, 0.0) if math.isnan(v) else (0, v)

    for t in a:
        x, y = sorted(a[t], key=key), sorted(b[t], key=key)
        if len(x) != len(y) or not all(values_equal(p, q) for p, q in zip(x, y)):
            return False
    return True


# --------------------------------------------------------------------------- running
def run_query(server, kind, expr, params):
    if kind == "instant":
        return common.request(server.base, "GET", "/api/v1/query", dict(params, query=expr))
    return common.request(server.base, "POST", "/api/v1/query_range", form=dict(params, query=expr))


def plan_runs(ds):
    end = ds.end_ms / 1000
    start = end - 1980  # the edge-case series' first step; the bench data starts ~10 s earlier
    runs = [
        ("instant", {"time": f"{end - 1003.7:.3f}"}),
        ("instant", {"time": f"{end:.3f}"}),
        ("instant", {"time": f"{end + 170:.3f}"}),
        ("instant", {"time": f"{end + 300:.3f}"}),  # the last samples exactly one lookback delta back
        ("range", {"start": f"{start + 300:.3f}", "end": f"{end + 120:.3f}", "step": "60"}),
        ("range", {"start": f"{end - 600.5:.3f}", "end": f"{end - 300.5:.3f}", "step": "17s"}),
    ]
    return runs, {"START": str(int(start)), "MID": str(int(end - 990)), "END": str(int(end))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--perfwatch", default=common.DEFAULT_PERFWATCH, help="perfwatch binary")
    ap.add_argument("--prometheus", default=common.DEFAULT_PROMETHEUS, help="prometheus binary")
    ap.add_argument("--sut", choices=["perfwatch", "prometheus"], default="perfwatch",
                    help="system under test (prometheus: harness self-test against a second prometheus)")
    ap.add_argument("--corpus", default=os.path.join(common.HERE, "queries.txt"))
    ap.add_argument("--query", help="only expressions matching this regex")
    ap.add_argument("--keep", action="store_true", help="leave the servers running (prints their URLs)")
    ap.add_argument("--min-pass-rate", type=float, default=0.95)
    ap.add_argument("--report", default=os.path.join(tempfile.gettempdir(), "perfwatch-promql-conformance.json"))
    ap.add_argument("--jobs", type=int, default=4, help="queries in flight")
    ap.add_argument("--end", type=float, default=common.DEFAULT_END, help="Unix seconds of the data's last step")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every difference, not the first")
    ap.add_argument("--random", type=int, default=0, metavar="N",
                    help="also run N random expressions (random_queries.py); reported apart, not in the pass rate")
    ap.add_argument("--seed", type=int, default=1, help="seed for --random")
    ap.add_argument("--flush", choices=["none", "mid", "all"], default="mid",
                    help="perfwatch only: persist the first half of the data into blocks before the rest "
                         "arrives (mid: queries read blocks and head), everything after loading (all), or "
                         "nothing (none: head only)")
    args = ap.parse_args()

    sut_binary = args.perfwatch if args.sut == "perfwatch" else args.prometheus
    for what, path in (("prometheus", args.prometheus), (args.sut, sut_binary)):
        if not os.path.exists(path):
            print(f"conformance: {what} binary {path} not found")
            return 1
    import compare_selftest  # the comparator must notice every kind of difference first
    if compare_selftest.main() != 0:
        return 1
    work = tempfile.mkdtemp(prefix="pw-conformance-")
    servers = []
    ok = False
    t_begin = time.time()
    try:
        ds = common.build_dataset(end_s=args.end, work=work)
        ref = common.start_prometheus(args.prometheus, work, "prometheus")
        servers.append(ref)
        sut = common.start_target(args.sut, sut_binary, work, args.sut if args.sut == "perfwatch" else "prometheus-b")
        servers.append(sut)
        rejected = common.load(servers, ds, args.flush)
        if rejected[ref.name]:
            raise RuntimeError(f"prometheus refused remote write: {rejected[ref.name][:3]}")
        if rejected[sut.name]:
            print(f"conformance: WARNING: {sut.name} refused {len(rejected[sut.name])} remote-write requests, "
                  f"e.g. {rejected[sut.name][0][:300]}")
        seen = common.wait_for_data(servers, ds, strict=[ref.name])
        if seen[sut.name][0] < ds.series or (seen[sut.name][1] or ds.samples) < ds.samples:
            print(f"conformance: WARNING: {sut.name} shows {seen[sut.name]} (series, samples), "
                  f"want ({ds.series}, {ds.samples})")
        print(f"conformance: loaded {ds.series} series, {ds.samples} samples into both "
              f"({'; '.join(ds.notes)}); perfwatch flush: {args.flush}; seen {seen}; {time.time() - t_begin:.1f}s")

        runs, subst = plan_runs(ds)
        cases = load_corpus(args.corpus, subst)
        if args.random:
            import random_queries
            cases += [Case(0, e, False, generated=True) for e in random_queries.generate(args.random, args.seed)]
        if args.query:
            rx = re.compile(args.query)
            cases = [c for c in cases if rx.search(c.expr)]
        tasks = [(ci, ri) for ci in range(len(cases)) for ri in range(len(runs))
                 if not (cases[ci].instant_only and runs[ri][0] == "range")]
        results = {}

        def work_one(task):
            ci, ri = task
            kind, params = runs[ri]
            c = cases[ci]
            a = run_query(ref, kind, c.expr, params)
            b = run_query(sut, kind, c.expr, params)
            diffs = compare(a, b, c.ordered and kind == "instant", sut.name)
            ties = False
            if diffs and re.search(r"\b(topk|bottomk)\b", c.expr) and a[1] and b[1] \
                    and a[1].get("status") == "success" == b[1].get("status") \
                    and not any(d.startswith(("resultType", "order")) for d in diffs) \
                    and same_values_per_timestamp(a, b):
                diffs, ties = [], True
            if c.expect_error and ri == 0 and a[1] and a[1].get("status") != "error":
                diffs.insert(0, "corpus: marked !error but prometheus accepted it")
            return task, diffs, a, b, ties

        t_q = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for task, diffs, a, b, ties in pool.map(work_one, tasks):
                results[task] = (diffs, a, b, ties)
        t_q = time.time() - t_q

        report = {"sut": args.sut, "sut_binary": sut_binary, "prometheus": args.prometheus, "flushed": args.flush,
                  "data": ds.notes, "series": ds.series, "samples": ds.samples,
                  "runs": [{"kind": k, **p} for k, p in runs], "queries": []}
        passed = 0
        errors_expected = 0
        gen_total = gen_passed = 0
        for ci, c in enumerate(cases):
            entry = {"line": c.line_no, "expr": c.expr, "random": c.generated, "runs": []}
            all_ok = True
            any_ties = False
            for ri, (kind, params) in enumerate(runs):
                if (ci, ri) not in results:
                    continue
                diffs, a, b, ties = results[(ci, ri)]
                all_ok &= not diffs
                any_ties |= ties
                run = {"kind": kind, **params, "ok": not diffs}
                if ties:
                    run["ties_broken_differently"] = True
                if diffs:
                    run["diffs"] = diffs
                    run["prometheus"] = (a[2] or "")[:2000]
                    run[args.sut] = (b[2] or "")[:2000]
                entry["runs"].append(run)
            if c.expect_error:
                errors_expected += 1
            entry["result"] = "PASS" if all_ok else "FAIL"
            report["queries"].append(entry)
            tag = " [random]" if c.generated else ""
            gen_total += c.generated
            if all_ok:
                if c.generated:
                    gen_passed += 1
                else:
                    passed += 1
                print(f"PASS{tag}  {c.expr}" + ("  (topk/bottomk ties broken differently)" if any_ties else ""))
            else:
                print(f"FAIL{tag}  {c.expr}")
                shown = 0
                for run in entry["runs"]:
                    if run["ok"]:
                        continue
                    where = f"instant @{run['time']}" if run["kind"] == "instant" else \
                        f"range {run['start']}..{run['end']} step {run['step']}"
                    for d in run["diffs"][: (None if args.verbose else 1)]:
                        print(f"      {where}: {d[:400]}")
                    shown += 1
                    if shown >= 2 and not args.verbose:
                        break
        total = len(cases) - gen_total
        rate = passed / total if total else 0.0
        report.update({"total": total, "passed": passed, "failed": total - passed, "pass_rate": rate,
                       "invalid_expressions": errors_expected, "requests": 2 * len(tasks),
                       "query_seconds": round(t_q, 2), "random": {"n": gen_total, "passed": gen_passed,
                                                                  "seed": args.seed}})
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)
        print(f"conformance: {passed}/{total} expressions identical ({rate:.1%}; {errors_expected} invalid ones), "
              f"{len(tasks)} evaluations, {2 * len(tasks)} requests in {t_q:.1f}s; "
              f"total {time.time() - t_begin:.1f}s; report {args.report}")
        if gen_total:
            print(f"conformance: random expressions (seed {args.seed}): {gen_passed}/{gen_total} identical "
                  f"(not in the pass rate)")
        ok = rate >= args.min_pass_rate
        if not ok:
            print(f"conformance: pass rate {rate:.1%} is below --min-pass-rate {args.min_pass_rate:.1%}")
        if args.keep:
            print("servers left running (stop them with kill PID):")
            for s in servers:
                print(f"  {s}")
            servers = []
        return 0 if ok else 1
    finally:
        common.stop_processes([s.proc for s in servers])
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif not args.keep:
            print(f"conformance: logs and data kept in {work}")


if __name__ == "__main__":
    sys.exit(main())
