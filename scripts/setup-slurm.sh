#!/usr/bin/env bash
# Installs and starts a single-node Slurm cluster on this machine, for the test that runs a
# sweep's job-array script (tests/slurm.rs) — Debian's slurmctld, slurmd and slurm-client
# with munge, no systemd. Idempotent: does nothing if `sinfo` already answers.
# Needs root (or passwordless sudo) and the Debian package mirror.
#
# Every daemon it starts (munged, slurmctld, slurmd) has its process id appended to the file
# named by FAULTLINE_SLURM_PIDS, if set, so that the caller can stop exactly those and no
# Slurm it did not start (tests/slurm.rs does, when it ends).
set -euo pipefail

started() { # name pid
  if [ -n "${FAULTLINE_SLURM_PIDS:-}" ]; then echo "$2 $1" >>"$FAULTLINE_SLURM_PIDS"; fi
}

if command -v sinfo >/dev/null 2>&1 && sinfo -h >/dev/null 2>&1; then
  echo "slurm: already running ($(sinfo -h -o '%n %T' | head -1))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "slurm: needs root or passwordless sudo to install" >&2; exit 1
  fi
fi

if ! command -v slurmctld >/dev/null 2>&1; then
  echo "slurm: installing slurmctld slurmd slurm-client munge (Debian packages)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

host=$(hostname -s)
# The node line as slurmd sees this machine (CPUs, memory), minus the boot-time field.
node=$(slurmd -C | head -1 | sed 's/ UpTime=.*//')
$SUDO mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
$SUDO tee /etc/slurm/slurm.conf >/dev/null <<CONF
ClusterName=faultline
SlurmctldHost=$host
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MailProg=/bin/true
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
CONF

# munge: a key, then the daemon as the munge user.
if [ ! -s /etc/munge/munge.key ]; then
  $SUDO mkdir -p /etc/munge
  $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
$SUDO chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
$SUDO chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
  $SUDO -u munge munged 2>/dev/null || $SUDO runuser -u munge -- munged
  # munged forks into the background: its id is the newest munged's.
  started munged "$(pgrep -n -x munged)"
fi

if ! pgrep -x slurmctld >/dev/null; then
  $SUDO slurmctld -D >/var/log/slurm/slurmctld.out 2>&1 &
  started slurmctld $!
fi
if ! pgrep -x slurmd >/dev/null; then
  $SUDO slurmd -D >/var/log/slurm/slurmd.out 2>&1 &
  started slurmd $!
fi

for _ in $(seq 1 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mix|alloc'; then
    echo "slurm: up ($(sinfo -h -o '%n %c CPUs %T' | head -1))"
    exit 0
  fi
  sleep 1
done
echo "slurm: daemons started but the node never became idle; see /var/log/slurm/" >&2
exit 1
