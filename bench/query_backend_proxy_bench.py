#!/usr/bin/env python3
"""The cost of query.backend's proxy (docs/scale-out.md "Queries from an external store"):
the same PromQL requests asked of the Debian `victoria-metrics` directly and through a
perfwatch whose query.backend points at it, interleaved in one run (medians and p99).

  python3 bench/query_backend_proxy_bench.py [--binary build/perfwatch] [--vm /usr/bin/victoria-metrics]
                                            [--series 200] [--requests 400]

VictoriaMetrics gets --series series of one counter with 10 minutes of samples every 15 s
(/api/v1/import/prometheus). Three requests are timed, each --requests times per path, one
keep-alive connection per path (perfwatch opens a new connection to the backend per
request, as its notification client does): an instant selector of every series, a
`sum by (job) (rate(...[5m]))` instant query and a 10-minute query_range of it at 15 s
steps. Reports per request and path: median and p99 in ms and the median overhead.
"""
import argparse, http.client, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import free_port, wait_ready  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--vm", default="/usr/bin/victoria-metrics")
    ap.add_argument("--series", type=int, default=200)
    ap.add_argument("--requests", type=int, default=400)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pw-qb-bench-")
    procs = []
    try:
        vm_port, pw_port = free_port(), free_port()
        vm = subprocess.Popen([args.vm, f"-storageDataPath={work}/vm", f"-httpListenAddr=127.0.0.1:{vm_port}",
                               "-retentionPeriod=100y", "-search.latencyOffset=0s", "-loggerLevel=WARN"],
                              stdout=subprocess.DEVNULL, stderr=open(f"{work}/vm.log", "w"))
        procs.append(vm)
        wait_ready(f"http://127.0.0.1:{vm_port}/health", vm, "victoria-metrics")
        now = int(time.time())
        lines = []
        for t in range(now - 600, now + 1, 15):
            for i in range(args.series):
                lines.append(f'bench_requests_total{{job="j{i % 10}",instance="i{i}"}} {t - now + 600 + i} {t * 1000}')
        c = http.client.HTTPConnection("127.0.0.1", vm_port)
        c.request("POST", "/api/v1/import/prometheus", "\n".join(lines) + "\n")
        r = c.getresponse()
        r.read()
        assert r.status == 204, r.status
        c.request("GET", "/internal/force_flush")
        c.getresponse().read()
        with open(f"{work}/perfwatch.yml", "w") as f:
            f.write(f"scrape: {{self_scrape: false}}\nquery:\n  backend: {{url: 'http://127.0.0.1:{vm_port}'}}\n")
        pw = subprocess.Popen([args.binary, "serve", "--listen", f"127.0.0.1:{pw_port}", "--data-dir", f"{work}/pw",
                               "--config", f"{work}/perfwatch.yml"],
                              stdout=subprocess.DEVNULL, stderr=open(f"{work}/pw.log", "w"))
        procs.append(pw)
        wait_ready(f"http://127.0.0.1:{pw_port}/readyz", pw, "perfwatch")

        q = urllib.parse.quote
        requests = {
            "instant selector": f"/api/v1/query?query={q('bench_requests_total')}&time={now}",
            "sum(rate) instant": f"/api/v1/query?query={q('sum by (job) (rate(bench_requests_total[5m]))')}&time={now}",
            "sum(rate) range 10m/15s": f"/api/v1/query_range?query={q('sum by (job) (rate(bench_requests_total[5m]))')}"
                                       f"&start={now - 600}&end={now}&step=15",
        }
        conns = {"direct": http.client.HTTPConnection("127.0.0.1", vm_port),
                 "perfwatch": http.client.HTTPConnection("127.0.0.1", pw_port)}
        print(f"victoria-metrics {subprocess.run(['dpkg-query', '-W', '-f', '${Version}', 'victoria-metrics'], capture_output=True, text=True).stdout.strip() or '(version unknown)'}; "
              f"{args.series} series x 41 samples; {args.requests} requests per path, interleaved")
        print(f"{'request':26} {'direct p50':>11} {'p99':>8} {'perfwatch p50':>14} {'p99':>8} {'overhead p50':>13}")
        for name, target in requests.items():
            times = {"direct": [], "perfwatch": []}
            bodies = {}
            for _ in range(10):  # warm-up
                for path, conn in conns.items():
                    conn.request("GET", target)
                    conn.getresponse().read()
            for _ in range(args.requests):
                for path, conn in conns.items():
                    t0 = time.perf_counter()
                    conn.request("GET", target)
                    r = conn.getresponse()
                    body = r.read()
                    times[path].append((time.perf_counter() - t0) * 1000)
                    assert r.status == 200, (path, r.status, body[:200])
                    bodies[path] = len(body)
            d, p = sorted(times["direct"]), sorted(times["perfwatch"])
            p99 = lambda xs: xs[min(len(xs) - 1, int(len(xs) * 0.99))]
            print(f"{name:26} {statistics.median(d):9.3f}ms {p99(d):6.3f}ms {statistics.median(p):12.3f}ms "
                  f"{p99(p):6.3f}ms {statistics.median(p) - statistics.median(d):+11.3f}ms  ({bodies['direct']} B)")
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
