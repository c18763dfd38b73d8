#!/usr/bin/env python3
"""Memory under realistic RUM cardinality (issue 11, item 7): a fresh `perfwatch serve`
loaded through POST /api/rum with vital beacons of a site with many page templates.

  python3 bench/rum_cardinality_load.py [--binary build/perfwatch] [--beacons 1000000]
      [--pages 200] [--devices 2] [--connections 3] [--batch 250] [--settle 15] [--runs 1]

The site: `--pages` route templates (20 sections x N pages, some with an id segment the
route templater turns into ":id"), visited with Zipf-like popularity; `--devices` user
agents (desktop Chrome, iPhone Safari, Android Chrome, iPad); `--connections` effective
connection types. Sessions have a random id, one device and connection, and a geometric
number of page views (mean 4); each page view sends LCP, FCP, TTFB, CLS and INP with ids
unique per page view, as the SDK does. Beacons are posted `--batch` at a time over one
keep-alive connection (the SDK batches per page; larger batches only make the load faster),
paced over `--duration` seconds: the RUM aggregator writes every second, so the load's
duration sets the samples per head series (20 s: about 20) and pacing makes the figure
independent of machine speed.

Reports the server's VmRSS (and VmHWM) empty, right after the load, and after `--settle`
seconds; the head series count (perfwatch_tsdb_head_series in /metrics) and the RUM label
sets. With --runs > 1 each run uses a fresh server and the medians are printed last.
"""
import argparse, http.client, json, os, random, re, statistics, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rum_server_bench import Server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SECTIONS = ["shop", "blog", "help", "account", "products", "collections", "docs", "news", "careers", "legal",
            "support", "community", "events", "partners", "pricing", "solutions", "resources", "stores",
            "gift-cards", "brands"]
WORDS = ["overview", "details", "compare", "reviews", "gallery", "faq", "specs", "offers", "new", "popular",
         "archive", "search", "checkout", "cart", "wishlist", "settings", "orders", "returns", "contact", "about"]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
]
CONNECTIONS = ["4g", "3g", "2g", "slow-2g"]
# name, lognormal mu, sigma (ms for timings, unitless CLS)
VITALS = [("LCP", 7.6, 0.5), ("FCP", 7.1, 0.5), ("TTFB", 6.0, 0.6), ("CLS", -2.5, 0.8), ("INP", 5.3, 0.6)]


def page_urls(n):
    urls = []
    for i in range(n):
        section, word = SECTIONS[i % len(SECTIONS)], WORDS[(i // len(SECTIONS)) % len(WORDS)]
        extra = "" if i < len(SECTIONS) * len(WORDS) else f"-{i}"
        # every third template carries an id segment (templated to ":id"), the others a query string
        urls.append(f"/{section}/{word}{extra}/{{id}}" if i % 3 == 0 else f"/{section}/{word}{extra}")
    return urls


def make_bodies(args):
    """Yields request bodies with `args.beacons` beacons in total (deterministic for a seed)."""
    rng = random.Random(args.seed)
    pages = page_urls(args.pages)
    weights = [1.0 / (i + 1) for i in range(len(pages))]  # Zipf-like popularity
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    import bisect
    now_ms = int(time.time() * 1000)
    sent, parts, views = 0, [], 0
    while sent < args.beacons:
        session = "%016x" % rng.getrandbits(64)
        ua = UAS[rng.randrange(args.devices)]
        conn = CONNECTIONS[rng.randrange(args.connections)]
        n_views = 1
        while rng.random() < 0.75:
            n_views += 1
        t = now_ms - 3_600_000 - rng.randrange(3_600_000)
        for _ in range(n_views):
            page = pages[bisect.bisect_left(cum, rng.random() * acc)].replace("{id}", str(rng.randrange(1, 100000)))
            url = f"https://shop.example{page}?utm_source=x{rng.randrange(5)}"
            views += 1
            t += rng.randrange(2000, 60000)
            for name, mu, sigma in VITALS:
                if sent >= args.beacons:
                    break
                v = rng.lognormvariate(mu, sigma)
                value = round(v, 4) if name == "CLS" else round(v, 1)
                parts.append('{"type":"vital","name":"%s","value":%s,"delta":%s,"id":"v4-%d-%d","navigationType":'
                             '"navigate","sessionId":"%s","url":"%s","timestamp":%d,"userAgent":"%s",'
                             '"connection":"%s"}' % (name, value, value, views, VITALS.index((name, mu, sigma)),
                                                     session, url, t, ua, conn))
                sent += 1
                if len(parts) == args.batch:
                    yield "[" + ",".join(parts) + "]", len(parts)
                    parts = []
            if sent >= args.beacons:
                break
    if parts:
        yield "[" + ",".join(parts) + "]", len(parts)


def scrape_metric(port, name):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def largest_mappings(pid, n=12):
    """The mappings with the most resident memory: [name or address range, Rss kB]."""
    out, cur = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                cur = [parts[5] if len(parts) > 5 else f"anon {parts[0]}", 0]
                out.append(cur)
            elif parts[0] == "Rss:":
                cur[1] = int(parts[1])
    return sorted(out, key=lambda m: -m[1])[:n]


def one_run(args):
    server = Server(args.binary)
    try:
        pid = server.proc.pid
        rss0 = proc_status(pid, "VmRSS")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        t0 = time.time()
        sent = 0
        for body, n in make_bodies(args):
            if args.duration > 0:  # paced: samples per head series do not depend on machine speed
                ahead = t0 + args.duration * sent / args.beacons - time.time()
                if ahead > 0:
                    time.sleep(ahead)
            conn.request("POST", "/api/rum", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 204:
                raise RuntimeError(f"load: status {r.status}")
            sent += n
        secs = time.time() - t0
        time.sleep(2)  # the RUM aggregator writes every second
        rss_loaded = proc_status(pid, "VmRSS")
        time.sleep(max(0, args.settle - 2))
        rss_settled = proc_status(pid, "VmRSS")
        hwm = proc_status(pid, "VmHWM")
        series = scrape_metric(server.port, "perfwatch_tsdb_head_series")
        label_sets = scrape_metric(server.port, "perfwatch_rum_aggregate_label_sets")
        overflow = scrape_metric(server.port, "perfwatch_rum_pages_overflow_total")
        res = dict(beacons=sent, load_seconds=round(secs, 1), beacons_per_s=round(sent / secs),
                   rss_empty_mb=round(rss0, 1), rss_loaded_mb=round(rss_loaded, 1),
                   rss_settled_mb=round(rss_settled, 1), peak_rss_mb=round(hwm, 1), head_series=series,
                   rum_label_sets=label_sets, pages_overflow=overflow)
        if args.smaps:
            res["largest_mappings_kb"] = largest_mappings(pid)
        return res
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--beacons", type=int, default=1_000_000)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--devices", type=int, default=2, choices=range(1, len(UAS) + 1))
    ap.add_argument("--connections", type=int, default=3, choices=range(1, len(CONNECTIONS) + 1))
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--settle", type=float, default=15)
    ap.add_argument("--duration", type=float, default=20,
                    help="spread the load over this many seconds (0: as fast as possible)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--smaps", action="store_true", help="list the mappings with the most resident memory")
    args = ap.parse_args()
    results = []
    for run in range(args.runs):
        r = one_run(args)
        results.append(r)
        print(json.dumps(r), flush=True)
    if args.runs > 1:
        med = {k: statistics.median(r[k] for r in results) for k in
               ("rss_empty_mb", "rss_loaded_mb", "rss_settled_mb", "peak_rss_mb", "beacons_per_s")}
        print("median " + json.dumps(med))


if __name__ == "__main__":
    sys.exit(main())
