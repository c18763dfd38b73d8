"""Edge-case series for the conformance suite, beside gen_remote_write.py's realistic web
workload (which has monotonic counters, gauges and well-formed histograms only).

All series carry job="conf". Deterministic: values depend only on the step index; the
last step is at `end_ms`, steps are 15 s apart (133 steps, ~33 minutes).

  conf_requests_total{instance,path,code}   counters; i1 resets once, i2 twice, i3 never
  conf_gauge{instance,kind} / conf_gauge_b   negative and fractional values, exact .5 ties;
                                             conf_gauge_b has conf_gauge's label sets (name
                                             dropping then collides: an execution error)
  conf_ratio{instance}                       in [-1, 1], hitting -1, 0 and 1 (asin, acos, atanh)
  conf_big{instance}                         >= 1, up to 1e6 (acosh, logs, exp overflow)
  conf_special{case}                         NaN, +Inf, -Inf, zero, a mix of them
  conf_stale{instance}                       s1: staleness marker, resumes later; s2: stops
                                             without a marker; s3: marker at the end;
                                             s4: starts late
  conf_sparse{instance}                      one sample every 7.5 minutes (gaps > lookback)
  conf_ts{instance}                          millisecond-jittered timestamps
  conf_hist_bucket/_sum/_count{instance,handler,le}  good, non-monotonic, no +Inf bucket,
                                             all-zero and single-bucket histograms
  conf_info{instance,version,owner}          1 per instance: the "one" side of group_left
  conf_dup{instance,x}                       two series per instance (many-to-many errors)
  conf_labels{src,dst,path}                  label values to rewrite with label_replace/join
"""
import math

STEPS = 133
INTERVAL_MS = 15_000


def generate(end_ms):
    t0 = end_ms - (STEPS - 1) * INTERVAL_MS

    def ts(k):
        return t0 + k * INTERVAL_MS

    out = []

    def add(labels, samples):
        labels = dict(labels)
        labels["job"] = "conf"
        out.append((labels, samples))

    # counters with resets
    resets = {"i1": [47], "i2": [30, 95], "i3": []}
    for inst, reset_at in resets.items():
        for path in ("/a", "/b"):
            for code in ("200", "500"):
                v = 0.0
                samples = []
                rate = (3 if code == "200" else 1) * (2 if path == "/a" else 1) * (1 + int(inst[1]))
                for k in range(STEPS):
                    if k in reset_at:
                        v = float(k % 3)  # restart near zero
                    else:
                        v += rate * (1 + (k * 7 + len(path)) % 5)
                    samples.append((ts(k), v))
                add({"__name__": "conf_requests_total", "instance": inst, "path": path, "code": code}, samples)

    # gauges: negative, fractional, exact .5 ties
    for inst_i, inst in enumerate(("i1", "i2", "i3")):
        for kind in ("temp", "load"):
            samples, samples_b = [], []
            for k in range(STEPS):
                if k % 10 == 3:
                    v = [-2.5, 2.5, 0.5, -0.5, 1.5][(k // 10 + inst_i) % 5]
                else:
                    v = round(10 * math.sin((k + 5 * inst_i) / 7.0) + (0.25 if kind == "load" else -1.125), 3)
                samples.append((ts(k), v))
                samples_b.append((ts(k), round(v * 0.5 - 1, 4)))
            add({"__name__": "conf_gauge", "instance": inst, "kind": kind}, samples)
            add({"__name__": "conf_gauge_b", "instance": inst, "kind": kind}, samples_b)

    # ratios in [-1, 1]
    for inst_i, inst in enumerate(("i1", "i2", "i3")):
        samples = []
        for k in range(STEPS):
            if k % 17 == 0:
                v = [-1.0, 0.0, 1.0][(k // 17 + inst_i) % 3]
            else:
                v = round(math.cos((k + inst_i * 11) / 9.0) * 0.95, 4)
            samples.append((ts(k), v))
        add({"__name__": "conf_ratio", "instance": inst}, samples)

    # large values
    for inst_i, inst in enumerate(("i1", "i2")):
        add({"__name__": "conf_big", "instance": inst},
            [(ts(k), 1.0 + (k * (inst_i + 1)) ** 2 * 50.0 + (1e6 if k == 100 else 0)) for k in range(STEPS)])

    # NaN / Inf
    nan, inf = float("nan"), float("inf")
    special = {
        "nan": lambda k: nan,
        "inf": lambda k: inf,
        "neginf": lambda k: -inf,
        "zero": lambda k: 0.0,
        "mixed": lambda k: [1.0, nan, 2.0, inf, 3.0, -inf, 0.0][k % 7],
        "counter_nan": lambda k: float(k * 2) if k % 25 != 24 else nan,
    }
    for case, f in special.items():
        add({"__name__": "conf_special", "case": case}, [(ts(k), f(k)) for k in range(STEPS)])

    # staleness and gaps
    s1 = [(ts(k), float(k)) for k in range(0, 60)] + [(ts(60), "stale")] + \
         [(ts(k), float(k)) for k in range(90, STEPS)]
    s2 = [(ts(k), float(100 - k)) for k in range(0, 70)]
    s3 = [(ts(k), float(k % 9)) for k in range(0, STEPS - 1)] + [(ts(STEPS - 1), "stale")]
    s4 = [(ts(k), float(k) / 4) for k in range(80, STEPS)]
    for inst, samples in (("s1", s1), ("s2", s2), ("s3", s3), ("s4", s4)):
        add({"__name__": "conf_stale", "instance": inst}, samples)
    add({"__name__": "conf_sparse", "instance": "p1"}, [(ts(k), float(k)) for k in range(0, STEPS, 30)])
    add({"__name__": "conf_sparse", "instance": "p2"}, [(ts(k), float(-k)) for k in range(7, STEPS, 30)])

    # millisecond-jittered timestamps
    for inst_i, inst in enumerate(("j1", "j2")):
        add({"__name__": "conf_ts", "instance": inst},
            [(ts(k) + (k * 37 + inst_i * 211) % 1000, float(k * 3 + inst_i)) for k in range(STEPS)])

    # histograms
    les = ["0.1", "0.5", "1", "5", "+Inf"]
    shapes = {
        "good": lambda k: [k * 2, k * 5, k * 8, k * 9, k * 10],
        "nonmono": lambda k: [k * 3, k * 2, k * 6, k * 6, k * 7],   # 0.5 bucket dips below 0.1
        "noinf": lambda k: [k, k * 3, k * 4, k * 5, None],           # no +Inf bucket
        "zero": lambda k: [0, 0, 0, 0, 0],
        "single": lambda k: [None, None, None, None, k * 4],         # only +Inf
    }
    for inst in ("i1", "i2"):
        for handler, f in shapes.items():
            mult = 1 if inst == "i1" else 2
            cols = [[] for _ in les]
            sums, counts = [], []
            for k in range(STEPS):
                vals = f(k)
                for j, v in enumerate(vals):
                    if v is not None:
                        cols[j].append((ts(k), float(v * mult)))
                top = [v for v in vals if v is not None][-1]
                counts.append((ts(k), float(top * mult)))
                sums.append((ts(k), round(top * mult * 0.37, 3)))
            base = {"instance": inst, "handler": handler}
            for j, le in enumerate(les):
                if cols[j]:
                    add(dict(base, __name__="conf_hist_bucket", le=le), cols[j])
            add(dict(base, __name__="conf_hist_sum"), sums)
            add(dict(base, __name__="conf_hist_count"), counts)

    # join targets
    for inst, version, owner in (("i1", "1.2.3", "team-a"), ("i2", "1.3.0", "team-b"), ("i3", "2.0.0", "team-a")):
        add({"__name__": "conf_info", "instance": inst, "version": version, "owner": owner},
            [(ts(k), 1.0) for k in range(STEPS)])
    for inst in ("i1", "i2"):
        for x in ("p", "q"):
            add({"__name__": "conf_dup", "instance": inst, "x": x},
                [(ts(k), float(k + (1 if x == "p" else 2))) for k in range(STEPS)])

    # label rewriting
    for src, dst, path in (("web-01.eu", "db-7", "/api/v1/items"), ("web-02.us", "cache-1", "/"),
                           ("worker", "", "/jobs/run-42")):
        add({"__name__": "conf_labels", "src": src, "dst": dst, "path": path} if dst else
            {"__name__": "conf_labels", "src": src, "path": path},
            [(ts(k), float(len(src) + k % 4)) for k in range(STEPS)])
    return out
