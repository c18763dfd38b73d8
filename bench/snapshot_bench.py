#!/usr/bin/env python3
"""Snapshot, backup and restore figures (tracker issue 21 item 2; docs/operations.md).

Loads a fresh perfwatch with the benchmarks' two loads, 1,000,000 RUM vital beacons
(bench/rum_server_bench.py's generator) and 10,000 series of remote-write samples (the
shared peer harness: ../shared/bench/gen_remote_write.py replayed by rw_sender), then
measures, --runs times each (medians, all runs printed):

  - POST /api/v1/admin/snapshot with the series only (as the peer holds them), then with
    the events too: wall time as the client sees it, files and bytes in the snapshot, and
    the disk it really adds (`du` of data dir + snapshot together minus the
    data dir alone: hard links count once);
  - the same after POST /api/v1/admin/flush (the TSDB in blocks, not in the WAL);
  - `perfwatch backup` over HTTP into a fresh folder and `perfwatch restore` from it, and
    that the restored server answers the same event and series counts.

The peer, Prometheus (Debian's), is loaded with the same 10,000-series workload and asked
for its own snapshot (POST /api/v1/admin/tsdb/snapshot, which writes its head into a block
first) in the same run.

  python3 bench/snapshot_bench.py --binary build/perfwatch [--events 1000000] [--series 10000] [--runs 3]
"""
import argparse, http.client, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "bench"))
from rum_server_bench import Server, load as load_beacons  # noqa: E402
from rum_server_bench import free_port  # noqa: E402

SHARED = os.path.join(ROOT, "..", "shared", "bench")


def request(port, method, path, body=None, timeout=600):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body)
    r = c.getresponse()
    data = r.read()
    if r.status not in (200, 204):
        raise RuntimeError(f"{method} {path}: {r.status} {data[:200]!r}")
    return data


def du_bytes(*paths):
    out = subprocess.run(["du", "-scb", *paths], capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1].split()[0])


def build_sender(work):
    sender = os.path.join(work, "rw_sender")
    subprocess.run(["g++", "-O2", "-std=c++17", "-pthread", "-o", sender, os.path.join(SHARED, "rw_sender.cpp"),
                    "-lsnappy"], check=True)
    return sender


def send(sender, workload, port):
    out = subprocess.run([sender, "--url", f"http://127.0.0.1:{port}/api/v1/write", "--dir", workload],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("rw_sender: " + out.stderr[-500:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def counts(port):
    """(stored events, series of the remote-write workload) as the server reports them."""
    metrics = request(port, "GET", "/metrics").decode()
    events = None
    for line in metrics.splitlines():
        if line.startswith("perfwatch_events_stored "):
            events = int(float(line.split()[1]))
    end = int(time.time()) + 86400
    q = json.loads(request(port, "GET", "/api/v1/series?match[]=%7Bjob%3D~%22webapp%7Crum%22%7D&start=0&end=" + str(end)))
    return events, len(q["data"])


def perfwatch_run(args, workload, sender):
    server = Server(args.binary, prefix="pw-snapbench-")
    try:
        send(sender, workload, server.port)
        data = os.path.join(server.dir, "data")
        res = {}
        for phase in ("tsdb_only", "head", "blocks"):
            if phase == "head":  # the series alone first (as the peer holds them), then the events too
                t = load_beacons(server, args.events)
                print(f"  loaded {args.events} beacons in {t:.1f} s", file=sys.stderr)
            if phase == "blocks":
                request(server.port, "POST", "/api/v1/admin/flush")
            before = du_bytes(data)
            t0 = time.perf_counter()
            info = json.loads(request(server.port, "POST", "/api/v1/admin/snapshot"))["data"]
            wall = time.perf_counter() - t0
            snap = os.path.join(data, "snapshots", info["name"])
            added = du_bytes(data) - before  # du counts each hard-linked inode once
            res[phase] = {"seconds": wall, "files": info["files"], "bytes": info["bytes"], "added_disk": added}
        source_counts = counts(server.port)
        dest = tempfile.mkdtemp(prefix="pw-backup-")
        restored_dir = os.path.join(dest, "restored")
        try:
            t0 = time.perf_counter()
            out = subprocess.run([args.binary, "backup", "--server", f"http://127.0.0.1:{server.port}", dest],
                                 capture_output=True, text=True)
            res["backup_seconds"] = time.perf_counter() - t0
            if out.returncode != 0:
                raise RuntimeError("backup: " + out.stderr)
            name = [d for d in os.listdir(dest)][0]
            t0 = time.perf_counter()
            out = subprocess.run([args.binary, "restore", os.path.join(dest, name), "--data-dir", restored_dir],
                                 capture_output=True, text=True)
            res["restore_seconds"] = time.perf_counter() - t0
            if out.returncode != 0:
                raise RuntimeError("restore: " + out.stderr)
            res["backup_bytes"] = du_bytes(os.path.join(dest, name))
            port = free_port()
            proc = subprocess.Popen([args.binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", restored_dir,
                                     "--log-level", "warn"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0 = time.perf_counter()
            for _ in range(3000):
                try:
                    request(port, "GET", "/readyz", timeout=2)
                    break
                except (OSError, RuntimeError):
                    time.sleep(0.02)
            res["restored_open_seconds"] = time.perf_counter() - t0
            restored_counts = counts(port)
            proc.terminate()
            proc.wait(60)
            res["counts"] = {"source": source_counts, "restored": restored_counts}
            if restored_counts != source_counts:
                raise RuntimeError(f"restored server answers {restored_counts}, the source {source_counts}")
        finally:
            shutil.rmtree(dest, ignore_errors=True)
        return res
    finally:
        server.stop()


def prometheus_run(workload, sender):
    work = tempfile.mkdtemp(prefix="prom-snapbench-")
    port = free_port()
    data = os.path.join(work, "data")
    proc = subprocess.Popen(["prometheus", "--config.file", os.path.join(SHARED, "prometheus.yml"),
                             "--storage.tsdb.path", data, "--web.listen-address", f"127.0.0.1:{port}",
                             "--web.enable-admin-api", "--web.enable-remote-write-receiver", "--log.level", "warn"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1500):
            try:
                request(port, "GET", "/-/ready", timeout=2)
                break
            except (OSError, RuntimeError):
                time.sleep(0.02)
        send(sender, workload, port)
        before = du_bytes(data)
        t0 = time.perf_counter()
        name = json.loads(request(port, "POST", "/api/v1/admin/tsdb/snapshot"))["data"]["name"]
        wall = time.perf_counter() - t0
        snap = os.path.join(data, "snapshots", name)
        files = sum(len(f) for _, _, f in os.walk(snap))
        return {"seconds": wall, "files": files, "bytes": du_bytes(snap), "added_disk": du_bytes(data) - before}
    finally:
        proc.terminate()
        proc.wait(60)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--samples", type=int, default=120, help="samples per series (15 s apart)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="snapbench-")
    try:
        workload = os.path.join(work, "workload")
        subprocess.run([sys.executable, os.path.join(SHARED, "gen_remote_write.py"), "--out", workload,
                        "--series", str(args.series), "--samples", str(args.samples), "--shards", "2"],
                       check=True, stdout=subprocess.DEVNULL)
        sender = build_sender(work)
        runs = {"perfwatch": [], "prometheus": []}
        for i in range(args.runs):
            print(f"run {i + 1}/{args.runs}: perfwatch", file=sys.stderr)
            runs["perfwatch"].append(perfwatch_run(args, workload, sender))
            print(json.dumps({"run": i + 1, "target": "perfwatch", **runs["perfwatch"][-1]}))
            print(f"run {i + 1}/{args.runs}: prometheus", file=sys.stderr)
            runs["prometheus"].append(prometheus_run(workload, sender))
            print(json.dumps({"run": i + 1, "target": "prometheus", **runs["prometheus"][-1]}))
        med = lambda xs: statistics.median(xs)
        pw, pr = runs["perfwatch"], runs["prometheus"]
        print(json.dumps({
            "median": {
                "perfwatch_series_only_snapshot_s": med([r["tsdb_only"]["seconds"] for r in pw]),
                "perfwatch_series_only_snapshot_added_disk": med([r["tsdb_only"]["added_disk"] for r in pw]),
                "perfwatch_snapshot_head_s": med([r["head"]["seconds"] for r in pw]),
                "perfwatch_snapshot_blocks_s": med([r["blocks"]["seconds"] for r in pw]),
                "perfwatch_snapshot_bytes": med([r["head"]["bytes"] for r in pw]),
                "perfwatch_snapshot_added_disk": med([r["head"]["added_disk"] for r in pw]),
                "perfwatch_blocks_snapshot_added_disk": med([r["blocks"]["added_disk"] for r in pw]),
                "perfwatch_backup_s": med([r["backup_seconds"] for r in pw]),
                "perfwatch_backup_bytes": med([r["backup_bytes"] for r in pw]),
                "perfwatch_restore_s": med([r["restore_seconds"] for r in pw]),
                "perfwatch_restored_open_s": med([r["restored_open_seconds"] for r in pw]),
                "prometheus_snapshot_s": med([r["seconds"] for r in pr]),
                "prometheus_snapshot_bytes": med([r["bytes"] for r in pr]),
                "prometheus_snapshot_added_disk": med([r["added_disk"] for r in pr]),
            }}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
