#!/usr/bin/env python3
"""Checks that perfwatch answers the shared benchmark's queries exactly as Prometheus does,
on the benchmark's own data (issue 6: "a query's figure only counts if its result matches
Prometheus'"). The shared runner compares only one query across targets; this compares all
of ../shared/bench/queries.json, with the runner's parameters, using the conformance
suite's comparator (same series, timestamps, values within 1e-9 relative).

  python3 bench/verify_bench_queries.py [--binary build/perfwatch] [--payload /tmp/peerbench/payload]

The payload is what ../shared/bench/run_all.sh generated (gen_remote_write.py output); it is
sent to both servers with the runner's rw_sender. perfwatch runs with its query cache off
and is flushed first, so its answers come from persisted blocks, as in the benchmark.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
import common  # noqa: E402
from promql_conformance import compare, run_query  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--payload", default="/tmp/peerbench/payload")
    ap.add_argument("--sender", default="/tmp/peerbench/rw_sender")
    ap.add_argument("--queries", default=os.path.join(os.path.dirname(ROOT), "shared", "bench", "queries.json"))
    args = ap.parse_args()
    manifest = json.load(open(os.path.join(args.payload, "manifest.json")))
    end = manifest["t_end_ms"] // 1000 // 60 * 60
    start = (manifest["t_start_ms"] // 1000 + 59) // 60 * 60
    queries = json.load(open(args.queries))["queries"]

    work = tempfile.mkdtemp(prefix="pw-verify-bench-")
    servers = []
    failures = 0
    try:
        prom = common.start_prometheus("/usr/bin/prometheus", work)
        servers.append(prom)
        port = common.free_port()
        cfg = os.path.join(work, "pw.yml")
        with open(cfg, "w") as f:
            f.write("query:\n  cache_max_bytes: 0\nscrape:\n  self_scrape: false\n")
        proc = subprocess.Popen([args.binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                                 os.path.join(work, "pw-data"), "--config", cfg, "--log-level", "warn"],
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "pw.log"), "w"))
        pw = common.Server("perfwatch", "perfwatch", port, proc, work, os.path.join(work, "pw.log"))
        servers.append(pw)
        common.wait_ready(pw.base + "/readyz", proc, "perfwatch")
        for s in (prom, pw):
            out = subprocess.run([args.sender, "--url", s.base + "/api/v1/write", "--dir", args.payload],
                                 capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                raise RuntimeError(f"sending to {s.name} failed: {out.stderr[-300:]}")
        common.request(pw.base, "POST", "/api/v1/admin/flush")
        time.sleep(2)  # prometheus makes remote-written samples queryable asynchronously
        for q in queries:
            if q["type"] == "range":
                params = {"start": max(end - q["range_s"], start), "end": end, "step": q["step_s"]}
                kind = "range"
            else:
                params = {"time": end}
                kind = "instant"
            ref = run_query(prom, kind, q["expr"], params)
            got = run_query(pw, kind, q["expr"], params)
            ordered = q["expr"].startswith(("sort", "topk", "bottomk"))
            diffs = compare(ref, got, ordered, "perfwatch")
            n = len((ref[1] or {}).get("data", {}).get("result", []))
            print(f"{'PASS' if not diffs else 'FAIL'}  {q['name']:28s} {n} series", flush=True)
            for d in diffs[:5]:
                print("      " + d)
            failures += bool(diffs)
    finally:
        common.stop_processes([s.proc for s in servers])
        shutil.rmtree(work, ignore_errors=True)
    print(f"bench queries: {len(queries) - failures}/{len(queries)} identical to Prometheus")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
