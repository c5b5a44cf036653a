#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the sweep's job-array test (and to try the
# sbatch script by hand): installs Debian's slurm-wlm and munge, writes a slurm.conf for this
# host only, starts munged, slurmctld and slurmd, and waits until the node is idle.
# Run as root on Debian 12. Idempotent: a second run restarts the daemons. Like any Slurm,
# slurmctld and slurmd listen on ports 6817 and 6818 of every interface (Slurm has no option
# to bind one address); munge authenticates every message with the local key.
#
#   deploy/slurm-localhost.sh          # install (if needed), configure, start
#   deploy/slurm-localhost.sh stop     # stop the daemons it started
set -euo pipefail

host=$(hostname -s)
conf=/etc/slurm/slurm.conf

stop() {
    for pidfile in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
        if [[ -s $pidfile ]]; then
            kill "$(cat "$pidfile")" 2>/dev/null || true
            rm -f "$pidfile"
        fi
    done
}

if [[ ${1:-} == stop ]]; then
    stop
    exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge
fi

# One node: this host, its cores and memory as Slurm sees them; no cgroups, no accounting
# (a container may have neither), so processes are tracked by their parent ids.
cpus=$(nproc)
mem_mb=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024))
mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm /run/munge
cat >"$conf" <<CONF
# Written by deploy/slurm-localhost.sh: a one-node cluster on $host.
ClusterName=tasim-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

stop
if [[ ! -s /etc/munge/munge.key ]]; then
    mungekey --create --force 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
runuser -u munge -- /usr/sbin/munged
slurmctld
slurmd

# The node reports in within seconds; give it a minute on a loaded machine.
for _ in $(seq 60); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
        sinfo
        exit 0
    fi
    sleep 1
done
echo "slurm-localhost: the node did not become idle; see /var/log/slurm/" >&2
sinfo >&2 || true
exit 1
