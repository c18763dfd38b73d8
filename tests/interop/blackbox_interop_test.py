#!/usr/bin/env python3
"""HTTP checks side by side with the real Debian `prometheus-blackbox-exporter` (issue 18).

A local test server (python http.server, plain and HTTPS with a self-signed certificate
made here with `openssl req`) serves: an OK page, a slow page (0.5 s before the answer), a
slow body (0.3 s between two halves), a 500, a redirect chain (3 hops), a page that hangs,
and the OK page over HTTPS. The blackbox exporter probes each through /probe (three times,
median kept); perfwatch runs the same probes as synthetic checks from its YAML
(`synthetic.checks`, interval 10s) and the series are read back through /api/v1/query
(`probe_success{check="slow"}`). Compared per target:

  - probe_success and probe_http_status_code are equal;
  - probe_http_redirects equal; probe_ssl_earliest_cert_expiry equal (and the
    certificate's notAfter);
  - probe_duration_seconds and every probe_http_duration_seconds{phase} agree within the
    run-to-run noise (|a - b| <= 0.15 s + 30 % of the exporter's value), and the phase the
    delay sits in (processing for /slow, transfer for /slowbody) holds the delay on both.

Python standard library only. Exits 0 on success; prints what differs otherwise.
  python3 tests/interop/blackbox_interop_test.py [--binary build/perfwatch] [--keep]
"""
import argparse, json, os, re, shutil, ssl, statistics, subprocess, sys, tempfile, threading, time
import calendar
import http.server
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import free_port, get, request, stop_processes, wait_ready  # noqa: E402

BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
SLOW_S = 0.5
SLOW_BODY_S = 0.3
TIMEOUT_S = 2
STOP = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urllib.parse.urlparse(self.path).path
        self.close_connection = True
        if path == "/ok":
            self.answer(200, "ok")
        elif path == "/slow":
            time.sleep(SLOW_S)
            self.answer(200, "slow")
        elif path == "/slowbody":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"first")
            self.wfile.flush()
            time.sleep(SLOW_BODY_S)
            self.wfile.write(b"end")
        elif path == "/error":
            self.answer(500, "boom")
        elif path.startswith("/redirect/"):
            n = int(path[len("/redirect/"):])
            self.answer(302, "moved", [("Location", "/ok" if n <= 1 else f"/redirect/{n - 1}")])
        elif path == "/hang":
            STOP.wait(30)
        else:
            self.answer(404, "not found")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A prober that gave up (a timeout, a refused certificate) closed its end: not news.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


def serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return t


def parse_exposition(text):
    """{(name, frozenset(labels)): value} of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$', line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


PHASES = ("resolve", "connect", "tls", "processing", "transfer")


def blackbox_probe(base, module, target):
    status, body = get(f"{base}/probe?" + urllib.parse.urlencode({"module": module, "target": target}), timeout=30)
    if status != 200:
        raise RuntimeError(f"blackbox /probe {target}: HTTP {status}")
    m = parse_exposition(body)
    out = {k[0]: v for k, v in m.items() if not k[1]}
    for (name, labels), v in m.items():
        if name == "probe_http_duration_seconds":
            out["phase_" + dict(labels)["phase"]] = v
    return out


def perfwatch_values(base, check):
    out = {}
    for name in ("probe_success", "probe_http_status_code", "probe_duration_seconds", "probe_http_redirects",
                 "probe_ssl_earliest_cert_expiry", "probe_http_version"):
        status, js, body = request(base, "GET", "/api/v1/query", params={"query": f'{name}{{check="{check}"}}'})
        if status != 200 or not js or js.get("status") != "success":
            raise RuntimeError(f"perfwatch query {name}: HTTP {status} {body[:300]}")
        if js["data"]["result"]:
            out[name] = float(js["data"]["result"][0]["value"][1])
    status, js, body = request(base, "GET", "/api/v1/query",
                               params={"query": f'probe_http_duration_seconds{{check="{check}"}}'})
    for r in (js or {}).get("data", {}).get("result", []):
        out["phase_" + r["metric"].get("phase", "?")] = float(r["value"][1])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    for b in (args.binary, BLACKBOX):
        if not os.path.exists(b):
            print(f"blackbox interop: {b} is missing (scripts/setup installs it)")
            return 1

    work = tempfile.mkdtemp(prefix="pw-blackbox-interop-")
    procs, failures, servers = [], [], []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            failures.append(what)

    try:
        # The target: plain HTTP and HTTPS with a self-signed certificate for 127.0.0.1.
        cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = subprocess.run(["openssl", "x509", "-enddate", "-noout", "-in", cert], check=True,
                             capture_output=True, text=True).stdout.strip().split("=", 1)[1]
        not_after = calendar.timegm(time.strptime(end, "%b %d %H:%M:%S %Y %Z"))
        plain = Server(("127.0.0.1", 0), Handler)
        tls = Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers += [plain, tls]
        serve(plain)
        serve(tls)
        http_base = f"http://127.0.0.1:{plain.server_address[1]}"
        https_base = f"https://127.0.0.1:{tls.server_address[1]}"

        # name: (url, blackbox module, perfwatch http extras)
        targets = {
            "ok": (http_base + "/ok", "http_2xx", ""),
            "slow": (http_base + "/slow", "http_2xx", ""),
            "slowbody": (http_base + "/slowbody", "http_2xx", ""),
            "error": (http_base + "/error", "http_2xx", ""),
            "redirect": (http_base + "/redirect/3", "http_2xx", ""),
            "hang": (http_base + "/hang", "http_2xx", ""),
            "body_mismatch": (http_base + "/ok", "http_healthy", ""),
            "tls_verified": (https_base + "/ok", "http_2xx", ""),
            "tls_insecure": (https_base + "/ok", "http_insecure", "tls_verify: false, "),
        }
        asserts = {"body_mismatch": '[{body_contains: "healthy"}]'}

        bb_port, pw_port = free_port(), free_port()
        bb_cfg = os.path.join(work, "blackbox.yml")
        with open(bb_cfg, "w") as f:
            f.write(f"""modules:
  http_2xx:
    prober: http
    timeout: {TIMEOUT_S}s
    http: {{preferred_ip_protocol: ip4}}
  http_insecure:
    prober: http
    timeout: {TIMEOUT_S}s
    http: {{preferred_ip_protocol: ip4, tls_config: {{insecure_skip_verify: true}}}}
  http_healthy:
    prober: http
    timeout: {TIMEOUT_S}s
    http: {{preferred_ip_protocol: ip4, fail_if_body_not_matches_regexp: [healthy]}}
""")
        bb = subprocess.Popen([BLACKBOX, f"--config.file={bb_cfg}", f"--web.listen-address=127.0.0.1:{bb_port}",
                               "--log.level=warn"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "blackbox.log"), "w"))
        procs.append(bb)

        pw_cfg = os.path.join(work, "perfwatch.yml")
        with open(pw_cfg, "w") as f:
            f.write("synthetic:\n  checks:\n")
            for name, (url, _, extra) in targets.items():
                f.write(f"    - name: {name}\n      interval: 10s\n"
                        f"      http: {{url: \"{url}\", {extra}timeout: {TIMEOUT_S}s}}\n")
                if name in asserts:
                    f.write(f"      assert: {asserts[name]}\n")
        pw = subprocess.Popen([args.binary, "serve", "--listen", f"127.0.0.1:{pw_port}", "--data-dir",
                               os.path.join(work, "pw-data"), "--config", pw_cfg, "--log-level", "warn"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "perfwatch.log"), "w"))
        procs.append(pw)
        bb_base, pw_base = f"http://127.0.0.1:{bb_port}", f"http://127.0.0.1:{pw_port}"
        wait_ready(bb_base + "/-/healthy", bb, "blackbox exporter")
        wait_ready(pw_base + "/readyz", pw, "perfwatch")

        # The exporter: three probes per target, the median of each value.
        bb_values = {}
        for name, (url, module, _) in targets.items():
            runs = [blackbox_probe(bb_base, module, url) for _ in range(3)]
            bb_values[name] = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in runs[0]}

        # perfwatch: every check has run once (spread over its 10 s interval, plus a retry).
        deadline = time.time() + 60
        states = {}
        while time.time() < deadline:
            status, js, _ = request(pw_base, "GET", "/api/v1/checks")
            if status == 200 and js and js.get("status") == "success":
                states = {c["name"]: c for c in js["data"]}
                if set(states) == set(targets) and all(c.get("state") in ("up", "down") for c in states.values()):
                    break
            time.sleep(0.5)
        check(set(states) == set(targets) and all(c.get("state") in ("up", "down") for c in states.values()),
              f"perfwatch GET /api/v1/checks lists every check with a result "
              f"({ {n: c.get('state') for n, c in states.items()} })")
        time.sleep(1)  # the series are written with the result

        for name in targets:
            pwv = perfwatch_values(pw_base, name)
            bbv = bb_values[name]
            for key in ("probe_success", "probe_http_status_code"):
                check(pwv.get(key) == bbv.get(key),
                      f"{name}: {key} perfwatch {pwv.get(key)} == blackbox {bbv.get(key)}")
            state = states.get(name, {}).get("state")
            check(state == ("up" if bbv.get("probe_success") == 1 else "down"),
                  f"{name}: /api/v1/checks state {state} agrees with probe_success")
            if bbv.get("probe_success") == 1:
                check(pwv.get("probe_http_redirects") == bbv.get("probe_http_redirects"),
                      f"{name}: probe_http_redirects perfwatch {pwv.get('probe_http_redirects')} == "
                      f"blackbox {bbv.get('probe_http_redirects')}")
                check(pwv.get("probe_http_version") == bbv.get("probe_http_version"),
                      f"{name}: probe_http_version perfwatch {pwv.get('probe_http_version')} == "
                      f"blackbox {bbv.get('probe_http_version')}")
            for key in ["probe_duration_seconds"] + ["phase_" + p for p in PHASES]:
                if key not in bbv:
                    continue
                a, b = pwv.get(key), bbv[key]
                check(a is not None and abs(a - b) <= 0.15 + 0.3 * b,
                      f"{name}: {key} perfwatch {a if a is None else round(a, 4)} ~ blackbox {round(b, 4)}")

        # The delay sits in the same phase on both sides.
        for name, phase, delay in (("slow", "processing", SLOW_S), ("slowbody", "transfer", SLOW_BODY_S),
                                   ("hang", None, TIMEOUT_S)):
            pwv = perfwatch_values(pw_base, name)
            if phase:
                check(pwv.get("phase_" + phase, 0) >= delay and bb_values[name]["phase_" + phase] >= delay,
                      f"{name}: {phase} holds the {delay}s delay on both sides "
                      f"({pwv.get('phase_' + phase)}, {bb_values[name]['phase_' + phase]})")
            else:
                check(pwv.get("probe_duration_seconds", 0) >= delay * 0.95 and
                      bb_values[name]["probe_duration_seconds"] >= delay * 0.75,
                      f"{name}: both give up after the {delay}s timeout "
                      f"({pwv.get('probe_duration_seconds')}, {bb_values[name]['probe_duration_seconds']})")
        pwv = perfwatch_values(pw_base, "tls_insecure")
        bbv = bb_values["tls_insecure"]
        check(pwv.get("probe_ssl_earliest_cert_expiry") == bbv.get("probe_ssl_earliest_cert_expiry") == not_after,
              f"tls_insecure: probe_ssl_earliest_cert_expiry perfwatch {pwv.get('probe_ssl_earliest_cert_expiry')} "
              f"== blackbox {bbv.get('probe_ssl_earliest_cert_expiry')} == notAfter {not_after}")
        check(pwv.get("phase_tls", 0) > 0 and bbv.get("phase_tls", 0) > 0, "tls_insecure: both measure a TLS phase")
        _, js, _ = request(pw_base, "GET", "/api/v1/checks/tls_verified")
        err = ((js or {}).get("data") or {}).get("history", [{}])[-1].get("error", "")
        check(err == "TLS handshake: certificate verify failed: self-signed certificate",
              f"tls_verified: the failure says why ({err!r})")
    except Exception as e:  # noqa: BLE001
        check(False, f"error: {e}")
    finally:
        STOP.set()
        stop_processes(procs)
        for s in servers:
            s.shutdown()
            s.server_close()
        if failures and not args.keep:
            print(f"logs: {work}")
        elif not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"blackbox interop: {len(failures)} failed" if failures else "blackbox interop: all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
