"""Random PromQL expressions over the conformance data set, for promql_conformance.py
--random N [--seed S]: nested functions, aggregations, binary operators with vector
matching, subqueries and modifiers, built from a small grammar with the data's metric and
label names. Deterministic for a seed. Most are valid; the invalid ones are compared
like the rest (same errorType).

  python3 tests/conformance/random_queries.py 20 [seed]   # print 20 expressions
"""
import random
import sys

COUNTERS = [
    'http_requests_total{route="/search"}', 'http_requests_total{status=~"5.."}', "conf_requests_total",
    'conf_requests_total{instance="i2"}', "process_cpu_seconds_total", "http_request_duration_seconds_count",
    'conf_special{case="counter_nan"}', "conf_hist_count",
]
GAUGES = [
    "conf_gauge", 'conf_gauge{kind="temp"}', "conf_gauge_b", "conf_ratio", "conf_big",
    "process_resident_memory_bytes", 'rum_lcp_p75_ms{page="/"}', 'rum_cls_p75{device="mobile"}', "conf_stale",
    "conf_sparse", "conf_ts", "conf_special", "conf_info", "conf_dup",
]
HISTOGRAMS = ["http_request_duration_seconds_bucket", 'http_request_duration_seconds_bucket{route=~"/api/.*"}',
              "conf_hist_bucket", 'conf_hist_bucket{handler="good"}']
LABELS = ["instance", "job", "route", "kind", "case", "method", "status", "handler", "device", "region", "code"]
RANGES = ["30s", "1m", "2m", "5m", "10m", "1h"]
STEPS = ["", "15s", "30s", "1m", "47s"]
RANGE_FUNCS = ["rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes", "avg_over_time",
               "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "stddev_over_time",
               "stdvar_over_time", "last_over_time", "present_over_time", "absent_over_time"]
COUNTER_FUNCS = ["rate", "irate", "increase", "resets"]
VEC_FUNCS = ["abs", "ceil", "floor", "round", "exp", "ln", "log2", "log10", "sqrt", "sgn", "sin", "cos", "tan",
             "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "deg", "rad", "timestamp",
             "absent", "minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month",
             "year", "-"]
AGGS = ["sum", "avg", "min", "max", "count", "stddev", "stdvar", "group"]
ARITH = ["+", "-", "*", "/", "%", "^", "atan2"]
CMP = ["==", "!=", ">", "<", ">=", "<="]
SETS = ["and", "or", "unless"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, xs):
        return self.r.choice(xs)

    def labels(self, n=None):
        n = self.r.randint(1, 2) if n is None else n
        return ", ".join(self.r.sample(LABELS, n))

    def modifier(self):
        x = self.r.random()
        if x < 0.08:
            return " offset " + self.pick(["1m", "5m", "-1m", "90s"])
        if x < 0.12:
            return " @ " + self.pick(["start()", "end()"])
        return ""

    def range_vec(self, depth):
        if depth > 0 and self.r.random() < 0.15:
            return f"({self.vector(depth - 1)})[{self.pick(['5m', '10m'])}:{self.pick(STEPS)}]"
        sel = self.pick(COUNTERS + GAUGES)
        return f"{sel}[{self.pick(RANGES)}]{self.modifier()}"

    def scalar(self, depth):
        x = self.r.random()
        if x < 0.55 or depth <= 0:
            return self.pick(["0", "1", "2", "0.5", "-1", "3", "100", "0.25", "NaN", "Inf", "1e-3"])
        if x < 0.7:
            return "time()"
        if x < 0.85:
            return f"scalar({self.vector(depth - 1)})"
        return f"({self.scalar(depth - 1)} {self.pick(ARITH[:5])} {self.scalar(depth - 1)})"

    def vector(self, depth):
        x = self.r.random()
        if depth <= 0 or x < 0.12:
            return self.pick(GAUGES + COUNTERS) + self.modifier()
        if x < 0.32:
            f = self.pick(RANGE_FUNCS)
            if f in COUNTER_FUNCS and self.r.random() < 0.7:
                return f"{f}({self.pick(COUNTERS)}[{self.pick(RANGES)}]{self.modifier()})"
            return f"{f}({self.range_vec(depth)})"
        if x < 0.38:
            q = self.pick(["0", "0.1", "0.5", "0.9", "0.99", "1"])
            return f"quantile_over_time({q}, {self.range_vec(depth)})"
        if x < 0.44:
            h = self.pick(HISTOGRAMS)
            by = self.pick(["le", "le, instance", "le, route", "le, handler"])
            return (f"histogram_quantile({self.pick(['0.5', '0.9', '0.99', '0', '1'])}, "
                    f"sum by ({by}) (rate({h}[{self.pick(['1m', '5m'])}])))")
        if x < 0.56:
            f = self.pick(VEC_FUNCS)
            if f == "-":
                return f"-({self.vector(depth - 1)})"
            return f"{f}({self.vector(depth - 1)})"
        if x < 0.6:
            f = self.pick(["clamp_min", "clamp_max", "round"])
            return f"{f}({self.vector(depth - 1)}, {self.scalar(0)})"
        if x < 0.62:
            return f"clamp({self.vector(depth - 1)}, {self.scalar(0)}, {self.scalar(0)})"
        if x < 0.64:
            lab = self.pick(LABELS)
            return f'label_replace({self.vector(depth - 1)}, "x", "$1", "{lab}", "(.)(.*)")'
        if x < 0.78:
            a = self.pick(AGGS)
            mod = self.pick(["", f" by ({self.labels()})", f" without ({self.labels()})"])
            if self.r.random() < 0.5:
                return f"{a}{mod} ({self.vector(depth - 1)})"
            return f"{a}({self.vector(depth - 1)}){mod}"
        if x < 0.82:
            a = self.pick(["topk", "bottomk"])
            return f"{a} by ({self.labels(1)}) ({self.pick(['1', '2', '3'])}, {self.vector(depth - 1)})"
        if x < 0.84:
            return f"quantile by ({self.labels(1)}) ({self.pick(['0.25', '0.5', '0.95'])}, {self.vector(depth - 1)})"
        if x < 0.86:
            return f'count_values without ({self.labels(1)}) ("val", round({self.vector(depth - 1)}))'
        if x < 0.93:
            op = self.pick(ARITH + CMP)
            b = " bool" if op in CMP and self.r.random() < 0.5 else ""
            if self.r.random() < 0.5:
                return f"{self.vector(depth - 1)} {op}{b} {self.scalar(depth - 1)}"
            return f"{self.scalar(depth - 1)} {op}{b} {self.vector(depth - 1)}"
        op = self.pick(ARITH + CMP + SETS)
        b = " bool" if op in CMP and self.r.random() < 0.4 else ""
        match = self.pick(["", f" on ({self.labels(1)})", f" ignoring ({self.labels(1)})",
                           " on (instance) group_left", " ignoring (kind) group_left", " on (instance) group_right"])
        if op in SETS and "group" in match:
            match = ""
        left = self.pick(["conf_gauge", "conf_gauge_b", "conf_ratio", "conf_info", "conf_requests_total",
                          f"sum by (instance) ({self.vector(depth - 1)})", self.vector(depth - 1)])
        right = self.pick(["conf_gauge", "conf_gauge_b", "conf_ratio", "conf_info", "conf_big",
                           f"max by (instance) ({self.vector(depth - 1)})", self.vector(depth - 1)])
        return f"({left}) {op}{b}{match} ({right})"


def generate(n, seed=1):
    g = Gen(seed)
    out, seen = [], set()
    while len(out) < n:
        e = g.vector(g.r.randint(1, 4))
        if e not in seen:
            seen.add(e)
            out.append(e)
    return out


if __name__ == "__main__":
    for e in generate(int(sys.argv[1]) if len(sys.argv) > 1 else 20, int(sys.argv[2]) if len(sys.argv) > 2 else 1):
        print(e)
