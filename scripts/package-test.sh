#!/bin/bash
# Builds the Debian package, installs it on this machine, checks it, and
# purges it, proving that nothing is left behind. Run as root (CI does).
#   scripts/package-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(scripts/package.sh | tail -n1)
deb=$(readlink -f "$deb")
echo "package: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'

apt-get install -y -qq "$deb" >/dev/null
files=$(dpkg -L gprobe)
trap 'dpkg --purge gprobe >/dev/null 2>&1 || true' EXIT

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
if ! command -v hardening-check >/dev/null; then
  echo "package-test: installing devscripts (hardening-check)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends devscripts >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends devscripts >/dev/null; }
fi
elves=(/usr/bin/gprobe /usr/lib/nagios/plugins/check_genesys /usr/lib/gprobe/collectors/*.so)
hardening-check --nocfprotection "${elves[@]}"
for f in "${elves[@]}"; do
  if readelf -S --wide "$f" | grep -qE ' \.(symtab|debug_info) '; then
    echo "not stripped: $f" >&2
    exit 1
  fi
done

systemd-analyze verify /lib/systemd/system/gprobe.service
# The unit's hardening, as promised.
for k in User=gprobe StateDirectory=gprobe ProtectSystem=strict NoNewPrivileges=yes \
         PrivateTmp=yes 'CapabilityBoundingSet=$' Restart=on-failure Type=notify; do
  grep -q "^$k" /lib/systemd/system/gprobe.service || { echo "unit lacks $k" >&2; exit 1; }
done

# Data the daemon would have written, to see the purge take it.
mkdir -p /var/lib/gprobe/rrd && touch /var/lib/gprobe/gprobe.db
dpkg --purge gprobe >/dev/null
trap - EXIT
left=0
while read -r f; do
  if [ -f "$f" ] || { [ -L "$f" ] && [ ! -d "$f" ]; }; then
    echo "left behind: $f" >&2
    left=1
  fi
done <<<"$files"
for d in /etc/gprobe /var/lib/gprobe /usr/lib/gprobe /usr/share/gprobe; do
  if [ -e "$d" ]; then echo "left behind: $d" >&2; left=1; fi
done
if getent passwd gprobe >/dev/null; then echo "left behind: user gprobe" >&2; left=1; fi
[ "$left" = 0 ]
echo "package OK: installed, verified, purged clean"
