#!/usr/bin/env python3
"""The cost of authentication and the per-client rate limit (issue 11, docs/security.md),
with and without, in the same run (interleaved; medians).

  python3 bench/auth_cost_bench.py [--binary build/perfwatch] [--runs 3] [--duration 8]
                                   [--peerbench ../shared/bench] [--skip-wrk] [--skip-rw]

1. Beacons (wrk, one beacon per request, 32 connections): server A open (no tokens, the
   default), server B with auth.tokens, http.trusted_proxies [127.0.0.1] and a rate limit
   high enough never to refuse, every request carrying X-Forwarded-For with one of 997
   client addresses (bench/wrk/post_beacon.lua with PW_FORWARDED=1), so B pays the token check's
   early exit for public routes, the X-Forwarded-For walk and a bucket per client.
   Reports GET /healthz and POST /api/rum req/s on both, and beacon/healthz ratios.
2. Remote write: the shared peerbench workload (gen_remote_write.py, --series x --samples)
   replayed by rw_sender (patched copy sending Authorization: Bearer) into a fresh server
   without auth, then one with auth.tokens; samples/s per run and medians.
"""
import argparse, hashlib, json, os, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-" + os.urandom(16).hex()


sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rum_server_bench import Server  # noqa: E402


OPEN = "scrape:\n  self_scrape: false\n"
PROTECTED = (f"auth:\n  tokens:\n    - {{name: bench, token_sha256: {hashlib.sha256(TOKEN.encode()).hexdigest()}, "
             "scopes: [ingest, read]}\n"
             "http:\n  trusted_proxies: [127.0.0.1]\n"
             "rum:\n  rate_limit_per_ip: 1000000000\n"
             "scrape:\n  self_scrape: false\n")


def wrk(url, seconds, script=None, connections=32, forwarded=False):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    if script:
        cmd += ["-s", script]
    env = dict(os.environ, PW_FORWARDED="1" if forwarded else "")
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True, env=env).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(non2xx.group(1)) if non2xx else 0


def bench_wrk(args):
    a, b = Server(args.binary, OPEN), Server(args.binary, PROTECTED)
    script = os.path.join(ROOT, "bench/wrk/post_beacon.lua")
    rows = {k: [] for k in ("healthz_open", "rum_open", "healthz_auth", "rum_auth")}
    try:
        for run in range(args.runs):
            order = [("open", a, False), ("auth", b, True)]
            if run % 2:
                order.reverse()
            for name, server, forwarded in order:
                # Start from a synced disk: the previous load's event log and WAL still being
                # written back slows the next one by a third on this machine.
                os.sync()
                base = f"http://127.0.0.1:{server.port}"
                h = wrk(base + "/healthz", args.duration)
                r = wrk(base + "/api/rum", args.duration, script, forwarded=forwarded)
                if h[1] or r[1]:
                    raise RuntimeError(f"{name}: non-2xx answers: healthz {h[1]}, rum {r[1]}")
                rows["healthz_" + name].append(h[0])
                rows["rum_" + name].append(r[0])
                print(f"run {run + 1} {name}: healthz {h[0]:.0f} req/s, beacons {r[0]:.0f} req/s, "
                      f"ratio {r[0] / h[0]:.2f}", flush=True)
    finally:
        a.stop()
        b.stop()
    med = {k: statistics.median(v) for k, v in rows.items()}
    for name in ("open", "auth"):
        print(f"median {name}: healthz {med['healthz_' + name]:.0f} req/s, beacons {med['rum_' + name]:.0f} req/s, "
              f"ratio {med['rum_' + name] / med['healthz_' + name]:.2f}", flush=True)
    print(f"beacons auth/open: {med['rum_auth'] / med['rum_open']:.3f}", flush=True)


def patched_sender(peerbench, work):
    """rw_sender with an Authorization header taken from $RW_SENDER_AUTHORIZATION."""
    src = open(os.path.join(peerbench, "rw_sender.cpp")).read()
    old = '"X-Prometheus-Remote-Write-Version: 0.1.0\\r\\nContent-Length: %u\\r\\n\\r\\n",\n' \
          '                      path.c_str(), host.c_str(), port, f.len);'
    new = '"X-Prometheus-Remote-Write-Version: 0.1.0\\r\\n%sContent-Length: %u\\r\\n\\r\\n",\n' \
          '                      path.c_str(), host.c_str(), port, g_auth.c_str(), f.len);'
    if old not in src:
        raise RuntimeError("rw_sender.cpp changed: cannot add the Authorization header")
    src = src.replace(old, new).replace("static std::atomic<int> g_ready{0};",
                                        "static std::atomic<int> g_ready{0};\nstatic std::string g_auth = "
                                        "getenv(\"RW_SENDER_AUTHORIZATION\") ? std::string(\"Authorization: \") + "
                                        "getenv(\"RW_SENDER_AUTHORIZATION\") + \"\\r\\n\" : std::string();")
    path = os.path.join(work, "rw_sender_auth.cpp")
    with open(path, "w") as f:
        f.write(src)
    binary = os.path.join(work, "rw_sender_auth")
    subprocess.run(["g++", "-O2", "-std=c++17", "-pthread", "-o", binary, path, "-lsnappy"], check=True)
    return binary


def bench_rw(args):
    work = tempfile.mkdtemp(prefix="pw-authbench-rw-")
    try:
        sender = patched_sender(args.peerbench, work)
        payload = os.path.join(work, "payload")
        subprocess.run([sys.executable, os.path.join(args.peerbench, "gen_remote_write.py"), "--out", payload,
                        "--series", str(args.series), "--samples", str(args.samples)], check=True,
                       stdout=subprocess.DEVNULL)
        rates = {"open": [], "bearer": []}
        for run in range(args.runs):
            order = ["open", "bearer"] if run % 2 == 0 else ["bearer", "open"]
            for name in order:
                server = Server(args.binary, OPEN if name == "open" else PROTECTED)
                env = dict(os.environ)
                if name == "bearer":
                    env["RW_SENDER_AUTHORIZATION"] = "Bearer " + TOKEN
                try:
                    out = subprocess.run([sender, "--url", f"http://127.0.0.1:{server.port}/api/v1/write", "--dir",
                                          payload], capture_output=True, text=True, check=True, env=env).stdout
                finally:
                    server.stop()
                res = json.loads(out.strip().splitlines()[-1])
                sps = res.get("samples_per_s") or res.get("samples_per_sec") or res.get("throughput_samples_per_s")
                if res.get("samples_rejected") or res.get("rejected_4xx") or res.get("failed"):
                    raise RuntimeError(f"{name}: samples refused: {out}")
                rates[name].append(float(sps))
                print(f"run {run + 1} {name}: {float(sps):,.0f} samples/s", flush=True)
        mo, mb = statistics.median(rates["open"]), statistics.median(rates["bearer"])
        print(f"median remote write: open {mo:,.0f} samples/s, bearer {mb:,.0f} samples/s, bearer/open {mb / mo:.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--peerbench", default=os.path.join(os.path.dirname(ROOT), "shared", "bench"))
    ap.add_argument("--series", type=int, default=10000)
    ap.add_argument("--samples", type=int, default=360)
    ap.add_argument("--skip-wrk", action="store_true")
    ap.add_argument("--skip-rw", action="store_true")
    args = ap.parse_args()
    if not args.skip_wrk:
        bench_wrk(args)
    if not args.skip_rw:
        bench_rw(args)


if __name__ == "__main__":
    main()
