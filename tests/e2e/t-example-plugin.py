"""The plugin author's path: examples/plugin/capitals.c is compiled as an
out-of-tree plugin would be (only include/ on the include path, no qeval
library), dropped in a --plugin-dir, and run by the real binary."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import SRC, cleanup, done, metric, ok, results, run, tmpdir

tmp = tmpdir()
try:
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    cj = subprocess.run(["pkg-config", "--cflags", "--libs", "libcjson"],
                        capture_output=True, text=True).stdout.split()
    so = os.path.join(tmp, "capitals.so")
    p = subprocess.run([cc, "-shared", "-fPIC", "-fvisibility=hidden",
                        "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra",
                        "-Werror", "-I", os.path.join(SRC, "include"), "-o",
                        so, os.path.join(SRC, "examples", "plugin",
                                         "capitals.c")] + cj,
                       capture_output=True, text=True)
    ok(p.returncode == 0, "the example builds with the public header only",
       p.stderr)
    env = {"QEVAL_DATA_DIR": os.path.join(SRC, "examples", "plugin"),
           "QEVAL_MANIFEST_DIR": "none"}
    rc, out, err = run(["list", "plugins", "--plugin-dir", tmp], env=env)
    ok(rc == 0 and so in out, "qeval list plugins shows where it came "
       "from", out)
    for model, want in (("reference", 1.0), ("reference:corrupt", 0.0)):
        rid = model.replace(":", "-")
        rc, out, err = run(["--plugin-dir", tmp, "--tasks", "capitals",
                            "--model", model, "--out",
                            os.path.join(tmp, "out"), "--run-id", rid,
                            "-q"], env=env)
        ok(rc == 0, "%s run exits 0" % model, err)
        if rc == 0:
            r = results(os.path.join(tmp, "out", rid))
            ok(metric(r, "capitals", "exact_match") == want and
               r["tasks"][0]["scored"] == 5,
               "%s: exact_match %g on 5 items" % (model, want))
finally:
    cleanup(tmp)
done()
