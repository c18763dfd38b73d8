#!/usr/bin/env python3
"""Issue 7 benchmark: breach -> webhook latency of perfwatch against the real Debian
`prometheus` (2.42) + `prometheus-alertmanager` (0.25), on loopback (Python 3 standard
library; snappy from python3-snappy or libsnappy).

  python3 bench/alert_latency_bench.py [--binary build/perfwatch] [--trials 50] [--warmup 2]
          [--default-trials 3 | --skip-defaults] [--systems perfwatch,prometheus,defaults]
          [--json OUT] [--keep]

What is measured. One trial = one breach: the benchmark remote-writes one sample above the
threshold (stamped now) for a series that so far was below it, and measures the time from
just before it sends that remote-write request to the moment the webhook request carrying
the new alert arrives at a local receiver (a threaded HTTP server in this process; arrival =
request headers parsed; both ends read this process' time.monotonic()). After the webhook
arrives the series goes back below the threshold (resolved notifications are off) and the
next trial starts after a random pause of 0.05-1 s, so the breach lands at a uniformly
random phase of the evaluation cycle (Prometheus evaluates on a fixed tick; perfwatch
evaluates on that tick too and immediately when samples arrive for series a rule reads).

Every trial is a NEW alert: the series has its own `trial` label value (all series are
created, below the threshold, before the first trial, so no trial pays for series creation).
Grouping: the route uses group_by: ['...'] (group by all labels), so each trial's alert
forms a new aggregation group of its own, which is flushed after group_wait. With
group_by [alertname] every trial after the first would join the existing group and wait
for its group_interval instead; group_by ['...'] is the same choice for every system, does
not depend on the previous trial, and measures what a new incident costs. Nothing else
differs: same rule file, same remote-write client (one keep-alive connection), same
receiver, one system running at a time on a machine otherwise left alone.

Systems:
  perfwatch    perfwatch serve, evaluation_interval 1s, the route below under `alerting:`
  perfwatch-form  the same, the rule written as issue 12's `threshold` form instead (a
               critical level with hysteresis and no `for`, a warning level with for 5m)
  prometheus   prometheus (evaluation_interval 1s, remote-write receiver on) -> alertmanager
               (route group_by ['...'], group_wait 0s, group_interval 1s)
  defaults     the same pair with their defaults: evaluation_interval 1m, group_wait 30s
               (group_by ['...'] kept, as above); about a minute per trial, so only
               --default-trials of them (3), skipped with --skip-defaults

Reports min / median / p99 (nearest rank) / max / mean per system, the ratios to
perfwatch and whether perfwatch meets the issue's target (p99 under 100 ms); --json OUT
writes all of it with every trial's latency. Exit status: 0 when every selected system
ran, 1 when one could not be run or lost a trial (timeout).
"""
import argparse, json, math, os, platform, random, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from common import RemoteWriter, free_port, request, start_prometheus, stop_processes  # noqa: E402
from webhook_receiver import (DEFAULT_ALERTMANAGER, WebhookRecorder, start_alertmanager,  # noqa: E402
                              start_perfwatch_alerting, to_yaml, write_samples)

PROMETHEUS = "/usr/bin/prometheus"
TARGET_P99_MS = 100.0
THRESHOLD = 100.0
RULES = {"groups": [{"name": "bench", "rules": [
    {"alert": "BenchBreach", "expr": f"bench_latency_gauge > {THRESHOLD:g}",
     "labels": {"severity": "page"},
     "annotations": {"summary": "trial {{ $labels.trial }} at {{ $value | humanize }}"}}]}]}


def series(trial):
    return {"__name__": "bench_latency_gauge", "job": "bench", "instance": "127.0.0.1:1", "trial": str(trial)}


def route(defaults):
    r = {"receiver": "hook", "group_by": ["..."]}
    if not defaults:
        r.update({"group_wait": "0s", "group_interval": "1s", "repeat_interval": "4h"})
    return r


def am_config(hook_url, defaults=False):
    return {"route": route(defaults),
            "receivers": [{"name": "hook", "webhook_configs": [{"url": hook_url, "send_resolved": False}]}]}


def get_json(base, path):
    st, js, _ = request(base, "GET", path, timeout=10)
    return js if st == 200 and isinstance(js, dict) else {}


def wait_until(cond, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while True:
        v = cond()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


# --------------------------------------------------------------------------- systems
def start_system(name, args, work, rules_path, rec, procs):
    """Starts one system; returns (base URL for remote write, description)."""
    if name == "perfwatch-form":
        # The same breach through issue 12's threshold form: a warning level that must last
        # 5m and a critical level (hysteresis, no `for`) that pages at once.
        port = free_port()
        cfg = {"global": {"evaluation_interval": "1s"}, "external_url": f"http://127.0.0.1:{port}",
               "alerting": am_config(rec.url("/hook")),
               "alerts": {"defaults": False, "interval": "1s", "threshold": [{
                   "name": "BenchBreach", "metric": "bench_latency_gauge", "for": "5m", "levels": [
                       {"severity": "warning", "threshold": THRESHOLD * 0.8, "resolve_threshold": THRESHOLD * 0.6},
                       {"severity": "critical", "threshold": THRESHOLD, "resolve_threshold": THRESHOLD * 0.9,
                        "for": "0s"}]}]}}
        srv = start_perfwatch_alerting(args.binary, work, cfg, port, name="perfwatch-form")
        procs.append(srv.proc)
        return srv.base, ("perfwatch, threshold form (levels, hysteresis, flap detection): interval 1s, "
                          "group_wait 0s, group_interval 1s")
    if name == "perfwatch":
        port = free_port()
        cfg = {"global": {"evaluation_interval": "1s"}, "external_url": f"http://127.0.0.1:{port}",
               "rule_files": [rules_path], "alerting": am_config(rec.url("/hook"))}
        srv = start_perfwatch_alerting(args.binary, work, cfg, port, name="perfwatch")
        procs.append(srv.proc)
        return srv.base, "perfwatch: evaluation_interval 1s, group_wait 0s, group_interval 1s"
    defaults = name == "defaults"
    am = start_alertmanager(args.alertmanager, work, am_config(rec.url("/hook"), defaults), name=f"alertmanager-{name}")
    procs.append(am.proc)
    cfg = {"rule_files": [rules_path],
           "alerting": {"alertmanagers": [{"api_version": "v2",
                                           "static_configs": [{"targets": [f"127.0.0.1:{am.port}"]}]}]}}
    if not defaults:
        cfg = {"global": {"evaluation_interval": "1s"}, **cfg}
    prom = start_prometheus(args.prometheus, work, f"prometheus-{name}", extra_config=to_yaml(cfg) + "\n")
    procs.append(prom.proc)
    # Alerts sent before Prometheus has discovered its Alertmanager (SD updates are throttled
    # to 5 s) are dropped: wait for it.
    if not wait_until(lambda: (get_json(prom.base, "/api/v1/alertmanagers").get("data") or {})
                      .get("activeAlertmanagers"), 20):
        raise RuntimeError("prometheus did not discover the alertmanager within 20 s")
    if defaults:
        return prom.base, ("prometheus + alertmanager, defaults: evaluation_interval 1m, group_wait 30s "
                           "(group_by ['...'])")
    return prom.base, "prometheus + alertmanager: evaluation_interval 1s, group_wait 0s, group_interval 1s"


def run_system(name, args, work, n_trials, warmup):
    """Runs warmup + n_trials trials; returns a result dict."""
    rules_path = os.path.join(work, "rules.yml")
    procs = []
    rec = WebhookRecorder(name=f"{name}-hook").start()
    result = {"system": name, "trials": n_trials, "warmup": warmup, "latencies_ms": [], "errors": []}
    writer = None
    timeout = 150.0 if name == "defaults" else 15.0
    pause = (0.05, 10.0) if name == "defaults" else (0.05, 1.0)
    try:
        t0 = time.monotonic()
        base, desc = start_system(name, args, work, rules_path, rec, procs)
        result["description"] = desc
        print(f"[{name}] started in {time.monotonic() - t0:.1f}s: {desc}", flush=True)
        writer = RemoteWriter(base)
        total = warmup + n_trials
        write_samples(writer, [(series(i), 0.0) for i in range(total)])  # every series exists, below threshold
        time.sleep(1.5)
        rng = random.Random(f"{args.seed}-{name}")
        for i in range(total):
            label = str(i)
            start_index = len(rec.snapshot())
            sent = time.monotonic()
            write_samples(writer, [(series(i), THRESHOLD * 10 + i)])
            hit = rec.wait_for(lambda r: r.json["status"] == "firing" and any(
                a["labels"].get("trial") == label for a in r.json["alerts"]), timeout, start=start_index)
            if hit is None:
                msg = f"trial {i}: no webhook within {timeout:.0f} s"
                result["errors"].append(msg)
                print(f"[{name}] {msg}", flush=True)
                if len(result["errors"]) >= 3:
                    result["errors"].append("gave up after 3 lost trials")
                    break
            else:
                ms = (hit.mono - sent) * 1000
                if i >= warmup:
                    result["latencies_ms"].append(round(ms, 3))
                done = i + 1 - warmup
                lat = result["latencies_ms"]
                if i < warmup:
                    print(f"[{name}] warm-up {i + 1}/{warmup}: {ms:.1f} ms", flush=True)
                elif name == "defaults" or done % 10 == 0 or done == n_trials:
                    print(f"[{name}] trial {done}/{n_trials}: {ms:.1f} ms, median so far "
                          f"{statistics.median(lat):.1f} ms", flush=True)
            write_samples(writer, [(series(i), 0.0)])  # back below the threshold (resolved: not notified)
            time.sleep(rng.uniform(*pause))
        result.update(summarize(result["latencies_ms"]))
    except Exception as e:  # a system that cannot run is reported, the others still run
        result["errors"].append(f"{type(e).__name__}: {e}")
        print(f"[{name}] FAILED: {type(e).__name__}: {e}", flush=True)
    finally:
        if writer:
            writer.close()
        rec.stop()
        stop_processes(procs)
    return result


def summarize(lat):
    if not lat:
        return {}
    s = sorted(lat)
    p99 = s[max(0, math.ceil(0.99 * len(s)) - 1)]  # nearest rank
    return {"n": len(s), "min_ms": s[0], "median_ms": round(statistics.median(s), 3), "p99_ms": p99,
            "max_ms": s[-1], "mean_ms": round(statistics.fmean(s), 3)}


def fmt_ms(v):
    if v is None:
        return "-"
    return f"{v / 1000:.2f} s" if v >= 10_000 else f"{v:.1f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--prometheus", default=PROMETHEUS)
    ap.add_argument("--alertmanager", default=DEFAULT_ALERTMANAGER)
    ap.add_argument("--trials", type=int, default=50, help="measured trials per system (default 50)")
    ap.add_argument("--warmup", type=int, default=2, help="unmeasured trials first (default 2)")
    ap.add_argument("--default-trials", type=int, default=3,
                    help="trials for prometheus + alertmanager with default intervals (~1 min each; default 3)")
    ap.add_argument("--skip-defaults", action="store_true", help="do not run the default-interval system")
    ap.add_argument("--systems", default="perfwatch,prometheus,defaults",
                    help="comma list of perfwatch, perfwatch-form, prometheus, defaults "
                         "(default: perfwatch,prometheus,defaults)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the pauses between trials")
    ap.add_argument("--json", metavar="OUT", help="write the results as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (configs, logs)")
    args = ap.parse_args()

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for s in systems:
        if s not in ("perfwatch", "perfwatch-form", "prometheus", "defaults"):
            ap.error(f"unknown system {s!r}")
    if args.skip_defaults or args.default_trials <= 0:
        systems = [s for s in systems if s != "defaults"]
    need = {"perfwatch": [args.binary], "perfwatch-form": [args.binary], "prometheus": [args.prometheus, args.alertmanager],
            "defaults": [args.prometheus, args.alertmanager]}
    for s in systems:
        for b in need[s]:
            if not os.path.exists(b):
                print(f"alert latency bench: {b} is missing (needed for {s})")
                return 1

    work = tempfile.mkdtemp(prefix="pw-alert-bench-")
    with open(os.path.join(work, "rules.yml"), "w") as f:
        f.write(to_yaml(RULES) + "\n")
    results = {}
    ok = False
    try:
        for s in systems:
            n = args.default_trials if s == "defaults" else args.trials
            warm = 0 if s == "defaults" else args.warmup
            results[s] = run_system(s, args, work, n, warm)
        ok = True
    finally:
        if args.keep or not ok:
            print(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    # ---- report
    print()
    print(f"{'system':<12} {'n':>4} {'min':>10} {'median':>10} {'p99':>10} {'max':>10} {'mean':>10}"
          f" {'median/pw':>10} {'p99/pw':>9}")
    pw = results.get("perfwatch", {})
    ratios = {}
    for s, r in results.items():
        rm, rp = "-", "-"
        if s != "perfwatch" and pw.get("median_ms") and r.get("median_ms"):
            ratios[s] = {"median": round(r["median_ms"] / pw["median_ms"], 1),
                         "p99": round(r["p99_ms"] / pw["p99_ms"], 1)}
            rm, rp = f"{ratios[s]['median']:g}x", f"{ratios[s]['p99']:g}x"
        print(f"{s:<12} {r.get('n', 0):>4} {fmt_ms(r.get('min_ms')):>10} {fmt_ms(r.get('median_ms')):>10} "
              f"{fmt_ms(r.get('p99_ms')):>10} {fmt_ms(r.get('max_ms')):>10} {fmt_ms(r.get('mean_ms')):>10}"
              f" {rm:>10} {rp:>9}")
        for e in r.get("errors", []):
            print(f"  {s}: {e}")
    target = None
    if pw.get("p99_ms") is not None:
        target = {"p99_ms": TARGET_P99_MS, "perfwatch_p99_ms": pw["p99_ms"], "met": pw["p99_ms"] < TARGET_P99_MS}
        print(f"\nperfwatch p99 {fmt_ms(pw['p99_ms'])}: target < {TARGET_P99_MS:.0f} ms "
              f"{'met' if target['met'] else 'NOT met'}")
    if args.json:
        out = {"benchmark": "alert breach -> webhook latency", "unit": "ms", "target": target, "ratios_to_perfwatch": ratios,
               "systems": results,
               "host": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
               "versions": versions(args), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        print(f"wrote {args.json}")
    failed = [s for s, r in results.items() if r.get("errors") or not r.get("n")]
    return 1 if failed else 0


def versions(args):
    out = {}
    for name, cmd in (("perfwatch", [args.binary, "--version"]), ("prometheus", [args.prometheus, "--version"]),
                      ("alertmanager", [args.alertmanager, "--version"])):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            out[name] = ((p.stdout or p.stderr).strip().splitlines() or [""])[0]
        except (OSError, subprocess.SubprocessError):
            out[name] = None
    return out


if __name__ == "__main__":
    sys.exit(main())
