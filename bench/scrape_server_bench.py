#!/usr/bin/env python3
"""Issue 5 benchmark: perfwatch and Debian `prometheus` scraping the same 100,000-sample
target at the same time, in the same run (Python 3 standard library only).

  python3 bench/scrape_server_bench.py [--binary build/perfwatch] [--runs 1] [--scrapes 12 | --duration 60]
          [--interval 5] [--samples 100000] [--no-gzip] [--poll-ms 25] [--keep]

The target is a small threaded HTTP server in this process serving a pre-rendered Prometheus
text 0.0.4 exposition (gzip when the client asks, as both scrapers do): the RED metrics of a
big service, per (pod, route, method) a request counter by status code, a latency histogram
(12 buckets), a response-size histogram (8 buckets) and an in-flight gauge, plus per-pod
process metrics; labels service, pod, route, method and code/le. Every scraper gets its own
sequence of versions (its k-th request gets version k), so counters increase scrape by scrape
and both servers store the same values at their k-th scrape. The last line is a gauge
`bench_scrape_version` (the version served), which is how the benchmark sees a scrape land.

Per run, both servers start together on fresh data dirs with one job `big` (interval 5 s,
timeout 4 s) and run 1 warm-up scrape (it creates the series) + N measured scrapes. For each:

  scrape_duration_s  median / max of its own `scrape_duration_seconds` over the N scrapes, read
                     back through its /api/v1/query. NOT the same quantity on both sides:
                     Prometheus times fetch + parse + append (not the commit), perfwatch only
                     the fetch (docs/scraping.md); so also:
  visible_s          median / max time from the target receiving the request to the new
                     `bench_scrape_version` being returned by an instant query (polled every
                     --poll-ms): fetch + parse + append + commit, the same quantity on both.
  cpu_s_per_scrape   (utime + stime) of the process over the N scrapes / N, from /proc/PID/stat
                     (window from mid-interval after the warm-up to mid-interval after the last)
  rss_mb, peak_mb    VmRSS at the end, VmHWM (peak)
  disk_mb            bytes under its data dir at the end
and checks: every scrape up, scrape_samples_scraped = --samples on both, count({job="big"})
and count by (__name__) equal, and every series' value at the last scrape both made equal.

Prints one JSON line per run, then a summary (medians over runs, perfwatch/prometheus ratios).
"""
import argparse, gzip, http.client, json, os, shutil, signal, statistics, subprocess, sys, tempfile, \
    threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import free_port  # noqa: E402
PROMETHEUS = "/usr/bin/prometheus"
CLK_TCK = os.sysconf("SC_CLK_TCK")
REPORT = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
          "scrape_series_added"}


# --------------------------------------------------------------------------- exposition
LAT_LE = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
LAT_W = [8, 20, 41, 62, 78, 90, 95, 98, 99, 100, 100, 100]  # cumulative % per bucket
SIZE_LE = ["100", "1000", "10000", "100000", "1e+06", "1e+07", "1e+08", "+Inf"]
SIZE_W = [5, 30, 70, 92, 99, 100, 100, 100]
CODES = ["200", "304", "404", "500"]
RESOURCES = ["orders", "users", "carts", "products", "payments", "invoices", "shipments", "reviews", "coupons",
             "sessions", "search", "inventory", "catalog", "wishlists", "addresses", "refunds", "returns",
             "subscriptions", "notifications", "recommendations"]
ROUTES = [f"/api/v{ver}/{res}{suffix}" for ver in (1, 2) for res in RESOURCES
          for suffix in ("", "/:id", "/:id/items", "/:id/history", "/bulk")]  # 200 routes
METHODS = ["GET", "POST", "PUT", "DELETE"]
PODS = 20
SERVICE = "checkout-api"
PER_UNIT = len(CODES) + (len(LAT_LE) + 2) + (len(SIZE_LE) + 2) + 1  # 29 samples per (pod, route, method)
PER_POD = 3


def mix(i):
    """Deterministic pseudo-random 32-bit value of an int."""
    x = (i * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    return x


class Exposition:
    """The series of the target (label prefixes) and a value function per version; renders
    version v as text 0.0.4 bytes. Values are integers or multiples of 0.25 (sums are exact)."""

    def __init__(self, samples):
        units_needed = (samples - 1 - PER_POD * PODS) // PER_UNIT
        if units_needed < 1:
            raise ValueError("--samples too small")
        combos = [(r, m) for r in ROUTES for m in METHODS]
        units = [(p, combos[c]) for c in range(len(combos)) for p in range(PODS)][:units_needed]
        if len(units) < units_needed:
            raise ValueError("--samples too large for the route table")
        filler = samples - 1 - PER_POD * PODS - PER_UNIT * len(units)
        units.sort()
        self.chunks = []  # (header text, [(prefix, kind, seed)])

        def lbl(p, route=None, method=None):
            s = f'service="{SERVICE}",pod="{SERVICE}-{p:02d}-7f9c4"'
            if route is not None:
                s += f',route="{route}",method="{method}"'
            return s

        def fam(name, typ, help_, rows):
            self.chunks.append((f"# HELP {name} {help_}\n# TYPE {name} {typ}\n", rows))

        rows = []
        for u, (p, (r, m)) in enumerate(units):
            for ci, code in enumerate(CODES):
                rows.append((f'http_requests_total{{{lbl(p, r, m)},code="{code}"}} ', "counter", u * 8 + ci))
        fam("http_requests_total", "counter", "Total HTTP requests by route, method and status code.", rows)
        for name, les, ws, help_, kind in (
                ("http_request_duration_seconds", LAT_LE, LAT_W, "HTTP request latency.", "lat"),
                ("http_response_size_bytes", SIZE_LE, SIZE_W, "HTTP response body size.", "size")):
            rows = []
            for u, (p, (r, m)) in enumerate(units):
                lab = lbl(p, r, m)
                for le, w in zip(les, ws):
                    rows.append((f'{name}_bucket{{{lab},le="{le}"}} ', ("bucket", w), u * 8 + 4))
                rows.append((f"{name}_sum{{{lab}}} ", (kind + "_sum",), u * 8 + 4))
                rows.append((f"{name}_count{{{lab}}} ", ("bucket", 100), u * 8 + 4))
            fam(name, "histogram", help_, rows)
        fam("http_requests_in_flight", "gauge", "Requests being served.",
            [(f"http_requests_in_flight{{{lbl(p, r, m)}}} ", "gauge", u * 8 + 5) for u, (p, (r, m)) in enumerate(units)])
        fam("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
            [(f"process_cpu_seconds_total{{{lbl(p)}}} ", "cpu", 10_000_000 + p) for p in range(PODS)])
        fam("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
            [(f"process_resident_memory_bytes{{{lbl(p)}}} ", "mem", 10_000_100 + p) for p in range(PODS)])
        fam("process_open_fds", "gauge", "Number of open file descriptors.",
            [(f"process_open_fds{{{lbl(p)}}} ", "gauge", 10_000_200 + p) for p in range(PODS)])
        if filler:
            fam("app_queue_depth", "gauge", "Jobs waiting per queue.",
                [(f'app_queue_depth{{{lbl(i % PODS)},queue="q{i:05d}"}} ', "gauge", 10_001_000 + i)
                 for i in range(filler)])
        self.samples = sum(len(rows) for _, rows in self.chunks) + 1
        assert self.samples == samples, (self.samples, samples)

    @staticmethod
    def value(kind, seed, v):
        if kind == "counter":
            return str(mix(seed) % 100_000 + v * (mix(seed + 1) % 200))
        if kind == "gauge":
            return str((mix(seed) + v * 7) % 64)
        if kind == "cpu":
            return repr((mix(seed) % 100_000 + v * (1 + mix(seed + 1) % 8)) / 4)
        if kind == "mem":
            return str(200_000_000 + (mix(seed) + v * 4096 * 13) % 300_000_000)
        count = mix(seed) % 50_000 + v * (mix(seed + 1) % 300)
        if kind[0] == "bucket":
            return str(count * kind[1] // 100)
        if kind[0] == "lat_sum":
            return repr(count * (1 + mix(seed + 2) % 40) / 4)  # mean 0.25..10 s in 0.25 steps
        return str(count * (200 + mix(seed + 2) % 20_000))  # size sum

    def render(self, v):
        out = []
        for header, rows in self.chunks:
            out.append(header)
            val = self.value
            out.append("".join(f"{prefix}{val(kind, seed, v)}\n" for prefix, kind, seed in rows))
        out.append(f"# HELP bench_scrape_version Version of the exposition served.\n"
                   f"# TYPE bench_scrape_version gauge\nbench_scrape_version{{service=\"{SERVICE}\"}} {v}\n")
        return "".join(out).encode()


# --------------------------------------------------------------------------- target
class Target:
    """Threaded HTTP server serving pre-rendered versions; the k-th request of each scraper
    (told apart by User-Agent) gets version k (the last one once they run out)."""

    def __init__(self, plain, gz):
        self.plain, self.gz = plain, gz
        self.lock = threading.Condition()
        self.log = {"perfwatch": [], "prometheus": [], "other": []}  # [(arrival, version, send seconds, gzip)]
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                arrival = time.time()
                ua = self.headers.get("User-Agent", "")
                who = "perfwatch" if ua.startswith("perfwatch") else "prometheus" if ua.startswith("Prometheus") \
                    else "other"
                with target.lock:
                    k = len(target.log[who]) if who != "other" else 0
                    v = min(k, len(target.plain) - 1)
                use_gzip = target.gz is not None and "gzip" in self.headers.get("Accept-Encoding", "")
                body = target.gz[v] if use_gzip else target.plain[v]
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                if use_gzip:
                    self.send_header("Content-Encoding", "gzip")
                self.end_headers()
                t0 = time.time()
                self.wfile.write(body)
                self.wfile.flush()
                with target.lock:
                    target.log[who].append((arrival, v, time.time() - t0, use_gzip))
                    target.lock.notify_all()

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 64

        self.port = free_port()
        self.httpd = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def count(self, who):
        with self.lock:
            return len(self.log[who])

    def entries(self, who):
        with self.lock:
            return list(self.log[who])

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------- servers
def http_json(conn_or_base, path, params, timeout=60):
    if isinstance(conn_or_base, str):
        u = urllib.parse.urlparse(conn_or_base)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    else:
        conn = conn_or_base
    conn.request("GET", path + "?" + urllib.parse.urlencode(params))
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise RuntimeError(f"{path} {params}: HTTP {r.status} {body[:300]!r}")
    js = json.loads(body)
    if js.get("status") != "success":
        raise RuntimeError(f"{path} {params}: {body[:300]!r}")
    return js["data"]


class Proc:
    def __init__(self, name, cmd, port, ready_path, work, log):
        self.name, self.port, self.work = name, port, work
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        self.ready_path = ready_path
        self.cpu_samples = []  # (time, cpu seconds)

    def wait_ready(self, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", self.ready_path)
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not become ready")

    def cpu(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)

    def cpu_at(self, t):
        """CPU seconds at time t, interpolated between the sampler's readings."""
        s = self.cpu_samples
        for (t0, c0), (t1, c1) in zip(s, s[1:]):
            if t0 <= t <= t1:
                return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c1
        raise RuntimeError(f"{self.name}: no CPU reading around {t}")

    def status_mb(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
        return 0.0

    def disk_mb(self, sub):
        d = os.path.join(self.work, sub)
        return sum(os.path.getsize(os.path.join(a, f)) for a, _, fs in os.walk(d) for f in fs) / 1e6

    def query(self, expr, t=None, conn=None):
        params = {"query": expr}
        if t is not None:
            params["time"] = "%.3f" % t
        return http_json(conn or self.base, "/api/v1/query", params)["result"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def dur(seconds):
    return f"{int(seconds)}s" if seconds == int(seconds) else f"{int(round(seconds * 1000))}ms"


def start_servers(binary, work, target_port, interval, timeout):
    interval, timeout = dur(interval), dur(timeout)
    tgt = f"127.0.0.1:{target_port}"
    pw_port, prom_port = free_port(), free_port()
    pw_cfg = os.path.join(work, "perfwatch.yml")
    with open(pw_cfg, "w") as f:
        f.write(f"""scrape:
  self_scrape: false
  max_body_bytes: 268435456
scrape_configs:
  - job_name: big
    scrape_interval: {interval}
    scrape_timeout: {timeout}
    static_configs: [{{targets: ["{tgt}"]}}]
""")
    prom_cfg = os.path.join(work, "prometheus.yml")
    with open(prom_cfg, "w") as f:
        f.write(f"""global:
  scrape_interval: {interval}
  scrape_timeout: {timeout}
scrape_configs:
  - job_name: big
    static_configs: [{{targets: ["{tgt}"]}}]
""")
    pw = Proc("perfwatch", [binary, "serve", "--listen", f"127.0.0.1:{pw_port}", "--data-dir",
                            os.path.join(work, "pw-data"), "--config", pw_cfg, "--log-level", "warn"],
              pw_port, "/readyz", work, os.path.join(work, "perfwatch.log"))
    prom = Proc("prometheus", [PROMETHEUS, f"--config.file={prom_cfg}", f"--storage.tsdb.path={work}/prom-data",
                               f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                prom_port, "/-/ready", work, os.path.join(work, "prometheus.log"))
    return pw, prom


# --------------------------------------------------------------------------- measurement threads
def cpu_sampler(procs, stop, period=0.1):
    while not stop.is_set():
        now = time.time()
        for p in procs:
            try:
                p.cpu_samples.append((now, p.cpu()))
            except OSError:
                pass
        stop.wait(period)


def visibility_poller(proc, who, target, stop, out, poll_s, interval):
    """After each request of `who`, polls an instant query of bench_scrape_version until it
    returns the version served; records (request index, seconds from arrival to visible)."""
    conn = http.client.HTTPConnection("127.0.0.1", proc.port, timeout=10)
    seen = 0
    while not stop.is_set():
        with target.lock:
            target.lock.wait_for(lambda: len(target.log[who]) > seen or stop.is_set(), timeout=0.5)
            entries = list(target.log[who])
        if len(entries) <= seen:
            continue
        k = len(entries) - 1  # the newest request (older ones missed are skipped)
        arrival, version, _, _ = entries[k]
        seen = len(entries)
        deadline = arrival + interval
        while not stop.is_set() and time.time() < deadline:
            try:
                res = proc.query('bench_scrape_version{job="big"}', conn=conn)
            except (OSError, http.client.HTTPException, RuntimeError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", proc.port, timeout=10)
                res = []
            if res and float(res[0]["value"][1]) >= version:
                out.append((k, time.time() - arrival))
                break
            time.sleep(poll_s)


# --------------------------------------------------------------------------- one run
def raw_samples(proc, selector, range_s, t):
    """Raw samples of a selector over the last range_s seconds at time t: {labels json: [(ts, value)]}."""
    res = proc.query(f"{selector}[{int(range_s)}s]", t)
    return {json.dumps(sorted(r["metric"].items())): [(float(ts), float(v)) for ts, v in r["values"]] for r in res}


def one_run(args, run, plain, gz, expo_samples):
    work = tempfile.mkdtemp(prefix="pw-scrape-bench-")
    target = Target(plain, gz)
    stop = threading.Event()
    threads = []
    procs = []
    checks, failures = {}, []

    def check(name, ok, detail=""):
        checks[name] = bool(ok)
        if not ok:
            failures.append(f"{name}: {detail}")
            print(f"  check FAILED: {name}: {detail}", file=sys.stderr, flush=True)

    try:
        pw, prom = start_servers(args.binary, work, target.port, args.interval, args.timeout)
        procs = [pw, prom]
        t_start = time.time()
        pw.wait_ready()
        prom.wait_ready()
        threads.append(threading.Thread(target=cpu_sampler, args=(procs, stop), daemon=True))
        vis = {"perfwatch": [], "prometheus": []}
        if args.poll_ms > 0:
            for p in procs:
                threads.append(threading.Thread(target=visibility_poller, daemon=True,
                                                args=(p, p.name, target, stop, vis[p.name], args.poll_ms / 1000,
                                                      args.interval)))
        for th in threads:
            th.start()
        warm, n = args.warmup, args.scrapes
        need = warm + n
        deadline = time.time() + (need + 4) * args.interval + 30
        while min(target.count("perfwatch"), target.count("prometheus")) < need:
            if time.time() > deadline:
                raise RuntimeError(f"not enough scrapes: perfwatch {target.count('perfwatch')}, "
                                   f"prometheus {target.count('prometheus')} of {need}")
            for p in procs:
                if p.proc.poll() is not None:
                    raise RuntimeError(f"{p.name} exited with {p.proc.returncode}")
            time.sleep(0.2)
        # Let the last scrape of the later one finish (and the CPU window end mid-interval).
        last_arrival = max(target.entries(w)[need - 1][0] for w in ("perfwatch", "prometheus"))
        time.sleep(max(0.0, last_arrival + args.interval / 2 + 0.3 - time.time()))
        end = time.time()
        result = {"run": run, "samples": expo_samples, "scrapes": n, "interval_s": args.interval,
                  "gzip": gz is not None}
        for p in procs:
            r = {"rss_mb": round(p.status_mb("VmRSS"), 1), "peak_mb": round(p.status_mb("VmHWM"), 1),
                 "disk_mb": round(p.disk_mb("pw-data" if p.name == "perfwatch" else "prom-data"), 1)}
            log = target.entries(p.name)
            w0 = log[warm - 1][0] + args.interval / 2
            w1 = log[need - 1][0] + args.interval / 2
            r["cpu_s_per_scrape"] = round((p.cpu_at(w1) - p.cpu_at(w0)) / n, 4)
            r["target_send_s_median"] = round(statistics.median(e[2] for e in log[warm:need]), 4)
            r["served_gzip"] = all(e[3] for e in log[:need])
            v = [s for k, s in vis[p.name] if warm <= k < need]
            if v:
                r["visible_s_median"], r["visible_s_max"] = round(statistics.median(v), 4), round(max(v), 4)
                r["visible_n"] = len(v)
            result[p.name] = r
        stop.set()
        for th in threads:
            th.join(timeout=15)
        result["first_scrape_after_start_s"] = round(min(target.entries(w)[0][0] for w in vis) - t_start, 2)

        # Report series, read back through each server's query API.
        range_s = end - t_start + 60
        for p in procs:
            r = result[p.name]
            log = target.entries(p.name)
            dur = next(iter(raw_samples(p, 'scrape_duration_seconds{job="big"}', range_s, end).values()), [])
            got = next(iter(raw_samples(p, 'scrape_samples_scraped{job="big"}', range_s, end).values()), [])
            up = next(iter(raw_samples(p, 'up{job="big"}', range_s, end).values()), [])
            ver = next(iter(raw_samples(p, 'bench_scrape_version{job="big"}', range_s, end).values()), [])
            # The k-th stored scrape is the k-th request (all of them up): check it through the version gauge.
            check(f"{p.name}: every scrape up", up and all(x == 1 for _, x in up[:need]) and len(up) >= need,
                  f"up samples {[x for _, x in up][:need + 2]}")
            check(f"{p.name}: k-th scrape stored version k", [x for _, x in ver[:need]] == list(range(need)),
                  f"versions {[x for _, x in ver][:need + 2]}")
            d = [x for _, x in dur[warm:need]]
            r["scrape_duration_s_median"] = round(statistics.median(d), 4) if d else None
            r["scrape_duration_s_max"] = round(max(d), 4) if d else None
            r["scrape_duration_s_first"] = round(dur[0][1], 4) if dur else None
            r["samples_scraped"] = sorted({int(x) for _, x in got[:need]})
            check(f"{p.name}: scrape_samples_scraped = {expo_samples}", r["samples_scraped"] == [expo_samples],
                  f"{r['samples_scraped']}")
            r["_version_ts"] = {int(x): ts for ts, x in ver}

        # The data agree: series counts, per-name counts, and every value at the last common scrape.
        now = time.time()
        c = {p.name: p.query('count({job="big"})', now) for p in procs}
        counts = {k: int(float(v[0]["value"][1])) if v else 0 for k, v in c.items()}
        result["series"] = counts
        check("count({job=\"big\"}) equal", counts["perfwatch"] == counts["prometheus"] == expo_samples + 5,
              f"{counts} (expected {expo_samples + 5})")
        byname = {p.name: {x["metric"].get("__name__"): x["value"][1] for x in
                           p.query('count by (__name__) ({job="big"})', now)} for p in procs}
        check("count by (__name__) equal", byname["perfwatch"] == byname["prometheus"],
              f"{sorted(set(byname['perfwatch'].items()) ^ set(byname['prometheus'].items()))[:6]}")
        common = sorted(set(result["perfwatch"]["_version_ts"]) & set(result["prometheus"]["_version_ts"]))
        if common:
            v = common[-1]
            vals = {}
            for p in procs:
                ts = result[p.name]["_version_ts"][v]
                res = p.query('{job="big"}', ts)
                vals[p.name] = {json.dumps(sorted((k, x) for k, x in s["metric"].items() if k != "instance")):
                                s["value"][1] for s in res if s["metric"].get("__name__") not in REPORT}
            diff = [k for k in set(vals["perfwatch"]) | set(vals["prometheus"])
                    if vals["perfwatch"].get(k) != vals["prometheus"].get(k)]
            result["compared_values"] = len(vals["perfwatch"])
            result["compared_version"] = v
            check("every value equal at the last common scrape", not diff and len(vals["perfwatch"]) == expo_samples,
                  f"{len(diff)} differ of {len(vals['perfwatch'])}/{len(vals['prometheus'])}, e.g. "
                  f"{[(k, vals['perfwatch'].get(k), vals['prometheus'].get(k)) for k in diff[:3]]}")
        else:
            check("a common scrape exists", False, "no version stored by both")
        for p in procs:
            del result[p.name]["_version_ts"]
        result["checks_ok"] = not failures
        result["failures"] = failures
        return result
    finally:
        stop.set()
        for p in procs:
            p.stop()
        target.stop()
        if args.keep or failures or sys.exc_info()[0] is not None:
            print(f"run {run}: work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--scrapes", type=int, default=12, help="measured scrapes per run (after 1 warm-up)")
    ap.add_argument("--duration", type=float, default=None,
                    help="seconds of measured scraping instead of --scrapes (scrapes = duration / interval)")
    ap.add_argument("--interval", type=float, default=5.0, help="scrape_interval, seconds")
    ap.add_argument("--timeout", type=float, default=4.0, help="scrape_timeout, seconds")
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--warmup", type=int, default=1, help="scrapes before the measured ones (the first creates the series)")
    ap.add_argument("--no-gzip", action="store_true", help="serve plain text even when gzip is accepted")
    ap.add_argument("--poll-ms", type=float, default=25, help="visibility polling period; 0 turns it off")
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    args = ap.parse_args()
    if args.duration:
        args.scrapes = max(1, int(round(args.duration / args.interval)))
    if args.warmup < 1:
        ap.error("--warmup must be at least 1")
    for b in (args.binary, PROMETHEUS):
        if not os.path.exists(b):
            print(f"{b} is missing", file=sys.stderr)
            return 1
    binary_fmt = lambda s: s if len(s) < 80 else s[:77] + "..."  # noqa: E731

    t0 = time.time()
    expo = Exposition(args.samples)
    versions = args.warmup + args.scrapes + 3  # a scraper that gets ahead still sees new values
    plain = [expo.render(v) for v in range(versions)]
    gz = None if args.no_gzip else [gzip.compress(b, 6) for b in plain]
    print(f"target: {expo.samples} samples, {len(plain[0]) / 1e6:.1f} MB plain"
          + ("" if gz is None else f", {len(gz[0]) / 1e6:.2f} MB gzip") + f"; {versions} versions rendered in "
          f"{time.time() - t0:.1f} s; binary {binary_fmt(args.binary)}", file=sys.stderr, flush=True)

    results = []
    for run in range(1, args.runs + 1):
        r = one_run(args, run, plain, gz, expo.samples)
        r["target_plain_bytes"], r["target_gzip_bytes"] = len(plain[0]), len(gz[0]) if gz else None
        print(json.dumps(r), flush=True)
        results.append(r)

    keys = ["scrape_duration_s_median", "scrape_duration_s_max", "visible_s_median", "visible_s_max",
            "cpu_s_per_scrape", "rss_mb", "peak_mb", "disk_mb"]
    summary = {"runs": len(results), "samples": expo.samples, "scrapes_per_run": args.scrapes,
               "all_checks_ok": all(r["checks_ok"] for r in results)}
    print(f"\nmedians over {len(results)} run(s), {expo.samples} samples per scrape, {args.scrapes} scrapes per run:")
    print(f"{'':28s}{'perfwatch':>12s}{'prometheus':>12s}{'pw/prom':>9s}")
    for k in keys:
        a = [r["perfwatch"].get(k) for r in results if r["perfwatch"].get(k) is not None]
        b = [r["prometheus"].get(k) for r in results if r["prometheus"].get(k) is not None]
        if not a or not b:
            continue
        ma, mb = statistics.median(a), statistics.median(b)
        summary[k] = {"perfwatch": ma, "prometheus": mb, "ratio": round(ma / mb, 3) if mb else None}
        print(f"{k:28s}{ma:12.4g}{mb:12.4g}{(ma / mb if mb else float('nan')):9.2f}")
    failed = [f for r in results for f in r["failures"]]
    print("checks: " + ("all passed" if not failed else "FAILED: " + "; ".join(failed)))
    print(json.dumps({"summary": summary}))
    return 0 if summary["all_checks_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
