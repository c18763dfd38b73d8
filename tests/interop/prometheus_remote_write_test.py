#!/usr/bin/env python3
"""Interop: the real Debian `prometheus` scrapes itself and remote-writes into perfwatch;
every sample Prometheus stored for a set of its own series must be in perfwatch's export
with the same timestamp and value.

  python3 tests/interop/prometheus_remote_write_test.py [--binary build/perfwatch] [--seconds 8]

Python standard library only. Exits 0 on success; prints what differs otherwise.
"""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import free_port, get, wait_ready  # noqa: E402  (shared with the conformance suites)

SELECTOR = '{__name__=~"up|go_goroutines|prometheus_tsdb_head_series|prometheus_http_requests_total|process_cpu_seconds_total"}'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    ap.add_argument("--seconds", type=float, default=8, help="scrapes (1 s apart) to wait for")
    args = ap.parse_args()
    if not os.path.exists(args.prometheus):
        print(f"interop: {args.prometheus} not installed (scripts/setup installs it)")
        return 1
    work = tempfile.mkdtemp(prefix="pw-interop-")
    pw_port, prom_port = free_port(), free_port()
    procs = []
    passed = False
    try:
        pw = subprocess.Popen([args.binary, "serve", "--listen", f"127.0.0.1:{pw_port}", "--data-dir",
                               os.path.join(work, "pw"), "--log-level", "warn"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "pw.log"), "w"))
        procs.append(pw)
        wait_ready(f"http://127.0.0.1:{pw_port}/readyz", pw, "perfwatch")
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{prom_port}"]
remote_write:
  - url: http://127.0.0.1:{pw_port}/api/v1/write
    queue_config:
      batch_send_deadline: 500ms
      min_backoff: 50ms
      max_backoff: 500ms
""")
        prom = subprocess.Popen([args.prometheus, f"--config.file={config}", f"--storage.tsdb.path={work}/prom",
                                 f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prom.log"), "w"))
        procs.append(prom)
        wait_ready(f"http://127.0.0.1:{prom_port}/-/ready", prom, "prometheus")
        # Prometheus applies scrape targets a few seconds after start: wait for enough scrapes.
        deadline = time.time() + args.seconds + 30
        while time.time() < deadline:
            q = urllib.parse.urlencode({"query": "count_over_time(up[1h])"})
            result = json.loads(get(f"http://127.0.0.1:{prom_port}/api/v1/query?{q}")[1])["data"]["result"]
            if result and float(result[0]["value"][1]) >= args.seconds:
                break
            time.sleep(0.5)
        end = time.time() - 3  # everything up to here has had 3 s to be remote-written
        time.sleep(3)

        q = urllib.parse.urlencode({"query": f"{SELECTOR}[1h]", "time": f"{end:.3f}"})
        status, body = get(f"http://127.0.0.1:{prom_port}/api/v1/query?{q}")
        want = {}
        for series in json.loads(body)["data"]["result"]:
            key = tuple(sorted(series["metric"].items()))
            want[key] = {int(round(float(t) * 1000)): float(v) for t, v in series["values"]}
        e = urllib.parse.urlencode({"match[]": SELECTOR, "start": f"{end - 3600:.3f}", "end": f"{end:.3f}"})
        status, body = get(f"http://127.0.0.1:{pw_port}/api/v1/export?{e}")
        got = {}
        for line in body.splitlines():
            # perfwatch (like VictoriaMetrics) writes +Inf/-Inf bare; none occur in these series.
            row = json.loads(line)
            key = tuple(sorted(row["metric"].items()))
            got[key] = {t: v for t, v in zip(row["timestamps"], row["values"]) if v is not None}

        problems = []
        samples = 0
        for key, samples_want in want.items():
            have = got.get(key)
            if have is None:
                problems.append(f"missing series {dict(key)}")
                continue
            for t, v in samples_want.items():
                samples += 1
                if t not in have:
                    problems.append(f"{dict(key)}: missing sample at {t}")
                elif have[t] != v:
                    problems.append(f"{dict(key)} @{t}: perfwatch {have[t]!r} != prometheus {v!r}")
        if len(want) < 5 or samples < 5 * (args.seconds - 3):
            problems.append(f"too little data to compare: {len(want)} series, {samples} samples")
        if problems:
            print("interop: FAILED")
            for p in problems[:30]:
                print("  " + p)
            print(f"  ({len(problems)} problems; logs in {work})")
            return 1
        print(f"interop: prometheus remote write -> perfwatch: {len(want)} series, {samples} samples identical")
        passed = True
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        if passed:
            shutil.rmtree(work, ignore_errors=True)  # kept for a look when the test failed


if __name__ == "__main__":
    sys.exit(main())
