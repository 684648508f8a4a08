#!/usr/bin/env python
"""Run a command as the workers of an MXNet parameter-server cluster (for --kvstore dist_sync).

Starts one scheduler, S servers and W workers -- on this machine (127.0.0.1), or
over ssh on the hosts of a host file -- and exits with the workers' status. When
a worker fails, or --timeout passes, or you press Ctrl-C, every process of the
cluster is stopped; none is left behind.

  python scripts/launch.py -n 2 -s 1 -- python scripts/train_lfw.py --kvstore dist_sync
"""
import argparse
import os
import shlex
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli
from gluon_gan.training import launcher  # noqa: E402


def parse_args(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" in argv:
        cut = argv.index("--")
        argv, command = argv[:cut], argv[cut + 1:]
    else:
        command = []
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                usage="%(prog)s -n WORKERS [-s SERVERS] [-H HOSTFILE] [options] -- COMMAND...")
    p.add_argument("-n", "--num-workers", type=int, required=True, help="worker processes (each runs COMMAND)")
    p.add_argument("-s", "--num-servers", type=int, default=1, help="server processes (default: 1)")
    p.add_argument("-H", "--hostfile", help="run over ssh on these hosts (one IP address or user@IP per line; "
                                            "the scheduler on the first); default: everything on 127.0.0.1")
    p.add_argument("--port", type=int, help="the scheduler's port (default: a free one locally, %d over ssh)"
                   % launcher.DEFAULT_SSH_PORT)
    p.add_argument("--timeout", type=float, help="stop everything after this many seconds (exit status %d)"
                   % launcher.TIMEOUT_STATUS)
    p.add_argument("--log-dir", help="write each process's output to DIR/<role>.log instead of this terminal")
    p.add_argument("--python", help="interpreter for servers and scheduler (default: this one, %s)" % sys.executable)
    p.add_argument("--interface", help="network interface for DMLC_INTERFACE (multi-host runs)")
    p.add_argument("--env", action="append", default=[], metavar="NAME",
                   help="also pass this environment variable to remote hosts (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print each process's command line and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="debug log, and PS_VERBOSE=1 for ps-lite")
    args = p.parse_args(argv)
    if not command:
        p.error("give the worker command after --, e.g. -- python scripts/train_lfw.py --kvstore dist_sync")
    if args.num_workers < 1 or args.num_servers < 1:
        p.error("-n and -s must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        p.error("--timeout must be positive")
    args.command = command
    return args


def describe(roles, hosts, forward_env):
    """The command lines a run would start, one per line (for --dry-run)."""
    cluster = launcher.Cluster(roles, hosts=hosts, forward_env=forward_env)
    lines = []
    for role in roles:
        if hosts:
            lines.append("%s: %s" % (role.name, " ".join(map(shlex.quote, cluster.argv(role)))))
        else:
            env = " ".join("%s=%s" % kv for kv in sorted(role.env.items()))
            lines.append("%s: %s %s" % (role.name, env, " ".join(map(shlex.quote, role.command))))
    return "\n".join(lines)


def _interrupt(signum, frame):
    """SIGTERM (e.g. from a batch system) tears the cluster down exactly like Ctrl-C."""
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging(args.verbose)
    hosts = launcher.read_hostfile(args.hostfile) if args.hostfile else None
    if args.dry_run:
        roles = launcher.plan(args.command, args.num_workers, args.num_servers, hosts=hosts, port=args.port,
                              python=args.python, interface=args.interface, verbose=args.verbose)
        print(describe(roles, hosts, args.env))
        return 0
    signal.signal(signal.SIGTERM, _interrupt)
    status = launcher.launch(args.command, args.num_workers, args.num_servers, hosts=hosts, port=args.port,
                             timeout=args.timeout, log_dir=args.log_dir, python=args.python,
                             interface=args.interface, verbose=args.verbose, forward_env=args.env)
    if status:
        print("error: the workers exited with status %d" % status, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(cli.run(main))
