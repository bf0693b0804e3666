"""llamaserver: a real llama.cpp llama-server for tests (stdlib only).

Importable by any test of the real-server suite (tests/real/):

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import llamaserver

    binary, why = llamaserver.find()       # why: a SKIP reason, or None
    srv = llamaserver.LlamaServer(tmp, binary, slots=4)
    srv.start()                            # free loopback port, /health 200
    ... qeval --endpoint srv.url --model srv.alias ...
    srv.metrics()                          # {"llamacpp:...": value}
    srv.stop()                             # SIGTERM, then SIGKILL

Where things are:
  QEVAL_LLAMA_SERVER  the binary; else QEVAL_LLAMA_PREFIX/bin/llama-server
                      (default prefix /var/cache/qeval/llama, where
                      scripts/build-llama-server builds it), else PATH
  QEVAL_LLAMA_MODEL   the GGUF model; else tiny-random-chatml.gguf in
                      ../shared/peers/llamacpp (QEVAL_LLAMA_SRC)

The server runs in its own process group with the model's alias ("tiny"),
--metrics, -np SLOTS, a context of 4096 tokens per slot, -t THREADS and
--no-webui; its output goes to TMP/llama-server-PORT.log.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PREFIX = os.environ.get("QEVAL_LLAMA_PREFIX", "/var/cache/qeval/llama")
PEER = os.environ.get("QEVAL_LLAMA_SRC",
                      os.path.join(SRC, "..", "shared", "peers", "llamacpp"))
MODEL = os.environ.get("QEVAL_LLAMA_MODEL",
                       os.path.join(PEER, "tiny-random-chatml.gguf"))


def find():
    """(binary, None), or (None, why) with a reason fit for a SKIP."""
    cands = []
    if os.environ.get("QEVAL_LLAMA_SERVER"):
        cands.append(os.environ["QEVAL_LLAMA_SERVER"])
    cands.append(os.path.join(PREFIX, "bin", "llama-server"))
    on_path = shutil.which("llama-server")
    if on_path:
        cands.append(on_path)
    if not os.path.exists(MODEL):
        return None, "no model at %s (set QEVAL_LLAMA_MODEL)" % MODEL
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c, None
    why = "no llama-server in %s or on PATH" % os.path.join(PREFIX, "bin")
    failed = os.path.join(PREFIX, "build.failed")
    if os.path.exists(failed):
        with open(failed) as f:
            why += "; the build failed: " + f.read().strip()
    else:
        why += " (scripts/build-llama-server builds it)"
    return None, why


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class LlamaServer:
    def __init__(self, tmp, binary, model=MODEL, slots=4, threads=2,
                 alias="tiny", port=None, extra=()):
        self.tmp = tmp
        self.binary = binary
        self.model = model
        self.slots = slots
        self.threads = threads
        self.alias = alias
        self.port = port
        self.extra = list(extra)
        self.proc = None
        self.log = None

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def url(self):
        """The OpenAI base URL qeval takes (--endpoint)."""
        return self.base + "/v1"

    def start(self, timeout=60):
        """Starts the server (on a free port unless one was given) and
        waits for /health to answer 200.  Raises RuntimeError with the
        log's tail if it does not."""
        if self.port is None:
            self.port = free_port()
        self.log = os.path.join(self.tmp, "llama-server-%d.log" % self.port)
        args = [self.binary, "-m", self.model, "--host", "127.0.0.1",
                "--port", str(self.port), "--alias", self.alias,
                "--metrics", "-np", str(self.slots),
                "-c", str(4096 * self.slots), "-t", str(self.threads),
                "--no-webui"] + self.extra
        with open(self.log, "ab") as lf:
            self.proc = subprocess.Popen(args, stdout=lf, stderr=lf,
                                         stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("llama-server exited (%s): %s" %
                                   (self.proc.returncode, self.tail()))
            if self.health() == 200:
                return self
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("llama-server not healthy after %d s: %s" %
                           (timeout, self.tail()))

    def tail(self, n=5):
        try:
            with open(self.log, errors="replace") as f:
                return " | ".join(f.read().splitlines()[-n:])
        except OSError:
            return "(no log)"

    def get(self, path, timeout=5):
        """(status, body text) of a GET; status 0 when nothing answers."""
        try:
            with urllib.request.urlopen(self.base + path,
                                        timeout=timeout) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")
        except OSError:
            return 0, ""

    def health(self):
        return self.get("/health", timeout=2)[0]

    def metrics(self):
        """The /metrics samples: {name: value} (labels dropped)."""
        st, text = self.get("/metrics")
        out = {}
        if st != 200:
            return out
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            name, _, val = line.rpartition(" ")
            name = name.split("{", 1)[0].strip()
            try:
                out[name] = out.get(name, 0.0) + float(val)
            except ValueError:
                pass
        return out

    def chat(self, content, **kw):
        """One non-streamed chat request; the parsed answer."""
        body = dict({"model": self.alias, "max_tokens": 8,
                     "messages": [{"role": "user", "content": content}]},
                    **kw)
        req = urllib.request.Request(
            self.url + "/chat/completions", json.dumps(body).encode(),
            {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)

    def signal(self, sig):
        """Sends sig to the server's process group."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self):
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass

    def stop(self, grace=5):
        """SIGTERM, then SIGKILL after grace seconds (queued requests
        keep a stopped llama-server alive until their clients go)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
