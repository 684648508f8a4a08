"""Start a parameter-server cluster (scheduler, servers, workers) and take it down again.

MXNet's ``dist_sync`` kvstore is a set of processes told their job by
environment variables: ``DMLC_ROLE`` (scheduler/server/worker), where the
scheduler listens (``DMLC_PS_ROOT_URI``/``DMLC_PS_ROOT_PORT``) and how many of
each there are (``DMLC_NUM_SERVER``/``DMLC_NUM_WORKER``). Servers and the
scheduler only need ``import mxnet`` (which runs them and exits); workers run
the user's command. MXNet's own ``tools/launch.py`` no longer runs on Python >=
3.9, and it leaves servers behind when a worker dies; this launcher does not.

Every role runs in its own process group. When all workers have exited 0, the
servers get a grace period to shut down by themselves; when any worker (or the
scheduler/a server) fails, or the timeout passes, every group is sent SIGTERM and
then SIGKILL. The result is the workers' exit status.
"""
import logging
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from ..errors import GluonGanError
from ..runtime import threads_chosen_by_user, usable_cores

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"
DEFAULT_SSH_PORT = 9091  # the scheduler's port on a remote host, where we cannot probe for a free one
STOP_GRACE_S = 10.0      # after the workers finish: time for servers/scheduler to exit on their own
KILL_GRACE_S = 3.0       # between SIGTERM and SIGKILL
TIMEOUT_STATUS = 124     # what `timeout(1)` returns; our status when --timeout expires
SSH_OPTIONS = ("-o", "BatchMode=yes", "-tt")  # -tt: the remote command dies with the connection


@dataclass
class Role:
    """One process of the cluster: what to run, where, and with which DMLC_* variables."""
    role: str      # "scheduler", "server" or "worker"
    index: int     # launch order within its role (ranks are assigned later by the scheduler)
    host: str      # LOCALHOST, or a host from the host file
    command: list  # the program and its arguments, as run on ``host``
    env: dict = field(default_factory=dict)  # the variables this role adds to the environment

    @property
    def name(self):
        return self.role if self.role == "scheduler" else "%s-%d" % (self.role, self.index)


def free_port(host=LOCALHOST):
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def read_hostfile(path):
    """Hosts, one per line (``host`` or ``user@host``); blank lines and ``#`` comments ignored."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as err:
        raise GluonGanError("cannot read host file %s: %s" % (path, err.strerror)) from None
    hosts = []
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if len(line.split()) != 1 or line.startswith("-"):
            raise GluonGanError("%s line %d: expected one host name, got %r" % (path, number, line))
        hosts.append(line)
    if not hosts:
        raise GluonGanError("host file %s lists no hosts" % path)
    return hosts


def _address(host):
    """The network address part of ``user@host``."""
    return host.rpartition("@")[2]


def plan(command, num_workers, num_servers, hosts=None, port=None, python=None, interface=None,
         verbose=False):
    """The processes of a cluster, without starting them.

    ``hosts=None`` puts everything on 127.0.0.1 (all sockets bound to loopback).
    With hosts, the scheduler runs on the first; servers and workers are dealt
    round-robin over all of them. ``python`` runs the servers and the scheduler
    (default: this interpreter, so the same MXNet).
    """
    if num_workers < 1 or num_servers < 1:
        raise GluonGanError("a cluster needs at least one worker and one server (got -n %d -s %d)"
                            % (num_workers, num_servers))
    if not command:
        raise GluonGanError("no worker command given (put it after --)")
    python = python or sys.executable
    root = _address(hosts[0]) if hosts else LOCALHOST
    if port is None:
        port = free_port() if not hosts else DEFAULT_SSH_PORT
    common = {"DMLC_PS_ROOT_URI": root, "DMLC_PS_ROOT_PORT": str(port),
              "DMLC_NUM_SERVER": str(num_servers), "DMLC_NUM_WORKER": str(num_workers)}
    if interface:
        common["DMLC_INTERFACE"] = interface
    if verbose:
        common["PS_VERBOSE"] = "1"
    ps_command = [python, "-c", "import mxnet"]
    roles = [Role("scheduler", 0, hosts[0] if hosts else LOCALHOST, ps_command)]
    roles += [Role("server", i, hosts[i % len(hosts)] if hosts else LOCALHOST, ps_command)
              for i in range(num_servers)]
    roles += [Role("worker", i, hosts[i % len(hosts)] if hosts else LOCALHOST, list(command))
              for i in range(num_workers)]
    for r in roles:
        r.env = dict(common, DMLC_ROLE=r.role)
        if not hosts:
            r.env["DMLC_NODE_HOST"] = LOCALHOST  # bind and advertise loopback only
    return roles


def ssh_command(role, cwd, forward_env=(), ssh=("ssh",)):
    """The local argv that runs ``role`` on its host over ssh, in directory ``cwd``.

    The remote shell gets ``cd CWD && exec env K=V ... COMMAND``, every piece
    quoted, so paths with spaces and odd characters survive. ``forward_env`` names
    variables of this environment to pass along (e.g. PYTHONPATH).
    """
    env = dict(role.env)
    for name in forward_env:
        if name in os.environ:
            env.setdefault(name, os.environ[name])
    assignments = ["%s=%s" % (k, v) for k, v in sorted(env.items())]
    remote = "cd %s && exec env %s" % (shlex.quote(cwd), " ".join(shlex.quote(a) for a in assignments + role.command))
    return list(ssh) + list(SSH_OPTIONS) + [role.host, remote]


def _local_env(role, num_local_workers):
    """This environment plus the role's variables; local workers share the cores unless the user chose."""
    env = dict(os.environ, **role.env)
    if not threads_chosen_by_user():
        env["OMP_NUM_THREADS"] = str(max(1, usable_cores() // num_local_workers) if role.role == "worker" else 1)
    return env


class Cluster:
    """The running processes of a :func:`plan`; always use it as a context manager."""

    def __init__(self, roles, hosts=None, cwd=None, log_dir=None, forward_env=(), ssh=("ssh",)):
        self.roles = roles
        self.remote = bool(hosts)
        self.cwd = cwd or os.getcwd()
        self.log_dir = log_dir
        self.forward_env = forward_env
        self.ssh = ssh
        self.procs = {}  # role name -> Popen
        self._files = []

    def argv(self, role):
        return ssh_command(role, self.cwd, self.forward_env, self.ssh) if self.remote else role.command

    def start(self):
        num_workers = sum(r.role == "worker" for r in self.roles)
        if self.log_dir:
            os.makedirs(self.log_dir, exist_ok=True)
        for role in self.roles:
            out = None
            if self.log_dir:
                out = open(os.path.join(self.log_dir, role.name + ".log"), "wb")
                self._files.append(out)
            env = os.environ.copy() if self.remote else _local_env(role, num_workers)
            log.debug("starting %s: %s", role.name, " ".join(map(shlex.quote, self.argv(role))))
            try:
                self.procs[role.name] = subprocess.Popen(
                    self.argv(role), env=env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                    stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True)
            except OSError as err:
                raise GluonGanError("cannot start %s (%s): %s" % (role.name, self.argv(role)[0], err.strerror))
        return self

    def pids(self):
        return {name: p.pid for name, p in self.procs.items()}

    def wait(self, timeout=None, poll_s=0.05, stop_grace_s=STOP_GRACE_S):
        """Block until the run is decided; returns the workers' status (see module doc)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        workers = [r.name for r in self.roles if r.role == "worker"]
        others = [r.name for r in self.roles if r.role != "worker"]
        workers_done_at = None
        while True:
            failed = [(n, self.procs[n].poll()) for n in workers if self.procs[n].poll() not in (None, 0)]
            if failed:
                name, code = failed[0]
                log.error("%s failed with status %s; stopping the cluster", name, _describe(code))
                return _status(code)
            broken = [(n, self.procs[n].poll()) for n in others if self.procs[n].poll() not in (None, 0)]
            if broken and (workers_done_at is None):
                name, code = broken[0]
                log.error("%s died with status %s before the workers finished; stopping the cluster",
                          name, _describe(code))
                return 1
            if workers_done_at is None and all(self.procs[n].poll() == 0 for n in workers):
                workers_done_at = time.monotonic()
                log.debug("all workers exited 0; waiting up to %.0f s for the servers", stop_grace_s)
            if workers_done_at is not None:
                if all(self.procs[n].poll() is not None for n in others):
                    log.debug("servers and scheduler exited %.1f s after the workers",
                              time.monotonic() - workers_done_at)
                    return 0
                if time.monotonic() - workers_done_at > stop_grace_s:
                    log.warning("servers still running %.0f s after the workers finished; stopping them",
                                stop_grace_s)
                    return 0
            if deadline is not None and time.monotonic() > deadline:
                log.error("timed out after %.0f s; stopping the cluster", timeout)
                return TIMEOUT_STATUS
            time.sleep(poll_s)

    def stop(self, grace_s=KILL_GRACE_S):
        """SIGTERM every process group still alive, then SIGKILL what survives ``grace_s``."""
        alive = [p for p in self.procs.values() if _group_alive(p.pid)]
        for p in alive:
            _signal_group(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while alive and time.monotonic() < deadline:
            for p in alive:
                p.poll()  # reap the leader so it does not linger as a zombie
            alive = [p for p in alive if _group_alive(p.pid)]
            time.sleep(0.05)
        for p in alive:
            _signal_group(p.pid, signal.SIGKILL)
        for p in self.procs.values():
            try:
                p.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:  # pragma: no cover - a process stuck in the kernel
                log.error("process %d did not die", p.pid)
        for f in self._files:
            f.close()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()  # the roles that did start must not outlive a failed start
            raise

    def __exit__(self, *exc):
        self.stop()
        return False


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid):
    """Whether any process of group ``pgid`` (zombies included) still exists."""
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's group with our old id
        return False


def _status(code):
    """A Popen return code as a shell exit status (killed by signal N -> 128 + N)."""
    return 128 - code if code < 0 else code


def _describe(code):
    return "signal %d" % -code if code < 0 else str(code)


def launch(command, num_workers, num_servers=1, hosts=None, port=None, timeout=None, log_dir=None,
           python=None, interface=None, verbose=False, forward_env=(), cwd=None, stop_grace_s=STOP_GRACE_S):
    """Run ``command`` as ``num_workers`` workers of a fresh cluster; returns their exit status.

    Nothing outlives this call: every role's process group is stopped before it returns.
    """
    roles = plan(command, num_workers, num_servers, hosts=hosts, port=port, python=python,
                 interface=interface, verbose=verbose)
    log.info("cluster: scheduler at %s:%s, %d server(s), %d worker(s)%s", roles[0].env["DMLC_PS_ROOT_URI"],
             roles[0].env["DMLC_PS_ROOT_PORT"], num_servers, num_workers,
             " over ssh on %d host(s)" % len(hosts) if hosts else " on this machine")
    with Cluster(roles, hosts=hosts, cwd=cwd, log_dir=log_dir, forward_env=forward_env) as cluster:
        return cluster.wait(timeout=timeout, stop_grace_s=stop_grace_s)
