"""The peer of bench/bfcl_mt/run.sh: the same work as qeval's reference
run of the BFCL multi-turn tasks, with plain python3 and the same driver
(plugins/bfcl_mt.py): per entry, the ground truth's calls executed turn
by turn in one interpreter (the inference session), then the checker in
another; each in a forked child, the environment's modules compiled
once in the parent (what a forking runner with no sandbox would do).
Prints the entries and how many the checker passed."""

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = os.environ.get("QEVAL_SRCDIR") or os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(src, "tests", "bfcl_mt"))
import qmt_local as q  # noqa: E402

data = os.environ["QEVAL_DATA_DIR"]
q.install(data)
q.preload()
fdocs = q.docs(data)
n = passed = 0
for cat in q.CATS:
    entries, truth = q.load(data, cat)
    for e in entries:
        t = truth[e["id"]]
        turns = q.gold_turns(e, t, fdocs)
        q.session(e, [step for turn in turns for step in turn])
        v = q.check(e, t, turns)
        n += 1
        passed += bool(v and v.get("valid"))
print("%d entries, %d pass" % (n, passed))
