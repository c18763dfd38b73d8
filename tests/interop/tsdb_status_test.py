#!/usr/bin/env python3
"""Interop: GET /api/v1/status/tsdb answers what the real Debian `prometheus` answers for
the same head. The same series (chosen so that no two entries of a top-10 list tie) are
remote-written into a Prometheus with no scrape jobs and into a perfwatch with its
self-scrape off; both answers must then be equal field by field (chunkCount aside: each
store cuts chunks its own way), and perfwatch's `limit` parameter must cut every list.

  python3 tests/interop/tsdb_status_test.py [--binary build/perfwatch]

Python standard library only (snappy from python3-snappy or libsnappy). Exits 0 on success.
"""
import argparse, json, os, shutil, sys, tempfile, time, urllib.error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import (RemoteWriter, encode_timeseries, get, load_snappy, start_perfwatch,  # noqa: E402
                    start_prometheus, stop_processes)


def series_set():
    """12 metrics with 1, 3, ..., 23 series; each series has a unique `series` label and
    one of four `group` values (group pairs count 27, 33, 39 and 45 series)."""
    out = []
    for i in range(12):
        for k in range(2 * i + 1):
            out.append({"__name__": f"tsdb_status_m{i:02d}", "series": f"{i}-{k}", "group": f"g{i % 4}"})
    return out


def status(port, query=""):
    code, body = get(f"http://127.0.0.1:{port}/api/v1/status/tsdb{query}")
    if code != 200:
        raise RuntimeError(f"status/tsdb on port {port} answered {code}: {body[:300]!r}")
    doc = json.loads(body)
    if doc.get("status") != "success":
        raise RuntimeError(f"status/tsdb on port {port}: {body[:300]!r}")
    return doc["data"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    args = ap.parse_args()
    if not os.path.exists(args.prometheus):
        print(f"interop: {args.prometheus} not installed (scripts/setup installs it)")
        return 1
    work = tempfile.mkdtemp(prefix="pw-tsdb-status-")
    servers = []
    passed = False
    try:
        prom = start_prometheus(args.prometheus, work)
        servers.append(prom)
        pw = start_perfwatch(args.binary, work, extra_config="scrape:\n  self_scrape: false\n")
        servers.append(pw)
        compress = load_snappy()
        now_ms = int(time.time() * 1000)
        body = b"".join(encode_timeseries(labels, [(now_ms - 60_000, 1.0), (now_ms, 2.0)])
                        for labels in series_set())
        for s in servers:
            w = RemoteWriter(f"http://127.0.0.1:{s.port}")
            w.post(compress(body))
            w.close()

        want, got = status(prom.port), status(pw.port)
        problems = []
        for key in ("numSeries", "numLabelPairs", "minTime", "maxTime"):
            if want["headStats"][key] != got["headStats"][key]:
                problems.append(f"headStats.{key}: perfwatch {got['headStats'][key]} != prometheus {want['headStats'][key]}")
        if got["headStats"]["chunkCount"] < got["headStats"]["numSeries"]:
            problems.append(f"headStats.chunkCount {got['headStats']['chunkCount']} < numSeries")
        lists = ("seriesCountByMetricName", "labelValueCountByLabelName", "memoryInBytesByLabelName",
                 "seriesCountByLabelValuePair")
        for key in lists:
            if want[key] != got[key]:
                problems.append(f"{key}:\n    perfwatch  {got[key]}\n    prometheus {want[key]}")
        if want["headStats"]["numSeries"] != len(series_set()):
            problems.append(f"prometheus holds {want['headStats']['numSeries']} series, not {len(series_set())}")

        three = status(pw.port, "?limit=3")
        for key in lists:
            if three[key] != got[key][:3]:
                problems.append(f"limit=3 {key}: {three[key]} != the first three of {got[key]}")
        try:
            code, body = get(f"http://127.0.0.1:{pw.port}/api/v1/status/tsdb?limit=0")
        except urllib.error.HTTPError as e:
            code, body = e.code, e.read()
        if code != 400 or b"limit must be a positive number" not in body:
            problems.append(f"limit=0 answered {code} {body[:200]!r}, want 400 'limit must be a positive number'")

        if problems:
            print("interop: FAILED")
            for p in problems:
                print("  " + p)
            print(f"  (logs in {work})")
            return 1
        print(f"interop: /api/v1/status/tsdb identical to prometheus over {len(series_set())} series "
              f"({len(lists)} lists, headStats)")
        passed = True
        return 0
    finally:
        stop_processes([s.proc for s in servers])
        if passed:
            shutil.rmtree(work, ignore_errors=True)  # kept for a look when the test failed


if __name__ == "__main__":
    sys.exit(main())
