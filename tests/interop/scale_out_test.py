#!/usr/bin/env python3
"""Interop: the scale-out topology of docs/scale-out.md with the real Debian
`victoria-metrics`: two perfwatch edges (global.external_labels edge="a" / "b") behind a
round-robin TCP proxy (the load balancer) ingest remote write and RUM beacons and forward
what they store to one VictoriaMetrics (`remote_write:`) and one ClickHouse
(`events.backend: clickhouse`, the real Debian `clickhouse-server`); a third perfwatch,
the evaluator, reads through `query.backend` from VictoriaMetrics and evaluates the alert
rules, and answers the vitals API from ClickHouse.

Checked:
  1. the load balancer spread the requests over both edges;
  2. VictoriaMetrics holds exactly the samples of both edges' own exports, each series
     with its edge's label (nothing missing, nothing doubled, nothing from one edge written
     into the other's series);
  3. a breach written through the load balancer fires the evaluator's alert, for a breach
     that landed on either edge (two alerts, one per edge), delivered to a webhook;
  4. the evaluator's /api/v1/query answers from VictoriaMetrics (a series only the edges
     hold locally is visible there), and the RUM aggregates of both edges sum up to the
     beacons sent;
  5. ClickHouse holds every beacon once (from both edges), and the evaluator's
     /api/v1/vitals, answered from ClickHouse, counts all of them.

  python3 tests/interop/scale_out_test.py [--binary build/perfwatch] [--keep]

Python standard library only (snappy from python3-snappy or libsnappy). Exits 0 on success;
prints what differs otherwise.
"""
import argparse, http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from common import RemoteWriter, free_port, get, stop_processes  # noqa: E402
from victoriametrics_remote_write_test import VictoriaMetrics, parse_export  # noqa: E402
from webhook_receiver import WebhookRecorder, start_perfwatch_alerting, write_samples  # noqa: E402


class RoundRobinProxy:
    """A layer-4 load balancer: each accepted connection goes to the next backend in turn
    and bytes are copied both ways until either side closes."""

    def __init__(self, backends):
        self.backends = backends
        self.counts = [0] * len(backends)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._next = 0
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            i = self._next % len(self.backends)
            self._next += 1
            self.counts[i] += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", self.backends[i]), timeout=10)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self._stop = True
        self.sock.close()


class ClickHouse:
    """A private clickhouse-server on loopback (as tests/support/clickhouse_server.h)."""

    BINARIES = ("/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server")

    def __init__(self, work):
        self.binary = next((b for b in self.BINARIES if os.access(b, os.X_OK)), None)
        self.dir = os.path.join(work, "clickhouse")
        self.port, self.tcp_port, self.proc = free_port(), free_port(), None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self):
        d = self.dir
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.xml"), "w") as f:
            f.write(f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/error.log</errorlog><console>0</console></logger>
  <http_port>{self.port}</http_port><tcp_port>{self.tcp_port}</tcp_port><listen_host>127.0.0.1</listen_host>
  <path>{d}/data/</path><tmp_path>{d}/tmp/</tmp_path><user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path><users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size><timezone>UTC</timezone>
</yandex>
""")
        with open(os.path.join(d, "users.xml"), "w") as f:
            f.write("""<?xml version="1.0"?>
<yandex><profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas></yandex>
""")
        self.proc = subprocess.Popen([self.binary, f"--config-file={d}/config.xml"], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(d, "stderr.log"), "w"))
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if get(f"{self.base}/ping")[1] == "Ok.\n":
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"clickhouse-server did not start (see {d})")

    def scalar(self, sql):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", "/", body=sql.encode())
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        if r.status != 200:
            raise RuntimeError(f"clickhouse: {sql}: {r.status} {body[:200]}")
        return body.strip()

    def stop(self):
        if self.proc:
            stop_processes([self.proc])
            self.proc = None


def events_backend(ch):
    return f"""events:
  backend: clickhouse
  clickhouse:
    url: {ch.base}
    database: perfwatch
""" if ch else ""


def edge_config(name, vm_port, ch):
    return events_backend(ch) + f"""global:
  external_labels:
    edge: {name}
scrape:
  self_scrape: false
remote_write:
  - url: http://127.0.0.1:{vm_port}/api/v1/write
    name: vm
    queue_config:
      max_samples_per_send: 500
      batch_send_deadline: 200ms
      min_backoff: 50ms
      max_backoff: 400ms
"""


RULES = """groups:
  - name: scale-out
    interval: 1s
    rules:
      - alert: CheckoutSlow
        expr: max by (route, edge) (scaleout_latency_seconds) > 1
        labels:
          severity: page
"""


def evaluator_config(vm_port, hook_url, rules_path, port, ch):
    return events_backend(ch) + f"""global:
  evaluation_interval: 1s
external_url: http://127.0.0.1:{port}
scrape:
  self_scrape: false
query:
  backend:
    url: http://127.0.0.1:{vm_port}
rule_files: [{rules_path}]
alerts:
  defaults: false
alerting:
  route:
    receiver: hook
    group_by: [alertname, route]
    group_wait: 0s
    group_interval: 1s
  receivers:
    - name: hook
      webhook_configs:
        - url: {hook_url}
"""


def metric(base, name):
    _, body = get(f"{base}/metrics")
    for line in body.splitlines():
        if line.startswith(name + "{") and 'remote_name="vm"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def wait_forwarded(edges, vm, cut_s):
    """Until each edge has sent everything stamped up to `cut_s`, then VictoriaMetrics
    makes it searchable."""
    deadline = time.time() + 60
    for e in edges:
        while time.time() < deadline:
            sent = metric(e.base, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds") or 0
            pending = metric(e.base, "prometheus_remote_storage_samples_pending")
            if sent >= cut_s and pending == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"edge {e.name} did not forward everything (see {e.log})")
    get(f"{vm.base}/internal/force_flush")
    time.sleep(1)


def export(base, match, end_s):
    q = urllib.parse.urlencode({"match[]": match, "start": "0", "end": f"{end_s:.3f}"})
    _, body = get(f"{base}/api/v1/export?{q}", timeout=60)
    return parse_export(body)


def beacon(i):
    return json.dumps({"type": "vital", "name": "LCP", "value": 800 + i, "app": "shop",
                       "url": f"https://shop.example/p/{i % 3}"}).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--victoria-metrics", default="/usr/bin/victoria-metrics")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if not os.path.exists(args.victoria_metrics):
        print(f"scale-out: {args.victoria_metrics} not installed (scripts/setup installs it)")
        return 1
    work = tempfile.mkdtemp(prefix="pw-scale-out-")
    vm = VictoriaMetrics(args.victoria_metrics, work, free_port())
    ch = ClickHouse(work)
    if ch.binary is None:
        print("scale-out: clickhouse-server not installed (scripts/setup installs it)")
        return 1
    hook = WebhookRecorder()
    procs, problems, passed = [], [], False
    proxy = None
    try:
        vm.start()
        ch.start()
        hook.start()
        edges = []
        for name in ("a", "b"):
            port = free_port()
            srv = start_perfwatch_alerting(args.binary, work, edge_config(name, vm.port, ch), port, name=f"edge-{name}")
            srv.name = name
            procs.append(srv.proc)
            edges.append(srv)
        rules_path = os.path.join(work, "rules.yml")
        with open(rules_path, "w") as f:
            f.write(RULES)
        port = free_port()
        evaluator = start_perfwatch_alerting(args.binary, work, evaluator_config(vm.port, hook.url("/hook"), rules_path,
                                                                                 port, ch), port, name="evaluator")
        procs.append(evaluator.proc)
        proxy = RoundRobinProxy([e.port for e in edges])

        # 1. Remote write through the load balancer: one connection per request, so the
        # requests alternate between the edges (a -> /a, b -> /b, a, b, ...).
        now_ms = int(time.time() * 1000)
        for i in range(8):
            w = RemoteWriter(proxy.base)
            route = "/a" if i % 2 == 0 else "/b"
            write_samples(w, [({"__name__": "scaleout_latency_seconds", "route": route}, round(0.2 + i / 100, 2)),
                              ({"__name__": "scaleout_requests_total", "route": route}, float(i))],
                          ts_ms=now_ms - 60_000 + i * 1000)
            w.close()
        # 2. RUM beacons through the load balancer.
        beacons = 40
        for i in range(beacons):
            c = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
            c.request("POST", "/api/rum", body=beacon(i), headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            c.close()
            if r.status not in (200, 202, 204):
                problems.append(f"beacon {i}: {r.status}")
        if min(proxy.counts) == 0:
            problems.append(f"the load balancer used only one edge: {proxy.counts}")

        # Each edge holds only its own half.
        for e, route in zip(edges, ("/a", "/b")):
            q = urllib.parse.urlencode({"query": "count(scaleout_latency_seconds)"})
            _, body = get(f"{e.base}/api/v1/query?{q}")
            res = json.loads(body)["data"]["result"]
            if not res or res[0]["value"][1] != "1":
                problems.append(f"edge {e.name}: expected only route {route} locally, got {res}")

        time.sleep(2)  # the RUM aggregates' next flush
        cut = time.time() - 0.5
        wait_forwarded(edges, vm, cut)

        # 3. VictoriaMetrics holds both edges' samples, each under its edge label.
        end = time.time() + 60
        theirs = export(vm.base, '{__name__=~"scaleout_.*"}', end)
        want = {}
        for e in edges:
            for key, samples in export(e.base, '{__name__=~"scaleout_.*"}', end).items():
                want[tuple(sorted(dict(key, edge=e.name).items()))] = samples
        for key in sorted(set(theirs) | set(want)):
            if theirs.get(key) != want.get(key):
                problems.append(f"{dict(key)}: victoria-metrics {theirs.get(key)}, the edge {want.get(key)}")
        n_samples = sum(len(v) for v in want.values())

        # RUM aggregates from both edges add up to the beacons sent.
        q = urllib.parse.urlencode({"query": 'sum by (edge) (rum_lcp_seconds_count{app="shop"})'})
        _, body = get(f"{vm.base}/api/v1/query?{q}")
        per_edge = {r["metric"].get("edge"): float(r["value"][1]) for r in json.loads(body)["data"]["result"]}
        if set(per_edge) != {"a", "b"} or sum(per_edge.values()) != beacons:
            problems.append(f"rum_lcp_seconds_count in victoria-metrics per edge {per_edge}, want {beacons} "
                            "from edges a and b")

        # 4. The evaluator reads from VictoriaMetrics.
        q = urllib.parse.urlencode({"query": "sum(scaleout_requests_total)"})
        _, body = get(f"{evaluator.base}/api/v1/query?{q}")
        res = json.loads(body)["data"]["result"]
        if not res or float(res[0]["value"][1]) != 6 + 7:  # the latest per route: /a i=6, /b i=7
            problems.append(f"evaluator: sum(scaleout_requests_total) = {res}, want 13 (from victoria-metrics)")

        # 5. ClickHouse holds every beacon once, from both edges; the evaluator's vitals API
        # answers from it.
        deadline = time.time() + 60
        rows = sources = None
        while time.time() < deadline:
            try:
                rows = int(ch.scalar("SELECT count() FROM perfwatch.events WHERE type = 'vital' AND app = 'shop'"))
                sources = int(ch.scalar("SELECT uniqExact(source) FROM perfwatch.events WHERE app = 'shop'"))
            except (RuntimeError, ValueError):
                rows = None
            if rows == beacons and sources == 2:
                break
            time.sleep(0.5)
        if rows != beacons or sources != 2:
            problems.append(f"clickhouse holds {rows} vital rows of app shop from {sources} edges, want {beacons} from 2")
        q = urllib.parse.urlencode({"app": "shop", "metric": "LCP", "window": "1h"})
        status, body = get(f"{evaluator.base}/api/v1/vitals?{q}")
        groups = json.loads(body).get("data", {}).get("groups", []) if status == 200 else []
        counted = sum(int(g.get("count", 0)) for g in groups)
        if counted != beacons:
            problems.append(f"the evaluator's /api/v1/vitals (from clickhouse) counts {counted} LCPs, want {beacons}: "
                            f"{body[:300]}")

        # 6. A breach through the load balancer, on either edge, fires the evaluator's alert.
        breach_ms = int(time.time() * 1000)
        for route, value in (("/a", 5.0), ("/b", 7.0)):
            w = RemoteWriter(proxy.base)
            write_samples(w, [({"__name__": "scaleout_latency_seconds", "route": route}, value)], ts_ms=breach_ms)
            w.close()
        fired = {}

        def seen(r):
            for a in (r.json or {}).get("alerts", []):
                if a.get("status") == "firing" and a["labels"].get("alertname") == "CheckoutSlow":
                    fired[a["labels"].get("route")] = a["labels"].get("edge")
            return set(fired) >= {"/a", "/b"}
        if not hook.wait_for(seen, timeout=30):
            problems.append(f"the evaluator's alert did not fire for both edges' breaches within 30 s: {fired}")
        elif fired != {"/a": "a", "/b": "b"}:
            problems.append(f"alerts fired with edges {fired}, want /a on a and /b on b")

        if problems:
            print("scale-out: FAILED")
            for p in problems[:30]:
                print("  " + p)
            print(f"  (logs in {work})")
            return 1
        print(f"scale-out: 2 edges behind a load balancer ({proxy.counts} connections) -> victoria-metrics: "
              f"{len(want)} series / {n_samples} samples identical with their edge labels, {beacons} beacons "
              f"counted across edges {per_edge}; clickhouse holds {rows} beacons from {sources} edges, the evaluator's "
              f"vitals API counted {counted}; the evaluator (query.backend) fired for breaches on both edges")
        passed = True
        return 0
    finally:
        if proxy:
            proxy.close()
        stop_processes(procs)
        vm.stop()
        ch.stop()
        hook.stop()
        if passed and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
