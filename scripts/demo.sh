#!/usr/bin/env bash
# The main job on the bundled lab: installs what is missing, builds, starts
# the simulated Genesys estate on 127.0.0.1 and runs `gprobe run` on it in
# the foreground. Ctrl-C stops the probe and the lab.
#   scripts/demo.sh            run until Ctrl-C
#   DEMO_SECONDS=60 scripts/demo.sh   run for a minute, then stop
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
scripts/deps.sh
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-demo -j"$(nproc)" >/dev/null

LAB="$ROOT/lab-run"
LABPY=(/usr/bin/python3 "$ROOT/tests/lab/lab.py")
"${LABPY[@]}" stop "$LAB" >/dev/null 2>&1 || true
"${LABPY[@]}" start "$LAB"
cleanup() {
  [ -n "${PROBE_PID:-}" ] && kill "$PROBE_PID" 2>/dev/null && wait "$PROBE_PID" 2>/dev/null
  "${LABPY[@]}" stop "$LAB"
}
trap cleanup EXIT

GPROBE="$ROOT/build-demo/probe/gprobe"
CFG="$LAB/gprobe.yaml"
"$GPROBE" -c "$CFG" config check
cat <<TXT

The lab is up: snmpd, sshd, an HTTP and an SMTP server and the Genesys
components on 127.0.0.1 (ports in $LAB/lab.json).
Where to look, from another terminal:
  $GPROBE -c $CFG diag stat-1        every check of a target, explained
  $GPROBE -c $CFG status             services and components
  $GPROBE -c $CFG incidents          open incidents
  $GPROBE -c $CFG report --month $(date +%Y-%m)   this month's availability and penalty
  $GPROBE -c $CFG downtime           this month's ledger, second by second
  database: $LAB/data/gprobe.db
  RRD files: $LAB/data/rrd/
  mail the NOC received: $LAB/mail/new/
Break a component:  ${LABPY[*]} component-stop $LAB stat-1
Repair it:          ${LABPY[*]} component-start $LAB stat-1

Running gprobe (Ctrl-C to stop):
TXT
"$GPROBE" -c "$CFG" run &
PROBE_PID=$!
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
  kill -TERM "$PROBE_PID"
fi
wait "$PROBE_PID"
PROBE_PID=
