#!/usr/bin/env bash
# A one-node Slurm cluster on localhost for the Slurm test (tests/Module/Slurm.Tests.ps1), run as root by .ci/run:
#   .ci/slurm.sh start DIR   writes DIR/slurm.conf, starts munged, slurmctld and slurmd (their pid files in DIR)
#                            and waits until the node is idle; prints the SLURM_CONF to export
#   .ci/slurm.sh stop DIR    stops the three daemons by the pids in DIR (nothing else)
# Everything lives in DIR (config, state, spool, logs, a munge socket and key of its own) and uses its own ports, so
# nothing system-wide is changed. Needs Debian's slurm-wlm and munge.
set -euo pipefail
action="${1:?usage: slurm.sh start|stop DIR}"
dir="${2:?usage: slurm.sh start|stop DIR}"

stop_pid() {
    local file="$1"
    [ -f "$file" ] || return 0
    local pid
    pid="$(cat "$file")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$file"
}

case "$action" in
start)
    mkdir -p "$dir/state" "$dir/spool"
    chmod 700 "$dir"
    # A key of its own: munged only accepts a key owned by the user it runs as.
    dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
    chmod 600 "$dir/munge.key"
    munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" --log-file="$dir/munged.log" \
        --pid-file="$dir/munged.pid" --seed-file="$dir/munged.seed"
    memory_mb=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024 ))
    cat > "$dir/slurm.conf" <<CONF
ClusterName=mnistcnnci
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$memory_mb State=UNKNOWN
PartitionName=ci Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
    slurmctld -f "$dir/slurm.conf"
    slurmd -f "$dir/slurm.conf" -N localhost
    for _ in $(seq 1 60); do
        if SLURM_CONF="$dir/slurm.conf" sinfo -h -o '%t' 2>/dev/null | grep -q '^idle'; then
            echo "$dir/slurm.conf"
            exit 0
        fi
        sleep 0.5
    done
    echo "slurm.sh: the node did not come up (another cluster on ports 16817/16818?); the logs end with:" >&2
    tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
    "$0" stop "$dir" || true
    exit 1
    ;;
stop)
    stop_pid "$dir/slurmd.pid"
    stop_pid "$dir/slurmctld.pid"
    stop_pid "$dir/munged.pid"
    ;;
*)
    echo "usage: slurm.sh start|stop DIR" >&2
    exit 2
    ;;
esac
