#!/usr/bin/env bash
# The Debian package, end to end (issue 21 item 1; packaging/, docs/operations.md
# "Installing as a service"). Builds `--target package` in BUILD_DIR, then on this machine:
#   dpkg -i      control fields and Depends (every library the binary loads is covered),
#                files with their modes and owners, the perfwatch system user, the
#                conffile, `systemd-analyze verify` of the unit and its hardening, the
#                default configuration passing `perfwatch config check`;
#   run          the unit's ExecStart as the unit's User (no systemd as PID 1 here):
#                /readyz, the embedded dashboard and SDK, a beacon accepted and written
#                below /var/lib/perfwatch by the perfwatch user, SIGHUP (ExecReload)
#                reloads, SIGTERM stops cleanly;
#   upgrade      the edited conffile and the data survive re-installing the same .deb
#                and installing a newer version; the beacon is read back after it;
#   dpkg -r      binary and unit gone, conffile (edited) and data kept;
#   dpkg -P      data directory and /etc/perfwatch gone, the user kept (Debian practice).
# Leaves the machine as it found it, failing or not (trap). Needs root: without it, SKIP.
#   tests/package/deb_test.sh [BUILD_DIR]       (default: $BUILD_DIR, else build)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-${BUILD_DIR:-build}}

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: tests/package/deb_test.sh needs root (dpkg -i, a system user); nothing was tested"
  exit 0
fi

DATA=/var/lib/perfwatch
CONF=/etc/perfwatch/perfwatch.yml
UNIT=/lib/systemd/system/perfwatch.service
checks=0
ok() { checks=$((checks + 1)); echo "ok - $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect DESCRIPTION COMMAND...: the command must succeed
expect() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what (command: $*)"; fi; }
stat_is() {  # stat_is PATH MODE OWNER GROUP
  local got
  got=$(stat -c '%a %U %G' "$1") || fail "$1 is missing"
  [ "$got" = "$2 $3 $4" ] || fail "$1: mode/owner/group are '$got', expected '$2 $3 $4'"
  ok "$1 is $2 $3:$4"
}
pkg_status() { dpkg-query -W -f='${db:Status-Status}' perfwatch 2>/dev/null || echo not-installed; }

for tool in dpkg dpkg-deb dpkg-query runuser curl python3 cmake; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
# Refuse to touch an installation this test did not make.
[ "$(pkg_status)" = not-installed ] || fail "the perfwatch package is installed here ($(pkg_status)): dpkg -P perfwatch first"
[ ! -e "$DATA" ] || fail "$DATA exists: move it away first"
[ ! -e /etc/perfwatch ] || fail "/etc/perfwatch exists: move it away first"
user_existed=no
getent passwd perfwatch >/dev/null && user_existed=yes
group_existed=no
getent group perfwatch >/dev/null && group_existed=yes

work=$(mktemp -d)
server_pid=""
cleanup() {
  local rc=$?
  set +e
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; sleep 2; kill -KILL "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
  fi
  if [ "$(pkg_status)" != not-installed ]; then dpkg --purge perfwatch >/dev/null 2>&1 </dev/null; fi
  rm -rf "$DATA" /etc/perfwatch
  if [ "$user_existed" = no ] && getent passwd perfwatch >/dev/null; then userdel perfwatch; fi
  if [ "$group_existed" = no ] && getent group perfwatch >/dev/null; then groupdel perfwatch; fi
  if [ $rc -ne 0 ] && [ -f "$work/server.log" ]; then echo "--- server log:"; tail -n 30 "$work/server.log"; fi
  rm -rf "$work"
  if [ $rc -eq 0 ]; then echo "deb_test: $checks checks passed"; else echo "deb_test: FAILED after $checks checks"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build
rm -f "$BUILD_DIR"/perfwatch_*.deb
cmake --build "$BUILD_DIR" --target package >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; fail "cmake --build $BUILD_DIR --target package"; }
arch=$(dpkg --print-architecture)
version=$("$BUILD_DIR/perfwatch" --version | awk '{print $2}')
deb="$BUILD_DIR/perfwatch_${version}_${arch}.deb"
[ -f "$deb" ] || fail "the package target did not write $deb (found: $(ls "$BUILD_DIR"/*.deb 2>/dev/null))"
ok "built $deb"

# --- control fields
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = perfwatch ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', the binary says $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)', dpkg says $arch"
for f in Maintainer Section Priority Homepage Description; do
  [ -n "$(field "$f")" ] || fail "the control file has no $f"
done
[ "$(field Description | wc -l)" -ge 3 ] || fail "Description has no long description"
ok "control: perfwatch $version $arch, $(field Section), $(field Homepage)"
depends=$(field Depends)
dep_names=" $(echo "$depends" | sed -E 's/\([^)]*\)//g; s/[,|]/ /g') "
for p in adduser libc6 libstdc++6; do
  [[ $dep_names == *" $p "* ]] || fail "Depends lacks $p: $depends"
done
ok "Depends: $depends"

# --- dpkg -i
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log"; fail "dpkg -i $deb"; }
[ "$(pkg_status)" = installed ] || fail "after dpkg -i the package is '$(pkg_status)'"
ok "dpkg -i"

# Every shared library the installed binary loads comes from a package it depends on.
while read -r lib; do
  real=$(readlink -f "$lib")
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
  owner=${owner%%:*}
  [ -n "$owner" ] || fail "$lib (loaded by /usr/bin/perfwatch) belongs to no package"
  # The dependency may name a virtual package the owner provides (libspdlog1.10-fmt9).
  covered=no
  for name in "$owner" $(dpkg-query -W -f='${Provides}' "$owner" 2>/dev/null | sed -E 's/\([^)]*\)//g; s/,/ /g'); do
    [[ $dep_names == *" $name "* ]] && covered=yes
  done
  [ $covered = yes ] || fail "/usr/bin/perfwatch loads $lib from $owner, which Depends does not name"
done < <(ldd /usr/bin/perfwatch | awk '$2 == "=>" && $3 ~ /^\// {print $3}')
ok "every library in ldd /usr/bin/perfwatch comes from a package in Depends"

stat_is /usr/bin/perfwatch 755 root root
stat_is /etc/perfwatch 755 root root
stat_is "$CONF" 640 root perfwatch
stat_is "$UNIT" 644 root root
stat_is "$DATA" 750 perfwatch perfwatch
[ "$(/usr/bin/perfwatch --version)" = "perfwatch $version" ] || fail "/usr/bin/perfwatch --version: $(/usr/bin/perfwatch --version)"
ok "/usr/bin/perfwatch --version"
# Man-page-style --help for every subcommand and sub-subcommand: a description, the usage
# under the program's name, the options, and more than the bare -h line.
subcommands_in() { awk '/^Subcommands:$/ {f = 1; next} f && /^  [a-z]/ {print $1} f && /^$/ {f = 0}' <<<"$1"; }
check_help() {  # check_help "SUB [SUBSUB]"
  local out rc=0
  # shellcheck disable=SC2086  # $1 is the words of the subcommand path
  out=$(/usr/bin/perfwatch $1 --help 2>&1) || rc=$?
  [ $rc -eq 0 ] || fail "perfwatch $1 --help exits $rc"
  local first
  first=$(head -n 1 <<<"$out")
  if [ -z "$first" ] || [[ $first == Usage:* ]]; then fail "perfwatch $1 --help starts without a description: $first"; fi
  grep -q "^Usage: perfwatch $1 " <<<"$out" || fail "perfwatch $1 --help has no 'Usage: perfwatch $1' line"
  grep -q '^Options:' <<<"$out" || fail "perfwatch $1 --help lists no options"
  [ "$(grep -cvE '^\s*$|^Usage:|^Options:|-h,--help' <<<"$out")" -ge 2 ] \
    || fail "perfwatch $1 --help says nothing beyond its name and -h: $out"
  local sub
  while read -r sub; do
    check_help "$1 $sub"
    helped=$((helped + 1))
  done < <(subcommands_in "$out")
}
helped=0
top=$(/usr/bin/perfwatch --help)
grep -q '^Usage: perfwatch ' <<<"$top" || fail "perfwatch --help does not name the program perfwatch"
while read -r sub; do
  check_help "$sub"
  helped=$((helped + 1))
done < <(subcommands_in "$top")
[ "$helped" -ge 15 ] || fail "only $helped subcommands found in perfwatch --help"
ok "--help of all $helped subcommands: description, usage, options and more"

listed=$(dpkg -L perfwatch)
for f in /usr/bin/perfwatch "$CONF" "$UNIT"; do
  grep -qx "$f" <<<"$listed" || fail "dpkg -L perfwatch does not list $f"
done
ok "dpkg -L lists the binary, the conffile and the unit"

IFS=: read -r _ _ uid gid _ home shell < <(getent passwd perfwatch)
if [ "$uid" -lt 100 ] || [ "$uid" -ge 1000 ]; then fail "perfwatch's uid $uid is not a system uid (100-999)"; fi
[ "$(getent group perfwatch | cut -d: -f3)" = "$gid" ] || fail "perfwatch's primary group is not the perfwatch group"
[ "$home" = "$DATA" ] || fail "perfwatch's home is $home"
[[ $shell == */nologin || $shell == /bin/false ]] || fail "perfwatch's shell is $shell (a login shell)"
ok "system user perfwatch (uid $uid, group perfwatch, home $home, shell $shell)"

conffiles=$(dpkg-query --control-show perfwatch conffiles 2>&1) || fail "the package has no conffiles: $conffiles"
[ "$conffiles" = "$CONF" ] || fail "conffiles is '$conffiles', expected $CONF"
dpkg-query -W -f='${Conffiles}\n' perfwatch | grep -q "^ $CONF [0-9a-f]\{32\}" || fail "dpkg does not track $CONF as a conffile"
ok "conffiles: $conffiles"

grep -qx 'data_dir: /var/lib/perfwatch' "$CONF" || fail "$CONF does not set data_dir: /var/lib/perfwatch"
grep -qx 'listen: 127.0.0.1:9797' "$CONF" || fail "$CONF does not listen on the documented default 127.0.0.1:9797"
runuser -u perfwatch -- /usr/bin/perfwatch config check "$CONF" >"$work/check.out" 2>&1 \
  || { cat "$work/check.out"; fail "perfwatch config check $CONF (as perfwatch)"; }
ok "perfwatch config check $CONF as perfwatch: $(cat "$work/check.out")"

# --- the unit
# shellcheck disable=SC2016  # $MAINPID is the unit's, not ours
for line in 'User=perfwatch' 'Group=perfwatch' 'ProtectSystem=strict' 'ReadWritePaths=/var/lib/perfwatch' \
            'NoNewPrivileges=yes' 'ProtectHome=yes' 'PrivateTmp=yes' 'Restart=on-failure' \
            'ExecReload=/bin/kill -HUP $MAINPID' 'ExecStart=/usr/bin/perfwatch serve --config /etc/perfwatch/perfwatch.yml' \
            'WantedBy=multi-user.target'; do
  grep -qxF "$line" "$UNIT" || fail "$UNIT lacks the line $line"
done
ok "the unit has User, ProtectSystem=strict, ReadWritePaths, NoNewPrivileges, ProtectHome, PrivateTmp, ExecReload (SIGHUP), Restart"
if command -v systemd-analyze >/dev/null; then
  # A unit that cannot be wrong first: if even that fails, the tool cannot run here.
  printf '[Service]\nExecStart=/bin/true\n' >"$work/probe.service"
  if systemd-analyze verify "$work/probe.service" >"$work/probe.out" 2>&1; then
    systemd-analyze verify "$UNIT" >"$work/verify.out" 2>&1 || { cat "$work/verify.out"; fail "systemd-analyze verify $UNIT"; }
    # verify warns about unknown keys and bad values but still exits 0.
    if [ -s "$work/verify.out" ]; then cat "$work/verify.out"; fail "systemd-analyze verify $UNIT printed warnings"; fi
    ok "systemd-analyze verify $UNIT (no warnings)"
  else
    echo "SKIPPED CHECK: systemd-analyze verify cannot run here (it fails on a trivial unit too: $(head -c 300 "$work/probe.out"))"
  fi
else
  echo "SKIPPED CHECK: systemd-analyze is not installed; the unit was not verified"
fi
[ ! -e /etc/systemd/system/multi-user.target.wants/perfwatch.service ] || [ -d /run/systemd/system ] \
  || fail "postinst enabled the unit although systemd is not running"

if [ -d /run/systemd/system ]; then
  # Not the case in CI (no systemd as PID 1): postinst enabled and started the unit.
  systemctl --quiet is-enabled perfwatch.service || fail "postinst did not enable perfwatch.service"
  systemctl --quiet is-active perfwatch.service || fail "postinst did not start perfwatch.service"
  ok "systemd runs here: postinst enabled and started perfwatch.service"
  systemctl stop perfwatch.service  # the rest runs the command itself
fi

# --- run the unit's command as the unit's user
port=9797
listen_flag=()
if ! python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 9797))' 2>/dev/null; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  listen_flag=(--listen "127.0.0.1:$port")
  echo "note: 127.0.0.1:9797 is in use here; the server gets --listen 127.0.0.1:$port on top of $CONF"
fi
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
read -r -a exec_argv <<<"$exec_start"
base="http://127.0.0.1:$port"
start_server() {
  (cd "$DATA" && exec setpriv --reuid=perfwatch --regid=perfwatch --init-groups -- "${exec_argv[@]}" "${listen_flag[@]}") \
    >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    if curl -fsS "$base/readyz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start (log above)"
    sleep 0.2
  done
  fail "the server was not ready on $base/readyz within 30 s"
}
stop_server() {
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  [ $rc -eq 0 ] || fail "the server exited with $rc on SIGTERM"
}
start_server
[ "$(ps -o user= -p "$server_pid")" = perfwatch ] || fail "the server runs as $(ps -o user= -p "$server_pid"), not perfwatch"
ok "the unit's ExecStart runs as perfwatch and answers $base/readyz"

curl -fsS -D "$work/h" -o "$work/index.html" "$base/" || fail "GET / failed"
grep -qi '^content-type: text/html' "$work/h" || fail "GET / is not HTML: $(grep -i content-type "$work/h")"
grep -q '<title>perfwatch</title>' "$work/index.html" || fail "GET / is not the dashboard"
asset=$(grep -o '/assets/[A-Za-z0-9_.-]*\.js' "$work/index.html" | head -n 1)
[ -n "$asset" ] || fail "the dashboard names no script under /assets/"
curl -fsS -D "$work/h" -o /dev/null "$base$asset" || fail "GET $asset failed"
grep -qi '^content-type: application/javascript' "$work/h" || fail "$asset is not JavaScript"
curl -fsS -o /dev/null "$base/rum.js" || fail "GET /rum.js failed"
ok "the embedded dashboard (/, $asset) and /rum.js are served"

session="debtest-$$-$RANDOM"
touch "$work/before-beacon"
code=$(curl -sS -o "$work/rum.out" -w '%{http_code}' -H 'Content-Type: text/plain' \
  --data "{\"type\":\"vital\",\"name\":\"LCP\",\"value\":1234.5,\"id\":\"v1\",\"sessionId\":\"$session\",\"url\":\"https://shop.example/p/1\"}" \
  "$base/api/rum?app=debtest")
[ "$code" = 204 ] || fail "POST /api/rum answered $code: $(cat "$work/rum.out")"
vitals() { curl -fsS "$base/api/v1/vitals?metric=LCP&app=debtest&window=1h"; }
vitals | grep -q '"count":1,' || fail "the beacon is not in /api/v1/vitals: $(vitals)"
ok "a beacon is accepted (204) and counted in /api/v1/vitals"
written=$(find "$DATA" -type f -newer "$work/before-beacon" | head -n 5)
[ -n "$written" ] || fail "nothing below $DATA changed after the beacon"
grep -rlq -- "$session" "$DATA" || fail "the beacon's session id is in no file below $DATA"
not_ours=$(find "$DATA" ! -user perfwatch | head -n 3)
[ -z "$not_ours" ] || fail "files below $DATA not owned by perfwatch: $not_ours"
ok "the beacon landed below $DATA ($(echo "$written" | head -n 1) ...), every file owned by perfwatch"

kill -HUP "$server_pid"
for _ in $(seq 1 50); do grep -q 'reloading configuration' "$work/server.log" && break; sleep 0.1; done
grep -q 'reloading configuration' "$work/server.log" || fail "SIGHUP (ExecReload) did not reload the configuration"
! grep -q 'reload failed' "$work/server.log" || fail "the reload on SIGHUP failed: $(grep 'reload failed' "$work/server.log")"
curl -fsS "$base/readyz" >/dev/null || fail "the server is not ready after SIGHUP"
ok "SIGHUP (ExecReload) reloads $CONF and the server keeps serving"
stop_server
grep -q 'stopped' "$work/server.log" || fail "no clean stop in the log"
ok "SIGTERM stops it cleanly (exit 0)"

# --- upgrade: the edited conffile and the data stay
sed -i 's/^  retention: 7d$/  retention: 9d/' "$CONF"
echo "# edited by deb_test $session" >>"$CONF"
grep -q 'retention: 9d' "$CONF" || fail "could not edit $CONF (retention: 7d not found)"
edited=$(md5sum <"$CONF")
data_files=$(cd "$DATA" && find . -type f | sort)
check_kept() {  # check_kept WHEN
  [ "$(md5sum <"$CONF")" = "$edited" ] || fail "$1: the edited $CONF was replaced"
  stat_is "$CONF" 640 root perfwatch >/dev/null
  [ "$(ls -A /etc/perfwatch)" = perfwatch.yml ] || fail "$1: leftovers in /etc/perfwatch: $(ls /etc/perfwatch)"
  missing=$(comm -23 <(echo "$data_files") <(cd "$DATA" && find . -type f | sort))
  [ -z "$missing" ] || fail "$1: data files gone: $missing"
  grep -rlq -- "$session" "$DATA" || fail "$1: the beacon is gone from $DATA"
  stat_is "$DATA" 750 perfwatch perfwatch >/dev/null
  ok "$1: the edited conffile and the data are kept"
}
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log"; fail "dpkg -i over the installed package"; }
check_kept "re-install of $version"

newer="$version+debtest1"
dpkg-deb -R "$deb" "$work/newer"
sed -i "s/^Version: .*/Version: $newer/" "$work/newer/DEBIAN/control"
dpkg-deb --root-owner-group -b "$work/newer" "$work/newer.deb" >/dev/null
dpkg -i "$work/newer.deb" >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log"; fail "dpkg -i of version $newer"; }
[ "$(dpkg-query -W -f='${Version}' perfwatch)" = "$newer" ] || fail "the upgrade to $newer did not happen"
check_kept "upgrade $version -> $newer"
[ "$(getent passwd perfwatch | cut -d: -f3)" = "$uid" ] || fail "the upgrade changed perfwatch's uid"
start_server
vitals | grep -q '"count":1,' || fail "after the upgrade the beacon is not in /api/v1/vitals: $(vitals)"
grep -q 'retention: 9d' <(curl -fsS "$base/api/v1/status/config") || fail "the server does not run with the edited conffile"
stop_server
ok "after the upgrade the server starts with the edited conffile and reads the beacon back"
data_files=$(cd "$DATA" && find . -type f | sort)  # that run may have rotated files

# --- dpkg -r: data and conffile kept
dpkg -r perfwatch >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log"; fail "dpkg -r perfwatch"; }
[ "$(pkg_status)" = config-files ] || fail "after dpkg -r the package is '$(pkg_status)', expected config-files"
[ ! -e /usr/bin/perfwatch ] || fail "dpkg -r left /usr/bin/perfwatch"
[ ! -e "$UNIT" ] || fail "dpkg -r left $UNIT"
ok "dpkg -r removes the binary and the unit"
check_kept "dpkg -r"

# --- dpkg -P: everything goes but the user
dpkg -P perfwatch >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log"; fail "dpkg -P perfwatch"; }
[ "$(pkg_status)" = not-installed ] || fail "after dpkg -P the package is '$(pkg_status)'"
[ ! -e "$DATA" ] || fail "dpkg -P left $DATA"
[ ! -e /etc/perfwatch ] || fail "dpkg -P left /etc/perfwatch: $(ls -A /etc/perfwatch)"
[ ! -e /etc/systemd/system/multi-user.target.wants/perfwatch.service ] || fail "dpkg -P left the unit's enablement link"
ok "dpkg -P removes $DATA and /etc/perfwatch"
getent passwd perfwatch >/dev/null || fail "dpkg -P removed the perfwatch user (the package keeps it: docs/operations.md)"
ok "dpkg -P keeps the perfwatch user, as documented (this test removes it)"
