#!/usr/bin/env python3
"""HTTP vs HTTPS throughput of GET /healthz on the real server (wrk), plus memory per idle
TLS connection.

  python3 bench/tls_bench.py [--binary build/perfwatch] [--baseline BINARY] [--runs 3]
                             [--duration 8] [--connections 32] [--idle 500] [--skip-tls]

Servers, all started at once and measured interleaved (run 1 of each, then run 2, ...):
  base   --baseline (a build without the change under test), plain HTTP   (if given)
  plain  --binary, plain HTTP
  tls    --binary with http.tls (EC P-256 certificate made here with `openssl`)
Each run: wrk -t1 -cN -dDs [--latency] URL/healthz (keep-alive); for tls also a run with
`Connection: close`, i.e. one full TLS handshake per request. Reports the median req/s.
--idle N: RSS growth of the plain and tls servers holding N idle keep-alive connections
(after one request each), in KiB per connection.
"""
import argparse, os, re, shutil, socket, ssl, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rum_server_bench import Server as BaseServer  # noqa: E402


def make_cert(d):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-keyout", os.path.join(d, "server.key"),
                    "-out", os.path.join(d, "server.crt"), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)


class Server(BaseServer):
    def __init__(self, binary, tls_dir=None):
        self.tls = tls_dir is not None
        # No self-scrape: it would add work to one server only.
        config = "scrape: {self_scrape: false}\n"
        if self.tls:
            config += (f"http:\n  tls:\n    cert_file: {tls_dir}/server.crt\n"
                       f"    key_file: {tls_dir}/server.key\n")
        super().__init__(binary, config, prefix="pw-tls-bench-")

    def ready(self):
        return self.get("/readyz")

    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        return s

    def get(self, path, sock=None):
        s = sock or self.connect()
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = s.recv(65536)
        if sock is None:
            s.close()
        return data.startswith(b"HTTP/1.1 200")


def wrk(url, seconds, connections, close=False):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    if close:
        cmd += ["-H", "Connection: close"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return float(m.group(1)), int(bad.group(1)) if bad else 0, errors.group(1) if errors else ""


def idle_cost(server, n):
    before = server.rss_kib()
    socks = []
    for _ in range(n):
        s = server.connect()
        server.get("/healthz", s)
        socks.append(s)
    time.sleep(0.5)
    after = server.rss_kib()
    for s in socks:
        s.close()
    return (after - before) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--baseline", default="")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--skip-tls", action="store_true", help="base vs plain only")
    args = ap.parse_args()

    certs = tempfile.mkdtemp(prefix="pw-tls-bench-certs-")
    make_cert(certs)
    servers = {}
    try:
        if args.baseline:
            servers["base"] = Server(args.baseline)
        servers["plain"] = Server(args.binary)
        if not args.skip_tls:
            servers["tls"] = Server(args.binary, certs)
        cases = [(name, s, False) for name, s in servers.items()]
        if not args.skip_tls:
            cases.append(("tls-handshake", servers["tls"], True))
        results = {name: [] for name, _, _ in cases}
        for run in range(args.runs):
            for name, s, close in cases:
                rps, bad, errors = wrk(s.url() + "/healthz", args.duration, args.connections, close)
                results[name].append(rps)
                note = f" non2xx={bad}" if bad else ""
                note += f" socket_errors=[{errors}]" if errors and not close else ""
                print(f"run {run + 1} {name:14s} {rps:10.0f} req/s{note}", flush=True)
        print()
        for name, values in results.items():
            print(f"{name:14s} median {statistics.median(values):10.0f} req/s  runs {[round(v) for v in values]}")
        if "base" in results:
            print(f"plain/base ratio {statistics.median(results['plain']) / statistics.median(results['base']):.3f}")
        if "tls" in results:
            print(f"tls/plain ratio  {statistics.median(results['tls']) / statistics.median(results['plain']):.3f}")
        if args.idle:
            for name in [n for n in ("plain", "tls") if n in servers]:
                print(f"{name:14s} {idle_cost(servers[name], args.idle):.1f} KiB RSS per idle connection ({args.idle})")
    finally:
        for s in servers.values():
            s.stop()
        shutil.rmtree(certs, ignore_errors=True)


if __name__ == "__main__":
    main()
