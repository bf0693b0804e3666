"""Helpers for qeval's end-to-end tests: TAP output, the fake server,
running the qeval binary, reading its outputs.  Python 3 stdlib only."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

QEVAL = os.environ.get("QEVAL_BIN", "qeval")
SRC = os.environ.get("QEVAL_SRCDIR", ".")
DATA = os.environ.get("QEVAL_DATA_DIR") or None
PY = os.environ.get("PYTHON3", sys.executable)
FAKE = os.path.join(SRC, "tests", "fake", "fakeserver.py")

_count = 0
_failed = 0


def ok(cond, desc, diag=None):
    global _count, _failed
    _count += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", _count, desc))
    if not cond:
        _failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[-30:]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


def skip(desc):
    global _count
    _count += 1
    print("ok %d # SKIP %s" % (_count, desc))
    sys.stdout.flush()


def done():
    print("1..%d" % _count)
    sys.stdout.flush()
    sys.exit(1 if _failed or _count == 0 else 0)


def bail(msg):
    print("Bail out! " + msg)
    sys.stdout.flush()
    sys.exit(1)


class FakeServer:
    """tests/fake/fakeserver.py on a free loopback port."""

    def __init__(self, tmp, script=None, extra=()):
        self.tmp = tmp
        self.port_file = os.path.join(tmp, "port.%d" % id(self))
        self.log = os.path.join(tmp, "server.%d.jsonl" % id(self))
        args = [PY, FAKE, "--port", "0", "--port-file", self.port_file,
                "--log", self.log]
        if script is not None:
            path = os.path.join(tmp, "script.%d.json" % id(self))
            with open(path, "w") as f:
                json.dump(script, f)
            args += ["--script", path]
        # qeval checks --model against GET /v1/models: the short names
        # the tests pass are served too
        args += ["--also-model", "m", "--also-model", "fake"]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(tmp, "server.err"), "a"))
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    break
            if self.proc.poll() is not None:
                bail("fake server exited early")
            time.sleep(0.05)
        else:
            bail("fake server did not start")
        self.url = "http://127.0.0.1:%d/v1" % self.port

    def settle(self, timeout=10):
        """Waits until no request is in flight.  The server logs a
        request after answering it, so a client can be done before the
        line is written: read the log only once the server is idle."""
        url = "http://127.0.0.1:%d/stats" % self.port
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if json.load(r).get("inflight", 0) == 0:
                        return
            except OSError:
                return
            time.sleep(0.02)

    def requests(self):
        """Every POST the server logged, in order."""
        self.settle()
        out = []
        if not os.path.exists(self.log):
            return out
        with open(self.log) as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue
                    # model requests only: not settle()'s polling nor
                    # qeval's reads of /metrics and /health
                    if rec.get("method") == "POST":
                        out.append(rec)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(args, env=None, timeout=600):
    """Runs qeval; returns (exit status, stdout, stderr)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([QEVAL] + list(args), capture_output=True,
                       text=True, env=e, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def results(run_dir):
    with open(os.path.join(run_dir, "results.json")) as f:
        return json.load(f)


def metric(res, task, name):
    for t in res["tasks"]:
        if t["name"] == task:
            for m in t["metrics"]:
                if m["name"] == name:
                    return m["value"]
    return None


def samples(run_dir, task):
    out = []
    with open(os.path.join(run_dir, "samples", task + ".jsonl")) as f:
        for line in f:
            out.append(json.loads(line))
    return out


def last_user(body):
    """The last user message of a chat request body (or the prompt)."""
    if "messages" in body:
        for m in reversed(body["messages"]):
            if m.get("role") == "user":
                return m.get("content", "")
        return ""
    return body.get("prompt", "")


def tmpdir():
    d = tempfile.mkdtemp(prefix="qeval-e2e-")
    return d


def cleanup(d):
    shutil.rmtree(d, ignore_errors=True)
