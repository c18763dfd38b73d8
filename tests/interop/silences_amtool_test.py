#!/usr/bin/env python3
"""Silences interop (issue 12, item 1): Debian's `amtool` (package prometheus-alertmanager,
Alertmanager 0.25's CLI, a go-swagger client of API v2) drives `perfwatch serve`:

  * two alerts are posted (DiskFull, CpuHigh) to /api/v2/alerts;
  * `amtool silence add alertname=DiskFull --comment=... --duration=1h` prints the new
    silence's UUID;
  * `amtool silence query` (table), `-q` (ids) and `-o json` list it with its matcher,
    author, comment and state "active"; `silence query alertname=CpuHigh` finds nothing;
  * `amtool alert query` shows CpuHigh only (silenced alerts are hidden by default),
    `alert query -s` shows DiskFull only, `-o json` reports it "suppressed" with
    silencedBy = [id];
  * the webhook receiver gets CpuHigh and never DiskFull while silenced;
  * `amtool silence expire ID` ends it: `silence query` no longer lists it,
    `silence query --expired` does, and DiskFull reaches the receiver;
  * an alert acknowledged with POST /api/v1/alerts/{fp}/ack gets perfwatch's extra
    status.acknowledgement field, and `amtool alert query` (table and -o json) still works;
  * expiring an unknown id makes amtool fail (non-zero exit); a silence with a bad regex
    posted directly is refused with 400 and Alertmanager's wording.

  python3 tests/interop/silences_amtool_test.py [--binary build/perfwatch] [--keep]

Python standard library only. Runs in about 10 s; every process started is stopped and
the temp dir removed (kept with --keep or on failure). Exit 0 on success, 1 on failure.
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from common import free_port, request  # noqa: E402
from webhook_receiver import WebhookRecorder, start_perfwatch_alerting  # noqa: E402

AMTOOL = shutil.which("amtool") or "/usr/bin/amtool"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print(f"  ok  {what}")


def amtool(url, *args, expect_ok=True):
    cmd = [AMTOOL, f"--alertmanager.url={url}", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, USER=os.environ.get("USER", "tester")))
    if expect_ok and p.returncode != 0:
        raise Failure(f"{' '.join(cmd[1:])} exited {p.returncode}: {p.stderr.strip()}")
    return p


def received_names(rec):
    names = []
    for r in rec.snapshot():
        body = r.json or {}
        names += [a["labels"].get("alertname") for a in body.get("alerts", []) if a.get("status") == "firing"]
    return names


def run(binary, work):
    rec = WebhookRecorder()
    rec.start()
    port = free_port()
    config = {
        "alerting": {
            "route": {"receiver": "hook", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1s"},
            "receivers": [{"name": "hook", "webhook_configs": [{"url": rec.url()}]}],
        }
    }
    server = start_perfwatch_alerting(binary, work, config, port)
    url = server.base
    try:
        print("silence add")
        p = amtool(url, "silence", "add", "alertname=DiskFull", "--comment=disk swap", "--duration=1h",
                   "--author=ops")
        sid = p.stdout.strip()
        check(UUID.match(sid) is not None, f"amtool silence add printed a UUID v4 ({sid})")

        st, _, body = request(url, "POST", "/api/v2/alerts", headers={"Content-Type": "application/json"},
                              form=json.dumps([{"labels": {"alertname": "DiskFull", "instance": "db1"},
                                                "annotations": {"summary": "disk full"}},
                                               {"labels": {"alertname": "CpuHigh", "instance": "db1"},
                                                "annotations": {"summary": "cpu high"}}]))
        check(st == 200, f"POST /api/v2/alerts answered 200 ({st} {body})")

        print("silence query")
        table = amtool(url, "silence", "query").stdout
        lines = table.strip().splitlines()
        check(lines[0].split() == ["ID", "Matchers", "Ends", "At", "Created", "By", "Comment"],
              "table header as amtool prints it")
        check(len(lines) == 2 and lines[1].startswith(sid) and 'alertname="DiskFull"' in lines[1]
              and "ops" in lines[1] and "disk swap" in lines[1], f"one row for the silence: {lines[1:]}")
        check(amtool(url, "silence", "query", "-q").stdout.split() == [sid], "silence query -q prints the id")
        sils = json.loads(amtool(url, "silence", "query", "-o", "json").stdout)
        check(len(sils) == 1, "silence query -o json lists one silence")
        s = sils[0]
        check(s["id"] == sid and s["status"]["state"] == "active" and s["createdBy"] == "ops"
              and s["comment"] == "disk swap", f"its fields: {s}")
        check(s["matchers"] == [{"isEqual": True, "isRegex": False, "name": "alertname", "value": "DiskFull"}],
              f"its matchers: {s['matchers']}")
        check(amtool(url, "silence", "query", "alertname=CpuHigh", "-q").stdout.strip() == "",
              "a filter naming another matcher finds nothing")

        print("alert query")
        deadline = time.time() + 10
        while time.time() < deadline and "CpuHigh" not in received_names(rec):
            time.sleep(0.1)
        time.sleep(2.5)  # two more group ticks for DiskFull
        names = received_names(rec)
        check("CpuHigh" in names and "DiskFull" not in names, f"the receiver got CpuHigh only: {names}")
        out = amtool(url, "alert", "query").stdout
        check("CpuHigh" in out and "DiskFull" not in out, "alert query hides the silenced alert")
        out = amtool(url, "alert", "query", "-s").stdout
        check("DiskFull" in out and "CpuHigh" not in out, "alert query -s shows the silenced alert only")
        alerts = json.loads(amtool(url, "alert", "query", "-s", "-o", "json").stdout)
        check(len(alerts) == 1 and alerts[0]["status"] == {"inhibitedBy": [], "silencedBy": [sid], "state": "suppressed"},
              f"-o json: suppressed, silencedBy the silence: {alerts}")

        print("silence expire")
        amtool(url, "silence", "expire", sid)
        check(amtool(url, "silence", "query", "-q").stdout.strip() == "", "no longer listed as active")
        check(amtool(url, "silence", "query", "--expired", "-q").stdout.split() == [sid], "listed with --expired")
        deadline = time.time() + 10
        while time.time() < deadline and "DiskFull" not in received_names(rec):
            time.sleep(0.1)
        check("DiskFull" in received_names(rec), "DiskFull reaches the receiver once the silence expired")
        out = amtool(url, "alert", "query").stdout
        check("DiskFull" in out and "CpuHigh" in out, "alert query shows both alerts again")

        print("acknowledgement (perfwatch's extra status.acknowledgement field)")
        st, parsed, body = request(url, "GET", "/api/v2/alerts?filter=alertname%3DCpuHigh")
        fp = json.loads(body)[0]["fingerprint"]
        st, _, body = request(url, "POST", f"/api/v1/alerts/{fp}/ack", headers={"Content-Type": "application/json"},
                              form=json.dumps({"comment": "on it"}))
        check(st == 200 and json.loads(body)["acknowledgedBy"] == "anonymous", f"POST .../ack answered 200 ({st} {body})")
        st, _, body = request(url, "GET", "/api/v2/alerts?filter=alertname%3DCpuHigh")
        check("acknowledgement" in json.loads(body)[0]["status"], "listed with status.acknowledgement")
        out = amtool(url, "alert", "query").stdout
        check("DiskFull" in out and "CpuHigh" in out, "amtool alert query still works with an acknowledged alert")
        alerts = json.loads(amtool(url, "alert", "query", "-o", "json").stdout)
        check(len(alerts) == 2 and all(a["status"]["state"] == "active" for a in alerts),
              "amtool alert query -o json parses it (the unknown field is ignored)")

        print("errors")
        p = amtool(url, "silence", "expire", "00000000-0000-4000-8000-000000000000", expect_ok=False)
        check(p.returncode != 0, f"expiring an unknown id fails ({p.stderr.strip()[:120]})")
        st, parsed, body = request(url, "POST", "/api/v2/silences", headers={"Content-Type": "application/json"},
                                   form=json.dumps({"matchers": [{"name": "a", "value": "(", "isRegex": True}],
                                                    "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
                                                    "createdBy": "x", "comment": "y"}))
        check(st == 400 and isinstance(parsed, str) and parsed.startswith(
            'silence invalid: invalid label matcher 0: invalid regular expression "("'), f"bad regex: {st} {body}")
    finally:
        server.stop()
        rec.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(AMTOOL):
        print("amtool not installed (apt-get install prometheus-alertmanager)")
        return 1
    work = tempfile.mkdtemp(prefix="pw_silences_amtool_")
    ok = False
    try:
        run(os.path.abspath(args.binary), work)
        ok = True
    except Failure as e:
        print(f"FAIL: {e}")
    except Exception as e:  # noqa: BLE001
        print(f"FAIL: {type(e).__name__}: {e}")
    finally:
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work dir kept: {work}")
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
