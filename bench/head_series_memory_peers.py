#!/usr/bin/env python3
"""Bytes per head (active) series: perfwatch vs Prometheus vs VictoriaMetrics (issue 11 item 7).

  python3 bench/head_series_memory_peers.py [--perfwatch build/perfwatch] [--series 40000]
      [--samples 5] [--runs 3] [--settle 15] [--targets perfwatch,prometheus,victoria-metrics]

Each run starts each server fresh (empty data dir, loopback), waits --settle seconds and
reads VmRSS (empty), remote-writes the same series set (RUM-histogram-shaped: __name__, app,
connection, device, le, page; --samples samples per series, 10 s apart, ending now, one
sample per series per request entry as Prometheus sends them, 2000 entries per request),
waits --settle seconds and reads VmRSS again. Bytes per series = RSS delta / series. Runs are
interleaved (perfwatch, Prometheus, VictoriaMetrics, then again); medians are printed last.
perfwatch's default tsdb.max_series_per_second (20,000) answers part of the first requests
with 429 and Retry-After; they are retried, as Prometheus' remote write does.
Go servers' RSS includes garbage-collector headroom (GOGC=100 by default): that is what they
cost as deployed. Needs the Debian `prometheus` and `victoria-metrics` packages and
../shared/bench/gen_remote_write.py (its snappy and protobuf helpers).
"""
import argparse, http.client, json, os, shutil, signal, statistics, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "bench"))
from gen_remote_write import enc_labels, load_snappy, varint  # noqa: E402
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import free_port  # noqa: E402

METRICS = [("rum_lcp_seconds", 30), ("rum_inp_seconds", 30), ("rum_fcp_seconds", 33), ("rum_ttfb_seconds", 31),
           ("rum_cls", 33)]


def series_set(n):
    """n RUM-histogram-shaped label sets (page-major, like the aggregator's output)."""
    out = []
    page = 0
    while len(out) < n:
        for device in ("desktop", "mobile"):
            for conn in ("4g", "3g", "2g"):
                for name, buckets in METRICS:
                    base = [("app", "shop"), ("connection", conn), ("device", device),
                            ("page", f"/section{page % 20}/page-{page}")]
                    for b in range(buckets + 1):
                        le = "+Inf" if b == buckets else f"{0.1 * (b + 1):.4g}"
                        out.append([("__name__", name + "_bucket")] + base + [("le", le)])
                    out.append([("__name__", name + "_sum")] + base)
                    out.append([("__name__", name + "_count")] + base)
        page += 1
    return out[:n]


def requests(labels, samples, batch=2000):
    compress, _, _ = load_snappy()
    enc = [enc_labels(l) for l in labels]
    end_ms = int(time.time() * 1000) - 1000
    bodies = []
    for k in range(samples):
        t = end_ms - (samples - 1 - k) * 10_000
        for start in range(0, len(enc), batch):
            out = bytearray()
            for i in range(start, min(start + batch, len(enc))):
                sample = b"\x09" + struct.pack("<d", float((i % 13) * (k + 1))) + b"\x10" + varint(t)
                ts = enc[i] + b"\x12" + varint(len(sample)) + sample
                out += b"\x0a" + varint(len(ts)) + ts
            bodies.append(compress(bytes(out)))
    return bodies


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


TARGETS = {
    "perfwatch": (lambda a, port, data: [a.perfwatch, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data,
                                         "--log-level", "warn"], "/readyz",
                  "perfwatch_tsdb_head_series"),
    "prometheus": (lambda a, port, data: ["/usr/bin/prometheus",
                                          f"--config.file={os.path.join(ROOT, '..', 'shared', 'bench', 'prometheus.yml')}",
                                          f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}",
                                          "--web.enable-remote-write-receiver", "--log.level=warn"], "/-/ready",
                   "prometheus_tsdb_head_series"),
    "victoria-metrics": (lambda a, port, data: ["/usr/bin/victoria-metrics", f"-httpListenAddr=127.0.0.1:{port}",
                                                f"-storageDataPath={data}", "-retentionPeriod=1",
                                                "-loggerLevel=WARN"], "/health", None),
}


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path)
    r = c.getresponse()
    return r.status, r.read().decode(errors="replace")


def metric(body, name):
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def run_target(args, name, bodies, n):
    cmd_fn, ready, series_metric = TARGETS[name]
    d = tempfile.mkdtemp(prefix=f"pw-peer-{name}-")
    port = free_port()
    log = open(os.path.join(d, "log"), "w")
    proc = subprocess.Popen(cmd_fn(args, port, os.path.join(d, "data")), stdout=log, stderr=log)
    try:
        for _ in range(600):
            try:
                if get(port, ready)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{name} did not become ready")
        time.sleep(args.settle)
        empty = rss_mb(proc.pid)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for body in bodies:
            for _ in range(120):  # 429 (perfwatch's series-creation rate limit): retry as Prometheus does
                c.request("POST", "/api/v1/write", body=body, headers={
                    "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
                    "X-Prometheus-Remote-Write-Version": "0.1.0"})
                r = c.getresponse()
                r.read()
                if r.status != 429:
                    break
                time.sleep(float(r.getheader("Retry-After") or 1))
            if r.status // 100 != 2:
                raise RuntimeError(f"{name}: write answered {r.status}")
        time.sleep(args.settle)
        loaded = rss_mb(proc.pid)
        head_series = metric(get(port, "/metrics")[1], series_metric) if series_metric else None
        return dict(target=name, series=n, samples_per_series=args.samples, rss_empty_mb=round(empty, 1),
                    rss_loaded_mb=round(loaded, 1), bytes_per_series=round((loaded - empty) * 1048576 / n),
                    head_series=head_series)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--perfwatch", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--series", type=int, default=40000)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--settle", type=float, default=15)
    ap.add_argument("--targets", default="perfwatch,prometheus,victoria-metrics")
    args = ap.parse_args()
    labels = series_set(args.series)
    bodies = requests(labels, args.samples)
    results = {}
    for run in range(args.runs):
        for name in args.targets.split(","):
            r = run_target(args, name, bodies, len(labels))
            r["run"] = run + 1
            results.setdefault(name, []).append(r)
            print(json.dumps(r), flush=True)
    for name, rs in results.items():
        print(json.dumps(dict(target=name, median_bytes_per_series=statistics.median(r["bytes_per_series"] for r in rs),
                              median_rss_empty_mb=statistics.median(r["rss_empty_mb"] for r in rs),
                              median_rss_loaded_mb=statistics.median(r["rss_loaded_mb"] for r in rs))))


if __name__ == "__main__":
    sys.exit(main())
