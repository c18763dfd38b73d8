#!/usr/bin/env python3
"""Checks the conformance comparator itself: it must notice each kind of difference (and
accept what Prometheus' API leaves open). No servers needed.

  python3 tests/conformance/compare_selftest.py
"""
import copy
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promql_conformance import compare, same_values_per_timestamp  # noqa: E402


def ans(obj, status=200):
    return status, obj, json.dumps(obj)


def vec(*series):
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": m, "value": [t, v]} for m, t, v in series]}}


def mat(*series):
    return {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": m, "values": vals} for m, vals in series]}}


A = {"__name__": "x", "i": "a"}
B = {"i": "b"}
BASE = vec((A, 10, "1"), (B, 10, "NaN"))
ERR = {"status": "error", "errorType": "bad_data", "error": "parse error"}


def main():
    cases = [  # (name, reference, candidate, ordered, expect difference)
        ("identical", BASE, BASE, False, False),
        ("reordered vector, unordered query", BASE, vec((B, 10, "NaN"), (A, 10, "1")), False, False),
        ("value within 1e-9", BASE, vec((A, 10, "1.0000000001"), (B, 10, "NaN")), False, False),
        ("value off by 1e-6", BASE, vec((A, 10, "1.000001"), (B, 10, "NaN")), False, True),
        ("NaN vs number", BASE, vec((A, 10, "1"), (B, 10, "0")), False, True),
        ("+Inf vs -Inf", vec((A, 10, "+Inf")), vec((A, 10, "-Inf")), False, True),
        ("+Inf vs +Inf", vec((A, 10, "+Inf")), vec((A, 10, "+Inf")), False, False),
        ("tiny vs zero", vec((A, 10, "1e-17")), vec((A, 10, "0")), False, False),
        ("missing series", BASE, vec((A, 10, "1")), False, True),
        ("extra label", BASE, vec((dict(A, j="1"), 10, "1"), (B, 10, "NaN")), False, True),
        ("name kept vs dropped", BASE, vec(({"i": "a"}, 10, "1"), (B, 10, "NaN")), False, True),
        ("timestamp differs", BASE, vec((A, 10.001, "1"), (B, 10, "NaN")), False, True),
        ("duplicate series", BASE, vec((A, 10, "1"), (A, 10, "1"), (B, 10, "NaN")), False, True),
        ("order differs for sort()", vec((A, 1, "1"), (B, 1, "2")), vec((B, 1, "2"), (A, 1, "1")), True, True),
        ("ties in any order for sort()", vec((A, 1, "1"), (B, 1, "1")), vec((B, 1, "1"), (A, 1, "1")), True, False),
        ("resultType", BASE, mat((A, [[10, "1"]]), (B, [[10, "NaN"]])), False, True),
        ("matrix point missing", mat((A, [[1, "1"], [2, "2"]])), mat((A, [[1, "1"]])), False, True),
        ("matrix equal", mat((A, [[1, "1"], [2, "2"]])), mat((A, [[1, "1"], [2, "2"]])), False, False),
        ("scalar", {"status": "success", "data": {"resultType": "scalar", "result": [1, "2"]}},
         {"status": "success", "data": {"resultType": "scalar", "result": [1, "3"]}}, False, True),
        ("string", {"status": "success", "data": {"resultType": "string", "result": [1, "a"]}},
         {"status": "success", "data": {"resultType": "string", "result": [1, "b"]}}, False, True),
        ("error vs success", ERR, BASE, False, True),
        ("same errorType, other message", ERR, dict(ERR, error="1:3: unexpected"), False, False),
        ("errorType differs", ERR, dict(ERR, errorType="execution"), False, True),
    ]
    failed = 0
    for name, ref, cand, ordered, want_diff in cases:
        st = 422 if cand.get("errorType") == "execution" else (400 if cand.get("status") == "error" else 200)
        rst = 400 if ref.get("status") == "error" else 200
        diffs = compare(ans(copy.deepcopy(ref), rst), ans(copy.deepcopy(cand), st), ordered, "candidate")
        if bool(diffs) != want_diff:
            failed += 1
            print(f"FAIL  {name}: differences {diffs!r}, expected {'some' if want_diff else 'none'}")
    # HTTP status of an error is compared too
    if not compare(ans(ERR, 400), ans(ERR, 422), False, "candidate"):
        failed += 1
        print("FAIL  HTTP status of errors not compared")
    # topk/bottomk ties: another series with the same value is accepted, another value is not
    tie_cases = [
        ("one of two tied points dropped", mat((A, [[1, "5"], [2, "7"]]), (B, [[2, "7"]])),
         mat((A, [[1, "5"]]), (B, [[2, "7"]])), False),
        ("tied series swapped (2)", mat((A, [[1, "5"], [2, "7"]]), (B, [[1, "3"]])),
         mat((A, [[1, "5"]]), (B, [[1, "3"], [2, "7"]])), True),
        ("other value chosen", mat((A, [[1, "5"], [2, "7"]])), mat((A, [[1, "5"]]), (B, [[2, "8"]])), False),
    ]
    for name, ref, cand, want in tie_cases:
        if same_values_per_timestamp(ans(ref), ans(cand)) != want:
            failed += 1
            print(f"FAIL  {name}: same_values_per_timestamp should be {want}")
    n = len(cases) + 1 + len(tie_cases)
    print(f"compare_selftest: {n - failed}/{n} ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
