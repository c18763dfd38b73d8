#!/usr/bin/env python3
"""Scrape interop with the real Debian binaries (issue 5):

  - perfwatch scrapes a running `prometheus-node-exporter` and a running `prometheus`;
  - the real `prometheus` scrapes perfwatch's `/metrics` and the same node-exporter;
  - both servers' answers agree, compared through their query APIs (PromQL):
      * the node-exporter series (label sets) are the same in both,
      * `count by (__name__)` over them is the same, constant values are equal,
      * perfwatch's own metric names are the same whether perfwatch scraped itself or
        prometheus scraped it, and `process_start_time_seconds` agrees,
      * what perfwatch stored from prometheus matches prometheus' own exposition,
      * when the node-exporter stops, `up` becomes 0 and its series go stale in both.

Python standard library only. Exits 0 on success; prints what differs otherwise.
  python3 tests/interop/scrape_interop_test.py [--binary build/perfwatch] [--keep]
"""
import argparse, calendar, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import free_port, get, request, stop_processes, wait_ready  # noqa: E402

INTERVAL_S = 1
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
PROMETHEUS = "/usr/bin/prometheus"


def query(base, expr, t=None):
    params = {"query": expr}
    if t is not None:
        params["time"] = "%.3f" % t
    status, js, body = request(base, "GET", "/api/v1/query", params=params)
    if status != 200 or not js or js.get("status") != "success":
        raise RuntimeError(f"{base} query {expr!r}: HTTP {status} {body[:300]}")
    return js["data"]["result"]


def series(base, selector):
    status, js, body = request(base, "GET", "/api/v1/series", params={"match[]": selector})
    if status != 200:
        raise RuntimeError(f"{base} series {selector!r}: HTTP {status} {body[:300]}")
    return {json.dumps(sorted(s.items())) for s in js["data"]}


def by_labels(result, drop=("job", "instance")):
    return {json.dumps(sorted((k, v) for k, v in r["metric"].items() if k not in drop)): r["value"][1] for r in result}


def metric_names(exposition):
    names = set()
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("{")[0].split(" ")[0])
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    for b in (args.binary, NODE_EXPORTER, PROMETHEUS):
        if not os.path.exists(b):
            print(f"scrape interop: {b} is missing (scripts/setup installs it)")
            return 1

    work = tempfile.mkdtemp(prefix="pw-scrape-interop-")
    procs, failures = [], []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            failures.append(what)

    try:
        ne_port, pw_port, prom_port = free_port(), free_port(), free_port()
        ne = subprocess.Popen([NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{ne_port}"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "node.log"), "w"))
        procs.append(ne)
        wait_ready(f"http://127.0.0.1:{ne_port}/metrics", ne, "node-exporter")

        pw_cfg = os.path.join(work, "perfwatch.yml")
        with open(pw_cfg, "w") as f:
            f.write(f"""scrape:
  interval: {INTERVAL_S}s
  timeout: {INTERVAL_S}s
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ["127.0.0.1:{ne_port}"]}}]
  - job_name: prom
    static_configs: [{{targets: ["127.0.0.1:{prom_port}"]}}]
""")
        pw = subprocess.Popen([args.binary, "serve", "--listen", f"127.0.0.1:{pw_port}", "--data-dir",
                               os.path.join(work, "pw-data"), "--config", pw_cfg, "--log-level", "warn"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "perfwatch.log"), "w"))
        procs.append(pw)
        prom_cfg = os.path.join(work, "prometheus.yml")
        with open(prom_cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: {INTERVAL_S}s
  scrape_timeout: {INTERVAL_S}s
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ["127.0.0.1:{ne_port}"]}}]
  - job_name: perfwatch
    static_configs: [{{targets: ["127.0.0.1:{pw_port}"]}}]
""")
        prom = subprocess.Popen([PROMETHEUS, f"--config.file={prom_cfg}", f"--storage.tsdb.path={work}/prom-data",
                                 f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prometheus.log"), "w"))
        procs.append(prom)
        pw_base, prom_base = f"http://127.0.0.1:{pw_port}", f"http://127.0.0.1:{prom_port}"
        wait_ready(pw_base + "/readyz", pw, "perfwatch")
        wait_ready(prom_base + "/-/ready", prom, "prometheus")

        # Wait until each side has scraped every target at least three times.
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                pw_up = query(pw_base, "count_over_time(up[1m])")
                prom_up = query(prom_base, "count_over_time(up[1m])")
                if (len(pw_up) >= 3 and len(prom_up) >= 2 and
                        min(float(r["value"][1]) for r in pw_up + prom_up) >= 3):
                    break
            except (RuntimeError, OSError):
                pass
            time.sleep(0.5)
        now = time.time() - 0.5
        check({r["metric"]["job"]: r["value"][1] for r in query(pw_base, "up", now)} ==
              {"node": "1", "prom": "1", "perfwatch": "1"}, "perfwatch: up is 1 for node, prom and itself")
        check({r["metric"]["job"]: r["value"][1] for r in query(prom_base, "up", now)} == {"node": "1", "perfwatch": "1"},
              "prometheus: up is 1 for node and perfwatch")

        # 0. GET /api/v1/targets: the same description of the node-exporter target.
        compared = ("discoveredLabels", "labels", "scrapePool", "scrapeUrl", "health", "lastError",
                    "scrapeInterval", "scrapeTimeout")

        def node_targets(base):
            status, js, body = request(base, "GET", "/api/v1/targets", params={"scrapePool": "node"})
            if status != 200 or not js:
                raise RuntimeError(f"{base} /api/v1/targets: HTTP {status} {body[:300]}")
            return js["data"]

        pw_t, prom_t = node_targets(pw_base), node_targets(prom_base)
        a = [{k: t.get(k) for k in compared} for t in pw_t["activeTargets"]]
        b = [{k: t.get(k) for k in compared} for t in prom_t["activeTargets"]]
        check(a == b and len(a) == 1 and pw_t["droppedTargets"] == [] == prom_t["droppedTargets"],
              f"/api/v1/targets?scrapePool=node agrees on {', '.join(compared)} ({a} vs {b})")
        last = pw_t["activeTargets"][0]["lastScrape"] if a else ""
        age = time.time() - calendar.timegm(time.strptime(last[:19], "%Y-%m-%dT%H:%M:%S")) if last else 1e9
        check(0 <= age < 10 and last.endswith("Z") and 0 < pw_t["activeTargets"][0]["lastScrapeDuration"] < 1,
              f"perfwatch lastScrape {last} is recent and lastScrapeDuration is in seconds")
        _, js, _ = request(pw_base, "GET", "/api/v1/targets", params={"state": "dropped"})
        check(js["data"] == {"activeTargets": [], "droppedTargets": []}, "state=dropped lists no active target")

        # 1. node-exporter: the same series and the same per-name counts on both sides.
        pw_node = series(pw_base, '{job="node"}')
        prom_node = series(prom_base, '{job="node"}')
        only_pw, only_prom = pw_node - prom_node, prom_node - pw_node
        check(len(pw_node) > 300 and not only_pw and not only_prom,
              f"node-exporter series: perfwatch {len(pw_node)}, prometheus {len(prom_node)}, only in perfwatch "
              f"{sorted(only_pw)[:3]}, only in prometheus {sorted(only_prom)[:3]}")
        expr = 'count by (__name__) ({job="node"})'
        check(by_labels(query(pw_base, expr, now)) == by_labels(query(prom_base, expr, now)),
              "node-exporter: count by (__name__) agrees")
        for const in ("node_memory_MemTotal_bytes", "node_exporter_build_info", "count(node_cpu_seconds_total)",
                      "node_boot_time_seconds"):
            a, b = by_labels(query(pw_base, const, now)), by_labels(query(prom_base, const, now))
            check(a == b and a, f"node-exporter: {const} equal ({a} vs {b})")

        # 2. perfwatch's /metrics, scraped by itself and by prometheus: the same names.
        _, text = get(pw_base + "/metrics")
        exposed = metric_names(text)
        pw_self = {r["metric"]["__name__"] for r in query(pw_base, 'count by (__name__) ({job="perfwatch"})', now)}
        prom_pw = {r["metric"]["__name__"] for r in query(prom_base, 'count by (__name__) ({job="perfwatch"})', now)}
        report = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
                  "scrape_series_added"}
        check(pw_self - report == exposed and prom_pw - report == exposed,
              f"perfwatch /metrics names: exposed {len(exposed)}, self-scraped {len(pw_self - report)}, scraped by "
              f"prometheus {len(prom_pw - report)}; differences {sorted((pw_self ^ prom_pw) - report)[:5]}")
        check(pw_self == prom_pw, "both sides write the same report series (up, scrape_*)")
        a = by_labels(query(pw_base, 'process_start_time_seconds{job="perfwatch"}', now))
        b = by_labels(query(prom_base, 'process_start_time_seconds{job="perfwatch"}', now))
        check(a == b and a, f"process_start_time_seconds of perfwatch agrees ({a} vs {b})")

        # 3. prometheus' exposition as perfwatch stored it. Prometheus adds families as it
        # runs (e.g. prometheus_target_interval_length_seconds after its second scrape), so
        # what perfwatch stored from its latest scrape must lie between what prometheus
        # exposed before that scrape and what it exposes after.
        _, prom_text = get(prom_base + "/metrics")
        before = metric_names(prom_text)
        time.sleep(INTERVAL_S * 2.5)
        stored = {r["metric"]["__name__"] for r in query(pw_base, 'count by (__name__) ({job="prom"})',
                                                         time.time() - 0.2)} - report
        _, prom_text = get(prom_base + "/metrics")
        after = metric_names(prom_text)
        check(before <= stored <= after and len(stored) > 100,
              f"prometheus /metrics names stored by perfwatch: {len(stored)} (exposed {len(before)} before, "
              f"{len(after)} after); missing {sorted(before - stored)[:5]}, unexpected {sorted(stored - after)[:5]}")
        line = next(l for l in prom_text.splitlines() if l.startswith("prometheus_build_info{"))
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        a = by_labels(query(pw_base, 'prometheus_build_info{job="prom"}', now))
        b = {json.dumps(sorted([("__name__", "prometheus_build_info")] + list(labels.items()))): line.split()[-1]}
        check(a == b, f"prometheus_build_info labels and value agree ({a} vs {b})")

        # 4. The node-exporter stops: up = 0 and its series go stale on both sides.
        stop_processes([ne])
        time.sleep(INTERVAL_S * 3 + 1)
        later = time.time() - 0.2
        check(by_labels(query(pw_base, 'up{job="node"}', later)) == {'[["__name__", "up"]]': "0"},
              "perfwatch: up{job=\"node\"} is 0")
        check(by_labels(query(prom_base, 'up{job="node"}', later)) == {'[["__name__", "up"]]': "0"},
              "prometheus: up{job=\"node\"} is 0")
        pw_t, prom_t = node_targets(pw_base)["activeTargets"], node_targets(prom_base)["activeTargets"]
        check(pw_t and prom_t and pw_t[0]["health"] == "down" == prom_t[0]["health"] and pw_t[0]["lastError"] and
              prom_t[0]["lastError"], f"/api/v1/targets: node is down with a lastError on both sides "
              f"({pw_t[0]['lastError'] if pw_t else None!r} vs {prom_t[0]['lastError'] if prom_t else None!r})")
        check(query(pw_base, "node_memory_MemTotal_bytes", later) == [], "perfwatch: node series are stale")
        check(query(prom_base, "node_memory_MemTotal_bytes", later) == [], "prometheus: node series are stale")
    except Exception as e:  # noqa: BLE001 - report any failure as a test failure
        failures.append(f"error: {e}")
        print(f"FAIL error: {e}")
    finally:
        stop_processes(procs)
        if args.keep or failures:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"scrape interop: {'FAILED' if failures else 'passed'} ({len(failures)} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
