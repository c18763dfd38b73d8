#!/usr/bin/env python3
"""Configuration reload time (tracker issue 21 item 4; docs/operations.md "Reloading").

One configuration for both servers: `rule_files:` with --groups groups of --rules rules
each (half alerting, half recording, as Prometheus' rule files), `scrape_configs:` with
--targets static targets (unreachable loopback ports, scraped every 60 s) and
`global.external_labels`. Before each reload one rule's threshold and the external label
change, so every reload replaces real state. The time is POST /-/reload as the client sees
it: both servers answer once the new configuration is applied (or refused).

perfwatch also reloads everything else in its file (here the `rum:`, `query:`, `tsdb:` and
`http:` keys below, changed at each reload too); Prometheus has no such sections.

The peer is Debian's Prometheus with --web.enable-lifecycle, in the same run.

  python3 bench/reload_bench.py --binary build/perfwatch [--groups 50] [--rules 20] [--targets 200] [--runs 30]
"""
import argparse, http.client, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "bench"))
from rum_server_bench import Server, free_port  # noqa: E402


def rules_yaml(groups, rules, threshold):
    out = ["groups:"]
    for g in range(groups):
        out.append(f"  - name: group{g}\n    interval: 60s\n    rules:")
        for r in range(rules):
            if r % 2:
                out.append(f"      - record: job:up_sum_{g}_{r}:sum\n        expr: sum by (job) (up)")
            else:
                out.append(f"      - alert: Down{g}_{r}\n        expr: up{{job=\"j{r}\"}} < {threshold}\n"
                           f"        for: 5m\n        labels: {{severity: warning}}\n"
                           f"        annotations: {{summary: \"{{{{ $labels.instance }}}} down\"}}")
    return "\n".join(out) + "\n"


def prom_yaml(rule_file, targets, label):
    t = ", ".join(f"'127.0.0.1:{1 + i}'" for i in range(targets))
    return (f"global:\n  scrape_interval: 60s\n  evaluation_interval: 60s\n  external_labels: {{dc: '{label}'}}\n"
            f"rule_files: ['{rule_file}']\n"
            f"scrape_configs:\n  - job_name: static\n    static_configs:\n      - targets: [{t}]\n")


def perfwatch_yaml(rule_file, targets, label, i):
    return prom_yaml(rule_file, targets, label) + (
        f"scrape:\n  self_scrape: false\n"
        f"rum:\n  max_pages_per_app: {400 + i % 2}\n  rate_limit_per_ip: {100 + i % 2}\n"
        f"query:\n  max_samples: {50000000 + i % 2}\n"
        f"tsdb:\n  max_series: {1000000 + i % 2}\n"
        f"http:\n  max_body_bytes: {10485760 + i % 2}\n")


def post_reload(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    c.request("POST", "/-/reload", body=b"")
    r = c.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    if r.status != 200:
        raise RuntimeError(f"reload: {r.status} {body[:300]!r}")
    return dt


def measure(port, write, runs):
    times = []
    for i in range(runs):
        write(i + 1)
        times.append(post_reload(port))
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--prometheus", default="prometheus")
    ap.add_argument("--groups", type=int, default=50)
    ap.add_argument("--rules", type=int, default=20)
    ap.add_argument("--targets", type=int, default=200)
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pw-reload-bench-")
    try:
        results = {}
        # perfwatch
        pw_rules = os.path.join(work, "pw-rules.yml")
        with open(pw_rules, "w") as f:
            f.write(rules_yaml(a.groups, a.rules, 1))
        srv = Server(a.binary, perfwatch_yaml(pw_rules, a.targets, "a", 0))
        cfg = os.path.join(srv.dir, "perfwatch.yml")

        def pw_write(i):
            with open(pw_rules, "w") as f:
                f.write(rules_yaml(a.groups, a.rules, 1 + i % 2))
            with open(cfg, "w") as f:
                f.write(perfwatch_yaml(pw_rules, a.targets, "ab"[i % 2], i))
        try:
            results["perfwatch"] = (measure(srv.port, pw_write, a.runs), srv.rss_mb())
        finally:
            srv.proc.terminate()
            srv.proc.wait(30)
        # Prometheus
        pr_rules = os.path.join(work, "prom-rules.yml")
        pr_cfg = os.path.join(work, "prometheus.yml")
        with open(pr_rules, "w") as f:
            f.write(rules_yaml(a.groups, a.rules, 1))
        with open(pr_cfg, "w") as f:
            f.write(prom_yaml(pr_rules, a.targets, "a"))
        port = free_port()
        log = open(os.path.join(work, "prometheus.log"), "w")
        proc = subprocess.Popen([a.prometheus, f"--config.file={pr_cfg}", f"--storage.tsdb.path={work}/prom-data",
                                 f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"],
                                stdout=log, stderr=log)
        try:
            for _ in range(500):
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    c.request("GET", "/-/ready")
                    if c.getresponse().status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.05)

            def pr_write(i):
                with open(pr_rules, "w") as f:
                    f.write(rules_yaml(a.groups, a.rules, 1 + i % 2))
                with open(pr_cfg, "w") as f:
                    f.write(prom_yaml(pr_rules, a.targets, "ab"[i % 2]))
            times = measure(port, pr_write, a.runs)
            with open(f"/proc/{proc.pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024.0
            results["prometheus"] = (times, rss)
        finally:
            proc.terminate()
            proc.wait(30)
        print(f"{a.groups} groups x {a.rules} rules, {a.targets} targets, {a.runs} reloads each "
              f"(every reload changes a rule threshold and the external label)")
        print("| server | median reload | p90 | min | max | RSS after |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, (times, rss) in results.items():
            s = sorted(times)
            print(f"| {name} | {statistics.median(s) * 1000:.1f} ms | {s[int(0.9 * (len(s) - 1))] * 1000:.1f} ms "
                  f"| {s[0] * 1000:.1f} ms | {s[-1] * 1000:.1f} ms | {rss:.1f} MB |")
        pw = statistics.median(results["perfwatch"][0])
        pr = statistics.median(results["prometheus"][0])
        print(f"ratio (Prometheus / perfwatch, medians): {pr / pw:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
