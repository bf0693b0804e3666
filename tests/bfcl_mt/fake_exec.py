"""A stand-in for the core's executor sessions, for tests/plugin/t-bfcl-mt
only: answers EXEC request bodies read from stdin, one JSON line each
({"key": session key, "body": the request body}), with one JSON line
({"status": enum qeval_exec_status, "text": output or detail}).

"session": true runs the program in the globals kept for that key;
otherwise in fresh globals.  "modules" are made importable (paths under
QEVAL_DATA_DIR).  No sandbox: it runs the plugin's own driver on the
dataset's environment, in the test's process tree, never model code
from elsewhere.  "reset" as the key drops every session."""

import contextlib
import io
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qmt_local  # noqa: E402

DATA = os.environ.get("QEVAL_DATA_DIR", ".")
sessions = {}
installed = set()


def modules(mods):
    files = {}
    for name, rel in (mods or {}).items():
        if rel is None:         # a package of the interpreter's
            continue
        if name not in installed:
            files[name] = os.path.join(DATA, rel)
            installed.add(name)
    if files:
        sys.meta_path.insert(0, qmt_local.Finder(files))


def run(key, body):
    if body.get("session"):
        if key not in sessions:
            modules(body.get("modules"))
            sessions[key] = {"__name__": "__main__"}
        g = sessions[key]
    else:
        modules(body.get("modules"))
        g = {"__name__": "__main__"}
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(body["program"], "<program>", "exec"), g)
    except BaseException:
        return {"status": 1, "text": traceback.format_exc(limit=1)}
    return {"status": 0, "text": buf.getvalue() if body.get("output")
            else ""}


for line in sys.stdin:
    req = json.loads(line)
    if req["key"] == "reset":
        sessions.clear()
        ans = {"status": 0, "text": ""}
    else:
        ans = run(req["key"], req["body"])
    sys.stdout.write(json.dumps(ans) + "\n")
    sys.stdout.flush()
