"""A one-node Slurm cluster on loopback for the tests: munged, slurmctld
and slurmd started from a slurm.conf written into a directory of the
caller's, and stopped again (stop_all) with every job cancelled.  Only
processes started here are ever signalled."""

import os
import shutil
import socket
import subprocess
import time

WAIT_S = 150            # the most any one wait may take
procs = []              # daemons we started, stopped in reverse order


def have_slurm():
    return all(shutil.which(x) for x in ("munged", "slurmctld", "slurmd",
                                          "sbatch", "scontrol"))


def install():
    """apt-get install slurm-wlm munge; an error string or None."""
    if have_slurm():
        return None
    if os.geteuid() != 0:
        return "not root: cannot install slurm-wlm and munge"
    if not shutil.which("apt-get"):
        return "no apt-get: install slurm-wlm and munge by hand"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
           "slurm-wlm", "munge"]
    for pre in ([], ["apt-get", "update", "-qq"]):
        if pre:
            subprocess.run(pre, env=env, capture_output=True, timeout=300)
        p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=600)
        if p.returncode == 0 and have_slurm():
            return None
    return "apt-get install slurm-wlm munge failed: " + \
        (p.stderr.strip().splitlines() or ["?"])[-1]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(args, log):
    p = subprocess.Popen(args, stdout=open(log, "w"),
                         stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(p)
    return p


def wait_for(cond, timeout=WAIT_S, every=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(every)
    return None


def tail(path, n=15):
    try:
        with open(path) as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return str(e)


def cluster(t, cpus=10, mem=20480):
    """Starts munged, slurmctld and slurmd; the environment for the
    Slurm commands, or an error string."""
    os.chmod(t, 0o755)
    key = os.path.join(t, "munge.key")
    with open(key, "wb") as f:
        f.write(os.urandom(1024))
    os.chmod(key, 0o600)
    sock = os.path.join(t, "munge.sock")
    start(["munged", "-F", "--force", "--socket=" + sock,
           "--key-file=" + key, "--pid-file=" + os.path.join(t, "munged.pid"),
           "--seed-file=" + os.path.join(t, "munged.seed"),
           "--log-file=" + os.path.join(t, "munged.log")],
          os.path.join(t, "munged.out"))
    if not wait_for(lambda: os.path.exists(sock), 20):
        return "munged did not start: " + tail(os.path.join(t, "munged.out"))
    for d in ("state", "spool"):
        os.mkdir(os.path.join(t, d))
    host = socket.gethostname().split(".")[0]
    conf = os.path.join(t, "slurm.conf")
    with open(conf, "w") as f:
        f.write("""ClusterName=qevaltest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={cport}
SlurmdPort={dport}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={t}/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation={t}/state
SlurmdSpoolDir={t}/spool
SlurmctldPidFile={t}/slurmctld.pid
SlurmdPidFile={t}/slurmd.pid
SlurmctldLogFile={t}/slurmctld.log
SlurmdLogFile={t}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MailProg=/bin/true
ReturnToService=2
MinJobAge=600
SlurmdParameters=config_overrides
NodeName=qnode NodeHostname={host} NodeAddr=127.0.0.1 CPUs={cpus} \
RealMemory={mem} State=UNKNOWN
PartitionName=q Nodes=qnode Default=YES MaxTime=INFINITE State=UP
""".format(host=host, t=t, cport=free_port(), dport=free_port(),
           cpus=cpus, mem=mem))
    env = dict(os.environ, SLURM_CONF=conf)
    start(["slurmctld", "-D", "-f", conf], os.path.join(t, "slurmctld.out"))
    start(["slurmd", "-D", "-N", "qnode", "-f", conf],
          os.path.join(t, "slurmd.out"))

    def idle():
        p = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env,
                           capture_output=True, text=True)
        return p.returncode == 0 and p.stdout.strip() == "idle"
    if not wait_for(idle, 40, 0.5):
        return "the one-node cluster did not come up: " + \
            tail(os.path.join(t, "slurmctld.out"), 5) + \
            tail(os.path.join(t, "slurmd.out"), 5)
    return env


def stop_all(env):
    if env is not None:
        subprocess.run(["scancel", "--user=root"], env=env,
                       capture_output=True)

        def empty():
            p = subprocess.run(["squeue", "-h"], env=env,
                               capture_output=True, text=True)
            return p.returncode != 0 or not p.stdout.strip()
        wait_for(empty, 20, 0.5)
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def job_state(env, job):
    p = subprocess.run(["scontrol", "-o", "show", "job", str(job)],
                       env=env, capture_output=True, text=True)
    states = []
    for line in p.stdout.splitlines():
        for field in line.split():
            if field.startswith("JobState="):
                states.append(field.split("=", 1)[1])
    return states


FINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
         "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE")


def wait_done(env, job):
    """Waits until every task of job has ended; its states, or None."""
    def ended():
        s = job_state(env, job)
        return s if s and all(x in FINAL for x in s) else None
    return wait_for(ended)
