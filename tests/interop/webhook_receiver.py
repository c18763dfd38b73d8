"""A local webhook receiver for the alerting interop test and the alert latency benchmark:
a threaded HTTP server on 127.0.0.1 that records every request (arrival time, path,
headers, body, parsed JSON) and answers 200 (or a configured status).

    rec = WebhookRecorder()            # port 0: a free port, or WebhookRecorder(port=P)
    rec.start()                        # may be stopped and started again on the same port
    url = rec.url("/hook")
    hit = rec.wait_for(lambda r: r.json and r.json["status"] == "firing", timeout=10)
    rec.stop()

Arrival time is taken when the request's headers have been parsed (before the body is
read), with time.monotonic() (for latencies measured in this process) and time.time().
HTTP/1.1 keep-alive is supported, as Alertmanager's Go client reuses connections; stop()
also closes connections that are still open, so a stopped receiver really receives nothing.

Also shared by both scripts (below the recorder): to_yaml() for configuration dicts,
start_alertmanager() (the real one, clustering off), start_perfwatch_alerting() and
write_samples() (one remote-write request through tests/conformance/common.py).

Python standard library only. Thread safety: every method may be called from any thread.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if os.path.join(_ROOT, "tests", "conformance") not in sys.path:
    sys.path.insert(0, os.path.join(_ROOT, "tests", "conformance"))
from common import Server, encode_timeseries, free_port, load_snappy, wait_ready  # noqa: E402


class Received:
    """One recorded request."""

    __slots__ = ("index", "mono", "wall", "method", "path", "headers", "body", "json", "client")

    def __init__(self, index, mono, wall, method, path, headers, body, client):
        self.index, self.mono, self.wall = index, mono, wall
        self.method, self.path, self.headers, self.body, self.client = method, path, headers, body, client
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"Received(#{self.index} {self.method} {self.path} {self.body[:200]!r})"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.server.recorder._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.recorder._track(self.connection, False)

    def _record(self):
        mono, wall = time.monotonic(), time.time()
        rec = self.server.recorder
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = self._read_chunked()
        else:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n > 0 else b""
        if rec._stopping:
            self.close_connection = True
            return
        rec._add(mono, wall, self.command, self.path, {k: v for k, v in self.headers.items()}, body,
                 self.client_address)
        status = rec.status
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _read_chunked(self):
        body = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return bytes(body)
            body += self.rfile.read(size)
            self.rfile.readline()

    do_POST = _record
    do_PUT = _record
    do_GET = _record

    def log_message(self, *args):  # quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class WebhookRecorder:
    def __init__(self, port=0, host="127.0.0.1", status=200, name="receiver"):
        self.host, self.port, self.status, self.name = host, port, status, name
        self.requests = []  # Received, in arrival order
        self._cond = threading.Condition()
        self._server = None
        self._thread = None
        self._conns = set()
        self._stopping = False

    # ----------------------------------------------------------------- lifecycle
    def start(self, bind_seconds=5.0):
        """Starts listening (on self.port; a free port when 0). Retries a busy port for a while."""
        deadline = time.monotonic() + bind_seconds
        while True:
            try:
                server = _Server((self.host, self.port), _Handler)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        server.recorder = self
        self._stopping = False
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.name}:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops listening and closes open connections; recorded requests are kept."""
        server = self._server
        if server is None:
            return
        self._stopping = True
        server.shutdown()
        server.server_close()
        with self._cond:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server = None
        self._thread.join(timeout=5)

    @property
    def running(self):
        return self._server is not None

    def url(self, path="/hook"):
        return f"http://{self.host}:{self.port}{path}"

    # ----------------------------------------------------------------- records
    def _track(self, conn, add):
        with self._cond:
            (self._conns.add if add else self._conns.discard)(conn)

    def _add(self, mono, wall, method, path, headers, body, client):
        with self._cond:
            self.requests.append(Received(len(self.requests), mono, wall, method, path, headers, body, client))
            self._cond.notify_all()

    def snapshot(self):
        with self._cond:
            return list(self.requests)

    def clear(self):
        with self._cond:
            self.requests = []

    def wait_for(self, predicate, timeout, start=0):
        """The first request (from index `start`) for which predicate(request) is true, waiting up
        to `timeout` seconds for it to arrive; None on timeout."""
        deadline = time.monotonic() + timeout
        i = start
        with self._cond:
            while True:
                while i < len(self.requests):
                    r = self.requests[i]
                    i += 1
                    try:
                        if predicate(r):
                            return r
                    except (KeyError, TypeError, IndexError, AttributeError):
                        pass
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def wait_count(self, predicate, count, timeout):
        """Waits until at least `count` requests satisfy predicate; returns them (maybe fewer)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = []
                for r in self.requests:
                    try:
                        if predicate(r):
                            hits.append(r)
                    except (KeyError, TypeError, IndexError, AttributeError):
                        pass
                left = deadline - time.monotonic()
                if len(hits) >= count or left <= 0:
                    return hits
                self._cond.wait(left)


# --------------------------------------------------------------------------- alerting stacks
# Shared by tests/interop/alerting_interop_test.py and bench/alert_latency_bench.py: YAML
# rendering of configuration dicts, starting the real Alertmanager and perfwatch with an
# alerting configuration, and remote-writing a few samples (through tests/conformance/common.py).
DEFAULT_ALERTMANAGER = "/usr/bin/prometheus-alertmanager"


def _yaml_scalar(v):
    if v is True or v is False:
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))  # a JSON string is a valid double-quoted YAML scalar


def to_yaml(obj, indent=0):
    """Block YAML for nested dicts / lists / scalars (strings always double-quoted)."""
    pad = " " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{k}:")
                out.append(to_yaml(v, indent + 2))
            elif isinstance(v, (dict, list)):
                out.append(f"{pad}{k}: {'{}' if isinstance(v, dict) else '[]'}")
            else:
                out.append(f"{pad}{k}: {_yaml_scalar(v)}")
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, list)) and v:
                inner = to_yaml(v, indent + 2)
                out.append(f"{pad}- " + inner[indent + 2:])
            else:
                out.append(f"{pad}- {_yaml_scalar(v) if not isinstance(v, (dict, list)) else json.dumps(v)}")
    else:
        out.append(pad + _yaml_scalar(obj))
    return "\n".join(out)


def start_alertmanager(binary, work, config, name="alertmanager", port=None):
    """The real Alertmanager on 127.0.0.1 with clustering off, its own storage dir and
    --web.external-url http://127.0.0.1:PORT. `config` is a dict (rendered) or YAML text."""
    port = port or free_port()
    path = os.path.join(work, f"{name}.yml")
    with open(path, "w") as f:
        f.write(config if isinstance(config, str) else to_yaml(config) + "\n")
    log = os.path.join(work, f"{name}.log")
    proc = subprocess.Popen([binary, f"--config.file={path}", f"--storage.path={work}/{name}-data",
                              f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                              f"--web.external-url=http://127.0.0.1:{port}", "--log.level=warn"],
                             stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    try:
        wait_ready(f"http://127.0.0.1:{port}/-/ready", proc, name)
    except RuntimeError as e:
        raise RuntimeError(f"{e}: {_tail(log)}")
    return Server(name, "alertmanager", port, proc, work, log)


def start_perfwatch_alerting(binary, work, config, port, name="perfwatch"):
    """`perfwatch serve` with an alerting configuration (dict or YAML text) on a port chosen
    beforehand (the config's external_url names it)."""
    path = os.path.join(work, f"{name}.yml")
    with open(path, "w") as f:
        f.write(config if isinstance(config, str) else to_yaml(config) + "\n")
    log = os.path.join(work, f"{name}.log")
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                              os.path.join(work, f"{name}-data"), "--config", path, "--log-level", "warn"],
                             stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc, name)
    except RuntimeError as e:
        proc.kill() if proc.poll() is None else None
        raise RuntimeError(f"{e}: {_tail(log)}")
    return Server(name, "perfwatch", port, proc, work, log)


def _tail(path, n=600):
    try:
        return open(path, errors="replace").read()[-n:].strip()
    except OSError:
        return ""


_compress = None


def write_samples(writer, series, ts_ms=None):
    """One remote-write request through a common.RemoteWriter: `series` is [(labels, value)],
    every sample stamped ts_ms (default: now)."""
    global _compress
    if _compress is None:
        _compress = load_snappy()
    ts = int(time.time() * 1000) if ts_ms is None else ts_ms
    writer.post(_compress(b"".join(encode_timeseries(labels, [(ts, v)]) for labels, v in series)))
    return ts
