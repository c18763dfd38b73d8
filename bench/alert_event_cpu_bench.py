#!/usr/bin/env python3
"""What event-driven rule evaluation costs under a steady remote-write load.

perfwatch is started three times on the same load: 10,000 series `node_load{instance}`,
each written 10 times a second (100,000 samples/s in 100 requests/s of 1,000 series), for
--seconds seconds:

  no-rules      no rule files
  interval      10,000 rules `node_load{instance="host-i"} > 100`, evaluation_interval 15s,
                rules.event_driven: false
  event-driven  the same rules, evaluated on their interval and as samples arrive

The figure is perfwatch's CPU time (utime + stime from /proc) over the load window, per
second of load; the overhead of event-driven evaluation is (event-driven - interval) /
interval. --breach-share makes that share of the series breach their threshold (they then
alert, and every sample of theirs triggers an evaluation).

  python3 bench/alert_event_cpu_bench.py [--binary build/perfwatch] [--seconds 20] [--runs 3]

Payloads are encoded before the clock starts, so the sender's own CPU stays small. Python
standard library plus the snappy bindings the conformance suite uses.
"""
import argparse, json, os, statistics, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import RemoteWriter, free_port, load_snappy, stop_processes, varint, wait_ready  # noqa: E402

SERIES = 10_000
PER_REQUEST = 1_000


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def label_bytes(i):
    out = bytearray()
    for name, value in (("__name__", "node_load"), ("instance", f"host-{i}"), ("job", "node")):
        nb, vb = name.encode(), value.encode()
        lab = b"\x0a" + varint(len(nb)) + nb + b"\x12" + varint(len(vb)) + vb
        out += b"\x0a" + varint(len(lab)) + lab
    return bytes(out)


def payloads(seconds, start_ms, breach_share, compress):
    """One compressed WriteRequest per (tick, slice of series): 10 ticks a second."""
    labels = [label_bytes(i) for i in range(SERIES)]
    breaching = int(SERIES * breach_share)
    bodies = []
    for tick in range(int(seconds * 10)):
        ts = start_ms + tick * 100
        for lo in range(0, SERIES, PER_REQUEST):
            req = bytearray()
            for i in range(lo, lo + PER_REQUEST):
                v = 150.0 if i < breaching else float(i % 100)
                s = b"\x09" + struct.pack("<d", v) + b"\x10" + varint(ts)
                body = labels[i] + b"\x12" + varint(len(s)) + s
                req += b"\x0a" + varint(len(body)) + body
            bodies.append(compress(bytes(req)))
    return bodies


def write_rules(path):
    with open(path, "w") as f:
        f.write("groups:\n  - name: load\n    rules:\n")
        for i in range(SERIES):
            f.write(f"      - alert: HighLoad\n        expr: node_load{{instance=\"host-{i}\"}} > 100\n"
                    "        labels: {severity: page}\n"
                    "        annotations: {summary: '{{ $labels.instance }} load {{ $value }}'}\n")


def run_once(binary, mode, seconds, breach_share, compress, work):
    data = tempfile.mkdtemp(prefix=f"pw-{mode}-", dir=work)
    config = os.path.join(data, "pw.yml")
    with open(config, "w") as f:
        f.write("scrape: {self_scrape: false}\nglobal: {evaluation_interval: 15s}\n")
        if mode != "no-rules":
            f.write(f"rule_files: [{os.path.join(work, 'rules.yml')}]\n")
            f.write(f"rules: {{event_driven: {'true' if mode == 'event-driven' else 'false'}}}\n")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                             os.path.join(data, "d"), "--config", config, "--log-level", "warn"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "log"), "w"))
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc, "perfwatch", 120)
        start_ms = int(time.time() * 1000)
        bodies = payloads(seconds, start_ms, breach_share, compress)
        writer = RemoteWriter(f"http://127.0.0.1:{port}")
        # Warm-up: series created before the clock starts.
        for b in bodies[:SERIES // PER_REQUEST]:
            writer.post(b)
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        per_tick = SERIES // PER_REQUEST
        for tick in range(1, len(bodies) // per_tick):
            due = t0 + (tick - 1) * 0.1
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for b in bodies[tick * per_tick:(tick + 1) * per_tick]:
                writer.post(b)
        elapsed = time.monotonic() - t0
        cpu = cpu_seconds(proc.pid) - cpu0
        writer.close()
        samples = (len(bodies) // per_tick - 1) * SERIES
        return {"mode": mode, "cpu_per_s": cpu / elapsed, "samples_per_s": samples / elapsed, "seconds": elapsed}
    finally:
        stop_processes([proc])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--breach-share", type=float, default=0.0)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    compress = load_snappy()
    work = tempfile.mkdtemp(prefix="pw-event-cpu-")
    write_rules(os.path.join(work, "rules.yml"))
    results = []
    modes = ["no-rules", "interval", "event-driven"]
    for run in range(args.runs):  # interleaved, so machine noise spreads over all modes
        for mode in modes:
            r = run_once(args.binary, mode, args.seconds, args.breach_share, compress, work)
            r["run"] = run
            results.append(r)
            print(f"run {run + 1}/{args.runs} {mode:13s} cpu {r['cpu_per_s'] * 100:6.1f}% of a core, "
                  f"{r['samples_per_s'] / 1000:.1f}k samples/s", flush=True)
    med = {m: statistics.median(r["cpu_per_s"] for r in results if r["mode"] == m) for m in modes}
    print("\n| mode | perfwatch CPU (median, % of one core) |\n|---|---:|")
    for m in modes:
        print(f"| {m} | {med[m] * 100:.1f} |")
    over = (med["event-driven"] - med["interval"]) / med["interval"] if med["interval"] else float("nan")
    print(f"\nevent-driven overhead vs interval-only: {over * 100:+.1f} %")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "median_cpu_per_s": med, "event_overhead": over}, f, indent=1)
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
