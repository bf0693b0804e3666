"""What the scheduler tests share: a synthetic GSM8K-shaped data set and
the fake server's script for it, and the per-sample view of a run that
a merged run must reproduce."""

import json
import os

from core import last_user, samples

N = 40                  # samples
SHARDS = 4


def data(t):
    """Writes the data set under t; (data dir, fake server script: right
    answers except for every third sample, a fast preset file)."""
    d = os.path.join(t, "data", "gsm8k")
    os.makedirs(d)
    items = []
    with open(os.path.join(d, "test.jsonl"), "w") as f:
        for i in range(N):
            q = "Synthetic question %d: what is %d times 3?" % (i, i)
            items.append((q, str(3 * i)))
            f.write(json.dumps({"question": q, "answer":
                                "%d * 3 = %d\n#### %d" % (i, 3 * i, 3 * i)})
                    + "\n")
    with open(os.path.join(d, "train.jsonl"), "w") as f:
        for i in range(20):
            f.write(json.dumps({"question": "Train %d plus %d?" % (i, i),
                                "answer": "#### %d" % (2 * i)}) + "\n")
    rules = [{"contains": "Question: " + q + "\nAnswer:",
              "text": "So.\n#### " + (g if i % 3 else g + "7")}
             for i, (q, g) in enumerate(items)]
    preset = os.path.join(t, "fast.json")
    with open(preset, "w") as f:
        json.dump({"name": "fast", "client": {
            "concurrency": 4, "timeout_s": 20, "retries": 1,
            "backoff_base_s": 0.05, "backoff_max_s": 0.1}}, f)
    return os.path.join(t, "data"), {"rules": rules,
                                     "default": {"text": "no idea"}}, preset


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def per_sample(run_dir):
    """(id, candidate) -> what was answered, extracted and scored."""
    out = {}
    if not os.path.exists(os.path.join(run_dir, "samples", "gsm8k.jsonl")):
        return out
    for s in samples(run_dir, "gsm8k"):
        # The prompt and the answer; not the transport (a merged run's
        # samples come from the journal: no raw stream, no timings).
        ex = [(x.get("request", {}).get("messages"),
               x.get("request", {}).get("prompt"),
               (x.get("response") or {}).get("text"),
               (x.get("response") or {}).get("finish_reason"))
              for x in s.get("exchanges", [])]
        out[(s["id"], s["candidate"])] = (s.get("extracted"),
                                          s.get("verdict"),
                                          s.get("reason"),
                                          s.get("detail"), ex)
    return out


def metrics(run_dir):
    r = load(os.path.join(run_dir, "results.json"))
    return [(t.get("name"), t.get("scored"), t.get("metrics"))
            for t in r.get("tasks", [])]


def question_indices(reqs):
    out = set()
    for r in reqs:
        q = last_user(r.get("body") or {})
        if q.startswith("Question: Synthetic question "):
            out.add(int(q.split()[3].rstrip(":")))
    return out


def owned(*shards, count=SHARDS):
    """The sample indices of the given (0-based) shards."""
    return {i for i in range(N) if i % count in shards}
