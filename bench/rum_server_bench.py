#!/usr/bin/env python3
"""End-to-end RUM benchmarks against the real server on loopback (Python stdlib + wrk).

  python3 bench/rum_server_bench.py [--binary build/perfwatch] [--runs 3] [--duration 10]
                                    [--events 1000000] [--skip-wrk] [--skip-load]

1. wrk, same server, same run, interleaved: GET /healthz vs POST /api/rum with one realistic
   beacon per request (bench/wrk/post_beacon.lua); durable storage on (default fsync policy).
   Reports requests/s per run and the median, and the beacon/healthz ratio.
2. A fresh server loaded with N vital events (~50k sessions, 30 pages, 7 user agents) in
   batches of 1000: RSS after the load, p75-by-page latency of /api/v1/vitals (median of 7),
   and the time to export every event as JSON lines over /api/v1/events/export.
"""
import argparse, http.client, json, os, random, re, shutil, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import free_port  # noqa: E402,F401  (re-exported for the other bench scripts)


class Server:
    """A fresh `perfwatch serve` on a free loopback port with its own data directory.

    `config_yaml`: the text of a --config file (none by default). Subclasses may set
    attributes before calling __init__ and override ready() (e.g. to speak TLS)."""

    def __init__(self, binary, config_yaml=None, prefix="pw-bench-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.port = free_port()
        args = [binary, "serve", "--listen", f"127.0.0.1:{self.port}",
                "--data-dir", os.path.join(self.dir, "data"), "--log-level", "warn"]
        if config_yaml is not None:
            config = os.path.join(self.dir, "perfwatch.yml")
            with open(config, "w") as f:
                f.write(config_yaml)
            args += ["--config", config]
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        for _ in range(500):
            try:
                if self.ready():
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("server did not become ready: " + open(os.path.join(self.dir, "server.log")).read())

    def ready(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        c.request("GET", "/readyz")
        return c.getresponse().status == 200

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def rss_mb(self):
        return self.rss_kib() / 1024.0

    def stop(self, timeout=60):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        shutil.rmtree(self.dir, ignore_errors=True)


def wrk(url, seconds, script=None, connections=32):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return rps, int(non2xx.group(1)) if non2xx else 0, p99.group(1) if p99 else "?"


PAGES = [f"/products/{i}" for i in range(1, 6)] + ["/", "/cart", "/checkout", "/search", "/account"] + \
        [f"/section{i}/item" for i in range(20)]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
]
NAMES = ["LCP", "INP", "CLS", "FCP", "TTFB"]


def load(server, n_events, batch=1000):
    rng = random.Random(42)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    now_ms = int(time.time() * 1000)
    sent = 0
    t0 = time.time()
    while sent < n_events:
        parts = []
        for i in range(min(batch, n_events - sent)):
            k = sent + i
            name = NAMES[k % 5]
            v = round(rng.lognormvariate(-2.5, 0.8), 4) if name == "CLS" else round(rng.lognormvariate(7.3, 0.5), 1)
            session = k // 20
            parts.append('{"type":"vital","name":"%s","value":%s,"rating":"good","delta":%s,"id":"v4-%d",'
                         '"navigationType":"navigate","sessionId":"%d-s%d","url":"https://shop.example%s?q=%d",'
                         '"timestamp":%d,"userAgent":"%s","connection":"4g","deviceMemory":8,"hardwareConcurrency":8}'
                         % (name, v, v, k, now_ms // 1000, session, PAGES[session % len(PAGES)], k % 7,
                            now_ms - rng.randrange(3_600_000), UAS[session % len(UAS)]))
        conn.request("POST", "/api/rum", body="[" + ",".join(parts) + "]",
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status != 204:
            raise RuntimeError(f"load: status {r.status}")
        sent += len(parts)
    return time.time() - t0


def timed_get(port, path, reps):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times, size = [], 0
    for _ in range(reps):
        t0 = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t0) * 1000)
        size = len(body)
        if r.status != 200:
            raise RuntimeError(f"{path}: {r.status} {body[:200]}")
    return statistics.median(times), size, body


def curl_export(port, reps):
    """Times the full export with curl (a C client; Python's chunked decoding would dominate)."""
    times = []
    for _ in range(reps):
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{time_total} %{size_download}",
                              f"http://127.0.0.1:{port}/api/v1/events/export"],
                             capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]) * 1000)
        size = int(out[1])
    lines = int(subprocess.run(f"curl -sS http://127.0.0.1:{port}/api/v1/events/export | wc -l", shell=True,
                               capture_output=True, text=True, check=True).stdout)
    return statistics.median(times), size, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--skip-wrk", action="store_true")
    ap.add_argument("--skip-load", action="store_true")
    args = ap.parse_args()
    results = {}
    if not args.skip_wrk:
        server = Server(args.binary)
        base = f"http://127.0.0.1:{server.port}"
        health, beacon = [], []
        try:
            for run in range(args.runs):
                h = wrk(base + "/healthz", args.duration, connections=args.connections)
                b = wrk(base + "/api/rum", args.duration, os.path.join(ROOT, "bench/wrk/post_beacon.lua"),
                        connections=args.connections)
                health.append(h[0])
                beacon.append(b[0])
                print(f"run {run + 1}: healthz {h[0]:.0f} req/s (p99 {h[2]}), beacons {b[0]:.0f} req/s "
                      f"(p99 {b[2]}, non-2xx {b[1]})", flush=True)
        finally:
            server.stop()
        results["healthz_rps_median"] = statistics.median(health)
        results["beacon_rps_median"] = statistics.median(beacon)
        results["beacon_over_healthz"] = results["beacon_rps_median"] / results["healthz_rps_median"]
        print(f"median: healthz {results['healthz_rps_median']:.0f} req/s, beacons {results['beacon_rps_median']:.0f}"
              f" req/s, ratio {results['beacon_over_healthz']:.2f}", flush=True)
    if not args.skip_load:
        server = Server(args.binary)
        try:
            rss0 = server.rss_mb()
            secs = load(server, args.events)
            time.sleep(1)
            rss = server.rss_mb()
            print(f"loaded {args.events} events in {secs:.1f} s ({args.events / secs:.0f} events/s); "
                  f"RSS {rss0:.1f} MB empty, {rss:.1f} MB loaded", flush=True)
            q_ms, _, body = timed_get(server.port, "/api/v1/vitals?metric=LCP&by=page&window=24h", 7)
            groups = json.loads(body)["data"]["groups"]
            print(f"p75 LCP by page over {sum(g['count'] for g in groups)} LCP events ({len(groups)} pages): "
                  f"{q_ms:.1f} ms median of 7", flush=True)
            q_all_ms, _, body = timed_get(server.port, "/api/v1/vitals?metric=LCP&by=page,device,browser&window=24h", 7)
            print(f"p75 LCP by page,device,browser: {q_all_ms:.1f} ms median of 7", flush=True)
            exp_ms, exp_bytes, lines = curl_export(server.port, 3)
            print(f"export: {lines} events, {exp_bytes / 1e6:.0f} MB JSON lines in {exp_ms:.0f} ms (median of 3)",
                  flush=True)
            disk = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(server.dir, "data"))
                       for f in fs)
            results.update(events=args.events, load_seconds=secs, rss_empty_mb=rss0, rss_loaded_mb=rss,
                           p75_by_page_ms=q_ms, p75_by_3dims_ms=q_all_ms, export_ms=exp_ms,
                           export_lines=lines, export_bytes=exp_bytes, disk_bytes=disk,
                           disk_bytes_per_event=disk / args.events)
            print(f"disk: {disk / 1e6:.1f} MB, {disk / args.events:.1f} bytes/event", flush=True)
        finally:
            server.stop()
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
