#!/usr/bin/env python3
"""Interop: the real Debian `prometheus` remote-writes into a token-protected perfwatch
(docs/security.md) three ways at once: `basic_auth` with the token as password,
`authorization: {credentials: T}` (bearer), and `basic_auth` with a wrong password.
The first two must arrive (queried back with a read token, each tagged by a
write_relabel label), the third must not, and both sides must count the refusals
(prometheus_remote_storage_samples_failed_total, perfwatch_http_auth_failures_total).

  python3 tests/interop/auth_interop_test.py [--binary build/perfwatch] [--seconds 6]

Python standard library only. Exits 0 on success; prints what went wrong otherwise.
"""
import argparse, hashlib, json, os, shutil, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import free_port, request, wait_ready  # noqa: E402

INGEST_TOKEN = "interop-ingest-" + os.urandom(8).hex()
READ_TOKEN = "interop-read-" + os.urandom(8).hex()


def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    ap.add_argument("--seconds", type=float, default=6, help="scrapes (1 s apart) to wait for")
    args = ap.parse_args()
    if not os.path.exists(args.prometheus):
        print(f"interop: {args.prometheus} not installed (scripts/setup installs it)")
        return 1
    work = tempfile.mkdtemp(prefix="pw-auth-interop-")
    pw_port, prom_port = free_port(), free_port()
    pw_url = f"http://127.0.0.1:{pw_port}"
    read_auth = {"Authorization": "Bearer " + READ_TOKEN}
    procs = []
    passed = False
    try:
        with open(os.path.join(work, "read.token"), "w") as f:
            f.write(READ_TOKEN + "\n")
        pw_config = os.path.join(work, "perfwatch.yml")
        with open(pw_config, "w") as f:
            f.write(f"""auth:
  tokens:
    - {{name: prometheus, token_sha256: {sha256(INGEST_TOKEN)}, scopes: [ingest]}}
    - {{name: reader, token_file: read.token, scopes: [read]}}
""")
        pw = subprocess.Popen([args.binary, "serve", "--listen", f"127.0.0.1:{pw_port}", "--data-dir",
                               os.path.join(work, "pw"), "--config", pw_config, "--log-level", "warn"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "pw.log"), "w"))
        procs.append(pw)
        wait_ready(f"{pw_url}/readyz", pw, "perfwatch")

        # Sanity: the API is closed without a token, open with the read token.
        status, _, body = request(pw_url, "GET", "/api/v1/query", params={"query": "1"})
        if status != 401:
            print(f"interop: FAILED: query without a token answered {status}: {body[:200]}")
            return 1

        def remote(name, auth):
            return f"""  - url: {pw_url}/api/v1/write
    name: {name}
{auth}    write_relabel_configs:
      - target_label: via
        replacement: {name}
    queue_config:
      batch_send_deadline: 500ms
      min_backoff: 50ms
      max_backoff: 500ms
"""
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{prom_port}"]
remote_write:
""" + remote("basic", f"    basic_auth:\n      username: prometheus\n      password: {INGEST_TOKEN}\n")
  + remote("bearer", f"    authorization:\n      credentials: {INGEST_TOKEN}\n")
  + remote("wrong", "    basic_auth:\n      username: prometheus\n      password: not-the-token\n"))
        prom = subprocess.Popen([args.prometheus, f"--config.file={config}", f"--storage.tsdb.path={work}/prom",
                                 f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prom.log"), "w"))
        procs.append(prom)
        wait_ready(f"http://127.0.0.1:{prom_port}/-/ready", prom, "prometheus")

        problems = []
        counts = {}
        failed_wrong = 0.0
        deadline = time.time() + args.seconds + 40
        while time.time() < deadline:
            status, doc, body = request(pw_url, "GET", "/api/v1/query", headers=read_auth,
                                        params={"query": 'count_over_time(up{job="prometheus"}[1h])'})
            if status != 200:
                problems.append(f"query with the read token answered {status}: {body[:200]}")
                break
            counts = {r["metric"].get("via", ""): float(r["value"][1]) for r in doc["data"]["result"]}
            _, pdoc, _ = request(f"http://127.0.0.1:{prom_port}", "GET", "/api/v1/query",
                                 params={"query": 'sum(prometheus_remote_storage_samples_failed_total{remote_name="wrong"})'})
            result = (pdoc or {}).get("data", {}).get("result", [])
            failed_wrong = float(result[0]["value"][1]) if result else 0.0
            if counts.get("basic", 0) >= args.seconds and counts.get("bearer", 0) >= args.seconds and failed_wrong > 0:
                break
            time.sleep(0.5)

        _, _, metrics = request(pw_url, "GET", "/metrics", headers=read_auth)
        invalid = 0.0
        for line in metrics.splitlines():
            if line.startswith('perfwatch_http_auth_failures_total{reason="invalid"}'):
                invalid = float(line.split()[-1])
        for via in ("basic", "bearer"):
            if counts.get(via, 0) < args.seconds:
                problems.append(f"remote write with {via} auth: {counts.get(via, 0):.0f} samples of up arrived, "
                                f"want >= {args.seconds:.0f}")
        if "wrong" in counts:
            problems.append(f"remote write with a wrong password stored {counts['wrong']:.0f} samples")
        if failed_wrong <= 0:
            problems.append("prometheus_remote_storage_samples_failed_total{remote_name=\"wrong\"} did not rise")
        if invalid <= 0:
            problems.append("perfwatch_http_auth_failures_total{reason=\"invalid\"} did not rise")
        if problems:
            print("interop: FAILED")
            for p in problems:
                print("  " + p)
            print(f"  (logs in {work})")
            return 1
        print(f"interop: prometheus remote write with basic auth ({counts['basic']:.0f} samples of up) and bearer "
              f"({counts['bearer']:.0f}) into token-protected perfwatch; wrong password refused "
              f"({failed_wrong:.0f} samples failed in prometheus, {invalid:.0f} refusals in perfwatch)")
        passed = True
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        if passed:
            shutil.rmtree(work, ignore_errors=True)  # kept for a look when the test failed


if __name__ == "__main__":
    sys.exit(main())
