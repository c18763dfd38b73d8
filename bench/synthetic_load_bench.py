#!/usr/bin/env python3
"""Issue 18 benchmark: 100 HTTP checks at 10 s intervals for 10 minutes, perfwatch beside
the stack it replaces (Debian `prometheus-blackbox-exporter` probing, `prometheus` scraping
/probe every 10 s), both probing the same local targets at the same time, same run
(Python 3 standard library only).

  python3 bench/synthetic_load_bench.py [--binary build/perfwatch] [--checks 100]
          [--interval 10] [--duration 600] [--sample 10]

Targets: a threaded HTTP server in this process; path /t/K answers 200 "ok" after a
deterministic 2-30 ms delay, except one that answers 500 and one that hangs (sleeps 30 s;
both probers time out at 5 s): the faults ride along the load.

Reported per side: CPU seconds (utime + stime, /proc/PID/stat) over the measured window and
as % of one core, RSS at the end and peak (VmHWM), the probes done (perfwatch:
perfwatch_synthetic_runs_total; the exporter: Prometheus' scrapes of /probe counted by
count_over_time(probe_success[window])), and agreement: probe_success per target equal on
both sides at the end. CPU and memory "bounded": the script also prints RSS every --sample
seconds so growth shows.
"""
import argparse, http.client, json, os, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import free_port  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PROMETHEUS = "/usr/bin/prometheus"
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
HANG, FAIL = 7, 13  # target indexes


class Target(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        try:
            k = int(self.path.rsplit("/", 1)[-1])
        except ValueError:
            k = 0
        if k == HANG:
            time.sleep(30)
        time.sleep((2 + (k * 7919) % 29) / 1000.0)
        body = b"ok\n"
        self.send_response(500 if k == FAIL else 200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the prober gave up (the hanging target)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / CLK_TCK


def rss_mb(pid, key="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def query(port, expr):
    status, body = get(port, "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    if status != 200:
        raise RuntimeError(f"query {expr}: HTTP {status} {body[:200]!r}")
    return json.loads(body)["data"]["result"]


def wait_ready(port, path, what, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        try:
            if get(port, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not become ready")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--checks", type=int, default=100)
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--duration", type=int, default=600)
    ap.add_argument("--sample", type=int, default=10)
    args = ap.parse_args()
    for b in (args.binary, PROMETHEUS, BLACKBOX):
        if not os.path.exists(b):
            sys.exit(f"missing {b} (scripts/setup --deps-only installs the peers)")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Target)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tport = server.server_address[1]
    urls = [f"http://127.0.0.1:{tport}/t/{k}" for k in range(args.checks)]

    tmp = tempfile.mkdtemp(prefix="pw_synth_bench_")
    procs = []
    try:
        pw_port, bb_port, prom_port = free_port(), free_port(), free_port()
        cfg = os.path.join(tmp, "perfwatch.yml")
        with open(cfg, "w") as f:
            f.write("synthetic:\n  checks:\n")
            for k, u in enumerate(urls):
                f.write(f"    - name: t{k}\n      interval: {args.interval}s\n      http: {{url: \"{u}\", timeout: 5s}}\n")
        bbcfg = os.path.join(tmp, "blackbox.yml")
        with open(bbcfg, "w") as f:
            f.write("modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n")
        promcfg = os.path.join(tmp, "prometheus.yml")
        with open(promcfg, "w") as f:
            f.write(f"global: {{scrape_interval: {args.interval}s, scrape_timeout: 6s}}\n"
                    "scrape_configs:\n  - job_name: blackbox\n    metrics_path: /probe\n"
                    "    params: {module: [http_2xx]}\n    static_configs:\n      - targets:\n")
            for u in urls:
                f.write(f"          - \"{u}\"\n")
            f.write("    relabel_configs:\n"
                    "      - {source_labels: [__address__], target_label: __param_target}\n"
                    "      - {source_labels: [__param_target], target_label: instance}\n"
                    f"      - {{target_label: __address__, replacement: '127.0.0.1:{bb_port}'}}\n")
        log = open(os.path.join(tmp, "log.txt"), "w")
        pw = subprocess.Popen([args.binary, "serve", "--listen", f"127.0.0.1:{pw_port}", "--data-dir",
                               os.path.join(tmp, "pw"), "--config", cfg], stdout=log, stderr=log)
        bb = subprocess.Popen([BLACKBOX, f"--config.file={bbcfg}", f"--web.listen-address=127.0.0.1:{bb_port}"],
                              stdout=log, stderr=log)
        prom = subprocess.Popen([PROMETHEUS, f"--config.file={promcfg}", f"--storage.tsdb.path={tmp}/prom",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=log, stderr=log)
        procs = [pw, bb, prom]
        wait_ready(pw_port, "/readyz", "perfwatch")
        wait_ready(bb_port, "/metrics", "blackbox exporter")
        wait_ready(prom_port, "/-/ready", "prometheus")
        # Warm-up: one interval and a bit, so every check has run once.
        time.sleep(args.interval + 5)
        t0 = time.time()
        cpu0 = {n: cpu_seconds(p.pid) for n, p in (("perfwatch", pw), ("blackbox", bb), ("prometheus", prom))}
        runs0 = sum(float(r["value"][1]) for r in query(pw_port, "perfwatch_synthetic_runs_total"))
        series = []
        while time.time() - t0 < args.duration:
            time.sleep(args.sample)
            row = {"t": round(time.time() - t0)}
            for n, p in (("perfwatch", pw), ("blackbox", bb), ("prometheus", prom)):
                row[n + "_rss_mb"] = round(rss_mb(p.pid), 1)
            series.append(row)
            print(json.dumps(row), flush=True)
        elapsed = time.time() - t0
        out = {"checks": args.checks, "interval_s": args.interval, "window_s": round(elapsed)}
        for n, p in (("perfwatch", pw), ("blackbox", bb), ("prometheus", prom)):
            cpu = cpu_seconds(p.pid) - cpu0[n]
            out[n] = {"cpu_s": round(cpu, 2), "cpu_pct_of_core": round(100 * cpu / elapsed, 2),
                      "rss_mb_end": round(rss_mb(p.pid), 1), "rss_mb_peak": round(rss_mb(p.pid, "VmHWM"), 1),
                      "rss_mb_min_during": min(r[n + "_rss_mb"] for r in series),
                      "rss_mb_max_during": max(r[n + "_rss_mb"] for r in series)}
        runs1 = sum(float(r["value"][1]) for r in query(pw_port, "perfwatch_synthetic_runs_total"))
        out["perfwatch"]["runs"] = int(runs1 - runs0)
        probes = query(prom_port, f"sum(count_over_time(probe_success{{job=\"blackbox\"}}[{int(elapsed)}s]))")
        out["blackbox"]["probes"] = int(float(probes[0]["value"][1])) if probes else 0
        pw_ok = {r["metric"]["instance"]: r["value"][1] for r in query(pw_port, "probe_success")}
        bb_ok = {r["metric"]["instance"]: r["value"][1] for r in query(prom_port, "probe_success{job=\"blackbox\"}")}
        out["probe_success_agree"] = sum(1 for u in urls if pw_ok.get(u) == bb_ok.get(u))
        out["probe_success_failing"] = {"perfwatch": sum(1 for v in pw_ok.values() if v == "0"),
                                        "blackbox": sum(1 for v in bb_ok.values() if v == "0")}
        stack = out["blackbox"]["cpu_s"] + out["prometheus"]["cpu_s"]
        out["ratio_cpu_perfwatch_vs_blackbox_plus_prometheus"] = round(out["perfwatch"]["cpu_s"] / stack, 3) if stack else None
        out["ratio_rss_perfwatch_vs_blackbox_plus_prometheus"] = round(
            out["perfwatch"]["rss_mb_end"] / (out["blackbox"]["rss_mb_end"] + out["prometheus"]["rss_mb_end"]), 3)
        print(json.dumps(out, indent=1))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
