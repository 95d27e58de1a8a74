"""A real single-node SLURM cluster, started by the tests and stopped by them.

Debian's packages (slurmctld, slurmd, slurm-client, slurmdbd, munge, MariaDB) are installed if
missing - the cluster tests need root for that and for the daemons, as CI runs them. Every
daemon runs in the foreground of a process the test owns (there is no systemd), on ports of
its own, with its state, logs and MariaDB data in a temporary folder. The node declares four
CPUs, 16 GB and one GPU (a GPU GRES backed by a plain file, which is all slurmd needs to
schedule it) in two partitions, ``cpu`` (the default) and ``gpu``; slurmdbd keeps accounting
as real sites do, so ``sacct`` has every job's partition, allocation and submit line.

The configuration must sit at ``/etc/slurm/`` because the SLURM executor drops
``SLURM_CONF`` inside jobs, where ``srun`` reads it. A configuration found there that these
tests did not write (a site's, on a login node) is never touched: the tests fail and say so.
What they write is removed when they end (a ``slurm.conf`` left without a controller slows
every later Snakemake call by about 10 s: the executor queries it on start-up).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CONF_DIR = Path("/etc/slurm")
MARKER = "# written by the supertml test suite (tests/cluster/slurm_cluster.py); removed after"
CLUSTER = "supertml"
ACCOUNT = "supertml_test"
MUNGE_SOCKET = Path("/run/munge/munge.socket.2")
PORTS = {"slurmctld": 16817, "slurmd": 16818, "slurmdbd": 16819, "mariadb": 16820}

#: Debian packages of the cluster, and the executables that show they are installed.
PACKAGES = ("slurmctld", "slurmd", "slurm-client", "slurmdbd", "munge", "mariadb-server")
EXECUTABLES = (
    "slurmctld", "slurmd", "slurmdbd", "sbatch", "squeue", "sacct", "sacctmgr", "scancel",
    "scontrol", "sinfo", "srun", "munged", "mariadbd", "mariadb-install-db", "mariadb",
)  # fmt: skip


class ClusterError(RuntimeError):
    """The cluster could not be installed or started; the message says why."""


def _run(*command: str, timeout: float = 120, check: bool = True) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise ClusterError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def missing_executables() -> list[str]:
    return [name for name in EXECUTABLES if shutil.which(name) is None]


def install_packages() -> None:
    """Install the Debian packages if any executable is missing (apt-get, as root)."""
    if not missing_executables():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ClusterError(
            f"SLURM is not installed ({', '.join(missing_executables())} missing) and this "
            f"user cannot install it: run as root on Debian, or `apt-get install "
            f"{' '.join(PACKAGES)}` first"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    attempt = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if attempt.returncode != 0:  # a fresh machine: the package lists are not there yet
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, check=False)
        attempt = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if attempt.returncode != 0 or missing_executables():
        raise ClusterError(
            f"could not install {' '.join(PACKAGES)}:\n{attempt.stdout[-3000:]}\n"
            f"{attempt.stderr[-3000:]}"
        )


def _check_ports_free() -> None:
    for daemon, port in PORTS.items():
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise ClusterError(
                    f"port {port} (for {daemon}) is in use: a cluster of an earlier test run "
                    "may still be running (`pkill -f 'slurm|munged|mariadbd'` stops it)"
                )


@dataclass
class SlurmCluster:
    """A running single-node cluster; :meth:`stop` ends it and removes its configuration."""

    root: Path
    node: str
    daemons: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)

    def log(self, daemon: str) -> str:
        path = self.root / f"{daemon}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def sacct(self, fields: tuple[str, ...]) -> list[dict[str, str]]:
        """One row per job (allocations only, no steps) of every job this cluster ran."""
        out = _run(
            "sacct", "-X", "-P", "-n", "-a", "--starttime", "2000-01-01",
            "-o", ",".join(fields),
        )  # fmt: skip
        return [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines()]

    def jobs(self) -> list[dict[str, str]]:
        """squeue's view: id, state and comment (the rule) of every job still known."""
        out = _run("squeue", "-h", "-a", "--states=all", "-o", "%i|%T|%k")
        return [
            dict(zip(("id", "state", "comment"), line.split("|"), strict=True))
            for line in out.splitlines()
        ]

    def stop(self) -> None:
        for name in reversed(list(self.daemons)):
            process = self.daemons[name]
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.daemons.clear()
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()

    def _start(self, name: str, *command: str) -> None:
        with (self.root / f"{name}.out").open("wb") as output:  # the child keeps its own copy
            self.daemons[name] = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)

    def _write_conf(self, name: str, text: str, mode: int = 0o644) -> None:
        path = CONF_DIR / name
        if path.exists() and MARKER not in path.read_text(errors="replace"):
            raise ClusterError(
                f"{path} exists and was not written by these tests (a site's SLURM?): the "
                "single-node test cluster needs a machine of its own and leaves it alone"
            )
        CONF_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{MARKER}\n{text}")
        path.chmod(mode)
        self.written.append(path)

    def _wait(self, what: str, probe: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.daemons.items():
                if process.poll() is not None:
                    raise ClusterError(
                        f"{name} exited ({process.returncode}) while waiting for {what}:\n"
                        f"{(self.root / f'{name}.out').read_text(errors='replace')[-3000:]}\n"
                        f"{self.log(name)[-3000:]}"
                    )
            if probe():
                return
            time.sleep(0.3)
        raise ClusterError(
            f"timed out after {timeout:.0f} s waiting for {what}; logs in {self.root}:\n"
            + "\n".join(f"--- {name}\n{self.log(name)[-2000:]}" for name in self.daemons)
        )


def _succeeds(*command: str) -> bool:
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def start_cluster(root: Path) -> SlurmCluster:
    """Install (if needed), configure and start the cluster; stop it with ``stop()``."""
    install_packages()
    _check_ports_free()
    node = socket.gethostname().split(".")[0]  # slurmd knows itself by its short name
    cluster = SlurmCluster(root=root, node=node)
    try:
        _configure_and_start(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _configure_and_start(cluster: SlurmCluster) -> None:
    root, node = cluster.root, cluster.node
    for folder in ("state", "spool", "db"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    # munge's default socket: SLURM 22.05's accounting clients (sacctmgr, sacct) use it
    # whatever slurm.conf's AuthInfo says. The key, logs and state stay in the test's folder.
    socket_path = MUNGE_SOCKET
    socket_path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    if socket_path.exists() and _succeeds("munge", "-n"):
        raise ClusterError(f"a munged already listens on {socket_path}: not this test's")
    cluster._start(
        "munged", "munged", "--foreground", "--force", f"--socket={socket_path}",
        f"--key-file={key}", f"--log-file={root / 'munged.log'}",
        f"--pid-file={root / 'munged.pid'}", f"--seed-file={root / 'munged.seed'}",
    )  # fmt: skip
    cluster._wait("munged", socket_path.exists, 30)

    # MariaDB for slurmdbd: private data, loopback only, no grant tables (a throwaway test DB).
    _run("mariadb-install-db", f"--datadir={root / 'db'}", "--user=root", "--skip-test-db")
    cluster._start(
        "mariadb", "mariadbd", "--no-defaults", f"--datadir={root / 'db'}",
        f"--socket={root / 'mariadb.sock'}", f"--port={PORTS['mariadb']}",
        "--bind-address=127.0.0.1", "--user=root", "--skip-grant-tables",
        "--innodb-buffer-pool-size=64M", f"--log-error={root / 'mariadb.log'}",
    )  # fmt: skip
    mariadb = ("mariadb", "--no-defaults", "-h", "127.0.0.1", f"-P{PORTS['mariadb']}", "-uroot")
    cluster._wait("MariaDB", lambda: _succeeds(*mariadb, "-e", "select 1"), 60)

    gpu = root / "fake-gpu0"  # slurmd needs a device file to count the GPU; any file will do
    gpu.touch()
    cluster._write_conf(
        "slurmdbd.conf",
        f"DbdHost=localhost\nDbdAddr=127.0.0.1\nDbdPort={PORTS['slurmdbd']}\nSlurmUser=root\n"
        "AuthType=auth/munge\n"
        f"StorageType=accounting_storage/mysql\nStorageHost=127.0.0.1\n"
        f"StoragePort={PORTS['mariadb']}\nStorageUser=root\nStorageLoc=slurm_acct_db\n"
        f"LogFile={root / 'slurmdbd.log'}\nPidFile={root / 'slurmdbd.pid'}\n",
        mode=0o600,
    )
    cluster._write_conf("gres.conf", f"AutoDetect=off\nNodeName={node} Name=gpu File={gpu}\n")
    cluster._write_conf("slurm.conf", _slurm_conf(root, node))
    cluster._start("slurmdbd", "slurmdbd", "-D")
    cluster._wait("slurmdbd", lambda: _succeeds("sacctmgr", "-n", "list", "cluster"), 60)
    _run("sacctmgr", "-i", "add", "cluster", CLUSTER, check=False)  # exists after a rerun
    _run("sacctmgr", "-i", "add", "account", ACCOUNT, f"Cluster={CLUSTER}", check=False)
    _run("sacctmgr", "-i", "add", "user", "root", f"Account={ACCOUNT}", f"Cluster={CLUSTER}",
         check=False)  # fmt: skip
    cluster._start("slurmctld", "slurmctld", "-D", "-i")
    cluster._wait("slurmctld", lambda: _succeeds("scontrol", "ping"), 60)
    cluster._start("slurmd", "slurmd", "-D")

    def node_idle() -> bool:
        states = _run("sinfo", "-h", "-N", "-o", "%T", check=False).split()
        return bool(states) and all(state == "idle" for state in states)

    cluster._wait("the node to be idle", node_idle, 60)


def _slurm_conf(root: Path, node: str) -> str:
    return f"""ClusterName={CLUSTER}
# Everything on loopback: the machine's name need not resolve.
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={PORTS["slurmctld"]}
SlurmdPort={PORTS["slurmd"]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={root / "state"}
SlurmdSpoolDir={root / "spool"}
SlurmctldPidFile={root / "slurmctld.pid"}
SlurmdPidFile={root / "slurmd.pid"}
SlurmctldLogFile={root / "slurmctld.log"}
SlurmdLogFile={root / "slurmd.log"}
# No cgroups in a container: track processes by parent id, bind no tasks.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
# The node may declare more than this machine has (two cores here); jobs asking for more than
# it declares would stay PENDING forever.
SlurmdParameters=config_overrides
ReturnToService=2
# squeue keeps finished jobs this long; the executor's squeue status query relies on it.
MinJobAge=300
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={PORTS["slurmdbd"]}
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=10
NodeName={node} NodeHostname={node} NodeAddr=127.0.0.1 CPUs=4 RealMemory=16000 Gres=gpu:1
PartitionName=cpu Nodes={node} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={node} MaxTime=INFINITE State=UP
"""
