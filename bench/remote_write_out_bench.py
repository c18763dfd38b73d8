#!/usr/bin/env python3
"""The cost of forwarding (remote write out, docs/remote-write-out.md) on ingest: the shared
peerbench remote-write workload replayed by rw_sender into a fresh perfwatch without
`remote_write:` (A), then into one forwarding everything to a sink (B: `rw_sender --serve`,
answers 204 without decoding, so the receiver costs next to nothing), interleaved, medians.

  python3 bench/remote_write_out_bench.py --payload DIR --sender PATH [--binary build/perfwatch] [--runs 3]

Build the inputs as ../shared/bench/README.md says (gen_remote_write.py and rw_sender).
Reports per run: ingest samples/s (rw_sender), the server's CPU seconds during ingest, and
for B the seconds from the start of ingest until the sink acknowledged every sample
(prometheus_remote_storage_samples_total = samples sent) and the CPU seconds until then.
"""
import argparse, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_http(url, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} not ready")


def metric(base, name):
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as r:
        body = r.read().decode()
    m = re.search(r"^" + re.escape(name) + r"\{[^}]*\} (\S+)$", body, re.M)
    return float(m.group(1)) if m else None


def run(args, forward, sink_port, work):
    port = free_port()
    data = tempfile.mkdtemp(prefix="pw-rwout-", dir=work)
    config = os.path.join(data, "perfwatch.yml")
    remote = f"remote_write:\n  - url: http://127.0.0.1:{sink_port}/api/v1/write\n    name: sink\n"
    if args.queue_config:
        remote += "    queue_config: {" + args.queue_config + "}\n"
    with open(config, "w") as f:
        if args.peer == "prometheus":
            # The peer with its own defaults (queue_config as Prometheus ships it).
            f.write("global:\n  scrape_interval: 15s\nscrape_configs: []\n")
            cmd = [args.prometheus, f"--config.file={config}", f"--storage.tsdb.path={data}/d",
                   f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
                   "--log.level=warn"]
            ready = "/-/ready"
        else:
            f.write("tsdb:\n  retention: 36500d\nscrape:\n  self_scrape: false\n")
            cmd = [args.binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data + "/d",
                   "--config", config, "--log-level", "warn"]
            ready = "/readyz"
        if forward:
            f.write(remote)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "log"), "w"))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}{ready}")
        cpu0, t0 = cpu_seconds(proc.pid), time.time()
        out = subprocess.run([args.sender, "--url", f"{base}/api/v1/write", "--dir", args.payload],
                             capture_output=True, text=True, check=True).stdout
        sent = json.loads(out.strip().splitlines()[-1])
        row = {"forward": forward, "samples": sent["samples_ok"], "ingest_samples_per_sec": sent["samples_per_sec"],
               "ingest_cpu_seconds": round(cpu_seconds(proc.pid) - cpu0, 2)}
        if forward:
            deadline = time.time() + 600
            while time.time() < deadline:
                if (metric(base, "prometheus_remote_storage_samples_total") or 0) >= sent["samples_ok"]:
                    break
                time.sleep(0.05)
            row["forwarded_all_seconds"] = round(time.time() - t0, 2)
            row["cpu_seconds_until_forwarded"] = round(cpu_seconds(proc.pid) - cpu0, 2)
            row["ingest_seconds"] = round(sent["wall_seconds"], 2)
        return row
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)


def start_server(args, data, config_text):
    port = free_port()
    config = os.path.join(data, "perfwatch.yml")
    with open(config, "w") as f:
        f.write(config_text)
    proc = subprocess.Popen([args.binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data + "/d",
                             "--config", config, "--log-level", "warn"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "log"), "a"))
    return proc, f"http://127.0.0.1:{port}"


def stop_server(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def catch_up(args, sink_port, work):
    """Forwarding's CPU alone: ingest without remote_write:, stop, then start a copy of the
    data directory twice, without (A) and with (B) a remote; B's CPU seconds until the sink
    acknowledged every sample minus A's CPU seconds until ready (the replay) is what reading
    the WAL and sending cost. Returns µs of CPU per sample for ingest and for forwarding."""
    base_config = "tsdb:\n  retention: 36500d\nscrape:\n  self_scrape: false\n"
    seed = tempfile.mkdtemp(prefix="pw-rwout-seed-", dir=work)
    proc, base = start_server(args, seed, base_config)
    try:
        wait_http(f"{base}/readyz")
        cpu0 = cpu_seconds(proc.pid)
        out = subprocess.run([args.sender, "--url", f"{base}/api/v1/write", "--dir", args.payload],
                             capture_output=True, text=True, check=True).stdout
        sent = json.loads(out.strip().splitlines()[-1])["samples_ok"]
        ingest_cpu = cpu_seconds(proc.pid) - cpu0
    finally:
        stop_server(proc)
    rows = []
    for forward in (False, True):
        data = tempfile.mkdtemp(prefix="pw-rwout-copy-", dir=work)
        shutil.copytree(seed + "/d", data + "/d")
        config = base_config
        if forward:
            config += f"remote_write:\n  - url: http://127.0.0.1:{sink_port}/api/v1/write\n    name: sink\n"
            if args.queue_config:
                config += "    queue_config: {" + args.queue_config + "}\n"
        proc, base = start_server(args, data, config)
        try:
            wait_http(f"{base}/readyz")
            if forward:
                deadline = time.time() + 600
                while time.time() < deadline and (metric(base, "prometheus_remote_storage_samples_total") or 0) < sent:
                    time.sleep(0.02)
            rows.append(cpu_seconds(proc.pid))
        finally:
            stop_server(proc)
            shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(seed, ignore_errors=True)
    return {"samples": sent, "ingest_cpu_us_per_sample": round(1e6 * ingest_cpu / sent, 3),
            "forward_cpu_us_per_sample": round(1e6 * (rows[1] - rows[0]) / sent, 3),
            "replay_cpu_seconds": round(rows[0], 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--payload", required=True)
    ap.add_argument("--sender", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--peer", choices=["perfwatch", "prometheus"], default="perfwatch",
                    help="the server measured: perfwatch, or Prometheus (remote-write receiver and remote_write)")
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    ap.add_argument("--catch-up", action="store_true",
                    help="measure forwarding's CPU alone (a restart forwarding a WAL already written)")
    ap.add_argument("--queue-config", default="", help="queue_config keys for the remote, e.g. 'max_shards: 1'")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pw-rwout-bench-")
    sink_port = free_port()
    sink = subprocess.Popen([args.sender, "--serve", f"127.0.0.1:{sink_port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    rows = []
    try:
        time.sleep(0.5)
        if args.catch_up:
            runs = []
            for i in range(args.runs):
                runs.append(catch_up(args, sink_port, work))
                print(json.dumps(runs[-1]), flush=True)
            ingest = statistics.median(r["ingest_cpu_us_per_sample"] for r in runs)
            fwd = statistics.median(r["forward_cpu_us_per_sample"] for r in runs)
            print(json.dumps({"median_ingest_cpu_us_per_sample": ingest, "median_forward_cpu_us_per_sample": fwd,
                              "forward_cpu_percent_of_ingest": round(100 * fwd / ingest, 1)}))
            return 0
        for i in range(args.runs):
            for forward in (False, True):
                row = run(args, forward, sink_port, work)
                print(json.dumps(row), flush=True)
                rows.append(row)
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    a = [r["ingest_samples_per_sec"] for r in rows if not r["forward"]]
    b = [r["ingest_samples_per_sec"] for r in rows if r["forward"]]
    fwd = [r["samples"] / r["forwarded_all_seconds"] for r in rows if r["forward"]]
    n = rows[0]["samples"]
    cpu_a = statistics.median(r["ingest_cpu_seconds"] for r in rows if not r["forward"])
    cpu_b = statistics.median(r["cpu_seconds_until_forwarded"] for r in rows if r["forward"])
    print(json.dumps({"server": args.peer, "median_ingest_without": statistics.median(a), "median_ingest_with": statistics.median(b),
                      "ingest_cpu_us_per_sample": round(1e6 * cpu_a / n, 3),
                      "forward_cpu_us_per_sample": round(1e6 * (cpu_b - cpu_a) / n, 3),
                      "ingest_cost_percent": round(100 * (1 - statistics.median(b) / statistics.median(a)), 1),
                      "median_end_to_end_forwarded_samples_per_sec": round(statistics.median(fwd))}))


if __name__ == "__main__":
    sys.exit(main())
