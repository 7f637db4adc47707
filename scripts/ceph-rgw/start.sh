#!/usr/bin/env bash
# Start a throw-away single-node Ceph (Debian 12 "pacific" 16.2 packages) with a
# RADOS Gateway (S3 API) listening on loopback only.
#
#   mon.a  (127.0.0.1:3300 v2 / 127.0.0.1:6789 v1)
#   osd.0  (memstore objectstore: data lives in RAM, no block device)
#   client.rgw.a  radosgw, beast frontend on http://127.0.0.1:${RGW_PORT}
#   S3 user "test" with fixed access/secret keys (below)
#
# No ceph-mgr: it is not needed for RADOS I/O or RGW (health shows HEALTH_WARN
# "no active mgr"; that is expected).
#
# Idempotent: if the gateway is already up and answering, it does nothing.
# Otherwise it stops whatever it started before (stop.sh) and builds a FRESH
# cluster (memstore is in-memory, so data never survives a restart anyway).
#
# Must run as root (apt-get install on first use). Env knobs:
#   CEPH_DIR (default /tmp/ceph)   RGW_PORT (7480)   MON_V2_PORT (3300) MON_V1_PORT (6789)
#   S3_ACCESS_KEY / S3_SECRET_KEY  MEMSTORE_BYTES (4 GiB; RAM is only used as data is written)
# (Intake's copy: serialised by a lock file next to CEPH_DIR, so parallel tests can call it.)
set -euo pipefail

CEPH_DIR="${CEPH_DIR:-/tmp/ceph}"
RGW_PORT="${RGW_PORT:-7480}"
MON_V2_PORT="${MON_V2_PORT:-3300}"
MON_V1_PORT="${MON_V1_PORT:-6789}"
S3_ACCESS_KEY="${S3_ACCESS_KEY:-CEPHTESTACCESSKEY001}"
S3_SECRET_KEY="${S3_SECRET_KEY:-cephtestsecretkey0000000000000000000001}"
MEMSTORE_BYTES="${MEMSTORE_BYTES:-4294967296}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CEPH_CONF="$CEPH_DIR/ceph.conf"

log() { printf '[ceph-rgw %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
t0=$(date +%s.%N)

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Test files run in parallel and may all ask for the gateway at once: one builds it, the
# others wait and then find it running. flock -o holds the lock itself and keeps its file
# descriptor from this script, so the daemons started below do not inherit the lock (they
# would hold it for as long as they run, and every later call would wait forever).
if [ -z "${CEPH_RGW_LOCKED:-}" ]; then
  mkdir -p "$(dirname "$CEPH_DIR")"
  CEPH_RGW_LOCKED=1 exec flock -o "$CEPH_DIR.lock" bash "${BASH_SOURCE[0]}" "$@"
fi

# ---- already running? --------------------------------------------------------
if alive "$CEPH_DIR/run/mon.a.pid" && alive "$CEPH_DIR/run/osd.0.pid" \
   && alive "$CEPH_DIR/run/client.rgw.a.pid" \
   && curl -fsS -o /dev/null "http://127.0.0.1:$RGW_PORT/" 2>/dev/null; then
  log "already running: http://127.0.0.1:$RGW_PORT (mon $(cat "$CEPH_DIR/run/mon.a.pid"), osd $(cat "$CEPH_DIR/run/osd.0.pid"), rgw $(cat "$CEPH_DIR/run/client.rgw.a.pid"))"
  exit 0
fi

# ---- packages ----------------------------------------------------------------
need=()
for b in ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw radosgw-admin:radosgw ceph:ceph-common \
         monmaptool:ceph-common ceph-authtool:ceph-common curl:curl; do
  command -v "${b%%:*}" >/dev/null 2>&1 || need+=("${b##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing: ${need[*]}"
  if [ "$(id -u)" != 0 ]; then echo "must be root to apt-get install" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw ceph-common curl >/dev/null
fi

# ---- clean slate -------------------------------------------------------------
"$HERE/stop.sh" >/dev/null 2>&1 || true
rm -rf "$CEPH_DIR/mon.a" "$CEPH_DIR/osd.0" "$CEPH_DIR/rgw" "$CEPH_DIR/run" "$CEPH_DIR/log" \
       "$CEPH_DIR/ceph.conf" "$CEPH_DIR/keyring" "$CEPH_DIR/monmap"
mkdir -p "$CEPH_DIR"/{mon.a,osd.0,rgw,run,log}

FSID="$(cat /proc/sys/kernel/random/uuid)"
MON_ADDR="[v2:127.0.0.1:$MON_V2_PORT,v1:127.0.0.1:$MON_V1_PORT]"

cat > "$CEPH_CONF" <<EOF
[global]
fsid = $FSID
mon host = $MON_ADDR
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $CEPH_DIR/keyring
run dir = $CEPH_DIR/run
pid file = $CEPH_DIR/run/\$name.pid
admin socket = $CEPH_DIR/run/\$name.asok
log file = $CEPH_DIR/log/\$name.log
crash dir = $CEPH_DIR/log/crash
err to stderr = false
log to stderr = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
# A mostly-full dev disk must not make the monitor warn or shut itself down.
mon data avail warn = 2
mon data avail crit = 1

[mon]
mon data = $CEPH_DIR/\$name
# Propose map changes quickly (default batches for 1 s): faster pool creation/start-up.
paxos propose interval = 0.05
mon cluster log file = $CEPH_DIR/log/cluster.log

[osd]
osd data = $CEPH_DIR/\$name
keyring = $CEPH_DIR/\$name/keyring
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd max object name len = 460
osd max object namespace len = 64
osd memory target = 939524096
osd op num shards = 2
osd op num threads per shard = 1

[client.rgw.a]
rgw data = $CEPH_DIR/rgw
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw dns name = localhost
rgw thread pool size = 64
rgw enable usage log = false
# Free deleted objects' tail data (and so OSD RAM) after ~1 min instead of 2 h.
rgw gc obj min wait = 60
rgw gc processor period = 60
EOF

# ---- keys + monitor ------------------------------------------------------------
log "creating monitor (fsid $FSID)"
ceph-authtool --create-keyring "$CEPH_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$CEPH_DIR/keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "$MON_ADDR" "$CEPH_DIR/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/keyring"
ceph-mon -i a
for _ in $(seq 1 100); do ceph -s --connect-timeout 2 >/dev/null 2>&1 && break; sleep 0.2; done
ceph -s --connect-timeout 5 >/dev/null

# ---- OSD (memstore) ------------------------------------------------------------
log "creating osd.0 (memstore)"
OSD_UUID="$(cat /proc/sys/kernel/random/uuid)"
OSD_SECRET="$(ceph-authtool --gen-print-key)"
echo "{\"cephx_secret\": \"$OSD_SECRET\"}" | ceph osd new "$OSD_UUID" 0 -i - >/dev/null
printf '[osd.0]\n\tkey = %s\n' "$OSD_SECRET" > "$CEPH_DIR/osd.0/keyring"
ceph-osd -i 0 --mkfs --key "$OSD_SECRET" --osd-uuid "$OSD_UUID" >/dev/null 2>"$CEPH_DIR/log/osd.0.mkfs.err"
ceph-osd -i 0
for _ in $(seq 1 150); do
  ceph osd dump 2>/dev/null | grep -q '^osd\.0 up' && break; sleep 0.2
done
ceph osd dump | grep -q '^osd\.0 up' || { log "osd.0 did not come up; see $CEPH_DIR/log/osd.0.log"; exit 1; }

# ---- RGW -----------------------------------------------------------------------
# Pre-create RGW's pools (8 PGs each) so the first bucket/object request does not
# pay ~2 s of pool + PG creation inside the gateway.
log "creating rgw pools"
for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta \
         default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
  ceph osd pool create "$p" 8 8 >/dev/null 2>&1
  ceph osd pool application enable "$p" rgw >/dev/null 2>&1
done
# Block until the data pool's PGs are active (a write waits for that).
rados -p default.rgw.buckets.data put .warmup /dev/null
rados -p default.rgw.buckets.data rm .warmup

log "starting radosgw on 127.0.0.1:$RGW_PORT"
ceph auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' mgr 'allow rw' >> "$CEPH_DIR/keyring"
radosgw -n client.rgw.a
ok=
for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$RGW_PORT/" 2>/dev/null; then ok=1; break; fi
  alive "$CEPH_DIR/run/client.rgw.a.pid" || [ $_ -lt 10 ] || break
  sleep 0.2
done
[ -n "$ok" ] || { log "radosgw did not answer; see $CEPH_DIR/log/client.rgw.a.log"; exit 1; }

# ---- S3 user -------------------------------------------------------------------
radosgw-admin user create --uid=test --display-name=test \
  --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null 2>>"$CEPH_DIR/log/radosgw-admin.err"

cat > "$CEPH_DIR/s3.env" <<EOF
S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
S3_REGION=us-east-1
S3_ACCESS_KEY=$S3_ACCESS_KEY
S3_SECRET_KEY=$S3_SECRET_KEY
S3_FORCE_PATH_STYLE=true
EOF

t1=$(date +%s.%N)
log "ready in $(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s: http://127.0.0.1:$RGW_PORT  access=$S3_ACCESS_KEY"
log "pids: mon.a=$(cat "$CEPH_DIR/run/mon.a.pid") osd.0=$(cat "$CEPH_DIR/run/osd.0.pid") rgw=$(cat "$CEPH_DIR/run/client.rgw.a.pid")"
log "env file: $CEPH_DIR/s3.env   CLI: CEPH_CONF=$CEPH_CONF ceph -s"
