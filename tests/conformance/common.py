"""Shared helpers for the conformance suites (and tests/interop): free ports, HTTP GET/POST
returning (status, parsed JSON), starting and stopping `prometheus` and `perfwatch` on a
fresh data directory, Prometheus remote write (hand-encoded protobuf + snappy), and loading
one deterministic data set into several servers.

Python standard library only; remote write needs snappy (python3-snappy, or libsnappy
through ctypes, as ../shared/bench/gen_remote_write.py does).
"""
import importlib.util
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import http.client
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_PERFWATCH = os.path.join(ROOT, "build", "perfwatch")
DEFAULT_PROMETHEUS = "/usr/bin/prometheus"
GEN_REMOTE_WRITE = os.environ.get("GEN_REMOTE_WRITE",
                                  os.path.join(os.path.dirname(ROOT), "shared", "bench", "gen_remote_write.py"))

# Fixed data window: the last sample step is 2026-01-01T00:15:00Z, so the data crosses a
# day, month and year boundary (date functions) and the suite is reproducible run to run.
DEFAULT_END = 1767226500


# --------------------------------------------------------------------------- HTTP
def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url, timeout=10):
    """GET url; returns (status, body text). Raises OSError on connection problems."""
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def request(base, method, path, params=None, form=None, timeout=30, headers=None, raw_query=None):
    """One HTTP request. `params` go into the URL (urlencoded, list values repeat the key),
    `form` into an application/x-www-form-urlencoded body. Returns (status, json or None,
    body text). Never raises on HTTP error statuses."""
    url = base + path
    q = raw_query if raw_query is not None else (urllib.parse.urlencode(params, doseq=True) if params else "")
    if q:
        url += "?" + q
    data = None
    hdrs = dict(headers or {})
    if form is not None:
        data = form.encode() if isinstance(form, str) else urllib.parse.urlencode(form, doseq=True).encode()
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, body = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as e:
        return 0, None, f"connection error: {e}"
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    return status, parsed, body


def wait_ready(url, proc, what, seconds=30):
    for _ in range(int(seconds / 0.05)):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            if get(url, 2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not become ready")


# --------------------------------------------------------------------------- servers
class Server:
    """A started server: name, base URL, process, data dir, log file."""

    def __init__(self, name, kind, port, proc, work, log):
        self.name, self.kind, self.port, self.proc, self.work, self.log = name, kind, port, proc, work, log
        self.base = f"http://127.0.0.1:{port}"

    def stop(self):
        stop_processes([self.proc])

    def __repr__(self):
        return f"{self.name}({self.kind} {self.base}, pid {self.proc.pid}, log {self.log})"


def stop_processes(procs):
    """SIGTERM each still-running process we started, then wait (kill after 20 s)."""
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_prometheus(binary, work, name="prometheus", extra_config="", extra_args=()):
    """Prometheus with no scrape jobs (so no `up` or self-scrape series), the remote-write
    receiver on, a long retention (the fixed data window is in the past) and 5m lookback."""
    os.makedirs(work, exist_ok=True)
    port = free_port()
    config = os.path.join(work, f"{name}.yml")
    with open(config, "w") as f:
        # Default global settings: evaluation_interval (1m) is also the default subquery step.
        f.write("scrape_configs: []\n" + extra_config)
    log = os.path.join(work, f"{name}.log")
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={work}/{name}-data",
                             f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
                             "--storage.tsdb.retention.time=100y", "--query.lookback-delta=5m",
                             "--log.level=warn", *extra_args],
                            stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    wait_ready(f"http://127.0.0.1:{port}/-/ready", proc, name)
    return Server(name, "prometheus", port, proc, work, log)


def start_perfwatch(binary, work, name="perfwatch", extra_config=""):
    """perfwatch serve on a free port with a fresh data dir and a retention long enough
    for the fixed (past) data window; `extra_config` is appended to its YAML."""
    os.makedirs(work, exist_ok=True)
    port = free_port()
    config = os.path.join(work, f"{name}.yml")
    with open(config, "w") as f:
        f.write("tsdb:\n  retention: 36500d\n" + extra_config)
    log = os.path.join(work, f"{name}.log")
    cmd = [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", os.path.join(work, f"{name}-data"),
           "--config", config, "--log-level", "warn"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc, name)
    except RuntimeError:
        if proc.poll() is None:
            raise
        # An older binary or a config it refuses: retry without the config file.
        log_text = open(log).read().strip()
        proc = subprocess.Popen(cmd[:-4] + ["--log-level", "warn"], stdout=subprocess.DEVNULL,
                                stderr=open(log, "a"))
        try:
            wait_ready(f"http://127.0.0.1:{port}/readyz", proc, name)
        except RuntimeError as e:
            raise RuntimeError(f"{e}; first attempt said: {log_text[-300:]}")
    return Server(name, "perfwatch", port, proc, work, log)


def start_target(kind, binary, work, name):
    if kind == "prometheus":
        return start_prometheus(binary, work, name)
    return start_perfwatch(binary, work, name)


# --------------------------------------------------------------------------- remote write encoding
def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


STALE_NAN_BITS = 0x7FF0000000000002  # Prometheus' staleness marker


def f64_bytes(v):
    """Little-endian double; the string "stale" means Prometheus' StaleNaN bit pattern."""
    if isinstance(v, str) and v == "stale":
        return struct.pack("<Q", STALE_NAN_BITS)
    return struct.pack("<d", v)


def encode_timeseries(labels, samples):
    """labels: dict; samples: [(ts_ms, value or "stale")] -> one TimeSeries message (field 1 of WriteRequest)."""
    body = bytearray()
    for name, value in sorted(labels.items()):
        nb, vb = name.encode(), value.encode()
        lab = b"\x0a" + varint(len(nb)) + nb + b"\x12" + varint(len(vb)) + vb
        body += b"\x0a" + varint(len(lab)) + lab
    for ts, v in samples:
        s = b"\x09" + f64_bytes(v) + b"\x10" + varint(ts)
        body += b"\x12" + varint(len(s)) + s
    return b"\x0a" + varint(len(body)) + bytes(body)


def load_snappy():
    try:
        import snappy  # python3-snappy
        return snappy.compress
    except ImportError:
        pass
    import ctypes
    import ctypes.util
    lib = ctypes.CDLL(ctypes.util.find_library("snappy") or "libsnappy.so.1")
    lib.snappy_max_compressed_length.restype = ctypes.c_size_t
    lib.snappy_max_compressed_length.argtypes = [ctypes.c_size_t]
    lib.snappy_compress.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                    ctypes.POINTER(ctypes.c_size_t)]

    def compress(data):
        n = ctypes.c_size_t(lib.snappy_max_compressed_length(len(data)))
        buf = ctypes.create_string_buffer(n.value)
        if lib.snappy_compress(data, len(data), buf, ctypes.byref(n)) != 0:
            raise RuntimeError("snappy_compress failed")
        return buf.raw[:n.value]

    return compress


class RemoteWriter:
    """A keep-alive connection that POSTs snappy-compressed WriteRequests."""

    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def post(self, compressed_body):
        hdrs = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
                "X-Prometheus-Remote-Write-Version": "0.1.0", "User-Agent": "perfwatch-conformance"}
        for attempt in range(3):
            try:
                self.conn.request("POST", "/api/v1/write", body=compressed_body, headers=hdrs)
                r = self.conn.getresponse()
                body = r.read()
                if r.status // 100 == 2:
                    return
                if r.status in (429, 503) or r.status >= 500:
                    time.sleep(0.2)
                    continue
                raise RuntimeError(f"remote write to {self.host}:{self.port} -> {r.status}: {body[:300]!r}")
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        raise RuntimeError(f"remote write to {self.host}:{self.port} kept failing")

    def close(self):
        self.conn.close()


# --------------------------------------------------------------------------- the data set
class DataSet:
    """Remote-write payloads (already snappy-compressed, in send order) plus what the
    servers must hold afterwards."""

    def __init__(self):
        self.frames = []          # compressed WriteRequest bodies, sent in order
        self.series = 0
        self.samples = 0          # counted as count_over_time counts them (no stale markers)
        self.start_ms = None
        self.end_ms = None
        self.notes = []
        self.metric_names = set()
        self.mid_frame = 0        # frames before this one cover the first half of the bench data


def _load_gen_module():
    if not os.path.exists(GEN_REMOTE_WRITE):
        return None
    spec = importlib.util.spec_from_file_location("gen_remote_write", GEN_REMOTE_WRITE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_dataset(end_s=DEFAULT_END, gen_series=1084, gen_samples=200, gen_interval=10, seed=42, work=None):
    """The bench generator's realistic web workload (two web instances: request counters,
    latency histograms, process metrics, RUM vitals) plus extra_series.py's edge cases
    (counter resets, NaN/Inf, staleness markers, gaps, broken histograms, join targets)."""
    import extra_series
    compress = load_snappy()
    ds = DataSet()
    end_ms = int(end_s * 1000)
    gen = _load_gen_module()
    if gen is not None:
        out = os.path.join(work or tempfile.mkdtemp(prefix="pw-conf-gen-"), "gen")
        cmd = [sys.executable, GEN_REMOTE_WRITE, "--out", out, "--series", str(gen_series), "--samples",
               str(gen_samples), "--interval", str(gen_interval), "--batch", "2000", "--shards", "1",
               "--seed", str(seed), "--end-ms", str(end_ms)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
        with open(os.path.join(out, "shard-000.bin"), "rb") as f:
            data = f.read()
        pos = 0
        while pos < len(data):
            ln, _n = struct.unpack_from("<II", data, pos)
            ds.frames.append(data[pos + 8:pos + 8 + ln])
            pos += 8 + ln
        ds.mid_frame = len(ds.frames) // 2
        ds.series += manifest["series"]
        ds.metric_names.update(manifest["series_per_metric"])
        ds.samples += manifest["samples"]
        ds.start_ms = manifest["t_start_ms"]
        ds.notes.append(f"gen_remote_write.py: {manifest['series']} series x {gen_samples} samples, "
                        f"interval {gen_interval}s, seed {seed}")
    else:
        ds.notes.append(f"{GEN_REMOTE_WRITE} not found: edge-case series only")
    extra = extra_series.generate(end_ms)
    n_series, n_samples = 0, 0
    batch = []
    for labels, samples in extra:
        n_series += 1
        ds.metric_names.add(labels["__name__"])
        n_samples += sum(1 for _, v in samples if not (isinstance(v, str) and v == "stale"))
        batch.append(encode_timeseries(labels, samples))
        if len(batch) >= 20:
            ds.frames.append(compress(b"".join(batch)))
            batch = []
    if batch:
        ds.frames.append(compress(b"".join(batch)))
    ds.series += n_series
    ds.samples += n_samples
    first = min(ts for _, s in extra for ts, _ in s)
    ds.start_ms = min(ds.start_ms, first) if ds.start_ms is not None else first
    ds.end_ms = end_ms
    ds.notes.append(f"extra_series.py: {n_series} series, {n_samples} samples")
    return ds


def push_dataset(servers, ds, first=0, last=None, rejected=None):
    """Sends frames [first, last) to every server (one thread per server, frames in order).
    Returns {server name: [rejections]}; a request the server refuses (4xx) is recorded and
    the rest still sent, so one unsupported sample does not hide every other answer."""
    rejected = rejected if rejected is not None else {s.name: [] for s in servers}
    frames = ds.frames[first:last]

    def run(server):
        try:
            w = RemoteWriter(server.base)
            for i, fr in enumerate(frames, first):
                try:
                    w.post(fr)
                except RuntimeError as e:
                    rejected[server.name].append(f"request {i}: {e}")
            w.close()
        except Exception as e:  # connection-level failure: reported below
            rejected[server.name].append(f"aborted: {e}")

    threads = [threading.Thread(target=run, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return rejected


def flush_perfwatch(server):
    """POST /api/v1/admin/flush: perfwatch persists its head into blocks."""
    st, _, body = request(server.base, "POST", "/api/v1/admin/flush", timeout=120)
    if st // 100 != 2:
        raise RuntimeError(f"flush of {server.name} failed: HTTP {st} {body[:200]}")


def load(servers, ds, flush="none"):
    """Pushes the data set into every server. For perfwatch servers, flush="mid" persists
    the first half of the bench data into blocks before the rest arrives (queries then
    read blocks and head together), "all" flushes after everything. Returns rejections."""
    pws = [s for s in servers if s.kind == "perfwatch"]
    if flush == "mid" and pws:
        rejected = push_dataset(servers, ds, 0, ds.mid_frame)
        for s in pws:
            flush_perfwatch(s)
        push_dataset(servers, ds, ds.mid_frame, None, rejected)
    else:
        rejected = push_dataset(servers, ds)
        if flush == "all":
            for s in pws:
                flush_perfwatch(s)
    return rejected


def count_samples(server, ds):
    """(series, samples) the server holds for the data window: series by /api/v1/series,
    samples by PromQL (None when the server has no query API yet), one term per metric name:
    once count_over_time drops names, series of different metrics collide (x_sum, x_count)."""
    t = (ds.end_ms + 60_000) / 1000
    start = ds.start_ms / 1000 - 60
    st, js, _ = request(server.base, "GET", "/api/v1/series",
                        {"match[]": '{__name__=~".+"}', "start": f"{start:.3f}", "end": f"{t:.3f}"})
    series = len(js["data"]) if st == 200 and js and js.get("status") == "success" else 0
    rng = int(t - start) + 60
    q = " + ".join(f"sum(count_over_time({name}[{rng}s]))" for name in sorted(ds.metric_names))
    st, js, _ = request(server.base, "GET", "/api/v1/query", {"query": q, "time": f"{t:.3f}"})
    if st == 200 and js and js.get("status") == "success":
        r = js["data"]["result"]
        return series, int(float(r[0]["value"][1])) if r else 0
    return series, None


def wait_for_data(servers, ds, seconds=20, strict=None):
    """Waits until every server reports all series and samples of the data set; returns
    {name: (series, samples)}. Raises if a server in `strict` (default: all) is still
    short at the deadline; the others are returned as they are (the comparisons then
    show what is missing)."""
    strict = {s.name for s in servers} if strict is None else set(strict)
    deadline = time.time() + seconds
    status = {}
    while True:
        short = []
        for s in servers:
            series, samples = count_samples(s, ds)
            status[s.name] = (series, samples)
            if series < ds.series or (samples is not None and samples < ds.samples):
                short.append(s.name)
        if not short:
            return status
        if time.time() > deadline:
            if strict & set(short):
                raise RuntimeError(f"servers did not show all data (want {ds.series} series, {ds.samples} samples): "
                                   f"{status}")
            return status
        time.sleep(0.3)
