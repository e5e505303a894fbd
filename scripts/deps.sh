#!/usr/bin/env bash
# Installs the Debian 12 packages gprobe needs to build, test and run its lab.
# Only missing packages are installed; apt-get update runs only when needed.
#   scripts/deps.sh [PACKAGE...]    those packages too (scripts/fuzz.sh: clang)
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  libfyaml-dev libsnmp-dev libcurl4-openssl-dev libssl-dev libxml2-dev librrd-dev
  libssh2-1-dev libsqlite3-dev libjansson-dev libcmocka-dev libhttp-parser-dev zlib1g-dev
  libcairo2-dev libpango1.0-dev fonts-dejavu-core poppler-utils
  snmpd snmp rrdtool rrdcached sqlite3 openssh-server openssh-sftp-server openssh-client
  python3 python3-aiosmtpd procps tzdata valgrind scdoc openssl nagios4-core faketime
  nginx icinga2-bin icinga2-common snmpsim gdb chromium chromium-driver python3-selenium
  libmicrohttpd-dev libcrypt-dev libpq-dev postgresql-15 postgresql-client-15
  "$@"
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a system snmpd on port 161; the lab runs its own
# agents on free ports and does not need it.
if systemctl is-active --quiet snmpd 2>/dev/null; then systemctl stop snmpd || true; fi
# Nor the cluster the PostgreSQL package may create on 5432: the tests run
# their own (initdb in a temporary directory, on a free port).
if systemctl is-active --quiet postgresql 2>/dev/null; then systemctl stop postgresql || true; fi
