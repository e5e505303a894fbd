#!/bin/bash
# Builds the Debian package, installs it on this machine, checks it (the
# programs' hardening, the unit's exposure, the daemon running under the
# unit's restrictions), and purges it: nothing of the package is left, and
# the contract database in /var/lib/gprobe is kept unless removal was asked
# for. Run as root (CI does); not twice at once (it installs to /).
#   scripts/package-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=/var/lib/gprobe
mark=$data/.package-test # the data this test made up, never an operator's
unit=/lib/systemd/system/gprobe.service
if [ -e "$data" ] && [ ! -e "$mark" ]; then
  echo "package-test: $data exists and is not this test's (real data?); move it away first" >&2
  exit 1
fi
rm -rf "$data"

deb=$(scripts/package.sh | tail -n1)
deb=$(readlink -f "$deb")
echo "package: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'

tracer='' traced='' lab=''
cleanup() {
  if [ -n "$traced" ]; then kill "$traced" 2>/dev/null || true; fi
  if [ -n "$tracer" ]; then kill "$tracer" 2>/dev/null || true; fi
  if [ -n "$lab" ]; then python3 tests/lab/lab.py stop "$lab" >/dev/null 2>&1 || true; fi
  dpkg --purge gprobe >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT
install_deb() { apt-get install -y -qq "$deb" >/dev/null; }
install_deb
files=$(dpkg -L gprobe)

gprobe --version
gprobe -c /etc/gprobe/gprobe.yaml config check
/usr/lib/nagios/plugins/check_genesys -V
test -f /usr/lib/gprobe/collectors/snmp.so
test -f /usr/share/man/man8/gprobe.8
test -f /usr/share/man/man5/gprobe.yaml.5
test -f /usr/share/man/man8/check_genesys.8
test -f /usr/share/bash-completion/completions/gprobe
getent passwd gprobe >/dev/null
# A third party's collector, built against the installed ABI header alone.
plugdir=$(mktemp -d)
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -I/usr/include/gprobe -o "$plugdir/example.so" \
   /usr/share/doc/gprobe/examples/collector/example.c
GPROBE_PLUGIN_DIR=$plugdir gprobe -c /etc/gprobe/gprobe.yaml plugins | grep -q '^  check kind example'
rm -rf "$plugdir"

# The programs and the collectors: Debian's hardening flags, stripped.
# hardening-check (devscripts) checks PIE, the stack protector, fortified
# libc calls, RELRO and BIND_NOW; control-flow protection (-fcf-protection)
# is not among Debian 12's dpkg-buildflags, so it is not asked for.
# What this test needs beyond scripts/deps.sh: hardening-check, and strace
# for the daemon's run below.
need=()
command -v hardening-check >/dev/null || need+=(devscripts)
command -v strace >/dev/null || need+=(strace)
if [ ${#need[@]} -gt 0 ]; then
  echo "package-test: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
elves=(/usr/bin/gprobe /usr/lib/nagios/plugins/check_genesys /usr/lib/gprobe/collectors/*.so
       /usr/lib/gprobe/collectors/http/*.so)
canaried=()
for f in "${elves[@]}"; do [[ $f == */xpath.so ]] || canaried+=("$f"); done
hardening-check --nocfprotection "${canaried[@]}"
# http/xpath.so is built with the same flags, but none of its few functions
# has a stack buffer, so the compiler put no canary in it for
# hardening-check to find: every other property is still required of it.
hardening-check --nocfprotection --nostackprotector /usr/lib/gprobe/collectors/http/xpath.so
for f in "${elves[@]}"; do
  if readelf -S --wide "$f" | grep -qE ' \.(symtab|debug_info) '; then
    echo "not stripped: $f" >&2
    exit 1
  fi
done

# Both units: verified, hardened as promised, exposure at most 2.0.
web_unit=/lib/systemd/system/gprobe-web.service
for u in "$unit" "$web_unit"; do
  systemd-analyze verify "$u"
  for k in User=gprobe StateDirectory=gprobe ProtectSystem=strict NoNewPrivileges=yes \
           PrivateTmp=yes 'CapabilityBoundingSet=$' Restart=on-failure \
           SystemCallFilter=@system-service MemoryDenyWriteExecute=yes UMask=0077; do
    grep -q "^$k" "$u" || { echo "$u lacks $k" >&2; exit 1; }
  done
  # systemd-analyze's exposure (0 to 10): --threshold counts in tenths.
  if ! systemd-analyze security --offline=yes --threshold=20 "$u" >/tmp/gprobe-security.$$ 2>&1; then
    grep '✗' /tmp/gprobe-security.$$ >&2 || true
    tail -n1 /tmp/gprobe-security.$$ >&2
    rm -f /tmp/gprobe-security.$$
    echo "$u: exposure above 2.0" >&2
    exit 1
  fi
  echo "$u: $(tail -n1 /tmp/gprobe-security.$$)"
  rm -f /tmp/gprobe-security.$$
done
grep -q "^Type=notify" "$unit" || { echo "$unit lacks Type=notify" >&2; exit 1; }

# The daemon under the unit's restrictions. Here as the unit would run it
# (the gprobe user, UMask=0077, the state directory StateDirectory= makes),
# traced: every system call it makes must pass the unit's SystemCallFilter=
# and MemoryDenyWriteExecute=, which systemd would enforce.
syscalls() { # the system calls a group allows, groups expanded
  systemd-analyze syscall-filter "$1" | awk 'NR > 1 && $1 !~ /^#/ && NF { print $1 }' |
    while read -r s; do case $s in @*) syscalls "$s" ;; *) echo "$s" ;; esac; done
}
work=$(mktemp -d)
comm -23 <(syscalls @system-service | sort -u) <({ syscalls @privileged; syscalls @resources; } | sort -u) \
  >"$work/allowed"
filter_ok() { # strace -f log: the calls after gprobe's execve
  local log=$1 bad
  awk '/execve\("\/usr\/bin\/gprobe"/ { on = 1 } on && match($0, /^[0-9]+ +[a-z0-9_]+\(/) {
         s = substr($0, RSTART, RLENGTH - 1); sub(/^[0-9]+ +/, "", s); print s }' "$log" |
    sort -u >"$log.calls"
  [ -s "$log.calls" ] || { echo "no system calls traced in $log" >&2; return 1; }
  bad=$(comm -23 "$log.calls" "$work/allowed")
  if [ -n "$bad" ]; then echo "outside SystemCallFilter=: $bad" >&2; return 1; fi
  # MemoryDenyWriteExecute=: no writable+executable mapping, no mprotect to exec.
  if grep -E '^[0-9]+ +(mmap\(.*PROT_WRITE\|PROT_EXEC|(pkey_)?mprotect\(.*PROT_EXEC)' "$log" >&2; then
    echo "the above fail under MemoryDenyWriteExecute=" >&2
    return 1
  fi
}
run_traced() { # NAME CONFIG SECONDS: gprobe run, a reload halfway, SIGTERM
  local name=$1 config=$2 half=$(($3 / 2)) pid rc=0
  (umask 0077 && exec strace -f -qq -o "$work/$name.strace" -u gprobe \
    /usr/bin/gprobe -c "$config" run) 2>"$work/$name.log" &
  tracer=$!
  for _ in $(seq 50); do
    pid=$(pgrep -P "$tracer" -x gprobe || true)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || { cat "$work/$name.log" >&2; echo "gprobe run ($name) did not start" >&2; return 1; }
  traced=$pid
  sleep "$half"
  kill -HUP "$pid" # a reload, in the same restrictions
  sleep "$half"
  kill -0 "$pid" 2>/dev/null ||
    { cat "$work/$name.log" >&2; echo "gprobe run ($name) stopped by itself" >&2; return 1; }
  kill -TERM "$pid"
  for _ in $(seq 300); do kill -0 "$tracer" 2>/dev/null || break; sleep 0.1; done
  wait "$tracer" || rc=$?
  tracer='' traced=''
  [ "$rc" = 0 ] || { cat "$work/$name.log" >&2; echo "gprobe run ($name) exited $rc on SIGTERM" >&2; return 1; }
  filter_ok "$work/$name.strace"
  [ "$(stat -c '%U %a' "$data/gprobe.db")" = "gprobe 600" ] ||
    { stat -c '%n: %U %a' "$data/gprobe.db" >&2; echo "database not private to gprobe" >&2; return 1; }
  echo "gprobe run ($name): started, reloaded and stopped as gprobe;" \
    "$(wc -l <"$work/$name.strace.calls") distinct system calls, all in the unit's filter"
}
install -d -o gprobe -g gprobe -m 0750 "$data" # what StateDirectory= makes
touch "$mark"
(umask 0077 && exec strace -f -qq -o "$work/check.strace" -u gprobe \
  /usr/bin/gprobe -c /etc/gprobe/gprobe.yaml config check) >/dev/null
filter_ok "$work/check.strace"
run_traced shipped /etc/gprobe/gprobe.yaml 6
# And on the bundled lab (tests/lab: snmpd, sshd, an HTTP and an SMTP server
# on 127.0.0.1), so that every collector, SNMPv3's and SSH's crypto, the RRD
# files and the alert sender's thread run too. Its secrets, copied for the
# gprobe user; its data in the state directory.
lab=$work/lab
python3 tests/lab/lab.py start "$lab" >/dev/null
chmod 0755 "$work"
install -d -o gprobe -g gprobe -m 0700 "$work/secrets"
install -o gprobe -g gprobe -m 0600 "$lab/ssh/id_ed25519" "$lab/ssh/known_hosts" \
  "$lab/secrets/snmp-auth" "$lab/secrets/snmp-priv" "$work/secrets/"
sed -e "s|$lab/data|$data|" -e "s|$lab/ssh/|$work/secrets/|g" -e "s|$lab/secrets/|$work/secrets/|g" \
  "$lab/gprobe.yaml" >"$work/lab.yaml"
chmod 0644 "$work/lab.yaml"
rm -rf "${data:?}"/gprobe.db* "$data/rrd"
run_traced lab "$work/lab.yaml" 12
python3 tests/lab/lab.py stop "$lab" >/dev/null
lab=
if ! grep -q ' -> UP' "$work/lab.log" || ! find "$data/rrd" -name '*.rrd' | grep -q .; then
  cat "$work/lab.log" >&2
  echo "gprobe run (lab): no component came up, or no RRD file" >&2
  exit 1
fi
if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && [ -d /run/systemd/system ]; then
  chown -R gprobe:gprobe "$data"
  systemctl start gprobe.service
  sleep 5
  if ! systemctl is-active --quiet gprobe.service; then
    journalctl -u gprobe.service -n 50 --no-pager >&2 || true
    echo "the unit did not stay up" >&2
    exit 1
  fi
  systemctl stop gprobe.service
  echo "gprobe.service: started and stopped by systemd"
else
  echo "systemd is not PID 1 here: the unit itself was not started (the run above stands in for it)"
fi
rm -rf "$work"

# Purge. Everything of the package goes: its files, the configuration, the user.
gone() {
  local left=0 f d
  while read -r f; do
    if [ -f "$f" ] || { [ -L "$f" ] && [ ! -d "$f" ]; }; then
      echo "left behind: $f" >&2
      left=1
    fi
  done <<<"$files"
  for d in /etc/gprobe /usr/lib/gprobe /usr/share/gprobe; do
    if [ -e "$d" ]; then echo "left behind: $d" >&2; left=1; fi
  done
  if getent passwd gprobe >/dev/null; then echo "left behind: user gprobe" >&2; left=1; fi
  [ "$left" = 0 ]
}
# By default the data stays, and purge says where.
mkdir -p "$data/rrd"
out=$(dpkg --purge gprobe 2>&1)
echo "$out"
gone
grep -qF "the contract database is kept in $data" <<<"$out" ||
  { echo "$out" >&2; echo "purge did not say where the data is" >&2; exit 1; }
if [ ! -f "$data/gprobe.db" ] || [ ! -d "$data/rrd" ]; then
  echo "purge took the data without being asked" >&2
  exit 1
fi
[ "$(stat -c '%U %a' "$data")" = "root 700" ] || { echo "kept data not root's alone" >&2; exit 1; }
# Asked for, it goes: the file REMOVE-ON-PURGE, or GPROBE_PURGE_DATA=yes.
install_deb
touch "$data/REMOVE-ON-PURGE"
dpkg --purge gprobe >/dev/null 2>&1
gone
if [ -e "$data" ]; then echo "left behind: $data (REMOVE-ON-PURGE)" >&2; exit 1; fi
install_deb
mkdir -p "$data/rrd" && touch "$mark" "$data/gprobe.db"
GPROBE_PURGE_DATA=yes dpkg --purge gprobe >/dev/null 2>&1
gone
if [ -e "$data" ]; then echo "left behind: $data (GPROBE_PURGE_DATA=yes)" >&2; exit 1; fi
# An operator's KEEP (the old way to keep it) wins over any ask.
install_deb
mkdir -p "$data" && touch "$mark" "$data/gprobe.db" "$data/KEEP" "$data/REMOVE-ON-PURGE"
GPROBE_PURGE_DATA=yes dpkg --purge gprobe >/dev/null 2>&1
gone
test -f "$data/gprobe.db" || { echo "purge took the data despite KEEP" >&2; exit 1; }
rm -rf "$data"
trap - EXIT
echo "package OK: installed, hardened, run, purged (data kept by default, removed when asked)"
