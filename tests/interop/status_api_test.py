#!/usr/bin/env python3
"""Interop: GET /api/v1/status/config, /runtimeinfo and /flags answer in the real Debian
`prometheus`'s shapes. Both servers get a configuration holding secrets (Prometheus: a
scrape job's basic-auth password and bearer credentials; perfwatch: an Alertmanager
section's Slack URL, PagerDuty key and SMTP password); then:

- config: `data` is {"yaml": string} on both, both print secrets as `<secret>`, and no
  secret appears in either answer;
- runtimeinfo: every Prometheus field is in perfwatch's answer with the same JSON type,
  times parse as RFC 3339 on both;
- flags: a map of strings on both.

  python3 tests/interop/status_api_test.py [--binary build/perfwatch]

Python standard library only. Exits 0 on success.
"""
import argparse, json, os, re, shutil, signal, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from common import get, start_perfwatch, start_prometheus, stop_processes  # noqa: E402

PROM_SECRETS = ["promBasicPass77", "promBearerCred88"]
PW_SECRETS = ["pwSlackHook99", "pwPagerDutyKey11", "pwSmtpPass22"]

PROM_CONFIG = """  - job_name: guarded
    static_configs:
      - targets: ["127.0.0.1:1"]
    basic_auth:
      username: bob
      password: promBasicPass77
  - job_name: bearer
    static_configs:
      - targets: ["127.0.0.1:2"]
    authorization:
      credentials: promBearerCred88
"""

PW_CONFIG = """alerting:
  route:
    receiver: team
  receivers:
    - name: team
      slack_configs:
        - api_url: https://hooks.slack.com/services/pwSlackHook99
          channel: '#ops'
      pagerduty_configs:
        - routing_key: pwPagerDutyKey11
      email_configs:
        - to: oncall@example.com
          from: perfwatch@example.com
          smarthost: smtp.example.com:587
          auth_username: perfwatch
          auth_password: pwSmtpPass22
"""


def answer(port, path):
    code, body = get(f"http://127.0.0.1:{port}{path}")
    if code != 200:
        raise RuntimeError(f"{path} on port {port} answered {code}: {body[:300]!r}")
    doc = json.loads(body)
    if doc.get("status") != "success":
        raise RuntimeError(f"{path} on port {port}: {body[:300]!r}")
    return doc["data"], body.decode() if isinstance(body, bytes) else body


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def rfc3339(s):
    return bool(RFC3339.match(s))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "perfwatch"))
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    args = ap.parse_args()
    if not os.path.exists(args.prometheus):
        print(f"interop: {args.prometheus} not installed (scripts/setup installs it)")
        return 1
    work = tempfile.mkdtemp(prefix="pw-status-api-")
    servers = []
    passed = False
    problems = []
    try:
        # start_prometheus writes "scrape_configs: []" first: replace it with our jobs.
        prom = start_prometheus(args.prometheus, work)
        servers.append(prom)
        with open(os.path.join(work, "prometheus.yml"), "w") as f:
            f.write("scrape_configs:\n" + PROM_CONFIG)
        prom.proc.send_signal(signal.SIGHUP)  # Prometheus reloads its file
        for _ in range(100):
            data, _ = answer(prom.port, "/api/v1/status/config")
            if "guarded" in data["yaml"]:
                break
            time.sleep(0.1)
        pw = start_perfwatch(args.binary, work, extra_config=PW_CONFIG)
        servers.append(pw)

        for name, s, secrets in (("prometheus", prom, PROM_SECRETS), ("perfwatch", pw, PW_SECRETS)):
            data, body = answer(s.port, "/api/v1/status/config")
            if set(data) != {"yaml"} or not isinstance(data["yaml"], str):
                problems.append(f"{name} config data keys {sorted(data)}, want ['yaml']")
                continue
            if "<secret>" not in data["yaml"]:
                problems.append(f"{name} config shows no <secret>:\n{data['yaml']}")
            for secret in secrets:
                if secret in body:
                    problems.append(f"{name} config shows the secret {secret}")
        if "guarded" not in answer(prom.port, "/api/v1/status/config")[0]["yaml"]:
            problems.append("prometheus did not reload its configuration with secrets")

        want, _ = answer(prom.port, "/api/v1/status/runtimeinfo")
        got, _ = answer(pw.port, "/api/v1/status/runtimeinfo")
        for key, value in want.items():
            if key not in got:
                problems.append(f"runtimeinfo: perfwatch lacks {key}")
            elif type(got[key]) is not type(value):
                problems.append(f"runtimeinfo.{key}: perfwatch {type(got[key]).__name__} {got[key]!r}, "
                                f"prometheus {type(value).__name__} {value!r}")
        for key in ("startTime", "lastConfigTime"):
            for name, d in (("prometheus", want), ("perfwatch", got)):
                if not rfc3339(str(d.get(key, ""))):
                    problems.append(f"runtimeinfo.{key} of {name} is not RFC 3339: {d.get(key)!r}")

        for name, s in (("prometheus", prom), ("perfwatch", pw)):
            flags, _ = answer(s.port, "/api/v1/status/flags")
            if not isinstance(flags, dict) or not flags or not all(isinstance(v, str) for v in flags.values()):
                problems.append(f"{name} flags is not a map of strings: {flags!r}"[:300])

        if problems:
            print("interop: FAILED")
            for p in problems:
                print("  " + p)
            print(f"  (logs in {work})")
            return 1
        print(f"interop: /api/v1/status/config, runtimeinfo ({len(want)} Prometheus fields) and flags "
              "in prometheus' shapes, secrets hidden on both")
        passed = True
        return 0
    finally:
        stop_processes([s.proc for s in servers])
        if passed:
            shutil.rmtree(work, ignore_errors=True)  # kept for a look when the test failed


if __name__ == "__main__":
    sys.exit(main())
