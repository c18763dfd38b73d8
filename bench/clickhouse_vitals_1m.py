#!/usr/bin/env python3
"""Issue 19's ClickHouse check at scale: N beacons (default 1,000,000) posted to two
perfwatch servers, one with `events.backend: clickhouse` (a private Debian
clickhouse-server 18.16) and one without; once ClickHouse holds every beacon, the
`/api/v1/vitals` (and series, histogram, score) answers of both are compared on several
queries (every field but the clock-following from/to), and their
latencies measured (median of --repeat requests each, interleaved). With --errors N,
N error beacons (of 300 groups, in the same hour) are posted too and the errors list and
a group's detail compared and timed the same way.

  python3 bench/clickhouse_vitals_1m.py --binary build/perfwatch [--beacons 1000000] [--errors 0] [--repeat 5]

Prints how long ingest and forwarding took, whether every answer is identical, and a
latency table. Python standard library only.
"""
import argparse, http.client, itertools, json, os, random, shutil, statistics, subprocess, sys, tempfile, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from common import free_port, stop_processes, wait_ready  # noqa: E402
from scale_out_test import ClickHouse  # noqa: E402

VITALS = {"LCP": (1800, 0.6), "INP": (150, 0.8), "CLS": (0.05, 1.0), "FCP": (1200, 0.5), "TTFB": (400, 0.7)}
UAS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
       "Mobile/15E148 Safari/604.1",
       "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"]
QUERIES = [
    ("/api/v1/vitals", {"metric": "LCP", "window": "2h"}),
    ("/api/v1/vitals", {"metric": "LCP", "window": "2h", "by": "page"}),
    ("/api/v1/vitals", {"metric": "INP", "window": "2h", "by": "page,device", "percentile": "95"}),
    ("/api/v1/vitals", {"metric": "CLS", "window": "2h", "by": "browser"}),
    ("/api/v1/vitals", {"metric": "TTFB", "window": "2h", "app": "shop", "by": "connection", "percentile": "50"}),
    ("/api/v1/vitals", {"metric": "LCP", "last": 600}),  # a window that cuts the data: absolute from/to
    ("/api/v1/vitals/series", {"metric": "LCP", "window": "2h", "step": "5m", "by": "app"}),
    ("/api/v1/vitals/histogram", {"metric": "INP", "window": "2h"}),
    ("/api/v1/score", {"app": "shop", "window": "2h"}),
]


def comparable(data):
    """The answer without the fields that follow the clock (from, to)."""
    if isinstance(data, dict):
        return {k: comparable(v) for k, v in data.items() if k not in ("from", "to")}
    if isinstance(data, list):
        return [comparable(v) for v in data]
    return data


def in_batches(beacons, batch):
    """JSON array bodies of at most `batch` beacons each."""
    out = []
    for b in beacons:
        out.append(b)
        if len(out) == batch:
            yield json.dumps(out).encode()
            out = []
    if out:
        yield json.dumps(out).encode()


def vital_beacons(n, seed=19):
    rnd = random.Random(seed)
    now_ms = int(time.time() * 1000)
    for i in range(n):
        name = rnd.choice(list(VITALS))
        scale, sigma = VITALS[name]
        value = round(scale * rnd.lognormvariate(0, sigma), 3 if name == "CLS" else 1)
        yield {"type": "vital", "name": name, "value": value, "app": rnd.choice(["shop", "shop", "blog"]),
               "url": f"https://shop.example/p/{rnd.randrange(40)}", "userAgent": rnd.choice(UAS),
               "connection": rnd.choice(["4g", "4g", "3g", "wifi"]), "sessionId": f"s{i // 20}", "id": f"v{i}",
               "timestamp": now_ms - rnd.randrange(3_600_000)}


def error_beacons(n, seed=23):
    """n error beacons of 300 groups (a type and a function each), in the last hour."""
    rnd = random.Random(seed)
    now_ms = int(time.time() * 1000)
    for _ in range(n):
        g = min(int(rnd.paretovariate(1.2)), 300)
        kind = ["TypeError", "RangeError", "ReferenceError"][g % 3]
        yield {"type": "error", "name": kind, "message": f"Uncaught {kind}: step{g} failed",
               "stack": f"{kind}: step failed\n    at step{g} (https://shop.example/assets/app.js:{g}:7)\n"
                        f"    at run (https://shop.example/assets/app.js:1:1)",
               "app": rnd.choice(["shop", "shop", "blog"]), "url": f"https://shop.example/p/{rnd.randrange(40)}",
               "userAgent": rnd.choice(UAS), "sessionId": f"e{rnd.randrange(n // 5 + 1)}",
               "timestamp": now_ms - rnd.randrange(3_600_000)}


def start(binary, work, name, config):
    path = os.path.join(work, f"{name}.yml")
    with open(path, "w") as f:
        f.write(config)
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                             os.path.join(work, f"{name}-data"), "--config", path, "--log-level", "warn"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"{name}.log"), "w"))
    wait_ready(f"http://127.0.0.1:{port}/readyz", proc, name)
    return proc, port


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    c.close()
    return r.status, body, dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--beacons", type=int, default=1_000_000)
    ap.add_argument("--errors", type=int, default=0)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pw-ch-1m-")
    ch = ClickHouse(work)
    if ch.binary is None:
        print("clickhouse-server is not installed (scripts/setup installs it)")
        return 1
    procs = []
    try:
        ch.start()
        base_cfg = "scrape:\n  self_scrape: false\nhttp:\n  max_body_bytes: 8388608\n"
        p_ch, port_ch = start(args.binary, work, "clickhouse", base_cfg + f"""events:
  backend: clickhouse
  clickhouse:
    url: {ch.base}
    database: perfwatch
    batch_size: 100000
""")
        procs.append(p_ch)
        p_local, port_local = start(args.binary, work, "local", base_cfg)
        procs.append(p_local)
        conns = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=120) for port in (port_ch, port_local)}
        t0 = time.time()
        sent = 0
        for body in in_batches(itertools.chain(vital_beacons(args.beacons), error_beacons(args.errors)), args.batch):
            for port, c in conns.items():
                c.request("POST", "/api/rum", body=body, headers={"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                if r.status not in (200, 202, 204):
                    raise RuntimeError(f"POST /api/rum to {port}: {r.status}")
            sent += body.count(b'"type"')
            if sent % 100_000 < args.batch:
                print(f"  {sent:,} beacons posted to both ({time.time() - t0:.0f} s)", flush=True)
        ingest_s = time.time() - t0
        rows = 0
        while time.time() - t0 < 1800:
            rows = int(ch.scalar("SELECT count() FROM perfwatch.events"))
            errors = int(ch.scalar("SELECT count() FROM perfwatch.errors")) if args.errors else 0
            if rows >= sent and errors >= args.errors:
                break
            time.sleep(1)
        forward_s = time.time() - t0
        print(f"ingest: {sent:,} beacons posted to both servers in {ingest_s:.1f} s; clickhouse held {rows:,} rows "
              f"after {forward_s:.1f} s")
        identical = True
        table = []
        t_end = int(time.time())
        queries = list(QUERIES)
        if args.errors:
            queries += [("/api/v1/errors", {"start": t_end - 7200, "end": t_end}),
                        ("/api/v1/errors", {"start": t_end - 7200, "end": t_end, "app": "shop", "sort": "last_seen"})]
            _, body, _ = get(port_local, "/api/v1/errors?" + urllib.parse.urlencode(queries[-2][1]))
            top = json.loads(body)["data"][0]["fingerprint"]
            queries.append((f"/api/v1/errors/{top}", {"start": t_end - 7200, "end": t_end}))
        for api, q in queries:
            if "last" in q:  # both servers must see the same range: not one that follows the clock
                q = {k: v for k, v in q.items() if k != "last"} | {"from": t_end - q["last"], "to": t_end}
            path = api + "?" + urllib.parse.urlencode(q)
            lat = {port_ch: [], port_local: []}
            bodies = {}
            for _ in range(args.repeat):
                for port in (port_ch, port_local):
                    status, body, dt = get(port, path)
                    if status != 200:
                        raise RuntimeError(f"{path} on {port}: {status} {body[:200]!r}")
                    lat[port].append(dt)
                    bodies[port] = comparable(json.loads(body)["data"])
            same = bodies[port_ch] == bodies[port_local]
            identical &= same
            d = bodies[port_local]
            count = (sum(g["count"] for g in d) if isinstance(d, list) else
                     sum(g["count"] for g in d["groups"]) if "groups" in d else
                     sum(sum(s["counts"]) for s in d["series"]) if "series" in d else d.get("count", d.get("views", 0)))
            table.append((path, count, statistics.median(lat[port_local]) * 1000, statistics.median(lat[port_ch]) * 1000,
                          same))
        print("| query | events matched | local store p50 | ClickHouse p50 | identical |")
        print("|---|---:|---:|---:|---|")
        for path, count, a, b, same in table:
            print(f"| `{path}` | {count:,} | {a:.1f} ms | {b:.1f} ms | {'yes' if same else 'NO'} |")
        print("every answer identical" if identical else "ANSWERS DIFFER")
        return 0 if identical and rows == sent else 1
    finally:
        stop_processes(procs)
        ch.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
