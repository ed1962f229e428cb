# Sourced by the tests that need a Slurm cluster: starts munge, slurmctld and slurmd on
# localhost (a private socket, random ports and a state folder under $tmp, which it makes),
# stops them and removes $tmp at exit, exports SLURM_CONF, and defines wait_job ID SECONDS.
# Expects `skip` (tests/needs_model_and_data.sh); skips without root or Debian's slurm-wlm
# and munge (tools/setup.sh installs them).
for tool in munged munge unmunge slurmctld slurmd sbatch squeue scancel sinfo; do
  command -v "$tool" >/dev/null || skip "$tool not found (apt-get install slurm-wlm munge; tools/setup.sh does)"
done
[[ $(id -u) -eq 0 ]] || skip "munged and the Slurm daemons are started as root here"

tmp="$(mktemp -d)"
chmod 755 "$tmp"
stop_daemons() {
  for pidfile in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munged.pid"; do
    [[ -f "$pidfile" ]] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  sleep 1
  rm -rf "$tmp"
}
trap stop_daemons EXIT

# munge on a private socket.
munged --force --socket="$tmp/munge.socket" --pid-file="$tmp/munged.pid" \
  --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" 2>"$tmp/munged.err" ||
  { cat "$tmp/munged.err"; exit 1; }
munge -n --socket="$tmp/munge.socket" | unmunge --socket="$tmp/munge.socket" >/dev/null ||
  { echo "FAIL: munge does not work"; exit 1; }

host="$(hostname)"
port=$((20000 + RANDOM % 20000))
export SLURM_CONF="$tmp/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=gemmeter-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge.socket
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
mkdir -p "$tmp/state" "$tmp/spool"
slurmctld -f "$SLURM_CONF" || { cat "$tmp/slurmctld.log"; exit 1; }
slurmd -f "$SLURM_CONF" || { cat "$tmp/slurmd.log"; exit 1; }
for _ in $(seq 60); do
  [[ "$(sinfo -h -o %T 2>/dev/null)" == idle* ]] && break
  sleep 0.5
done
[[ "$(sinfo -h -o %T)" == idle* ]] || { echo "FAIL: the node did not come up"; tail "$tmp"/slurm*.log; exit 1; }
echo "ok: single-node Slurm cluster up ($(sinfo -h -o '%P %D %T %c'))"

# Waits until job $1 has left the queue (at most $2 seconds).
wait_job() {
  for _ in $(seq $(($2 * 2))); do
    [[ -z "$(squeue -h -j "$1" 2>/dev/null)" ]] && return 0
    sleep 0.5
  done
  echo "FAIL: job $1 still queued after $2 s"
  squeue
  return 1
}
