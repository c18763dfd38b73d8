#!/usr/bin/env python3
"""Interop: perfwatch forwards what it stores to the real Debian `victoria-metrics` with
`remote_write:` (docs/remote-write-out.md). perfwatch ingests a remote-write load and
scrapes a small target; VictoriaMetrics' /api/v1/export must then hold exactly the samples
perfwatch's own /api/v1/export holds (every series, every sample, none twice). Then
VictoriaMetrics is stopped, perfwatch keeps ingesting, flushes its head into blocks twice
(the WAL segments VictoriaMetrics has not got are held), is restarted during the outage and
ingests more; VictoriaMetrics comes back: again exactly the same samples, nothing missing
and nothing doubled.

  python3 tests/interop/victoriametrics_remote_write_test.py [--binary build/perfwatch]

Python standard library only (snappy from python3-snappy or libsnappy). Exits 0 on success;
prints what differs otherwise.
"""
import argparse, http.server, json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import (RemoteWriter, encode_timeseries, free_port, get, load_snappy, request,  # noqa: E402
                    stop_processes, wait_ready)

MATCH = '{__name__=~".+"}'


class Target(http.server.BaseHTTPRequestHandler):
    """A scrape target: counters that grow with every scrape."""
    scrapes = 0

    def do_GET(self):
        Target.scrapes += 1
        n = Target.scrapes
        body = ("# TYPE interop_requests_total counter\n"
                f'interop_requests_total{{path="/a"}} {n}\n'
                f'interop_requests_total{{path="/b"}} {2 * n}\n'
                "# TYPE interop_temperature gauge\n"
                f"interop_temperature {20 + n % 7}.5\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class VictoriaMetrics:
    def __init__(self, binary, work, port):
        self.binary, self.work, self.port, self.proc = binary, work, port, None
        self.base = f"http://127.0.0.1:{port}"

    def start(self):
        log = open(os.path.join(self.work, "vm.log"), "a")
        self.proc = subprocess.Popen([self.binary, f"-storageDataPath={self.work}/vm-data",
                                      f"-httpListenAddr=127.0.0.1:{self.port}", "-retentionPeriod=100y",
                                      "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=WARN"],
                                     stdout=subprocess.DEVNULL, stderr=log)
        wait_ready(f"{self.base}/health", self.proc, "victoria-metrics")

    def stop(self):
        if self.proc:
            stop_processes([self.proc])
            self.proc = None


class Perfwatch:
    def __init__(self, binary, work, target_port, vm_port):
        self.binary, self.work, self.proc, self.port = binary, work, None, 0
        self.config = os.path.join(work, "perfwatch.yml")
        with open(self.config, "w") as f:
            f.write(f"""tsdb:
  retention: 36500d
scrape:
  self_scrape: false
scrape_configs:
  - job_name: target
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:{target_port}"]
remote_write:
  - url: http://127.0.0.1:{vm_port}/api/v1/write
    name: vm
    queue_config:
      max_samples_per_send: 500
      batch_send_deadline: 200ms
      min_backoff: 50ms
      max_backoff: 400ms
""")

    def start(self):
        self.port = free_port()
        log = open(os.path.join(self.work, "perfwatch.log"), "a")
        self.proc = subprocess.Popen([self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir",
                                      os.path.join(self.work, "pw-data"), "--config", self.config,
                                      "--log-level", "info"], stdout=subprocess.DEVNULL, stderr=log)
        wait_ready(f"http://127.0.0.1:{self.port}/readyz", self.proc, "perfwatch")
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc:
            stop_processes([self.proc])
            self.proc = None

    def metric(self, name):
        """The value of `name{remote_name="vm",...}` in /metrics."""
        _, body = get(f"{self.base}/metrics")
        m = re.search(r'^' + re.escape(name) + r'\{remote_name="vm"[^}]*\} (\S+)$', body, re.M)
        return float(m.group(1)) if m else None


def remote_write_load(pw, batch, series=40, samples=50):
    """`series` series x `samples` samples, timestamps in the past (a minute apart per batch)."""
    compress = load_snappy()
    base_ms = int(time.time() * 1000) - 3_600_000 + batch * 60_000
    body = b"".join(
        encode_timeseries({"__name__": "interop_load", "batch": str(batch), "series": str(s)},
                          [(base_ms + i * 100, s * 1000.0 + i + batch / 8) for i in range(samples)])
        for s in range(series))
    w = RemoteWriter(pw.base)
    w.post(compress(body))
    w.close()
    return series * samples


def parse_export(body):
    """Export lines -> {labels tuple: sorted [(t, v)]} keeping duplicates (a doubled sample
    shows as a repeated timestamp)."""
    out = {}
    for line in body.splitlines():
        if not line.strip():
            continue
        row = json.loads(re.sub(r'(?<=[\[,])([+-]Inf)(?=[,\]])', r'"\1"', line))
        key = tuple(sorted(row["metric"].items()))
        vals = ["NaN" if v is None else v for v in row["values"]]
        out.setdefault(key, []).extend(zip(row["timestamps"], vals))
    return {k: sorted(v, key=lambda tv: (tv[0], str(tv[1]))) for k, v in out.items()}


def export(base, end_s):
    q = urllib.parse.urlencode({"match[]": MATCH, "start": "0", "end": f"{end_s:.3f}"})
    status, body = get(f"{base}/api/v1/export?{q}", timeout=60)
    return parse_export(body)


def wait_caught_up(pw, vm, cut_s, what):
    """Until perfwatch has sent samples stamped after `cut_s` (scrapes every second) with
    nothing pending; then VictoriaMetrics makes what it got searchable."""
    deadline = time.time() + 90
    while time.time() < deadline:
        sent_ts = pw.metric("prometheus_remote_storage_queue_highest_sent_timestamp_seconds") or 0
        pending = pw.metric("prometheus_remote_storage_samples_pending")
        if sent_ts >= cut_s + 2 and pending == 0:
            break
        time.sleep(0.2)
    else:
        raise RuntimeError(f"{what}: perfwatch did not catch up (see {pw.work}/perfwatch.log)")
    time.sleep(1)
    get(f"{vm.base}/internal/force_flush")
    time.sleep(1)


def compare(pw, vm, cut_s, what, problems):
    mine, theirs = export(pw.base, cut_s), export(vm.base, cut_s)
    n = 0
    for key, samples in mine.items():
        n += len(samples)
        got = theirs.get(key)
        if got is None:
            problems.append(f"{what}: victoria-metrics lacks series {dict(key)} ({len(samples)} samples)")
            continue
        if got != samples:
            have, want = set(got), set(samples)
            missing = sorted(want - have)[:3]
            extra = sorted(have - want)[:3]
            doubled = len(got) - len(have)
            problems.append(f"{what}: {dict(key)}: perfwatch {len(samples)} samples, victoria-metrics {len(got)}"
                            f" (missing {missing}, extra {extra}, doubled {doubled})")
    for key in theirs:
        if key not in mine:
            problems.append(f"{what}: victoria-metrics has a series perfwatch does not: {dict(key)}")
    return len(mine), n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--victoria-metrics", default="/usr/bin/victoria-metrics")
    args = ap.parse_args()
    if not os.path.exists(args.victoria_metrics):
        print(f"interop: {args.victoria_metrics} not installed (scripts/setup installs it)")
        return 1
    work = tempfile.mkdtemp(prefix="pw-vm-interop-")
    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    vm = VictoriaMetrics(args.victoria_metrics, work, free_port())
    pw = Perfwatch(args.binary, work, target.server_address[1], vm.port)
    passed = False
    problems = []
    try:
        vm.start()
        pw.start()
        sent = 0
        for batch in range(3):
            sent += remote_write_load(pw, batch)
        time.sleep(3)  # a few scrapes
        cut = time.time()
        wait_caught_up(pw, vm, cut, "phase 1")
        series1, samples1 = compare(pw, vm, cut, "phase 1", problems)
        if samples1 < sent + 2:
            problems.append(f"phase 1: only {samples1} samples compared (sent {sent} by remote write alone)")

        # Outage: VictoriaMetrics down; perfwatch keeps ingesting and is restarted meanwhile.
        vm.stop()
        for batch in range(3, 6):
            sent += remote_write_load(pw, batch)
        time.sleep(2)
        retried_before_restart = pw.metric("prometheus_remote_storage_samples_retried_total") or 0
        # A flush moves the head into blocks and would delete the WAL segments VictoriaMetrics
        # has not got yet: perfwatch holds them (tsdb.wal_hold_max_bytes).
        status, _, text = request(pw.base, "POST", "/api/v1/admin/flush")
        if not 200 <= status < 300:
            problems.append(f"flush during the outage: {status} {text[:200]}")
        pw.stop()
        pw.start()
        for batch in range(6, 9):
            sent += remote_write_load(pw, batch)
        time.sleep(2)
        status, _, text = request(pw.base, "POST", "/api/v1/admin/flush")
        if not 200 <= status < 300:
            problems.append(f"flush after the restart: {status} {text[:200]}")
        vm.start()
        time.sleep(2)
        cut = time.time()
        wait_caught_up(pw, vm, cut, "after the outage")
        series2, samples2 = compare(pw, vm, cut, "after the outage", problems)
        if retried_before_restart <= 0:
            problems.append("the outage caused no retries (prometheus_remote_storage_samples_retried_total is 0)")
        if samples2 < sent + 2:
            problems.append(f"after the outage: only {samples2} samples compared")
        failed = pw.metric("prometheus_remote_storage_samples_failed_total")
        if failed:
            problems.append(f"prometheus_remote_storage_samples_failed_total is {failed}")
        if problems:
            print("interop: FAILED")
            for p in problems[:30]:
                print("  " + p)
            print(f"  ({len(problems)} problems; logs in {work})")
            return 1
        print(f"interop: perfwatch -> victoria-metrics remote write: {series1} series / {samples1} samples identical; "
              f"after an outage with a perfwatch restart: {series2} series / {samples2} samples identical, none doubled")
        passed = True
        return 0
    finally:
        pw.stop()
        vm.stop()
        target.shutdown()
        if passed:
            shutil.rmtree(work, ignore_errors=True)  # kept for a look when the test failed


if __name__ == "__main__":
    sys.exit(main())
