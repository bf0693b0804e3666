"""Runs plugins/bfcl_mt.py with plain python3, outside qeval: the
standalone tests of the driver and the peer of bench/bfcl_mt.

What the executor does for an EXEC request's "modules" is done here by a
small meta-path finder: the environment's files under their dotted
names, parent packages created empty.  Each entry runs in a forked child
with the driver's code in fresh globals, as the executor runs one
program per child.  Python 3 stdlib only."""

import ast
import contextlib
import importlib.abc
import importlib.util
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("QEVAL_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
DRIVER = os.path.join(SRC, "plugins", "bfcl_mt.py")
PKG = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
CATS = ("base", "miss_func", "miss_param")
DOCS = {
    "GorillaFileSystem": "gorilla_file_system", "MathAPI": "math_api",
    "MessageAPI": "message_api", "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api", "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking", "VehicleControlAPI": "vehicle_control",
}
ENV_FILES = ("__init__", "gorilla_file_system", "long_context", "math_api",
             "message_api", "posting_api", "ticket_api", "trading_bot",
             "travel_booking", "vehicle_control")


class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Dotted name -> source file, parents as empty packages."""

    def __init__(self, files):
        self.files = dict(files)
        self.pkgs = set()
        for name in self.files:
            parts = name.split(".")
            for i in range(1, len(parts)):
                self.pkgs.add(".".join(parts[:i]))

    def find_spec(self, name, path=None, target=None):
        if name in self.files:
            return importlib.util.spec_from_loader(
                name, self, is_package=name in self.pkgs)
        if name in self.pkgs:
            return importlib.util.spec_from_loader(name, self,
                                                   is_package=True)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        path = self.files.get(module.__name__)
        if module.__name__ in self.pkgs:
            module.__path__ = []
        if path is None:
            return
        with open(path, encoding="utf-8") as f:
            code = compile(f.read(), path, "exec")
        exec(code, module.__dict__)


def install(data_dir):
    env = os.path.join(data_dir, "bfcl", "multi_turn_env", "func_source_code")
    files = {PKG + "." + n: os.path.join(env, n + ".py")
             for n in ENV_FILES if n != "__init__"}
    files[PKG] = os.path.join(env, "__init__.py")
    sys.meta_path.insert(0, Finder(files))


def preload():
    """Imports the environment once in this process, so that forked
    children find it compiled (what a forking peer would do)."""
    for n in ENV_FILES:
        if n != "__init__":
            importlib.import_module(PKG + "." + n)


def load(data_dir, cat):
    d = os.path.join(data_dir, "bfcl")
    with open(os.path.join(d, "BFCL_v4_multi_turn_%s.json" % cat)) as f:
        entries = [json.loads(x) for x in f if x.strip()]
    with open(os.path.join(d, "possible_answer",
                           "BFCL_v4_multi_turn_%s.json" % cat)) as f:
        truth = {json.loads(x)["id"]: json.loads(x)["ground_truth"]
                 for x in f if x.strip()}
    return entries, truth


def docs(data_dir):
    out = {}
    for cls, name in DOCS.items():
        p = os.path.join(data_dir, "bfcl", "multi_turn_func_doc",
                         name + ".json")
        with open(p) as f:
            out[cls] = [json.loads(x) for x in f if x.strip()]
    return out


def as_tool_call(call, entry, fdocs):
    """A ground-truth call string as [name, arguments JSON]: positional
    arguments named after the function document's parameter order."""
    node = ast.parse(call, mode="eval").body
    name = node.func.id
    params = None
    for cls in entry["involved_classes"]:
        for d in fdocs[cls]:
            if d["name"] == name:
                params = list(d["parameters"]["properties"])
    args = {}
    for i, a in enumerate(node.args):
        args[params[i]] = ast.literal_eval(a)
    for kw in node.keywords:
        args[kw.arg] = ast.literal_eval(kw.value)
    return [name, json.dumps(args)]


def fresh_driver():
    g = {"__name__": "qmt"}
    with open(DRIVER) as f:
        exec(compile(f.read(), DRIVER, "exec"), g)
    return g


def in_child(fn, *args):
    """fn(*args) in a forked child; returns what it printed (stdout)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                fn(*args)
        except BaseException as e:  # report, never hang the parent
            buf.write("\x1eQMT " + json.dumps({"crash": repr(e)}) + "\n")
        data = buf.getvalue().encode()
        while data:
            n = os.write(w, data)
            data = data[n:]
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def answer(out):
    """The driver's last marked line, parsed."""
    last = None
    for line in out.split("\n"):
        if line.startswith("\x1eQMT "):
            last = json.loads(line[5:])
    return last


def check(entry, truth, turns):
    def go():
        g = fresh_driver()
        g["_qmt_check"](json.dumps(entry), json.dumps(truth),
                        json.dumps(turns))
    return answer(in_child(go))


def session(entry, steps):
    """Runs steps (each a list of [name, args]) in one interpreter;
    returns the list of answers."""
    def go():
        g = fresh_driver()
        g["_qmt_begin"](json.dumps(entry))
        for s in steps:
            g["_qmt_step"](json.dumps(s))
    out = in_child(go)
    return [json.loads(x[5:]) for x in out.split("\n")
            if x.startswith("\x1eQMT ")]


def gold_turns(entry, truth, fdocs):
    """The reference model's answers: per turn one step with every
    ground-truth call (none where the truth is empty)."""
    turns = []
    for calls in truth:
        turns.append([[as_tool_call(c, entry, fdocs) for c in calls]]
                     if calls else [])
    return turns
