#!/usr/bin/env python3
"""Fault behaviour of the real perfwatch binary (issue 11, item 6). Python stdlib only.

Scenarios (each prints one JSON line of figures and PASS/FAIL):
  disk_full     data dir on a size-limited tmpfs, filled while beacons and remote-write
                samples arrive: writes answer 503 + Retry-After, succeed again once a filler
                file is deleted (no restart), and after a kill -9 + restart every
                acknowledged beacon and sample is there. Skipped (with a message) when
                mounting tmpfs is not permitted.
  crash         beacons, remote write, a scrape target, queries and a firing alert rule with a
                webhook receiver at once; kill -9 at random moments N times: the server starts
                each time, logs "replay finished", and every acknowledged beacon and sample
                is there; notifications keep arriving.
  cardinality   N new series through remote write as fast as possible with the default
                limits: RSS stays under the bound, rejections are counted in /metrics, an
                existing series keeps ingesting and queries keep answering.
  overload      far more connections and requests than the server can serve (large ingest
                bodies trickled, beacons, queries): 503/429 with Retry-After, no crash,
                bounded RSS, full throughput within 5 s after the load stops (a 1 s window
                at >= 80% of the rate before, or of the settled rate 10 s after when the
                machine itself got slower, provided that is >= 50% of before).
  slow_clients  slowloris (headers trickled) and slow readers (a large response never read)
                on many connections: open connections never exceed http.max_connections,
                the timeouts close them, normal clients are still served.

  python3 tests/fault/fault_test.py --binary build/perfwatch            # short form (CI)
  python3 tests/fault/fault_test.py --binary build/perfwatch --full     # full form
  ... --only crash,overload   --keep (keep the work dir)   --json FILE (append results)
"""
import argparse
import asyncio
import glob
import http.client
import json
import os
import random
import resource
import shutil
import signal
import statistics
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from common import encode_timeseries, free_port, load_snappy  # noqa: E402
from webhook_receiver import WebhookRecorder  # noqa: E402

COMPRESS = load_snappy()
RW_HEADERS = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
              "X-Prometheus-Remote-Write-Version": "0.1.0"}


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


# --------------------------------------------------------------------------- the server
class Perfwatch:
    """One perfwatch process on a fixed port and data dir; restartable."""

    def __init__(self, binary, work, config, name="perfwatch", data_dir=None):
        self.binary, self.work, self.name = binary, work, name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir or os.path.join(work, name + "-data")
        self.config_path = os.path.join(work, name + ".yml")
        self.log_path = os.path.join(work, name + ".log")
        with open(self.config_path, "w") as f:
            json.dump(config, f)  # JSON is YAML
        self.proc = None
        self.starts = 0

    def start(self, seconds=120):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
             "--config", self.config_path, "--log-level", "info"],
            stdout=subprocess.DEVNULL, stderr=log)
        self.starts += 1
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            try:
                if self.get("/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise Failure(f"{self.name} not ready after {seconds} s: {self.tail()}")

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill9()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n=1500):
        try:
            return open(self.log_path, errors="replace").read()[-n:]
        except OSError:
            return ""

    def rss_mb(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()

    def get(self, path, timeout=30):
        s, b, _ = self.request("GET", path, timeout=timeout)
        return s, b

    def metric(self, name, labels=None):
        """Sum of the samples of `name` whose labels include `labels` (0 if none)."""
        _, body = self.get("/metrics")
        total = 0.0
        for line in body.decode().splitlines():
            if not line.startswith(name) or line.startswith("#"):
                continue
            head, _, value = line.rpartition(" ")
            if head.split("{")[0] != name:
                continue
            if labels and not all(f'{k}="{v}"' in head for k, v in labels.items()):
                continue
            total += float(value)
        return total

    def query(self, expr, timeout=30):
        s, b = self.get("/api/v1/query?" + urllib.parse.urlencode({"query": expr}), timeout=timeout)
        return s, (json.loads(b) if b.startswith(b"{") else None)

    def export_series(self, selector):
        """{labels-as-tuple: set(timestamps)} from /api/v1/export."""
        s, b = self.get("/api/v1/export?" + urllib.parse.urlencode({"match[]": selector}), timeout=120)
        check(s == 200, f"export {selector}: {s} {b[:200]!r}")
        out = {}
        for line in b.decode().splitlines():
            if line.strip():
                o = json.loads(line)
                key = tuple(sorted(o["metric"].items()))
                out.setdefault(key, set()).update(o["timestamps"])
        return out

    def event_ids(self, session):
        s, b = self.get("/api/v1/events/export", timeout=120)
        check(s == 200, f"events export: {s}")
        ids = set()
        for line in b.decode().splitlines():
            if session.encode() in line.encode():
                o = json.loads(line)
                if o.get("sessionId") == session:
                    ids.add(o.get("id"))
        return ids


def remote_write(pw, series, timeout=30):
    """series: [(labels dict, ts_ms, value)] in one request. Returns (status, headers)."""
    body = COMPRESS(b"".join(encode_timeseries(l, [(t, v)]) for l, t, v in series))
    try:
        s, _, h = pw.request("POST", "/api/v1/write", body, RW_HEADERS, timeout=timeout)
        return s, h
    except (OSError, http.client.HTTPException):
        return 0, {}


def beacons(pw, session, ids, timeout=30):
    body = json.dumps([{"name": "LCP", "value": 1000 + (hash(i) % 3000), "id": i, "sessionId": session,
                        "url": "https://shop.example/p/" + str(hash(i) % 7), "connection": "4g"} for i in ids])
    try:
        s, _, h = pw.request("POST", "/api/rum?app=fault", body, {"Content-Type": "text/plain"}, timeout=timeout)
        return s, h
    except (OSError, http.client.HTTPException):
        return 0, {}


class Writer(threading.Thread):
    """Sends remote-write samples (series fault_<tag>{s="0..9"}, one timestamp per request)
    and beacons (session <tag>, one id per beacon) in a loop; remembers what was
    acknowledged (2xx) and counts the statuses."""

    def __init__(self, pw, tag, pause=0.02, beacons_per_request=5):
        super().__init__(daemon=True)
        self.pw, self.tag, self.pause, self.bpr = pw, tag, pause, beacons_per_request
        self.acked_ts, self.acked_ids = [], []
        self.statuses = {}
        self.retry_after_missing = 0
        self.stop_flag = threading.Event()
        self.t0 = int(time.time() * 1000) - 60_000
        self.i = 0

    def note(self, kind, status, headers):
        self.statuses[(kind, status)] = self.statuses.get((kind, status), 0) + 1
        if status in (429, 503) and "retry-after" not in headers:
            self.retry_after_missing += 1

    def run(self):
        while not self.stop_flag.is_set():
            i = self.i
            self.i += 1
            ts = self.t0 + i
            s, h = remote_write(self.pw, [({"__name__": f"fault_{self.tag}", "s": str(k)}, ts, float(i))
                                          for k in range(10)], timeout=10)
            self.note("rw", s, h)
            if 200 <= s < 300:
                self.acked_ts.append(ts)
            ids = [f"{self.tag}-{i}-{k}" for k in range(self.bpr)]
            s, h = beacons(self.pw, self.tag, ids, timeout=10)
            self.note("rum", s, h)
            if 200 <= s < 300:
                self.acked_ids.extend(ids)
            time.sleep(self.pause)

    def halt(self):
        self.stop_flag.set()
        self.join()

    def count(self, kind, pred):
        return sum(n for (k, s), n in self.statuses.items() if k == kind and pred(s))

    def verify(self, pw):
        """Every acknowledged sample (all 10 series) and beacon is stored."""
        got = pw.export_series(f'{{__name__="fault_{self.tag}"}}')
        check(len(got) == 10 or not self.acked_ts, f"fault_{self.tag}: {len(got)} series, want 10")
        acked = set(self.acked_ts)
        for key, ts in got.items():
            missing = acked - ts
            check(not missing, f"{key}: {len(missing)} acknowledged samples missing, e.g. {sorted(missing)[:3]}")
        ids = pw.event_ids(self.tag)
        missing = set(self.acked_ids) - ids
        check(not missing, f"{len(missing)} of {len(self.acked_ids)} acknowledged beacons missing, e.g. "
                           f"{sorted(missing)[:3]}")
        return len(acked), len(self.acked_ids)


def base_config(**http):
    cfg = {"rum": {"rate_limit_per_ip": 0}, "scrape": {"self_scrape": False}}
    if http:
        cfg["http"] = http
    return cfg


# --------------------------------------------------------------------------- disk full
def scenario_disk_full(args, work):
    mnt = os.path.join(work, "tmpfs")
    os.makedirs(mnt, exist_ok=True)
    size_mb = 48 if args.full else 24
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return {"skipped": f"cannot mount tmpfs ({r.stderr.strip() or r.returncode}); run as root"}
    pw = None
    try:
        pw = Perfwatch(args.binary, work, base_config(), "diskfull", data_dir=os.path.join(mnt, "data"))
        pw.start()
        w = Writer(pw, "disk", pause=0.005, beacons_per_request=20)
        w.start()
        time.sleep(2)
        # Fill the file system (leaving nothing), while the writer keeps going.
        filler = os.path.join(mnt, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
        os.close(fd)
        full_since = time.time()
        full_seconds = 8 if args.full else 4
        time.sleep(full_seconds)
        errors_while_full = w.count("rw", lambda s: s == 503) + w.count("rum", lambda s: s == 503)
        ok_before_free = len(w.acked_ts)
        os.remove(filler)
        freed = time.time()
        recovered_after = None
        while time.time() - freed < 30:
            if len(w.acked_ts) > ok_before_free + 5 and w.acked_ids:
                recovered_after = time.time() - freed
                break
            time.sleep(0.05)
        time.sleep(1)
        w.halt()
        check(pw.alive(), "server died on a full disk: " + pw.tail())
        check(errors_while_full > 0, f"no 503 while the disk was full ({w.statuses})")
        check(w.retry_after_missing == 0, "a 503 without Retry-After")
        check(recovered_after is not None, f"writes did not succeed again after space returned ({w.statuses})")
        other = {k: n for k, n in w.statuses.items() if k[1] not in (200, 204, 503)}
        check(not other, f"unexpected statuses {other}")
        samples, events = w.verify(pw)  # in the running server
        pw.kill9()
        pw.start()
        samples2, events2 = w.verify(pw)  # after a crash and replay
        pw.stop()
        return {"tmpfs_mb": size_mb, "acked_samples_per_series": samples, "acked_beacons": events,
                "status_counts": {f"{k}:{s}": n for (k, s), n in sorted(w.statuses.items())},
                "full_seconds": full_seconds, "recovered_after_s": round(recovered_after, 2),
                "verified_after_restart": [samples2, events2], "since_full_s": round(freed - full_since, 1)}
    finally:
        if pw:
            pw.kill9()
        subprocess.run(["umount", "-l", mnt], capture_output=True)


# --------------------------------------------------------------------------- crash under mixed load
class Target:
    """A scrape target: /metrics with a counter that increases per scrape."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        target = self
        self.scrapes = 0

        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                target.scrapes += 1
                body = (f"# TYPE fault_target_scrapes_total counter\nfault_target_scrapes_total {target.scrapes}\n"
                        "fault_target_up 1\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()


def scenario_crash(args, work):
    rounds = 20 if args.full else 3
    target = Target()
    hook = WebhookRecorder()
    hook.start()
    rules = os.path.join(work, "crash-rules.yml")
    with open(rules, "w") as f:
        json.dump({"groups": [{"name": "fault", "interval": "1s", "rules": [
            {"alert": "FaultTargetUp", "expr": "fault_target_up == 1"},
            {"record": "fault:rw_sum", "expr": "sum(fault_crash)"}]}]}, f)
    cfg = base_config()
    cfg.update({
        "scrape_configs": [{"job_name": "fault", "scrape_interval": "1s",
                            "static_configs": [{"targets": [f"127.0.0.1:{target.port}"]}]}],
        "global": {"evaluation_interval": "1s"},
        "rule_files": [rules],
        "alerting": {"route": {"receiver": "hook", "group_by": ["alertname"], "group_wait": "0s",
                               "group_interval": "1s", "repeat_interval": "2s"},
                     "receivers": [{"name": "hook", "webhook_configs": [{"url": hook.url("/hook")}]}]}})
    pw = Perfwatch(args.binary, work, cfg, "crash")
    rng = random.Random(11)
    replay_lines = []
    stop_queries = threading.Event()
    query_status = {}

    def queries():
        while not stop_queries.is_set():
            try:
                s, _ = pw.query("sum(rate(fault_crash[1m])) + count(fault_target_up)", timeout=5)
            except (OSError, http.client.HTTPException):
                s = 0
            query_status[s] = query_status.get(s, 0) + 1
            time.sleep(0.05)

    try:
        w = None
        verified = []
        for r in range(rounds):
            pw.start()
            log = pw.tail(20000)
            check("replay finished" in log, "no 'replay finished' line in the log")
            replay_lines.append([l for l in log.splitlines() if "replay finished" in l][-1])
            if w is not None:
                verified.append(w.verify(pw))
            # Load: writer (+ acknowledged lists kept across rounds), queries, scraping, rules.
            if w is None:
                w = Writer(pw, "crash", pause=0.01)
            else:
                nw = Writer(pw, "crash", pause=0.01)
                nw.acked_ts, nw.acked_ids, nw.statuses, nw.i, nw.t0 = w.acked_ts, w.acked_ids, w.statuses, w.i, w.t0
                w = nw
            stop_queries.clear()
            qt = threading.Thread(target=queries, daemon=True)
            w.start()
            qt.start()
            time.sleep(rng.uniform(1.0, 4.0))
            pw.kill9()
            w.halt()
            stop_queries.set()
            qt.join()
        pw.start()
        log = pw.tail(20000)
        replay_lines.append([l for l in log.splitlines() if "replay finished" in l][-1])
        samples, events = w.verify(pw)
        s, q = pw.query("count_over_time(fault_target_scrapes_total[1h])")
        check(s == 200 and q["data"]["result"], f"scraped samples missing: {s} {q}")
        hook.wait_for(lambda r: r.json and r.json.get("status") == "firing", timeout=15)
        firing = [r for r in hook.snapshot() if r.json and r.json.get("status") == "firing"]
        check(firing, "no firing notification reached the webhook")
        notifications = len(firing)
        pw.stop()
        seconds = [float(l.split("seconds=")[1].split()[0]) for l in replay_lines]
        return {"kills": rounds, "acked_samples_per_series": samples, "acked_beacons": events,
                "scraped_samples": int(float(q["data"]["result"][0]["value"][1])),
                "webhook_notifications": notifications, "query_statuses": query_status,
                "replay_seconds_max": max(seconds), "replay_seconds": seconds}
    finally:
        pw.kill9()
        hook.stop()
        target.close()


# --------------------------------------------------------------------------- cardinality bomb
def scenario_cardinality(args, work):
    n = 1_000_000 if args.full else 100_000
    bound_mb = 1700 if args.full else 400
    pw = Perfwatch(args.binary, work, base_config(), "bomb")
    pw.start()
    stop = threading.Event()
    steady = {"ok": 0, "bad": 0, "q_ok": 0, "q_bad": 0}
    peak = [0.0]

    def steady_writer():
        i = 0
        t0 = int(time.time() * 1000)
        while not stop.is_set():
            s, _ = remote_write(pw, [({"__name__": "fault_steady", "k": str(k)}, t0 + i * 100, float(i))
                                     for k in range(5)], timeout=30)
            steady["ok" if s == 204 else "bad"] += 1
            st, q = pw.query("count(fault_steady)", timeout=30)
            steady["q_ok" if st == 200 else "q_bad"] += 1
            i += 1
            time.sleep(0.1)

    def sampler():
        while not stop.is_set():
            peak[0] = max(peak[0], pw.rss_mb())
            time.sleep(0.1)

    threads = [threading.Thread(target=steady_writer, daemon=True), threading.Thread(target=sampler, daemon=True)]
    for t in threads:
        t.start()
    try:
        rss_before = pw.rss_mb()
        statuses = {}
        lock = threading.Lock()
        per_req = 2000
        t_start = time.time()
        ts = int(time.time() * 1000)

        def bomber(part, parts):
            c = http.client.HTTPConnection("127.0.0.1", pw.port, timeout=60)
            for first in range(part * per_req, n, per_req * parts):
                body = COMPRESS(b"".join(
                    encode_timeseries({"__name__": "fault_bomb", "id": str(i), "job": "bomb",
                                       "instance": f"host-{i % 1000}"}, [(ts, 1.0)])
                    for i in range(first, min(first + per_req, n))))
                try:
                    c.request("POST", "/api/v1/write", body=body, headers=RW_HEADERS)
                    r = c.getresponse()
                    r.read()
                    s = r.status
                except (OSError, http.client.HTTPException):
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", pw.port, timeout=60)
                    s = 0
                with lock:
                    statuses[s] = statuses.get(s, 0) + 1
            c.close()

        bombers = [threading.Thread(target=bomber, args=(p, 4)) for p in range(4)]
        for b in bombers:
            b.start()
        for b in bombers:
            b.join()
        bomb_seconds = time.time() - t_start
        time.sleep(2)
        stop.set()
        for t in threads:
            t.join()
        check(pw.alive(), "server died: " + pw.tail())
        created = pw.metric("perfwatch_tsdb_head_series") if pw.metric("perfwatch_tsdb_head_series") else None
        rejected = pw.metric("perfwatch_tsdb_samples_rejected_total", {"reason": "series_rate_limit"}) + \
            pw.metric("perfwatch_tsdb_samples_rejected_total", {"reason": "series_limit"})
        s, q = pw.query("count(fault_bomb)", timeout=60)
        stored = int(float(q["data"]["result"][0]["value"][1])) if s == 200 and q["data"]["result"] else 0
        check(peak[0] < bound_mb, f"peak RSS {peak[0]:.0f} MB over the bound {bound_mb} MB")
        check(steady["bad"] == 0 and steady["ok"] > 0, f"existing series stopped ingesting: {steady}")
        check(steady["q_bad"] == 0 and steady["q_ok"] > 0, f"queries failed: {steady}")
        check(stored + rejected >= n * 0.99 or stored == n, f"stored {stored} + rejected {rejected} < {n}")
        check(stored < n and rejected > 0 or stored == n, "nothing rejected though not everything was stored")
        pw.stop()
        return {"new_series_sent": n, "bomb_seconds": round(bomb_seconds, 1), "series_stored": stored,
                "samples_rejected": int(rejected), "head_series": created, "statuses": statuses,
                "rss_before_mb": round(rss_before, 1), "rss_peak_mb": round(peak[0], 1), "rss_bound_mb": bound_mb,
                "steady": steady,
                "bytes_per_stored_series": int((peak[0] - rss_before) * 1048576 / max(stored, 1))}
    finally:
        stop.set()
        pw.kill9()


# --------------------------------------------------------------------------- overload
async def _http(port, method, path, body=b"", headers=None, trickle=None, timeout=30):
    """One request on a fresh connection; `trickle`: (pieces, seconds) to send the body
    slowly. Returns (status, retry-after or None); status 0 on connection failure."""
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    except (OSError, asyncio.TimeoutError):
        return 0, None
    try:
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        w.write((head + "\r\n").encode())
        if trickle and body:
            pieces, secs = trickle
            step = max(1, len(body) // pieces)
            for i in range(0, len(body), step):
                w.write(body[i:i + step])
                await w.drain()
                await asyncio.sleep(secs / pieces)
        else:
            w.write(body)
        await w.drain()
        line = await asyncio.wait_for(r.readline(), timeout)
        status = int(line.split()[1]) if line.startswith(b"HTTP/1.") else 0
        retry_after = None
        while True:
            h = await asyncio.wait_for(r.readline(), timeout)
            if h in (b"\r\n", b""):
                break
            if h.lower().startswith(b"retry-after:"):
                retry_after = h.split(b":", 1)[1].strip().decode()
        return status, retry_after
    except (OSError, asyncio.TimeoutError, ValueError, IndexError):
        return 0, None
    finally:
        w.close()


async def _throughput(port, seconds, conns=8):
    """Requests per second of GET /api/v1/query (a small instant query) over keep-alive."""
    done = 0
    deadline = time.time() + seconds
    path = "/api/v1/query?query=" + urllib.parse.quote("count(fault_steady)")

    async def one():
        nonlocal done
        r, w = await asyncio.open_connection("127.0.0.1", port)
        req = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        while time.time() < deadline:
            w.write(req)
            await w.drain()
            line = await r.readline()
            length = 0
            while True:
                h = await r.readline()
                if h == b"\r\n":
                    break
                if h.lower().startswith(b"content-length:"):
                    length = int(h.split(b":")[1])
            await r.readexactly(length)
            if b" 200 " in line:
                done += 1
        w.close()

    await asyncio.gather(*(one() for _ in range(conns)))
    return done / seconds


OVERLOAD_RSS_BOUND_MB = 600


def _recovery(port, load_end, base_rps, within=15):
    """1 s throughput windows after the load until one reaches 80% of `base_rps` (or
    `within` seconds pass): (seconds after the load when it did or None, the windows)."""
    windows = []
    while time.time() - load_end < within:
        rps = asyncio.run(_throughput(port, 1))
        windows.append((time.time() - load_end, round(rps)))
        if rps >= 0.8 * base_rps:
            return windows[-1][0], windows
    return None, windows


def _thread_cpu(pid):
    """CPU seconds per thread name of process `pid` (perfwatch names its threads: pw-http,
    pw-tsdb-sync, ...; docs/operations.md "Threads")."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(f"{task}/comm") as f:
                name = f.read().strip()
            with open(f"{task}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _machine_busy():
    """(busy, total, steal) jiffies of all CPUs since boot, from /proc/stat; steal is the
    time a virtual machine's CPUs waited for the host (busy includes it)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    # user nice system idle iowait irq softirq steal guest guest_nice; guest time is also
    # counted in user, so the sum leaves the guest fields out.
    total = sum(v[:8])
    return total - idle, total, v[7]


def _cpu_report(pid, before, machine_before, seconds):
    """Where the CPU went since `before` (_thread_cpu) and `machine_before` (_machine_busy):
    the server's threads (seconds of CPU, busiest first) and the whole machine's busy share."""
    after, (busy, total, steal) = _thread_cpu(pid), _machine_busy()
    threads = {n: round(after.get(n, 0.0) - before.get(n, 0.0), 2) for n in after}
    busiest = dict(sorted(((n, c) for n, c in threads.items() if c >= 0.05), key=lambda kv: -kv[1])[:8])
    return {"seconds": round(seconds, 1), "server_cpu_s": round(sum(threads.values()), 2),
            "by_thread": busiest,
            "machine_busy_share": round((busy - machine_before[0]) / max(1, total - machine_before[1]), 2),
            "machine_steal_share": round((steal - machine_before[2]) / max(1, total - machine_before[1]), 2)}


def scenario_overload(args, work):
    conns = 3000 if args.full else 400  # full: over 10x the 288 ingest + query admission slots
    seconds = 20 if args.full else 6
    _raise_nofile(conns * 3 + 1000)
    pw = Perfwatch(args.binary, work, base_config(max_connections=conns * 2), "overload")
    pw.start()
    try:
        ts = int(time.time() * 1000)
        remote_write(pw, [({"__name__": "fault_steady", "k": str(k)}, ts, 1.0) for k in range(5)])
        asyncio.run(_throughput(pw.port, 1))  # warm-up: the first second after start is slow
        base_rps = statistics.median(asyncio.run(_throughput(pw.port, 1)) for _ in range(3))
        rw_body = COMPRESS(b"".join(encode_timeseries({"__name__": "fault_over", "k": str(k % 500)},
                                                      [(ts + k, float(k))]) for k in range(20000)))
        rum_body = json.dumps([{"name": "LCP", "value": 1200, "id": f"o{k}", "sessionId": "over",
                                "url": "https://shop.example/"} for k in range(200)]).encode()
        statuses, missing_retry = {}, [0]
        peak = [0.0]
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                peak[0] = max(peak[0], pw.rss_mb())
                time.sleep(0.1)

        st = threading.Thread(target=sampler, daemon=True)
        st.start()

        async def client(i):
            end = time.time() + seconds
            while time.time() < end:
                kind = i % 4
                if kind == 0:  # a large ingest body trickled over 2 s: holds an ingest slot
                    s, ra = await _http(pw.port, "POST", "/api/v1/write", rw_body, RW_HEADERS, trickle=(8, 2.0))
                elif kind == 1:
                    s, ra = await _http(pw.port, "POST", "/api/rum", rum_body, {"Content-Type": "text/plain"})
                elif kind == 2:
                    s, ra = await _http(pw.port, "GET", "/api/v1/query_range?" + urllib.parse.urlencode(
                        {"query": "sum by (k) (rate(fault_over[1m]))", "start": ts / 1000 - 600,
                         "end": ts / 1000 + 60, "step": "1"}))
                else:
                    s, ra = await _http(pw.port, "GET", "/api/v1/query?query=count(fault_steady)")
                statuses[s] = statuses.get(s, 0) + 1
                if s in (429, 503) and ra is None:
                    missing_retry[0] += 1
                if s in (0, 429, 503):
                    await asyncio.sleep(0.2)

        async def load():
            await asyncio.gather(*(client(i) for i in range(conns)))

        t0 = time.time()
        asyncio.run(load())
        load_end = time.time()
        check(pw.alive(), "server died under overload: " + pw.tail())
        # Where the CPU goes while throughput is measured after the load (reported always, so
        # a slow recovery names its cause: a server thread still busy, this client, or the
        # machine).
        cpu_before, machine_before = _thread_cpu(pw.proc.pid), _machine_busy()
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        # Throughput after the load: measured in 1 s windows until it is back (>= 80% of before).
        recovered, timed = _recovery(pw.port, load_end, base_rps)
        windows = [rps for _, rps in timed]
        settled = None
        if recovered is None or recovered > 5:
            # The client's own rate varies by 2x on a shared 2-core machine (the Python client,
            # not the server, is the bottleneck). Tell "perfwatch still busy" from "the machine
            # is slower now": measure the settled rate 10 s after the load and accept a window
            # within 5 s that reached 80% of it, provided the settled rate is not a lasting
            # collapse (>= 50% of before).
            while time.time() - load_end < 10:
                time.sleep(0.2)
            settled = asyncio.run(_throughput(pw.port, 3))
            recovered = next((t for t, rps in timed
                              if rps >= 0.8 * settled and settled >= 0.5 * base_rps), None)
        cpu_after_load = _cpu_report(pw.proc.pid, cpu_before, machine_before, time.time() - load_end)
        client_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu_after_load["client_cpu_s"] = round(client_after.ru_utime + client_after.ru_stime
                                               - client_before.ru_utime - client_before.ru_stime, 2)
        stop.set()
        st.join()
        refused = statuses.get(503, 0) + statuses.get(429, 0)
        check(refused > 0, f"no 503/429 under overload: {statuses}")
        check(missing_retry[0] == 0, f"{missing_retry[0]} refusals without Retry-After")
        # docs/limits.md: admitted bodies <= 352 x 1 MiB, decompression <= 32 MiB per worker,
        # plus the process itself and per-connection buffers.
        check(peak[0] < OVERLOAD_RSS_BOUND_MB, f"RSS peak {peak[0]:.0f} MB over the {OVERLOAD_RSS_BOUND_MB} MB bound")
        check(recovered is not None and recovered <= 5,
              f"throughput not back within 5 s: {windows} vs {base_rps:.0f} before"
              + (f", {settled:.0f} settled 10 s after" if settled is not None else "")
              + f"; load phase {load_end - t0:.1f} s, statuses {statuses}; CPU after the load {cpu_after_load}")
        admission = {c: int(pw.metric("perfwatch_http_admission_rejected_total", {"class": c}))
                     for c in ("ingest", "query", "other")}
        pw.stop()
        return {"clients": conns, "seconds": round(load_end - t0, 1), "statuses": statuses,
                "admission_rejected": admission, "rss_peak_mb": round(peak[0], 1),
                "rps_before": round(base_rps), "rps_windows_after": windows,
                "recovered_after_s": round(recovered, 2),
                "rps_settled": None if settled is None else round(settled),
                "cpu_after_load": cpu_after_load}
    finally:
        pw.kill9()


# --------------------------------------------------------------------------- slow clients
def _raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(max(soft, n), hard) if hard != resource.RLIM_INFINITY else max(soft, n)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (ValueError, OSError):
        pass


def scenario_slow_clients(args, work):
    # Phase A: more slow connections than any normal load, fewer than the cap: normal clients
    # are served. Phase B: more than the cap: never more than the cap open, the rest refused
    # at accept, and everything is served again once the attack stops (timeouts free slots).
    attackers = 2000 if args.full else 200
    cap = 2500 if args.full else 300
    attackers_b = cap + (500 if args.full else 100)
    header_timeout, write_timeout = 3, 3
    _raise_nofile(attackers_b * 2 + 1000)
    pw = Perfwatch(args.binary, work, base_config(max_connections=cap, header_timeout=f"{header_timeout}s",
                                                  write_timeout=f"{write_timeout}s", idle_timeout="5s"), "slow")
    pw.start()
    try:
        # Something large to read: ~2000 beacons -> a multi-MB events export.
        for b in range(10):
            beacons(pw, "slow", [f"s{b}-{k}" for k in range(200)])
        big_path = "/api/v1/events/export"
        max_open = [0]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                try:
                    max_open[0] = max(max_open[0], int(pw.metric("perfwatch_http_connections")))
                except (OSError, http.client.HTTPException, ValueError):
                    pass
                time.sleep(0.2)

        normal = {"ok": 0, "fail": 0}

        def normal_client():
            while not stop.is_set():
                ok = False
                for _ in range(5):  # a client retries a refused connection, as browsers do
                    try:
                        if pw.get("/healthz", timeout=5)[0] == 200:
                            ok = True
                            break
                    except (OSError, http.client.HTTPException):
                        pass
                    time.sleep(0.1)
                normal["ok" if ok else "fail"] += 1
                time.sleep(0.1)

        lifetimes = {"slowloris": [], "slow_reader": []}

        async def slowloris(i, end):
            while time.time() < end:
                try:
                    r, w = await asyncio.open_connection("127.0.0.1", pw.port)
                except OSError:
                    await asyncio.sleep(1)
                    continue
                opened = time.time()
                try:
                    w.write(b"GET /healthz HTTP/1.1\r\n")
                    await w.drain()
                    while time.time() < end:
                        w.write(b"X-a: b\r\n")
                        await w.drain()
                        try:
                            if await asyncio.wait_for(r.read(1 << 16), 1.0) == b"":
                                break  # closed by the server
                        except asyncio.TimeoutError:
                            pass
                except OSError:
                    pass
                lifetimes["slowloris"].append(time.time() - opened)
                w.close()
                await asyncio.sleep(0.5)

        async def slow_reader(i, end):
            loop = asyncio.get_running_loop()
            while time.time() < end:
                sock = socket.socket()
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.setblocking(False)
                try:
                    await loop.sock_connect(sock, ("127.0.0.1", pw.port))
                    sock.send(f"GET {big_path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                except OSError:
                    sock.close()
                    await asyncio.sleep(1)
                    continue
                opened = time.time()
                # Never read; a send fails once the server has closed the connection.
                while time.time() < end:
                    await asyncio.sleep(1)
                    try:
                        sock.send(b"\r\n")
                    except BlockingIOError:
                        pass
                    except OSError:
                        break
                lifetimes["slow_reader"].append(time.time() - opened)
                sock.close()
                await asyncio.sleep(0.5)

        seconds = 25 if args.full else 10
        threads = [threading.Thread(target=watch, daemon=True), threading.Thread(target=normal_client, daemon=True)]
        for t in threads:
            t.start()

        async def attack(n, secs):
            end = time.time() + secs
            await asyncio.gather(*(slowloris(i, end) if i % 2 == 0 else slow_reader(i, end)
                                   for i in range(n)))

        asyncio.run(attack(attackers, seconds))
        during = dict(normal)
        asyncio.run(attack(attackers_b, 6))
        time.sleep(max(header_timeout, write_timeout) + 1)
        after_ok = sum(1 for _ in range(20) if pw.get("/healthz", timeout=5)[0] == 200)
        stop.set()
        for t in threads:
            t.join()
        check(pw.alive(), "server died: " + pw.tail())
        rejected = pw.metric("perfwatch_http_connections_rejected_total")
        check(max_open[0] <= cap, f"{max_open[0]} connections open, cap {cap}")
        check(after_ok == 20, f"after the attack only {after_ok}/20 requests served")
        check(during["ok"] > 0 and during["ok"] >= 0.8 * (during["ok"] + during["fail"]),
              f"normal clients starved during the attack: {during}")
        closed_sl = [t for t in lifetimes["slowloris"] if t < seconds - 1]
        check(rejected > 0, "phase B: no connection refused over the cap")
        check(closed_sl and max(closed_sl) <= header_timeout + 3,
              f"slowloris connections lived up to {max(closed_sl or [0]):.1f} s (header_timeout {header_timeout} s)")
        pw.stop()
        sl = sorted(lifetimes["slowloris"])
        sr = sorted(lifetimes["slow_reader"])
        return {"attack_connections": attackers, "attack_connections_over_cap": attackers_b, "max_connections": cap, "max_open_seen": max_open[0],
                "connections_rejected": int(rejected), "normal_during": during, "normal_after": f"{after_ok}/20",
                "slowloris_lifetime_median_s": round(sl[len(sl) // 2], 1) if sl else None,
                "slow_reader_lifetime_median_s": round(sr[len(sr) // 2], 1) if sr else None}
    finally:
        pw.kill9()


SCENARIOS = {"disk_full": scenario_disk_full, "crash": scenario_crash, "cardinality": scenario_cardinality,
             "overload": scenario_overload, "slow_clients": scenario_slow_clients}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--full", action="store_true", help="the full form (slow); default: the short CI form")
    ap.add_argument("--only", default="", help="comma-separated scenarios: " + ",".join(SCENARIOS))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--json", default="", help="append one JSON line per scenario to this file")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    names = [n for n in args.only.split(",") if n] or list(SCENARIOS)
    failed = 0
    for name in names:
        work = tempfile.mkdtemp(prefix=f"pw-fault-{name}-")
        t0 = time.time()
        try:
            result = SCENARIOS[name](args, work)
            verdict = "SKIP" if "skipped" in result else "PASS"
        except Failure as e:
            result, verdict = {"error": str(e)}, "FAIL"
            failed += 1
        result = {"scenario": name, "form": "full" if args.full else "short", "verdict": verdict,
                  "seconds": round(time.time() - t0, 1), **result}
        line = json.dumps(result)
        print(f"{verdict} {name}: {line}", flush=True)
        if args.json:
            with open(args.json, "a") as f:
                f.write(line + "\n")
        if args.keep or verdict == "FAIL":
            print(f"  work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
