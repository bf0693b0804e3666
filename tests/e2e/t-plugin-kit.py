"""The plugin author's kit (ABI 1.2): `qeval selftest --plugin FILE` on
plugins built against the frozen 1.0 and 1.1 headers and on a 1.2 one;
a plugin without gold() is skipped by selftest and refused by --model
reference; the example plugin's request bodies are escaped JSON; and
`make install DESTDIR=...` gives what an out-of-tree autotools build of
examples/plugin needs (qeval.pc, <qeval/plugin.h>), whose result passes
`qeval selftest --plugin`."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (FakeServer, SRC, bail, cleanup, done, last_user, ok, run,
                  skip, tmpdir)

TESTLIBS = os.environ.get("QEVAL_TEST_DIR")
BUILD = os.environ.get("QEVAL_BUILDDIR")
if not TESTLIBS or not BUILD:
    bail("run through make check (QEVAL_TEST_DIR, QEVAL_BUILDDIR)")

tmp = tmpdir()
FIX = {"QEVAL_DATA_DIR": os.path.join(SRC, "tests", "fixtures"),
       "QEVAL_MANIFEST_DIR": "none"}
EXAMPLE = {"QEVAL_DATA_DIR": os.path.join(SRC, "examples", "plugin"),
           "QEVAL_MANIFEST_DIR": "none"}


def row(out, task):
    for line in out.splitlines():
        if line.split()[:1] == [task]:
            return line
    return ""


def selftests():
    plugs = os.path.join(tmp, "plugs")
    os.makedirs(plugs)
    for name in ("abi10", "abi11", "abi12", "nogold", "bad_major"):
        shutil.copy(os.path.join(TESTLIBS, name + ".so"), plugs)
    for name, tasks in (("abi10", ["abi10_task"]),
                        ("abi11", ["abi11_task"]),
                        ("abi12", ["abi12", "abi12_b"])):
        rc, out, err = run(["selftest", "--plugin",
                            os.path.join(plugs, name + ".so")], env=FIX)
        ok(rc == 0 and all(row(out, t).endswith(" ok") for t in tasks) and
           "%d task(s) checked, 0 failed" % len(tasks) in out,
           "selftest --plugin %s.so: its tasks, and only they, pass" % name,
           out + err)
    rc, out, err = run(["selftest", "--plugin",
                        os.path.join(plugs, "nogold.so")], env=FIX)
    ok("SKIP (plugin 'nogold' has no gold() callback)" in
       row(out, "nogold_task"), "a plugin without gold() is skipped, with "
       "the reason", out + err)
    rc, out, err = run(["selftest", "--plugin",
                        os.path.join(plugs, "bad_major.so")], env=FIX)
    ok(rc != 0 and "bad_major.so' was built for ABI 2.0" in err and
       "TASK" not in out, "selftest --plugin on a refused file says why",
       out + err)
    rc, out, err = run(["selftest", "--plugin",
                        os.path.join(tmp, "nowhere.so")], env=FIX)
    ok(rc != 0 and "no plugin there" in err, "a missing file is named", err)
    rc, out, err = run(["--plugin", os.path.join(plugs, "abi12.so"),
                        "--tasks", "abi12", "--model", "reference"],
                       env=FIX)
    ok(rc == 2 and "--plugin FILE is for `qeval selftest`" in err,
       "--plugin outside selftest is a usage error", err)
    rc, out, err = run(["--plugin-dir", plugs, "--tasks", "nogold_task",
                        "--model", "reference", "--out",
                        os.path.join(tmp, "out"), "-q"], env=FIX)
    ok(rc != 0 and "plugin 'nogold' has no gold() callback, so --model "
       "reference cannot answer it" in err and
       not os.path.exists(os.path.join(tmp, "out")),
       "--model reference refuses it before anything is created", err)


def example_escapes():
    """The example's bodies are JSON, whatever the country's name."""
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    cj = subprocess.run(["pkg-config", "--cflags", "--libs", "libcjson"],
                        capture_output=True, text=True).stdout.split()
    d = os.path.join(tmp, "ex")
    os.makedirs(d)
    p = subprocess.run([cc, "-shared", "-fPIC", "-fvisibility=hidden",
                        "-I", os.path.join(SRC, "include"), "-o",
                        os.path.join(d, "capitals.so"),
                        os.path.join(SRC, "examples", "plugin",
                                     "capitals.c")] + cj,
                       capture_output=True, text=True)
    if not ok(p.returncode == 0, "the example builds", p.stderr):
        return
    srv = FakeServer(tmp)
    try:
        rc, out, err = run(["--plugin-dir", d, "--tasks", "capitals",
                            "--model", "m", "--endpoint", srv.url, "--out",
                            os.path.join(tmp, "exout"), "-q"], env=EXAMPLE)
        users = [last_user(r["body"]) for r in srv.requests()]
    finally:
        srv.stop()
    ok(rc == 0 and len(users) == 5 and
       "What is the capital of C\u00f4te d\u2019Ivoire? Answer with the "
       "city only, as in \"Paris\"." in users,
       "the example's five requests were JSON the server could read, "
       "quotes and UTF-8 intact", (err, users))


def install_and_build():
    tools = [t for t in ("make", "autoreconf", "libtoolize", "pkg-config")
             if shutil.which(t) is None]
    if tools:
        skip("out-of-tree build: %s not installed" % ", ".join(tools))
        return
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "DESTDIR"):
        env.pop(k, None)
    dest = os.path.join(tmp, "dest")
    p = subprocess.run(["make", "-C", BUILD, "install", "DESTDIR=" + dest],
                       capture_output=True, text=True, env=env)
    if not ok(p.returncode == 0, "make install DESTDIR=... succeeds",
              p.stdout[-2000:] + p.stderr[-2000:]):
        return
    pcdir = hdr = None
    for root, dirs, files in os.walk(dest):
        if "qeval.pc" in files:
            pcdir = root
        if "plugin.h" in files and root.endswith(os.path.join("include",
                                                              "qeval")):
            hdr = os.path.join(root, "plugin.h")
    ok(pcdir is not None and hdr is not None,
       "qeval.pc and <qeval/plugin.h> are installed", (pcdir, hdr))
    if pcdir is None or hdr is None:
        return
    env["PKG_CONFIG_PATH"] = pcdir
    env["PKG_CONFIG_SYSROOT_DIR"] = dest
    p = subprocess.run(["pkg-config", "--cflags", "qeval"],
                       capture_output=True, text=True, env=env)
    ok(p.returncode == 0 and
       os.path.dirname(os.path.dirname(hdr)) in p.stdout,
       "pkg-config --cflags qeval points at the installed header",
       p.stdout + p.stderr)
    src = os.path.join(tmp, "capitals-plugin")
    shutil.copytree(os.path.join(SRC, "examples", "plugin"), src)
    # a distcheck's source tree is read-only: make the copy writable
    os.chmod(src, 0o755)
    for root, dirs, files in os.walk(src):
        for n in dirs:
            os.chmod(os.path.join(root, n), 0o755)
        for n in files:
            os.chmod(os.path.join(root, n), 0o644)
    for cmd in (["autoreconf", "-fi"], ["./configure", "-q"], ["make"]):
        p = subprocess.run(cmd, cwd=src, capture_output=True, text=True,
                           env=env)
        if not ok(p.returncode == 0, "examples/plugin out of tree: %s"
                  % " ".join(cmd), p.stdout[-2000:] + p.stderr[-2000:]):
            return
    with open(os.path.join(src, "config.log")) as f:
        log = f.read()
    so = os.path.join(src, ".libs", "capitals.so")
    ok(os.path.exists(so) and "QEVAL_CFLAGS='-I" + dest in log,
       "it built capitals.so against the installed qeval.pc", so)
    rc, out, err = run(["selftest", "--plugin", so], env=EXAMPLE)
    ok(rc == 0 and row(out, "capitals").endswith(" ok") and
       "100.0%" in row(out, "capitals"),
       "qeval selftest --plugin passes it", out + err)


try:
    selftests()
    example_escapes()
    install_and_build()
finally:
    cleanup(tmp)
done()
