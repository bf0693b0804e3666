"""The report's SVG charts, end to end: `qeval report RUN... -o F` over two
fixture runs (one with a hostile model and task name, one with latency
percentiles, TTFT and a GPU time series) writes charts/ beside F, links
each from F, and every chart is well-formed XML with the expected marks:
one bar per task and run, error bars, a <title> per chart and per mark,
axis labels, text with an explicit fill and no background.  Then headless
Chromium draws the scores chart on a light page and, through <img> as
GitHub shows it, on a dark one; the pictures must hold the chart's
colours (decoded by hand: zlib and the PNG filters, no PIL).  Chromium is
not a build dependency (about 80 MB): without it that part is skipped
and says why.  Real runs on the fake server check what results.json
records for the charts (percentiles; the GPU series, with
tests/fake/nvml.c standing in for NVML) and that a run's report.md links
its charts."""

import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (QEVAL, SRC, FakeServer, done, ok, results,  # noqa: E402
                  run, skip)

NS = "{http://www.w3.org/2000/svg}"
FIX = os.path.join(SRC, "tests", "fixtures", "charts")
PALETTE0 = (0x4E, 0x79, 0xA7)   # the first series' colour (svg.c)
PALETTE1 = (0xD1, 0x63, 0x2A)


def marks(root, tag, cls):
    return [e for e in root.iter(NS + tag) if e.get("class") == cls]


def titled(e):
    t = e.find(NS + "title")
    return t is not None and (t.text or "").strip() != ""


def png_pixels(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(
                ">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("PNG kind not handled: depth %d type %d"
                                 % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ft, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pr) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def near(px, col, tol=6):
    return all(abs(px[k] - col[k]) <= tol for k in range(3))


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def shoot(browser, url, png, tmp):
    """Screenshot url with headless Chromium; True when a PNG came out."""
    cmd = [browser, "--headless", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--user-data-dir=" + os.path.join(tmp, "prof"),
           "--window-size=800,600", "--screenshot=" + png, url]
    if os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")
    try:
        subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
    except subprocess.TimeoutExpired:
        return False
    return os.path.exists(png) and os.path.getsize(png) > 0


def main():
    tmp = tempfile.mkdtemp(prefix="qeval-charts-")
    out = os.path.join(tmp, "tracker.md")
    runs = [os.path.join(FIX, "hostile.json"),
            os.path.join(FIX, "balanced.json")]
    p = subprocess.run([QEVAL, "report"] + runs + ["-o", out],
                       capture_output=True, text=True)
    if not ok(p.returncode == 0, "qeval report -o writes the report",
              p.stderr):
        done()
    md = open(out, encoding="utf-8").read()
    links = re.findall(r"^!\[([^\]]*)\]\(([^)]*)\)$", md, re.M)
    names = [os.path.basename(l[1]) for l in links]
    ok(names == ["tracker-scores.svg", "tracker-latency.svg",
                 "tracker-ttft.svg", "tracker-gpu-memory.svg",
                 "tracker-gpu-util.svg"],
       "the report links five charts under charts/", names)
    ok(all(l[1].startswith("charts/") and
           os.path.isfile(os.path.join(tmp, l[1])) for l in links),
       "every linked chart exists beside the report")
    ok(md.index("## Charts") < md.index("## Changelog"),
       "the Charts section comes before the Changelog")

    svgs = {}
    for _, rel in links:
        path = os.path.join(tmp, rel)
        try:
            svgs[os.path.basename(rel)] = ET.parse(path).getroot()
        except ET.ParseError as e:
            ok(False, "%s is well-formed XML" % rel, str(e))
    ok(len(svgs) == 5, "all five parse as XML")

    # The agent block's chart: drawn where the first run has a measured
    # agent line (these fixtures have none: gsm8k's metric is not
    # flexible-extract); the agent fixtures have three.
    aout = os.path.join(tmp, "agent.md")
    ap = subprocess.run([QEVAL, "report"] +
                        sorted(glob.glob(os.path.join(SRC, "tests",
                                                      "fixtures", "agent",
                                                      "*.json"))) +
                        ["-o", aout], capture_output=True, text=True)
    amd = open(aout, encoding="utf-8").read() if ap.returncode == 0 else ""
    alinks = re.findall(r"^!\[([^\]]*)\]\(([^)]*)\)$", amd, re.M)
    agent = [l for l in alinks if l[1].endswith("agent-agent.svg")]
    ok(len(agent) == 1 and agent[0][0].startswith(
        "Agent Evaluation Results: "), "a run with agent lines gets the "
       "agent chart", (ap.stderr, alinks))
    bars = []
    if agent:
        root = ET.parse(os.path.join(tmp, agent[0][1])).getroot()
        bars = [e.find(NS + "title").text for e in root.iter(NS + "rect")
                if e.find(NS + "title") is not None]
    ok(len(bars) == 3 and any("(0-10 score / 10)" in b for b in bars),
       "three measured agent bars, MT-Bench's named as a 0-10 score", bars)
    good = True
    for name, root in svgs.items():
        w = float(root.get("width", "0"))
        h = float(root.get("height", "0"))
        first = list(root)[0] if len(root) else None
        if (root.tag != NS + "svg" or first is None or
                first.tag != NS + "title" or not (first.text or "") or
                root.get("role") != "img" or not 0 < w <= 1000 or
                not 0 < h <= 2000):
            good = False
            print("# %s: root or title or size wrong" % name)
        for t in root.iter(NS + "text"):
            if t.get("fill") in (None, "currentColor"):
                good = False
                print("# %s: text without an explicit fill" % name)
        for r in root.iter(NS + "rect"):
            if (r.get("x"), r.get("y")) == ("0", "0") and \
                    r.get("width") == root.get("width"):
                good = False
                print("# %s: a background rectangle" % name)
        if any(e.tag in (NS + "script", NS + "img", NS + "b")
               for e in root.iter()):
            good = False
            print("# %s: an element came from a label" % name)
    ok(good, "each chart: <svg role=img> with a <title> first, bounded "
       "size, explicit text fill, transparent background, no element "
       "from a label")

    sc = svgs.get("tracker-scores.svg")
    if sc is not None:
        bars = marks(sc, "rect", "bar")
        # 4 tasks x 2 runs, less MT-Bench and the custom task each
        # missing from one run
        ok(len(bars) == 6, "scores: 6 bars (4 tasks x 2 runs, 2 not run)",
           len(bars))
        errs = marks(sc, "g", "err")
        ok(len(errs) == 6 and all(len(e.findall(NS + "line")) == 3
                                  for e in errs),
           "an error bar (line and two caps) per bar")
        ok(all(titled(e) for e in bars + errs),
           "a <title> on every bar and error bar")
        texts = [t.text or "" for t in sc.iter(NS + "text")]
        ok("Score (% of maximum)" in texts and "0%" in texts and
           "100%" in texts, "axis title and tick labels")
        ok(sum(1 for t in texts if t == "not run") == 2,
           "the two missing tasks read 'not run'")
        titles = [e.find(NS + "title").text or "" for e in bars]
        # the report turns the BEL into a space, the SVG drops the C1
        ok(any(t.startswith("evil</text><script>alert(1)</script>&amp;"
                            " [31m\"'<b> · Performance — GSM8K: 70.0%")
               for t in titles) and
           any(t.startswith("evil</text><script>alert(1)</script>&am\u2026")
               for t in texts),
           "the hostile model name is text, escaped (not markup), whole "
           "in titles and cut with an ellipsis in the legend")
        ok(not any("\x07" in t or "\x9b" in t or "\x01" in t
                   for t in texts + titles),
           "control characters are stripped")
        ok(any(" — <img src=x onerror=alert(1)> & co: 40.0%" in t
               for t in titles) and
           "<img src=x onerror=alert(1)\u2026" in texts,
           "the hostile task name is text too")
        ok(any("MT-Bench: 7.81/10 ± 0.18" in (e.find(NS + "title").text)
               for e in bars), "the 0–10 score keeps its scale in its title")
    lat = svgs.get("tracker-latency.svg")
    if lat is not None:
        boxes = marks(lat, "g", "box")
        ok(len(boxes) == 2 and all(titled(b) for b in boxes),
           "latency: a titled box per run")
        ok(len(boxes) == 2 and len(boxes[0].findall(NS + "rect")) == 1 and
           len(boxes[1].findall(NS + "rect")) == 0,
           "a p25–p75 box where percentiles were recorded, a min–max "
           "line where only the summary was")
    tt = svgs.get("tracker-ttft.svg")
    if tt is not None:
        texts = [t.text or "" for t in tt.iter(NS + "text")]
        ok(len(marks(tt, "g", "box")) == 1 and "not measured" in texts,
           "ttft: the run that did not stream says 'not measured'")
    for name, unit in (("tracker-gpu-memory.svg", "GiB"),
                       ("tracker-gpu-util.svg", "%")):
        g = svgs.get(name)
        if g is None:
            continue
        lines = marks(g, "polyline", "series")
        pts = lines[0].get("points").split() if lines else []
        ok(len(lines) == 1 and len(pts) == 120 and titled(lines[0]),
           "%s: one titled line of the 120 recorded points" % name)
        keys = marks(g, "rect", "key")
        ok(len(keys) == 1, "%s: only the sampled run in the legend" % name)
        texts = [t.text or "" for t in g.iter(NS + "text")]
        ok(unit in texts and "seconds since the run started" in texts,
           "%s: both axes labelled" % name)

    # A file name that would break a markdown link is percent-encoded.
    odd = os.path.join(tmp, "my (1).md")
    p = subprocess.run([QEVAL, "report", runs[1], "-o", odd],
                       capture_output=True, text=True)
    txt = open(odd, encoding="utf-8").read() if p.returncode == 0 else ""
    ok("![Scores per task](charts/my%20%281%29-scores.svg)" in txt and
       os.path.isfile(os.path.join(tmp, "charts", "my (1)-scores.svg")),
       "-o 'my (1).md': charts/my (1)-scores.svg, linked percent-encoded",
       p.stderr)

    # A report to standard output has nowhere to put charts.
    p = subprocess.run([QEVAL, "report"] + runs, capture_output=True,
                       text=True)
    ok(p.returncode == 0 and "## Charts" not in p.stdout,
       "report to stdout: no Charts section")

    # A real run (the speed probe, streamed, on the fake server): its
    # results.json records the percentiles the charts read, and its own
    # report.md links the charts written into the run directory.
    srv = FakeServer(tmp, {"default": {"text": "one two three four"}})
    try:
        outd = os.path.join(tmp, "out")
        rc, so, se = run(["--model", "m", "--endpoint", srv.url, "--tasks",
                          "speed", "--task-opt", "samples=7", "--task-opt",
                          "max_tokens=4", "--out", outd, "--run-id", "r",
                          "-q"])
    finally:
        srv.stop()
    if ok(rc == 0, "a streamed run on the fake server", se):
        rd = os.path.join(outd, "r")
        sysm = results(rd)["system"]
        good = True
        for key in ("latency_s", "ttft_s"):
            d = sysm.get(key) or {}
            p = d.get("percentiles") or []
            if not (len(p) == 101 and d.get("n") == 7 and
                    all(p[i] <= p[i + 1] for i in range(100)) and
                    abs(p[0] - d["min"]) < 2e-6 and
                    abs(p[100] - d["max"]) < 2e-6 and
                    abs(p[50] - d["median"]) < 2e-6):
                good = False
                print("# %s: %r" % (key, d))
        ok(good, "results.json: latency and TTFT carry 101 ordered "
           "percentiles from min through median to max")
        rep = open(os.path.join(rd, "report.md"), encoding="utf-8").read()
        ok("](charts/report-latency.svg)" in rep and
           "](charts/report-ttft.svg)" in rep and
           os.path.isfile(os.path.join(rd, "charts", "report-ttft.svg")),
           "the run's report.md links the charts in the run directory")
        try:
            box = marks(ET.parse(os.path.join(rd, "charts",
                                              "report-latency.svg"))
                        .getroot(), "g", "box")
        except (OSError, ET.ParseError):
            box = []
        ok(len(box) == 1 and len(box[0].findall(NS + "rect")) == 1,
           "its latency chart draws the p25–p75 box")

    # The GPU path, with tests/fake/nvml.c standing in for NVML.
    fake = os.path.join(os.environ.get("QEVAL_BUILDDIR", "."), "tests",
                        "fake", ".libs", "nvml.so")
    libdir = os.path.join(tmp, "nvml")
    os.makedirs(libdir)
    os.symlink(fake, os.path.join(libdir, "libnvidia-ml.so.1"))
    env = {"LD_LIBRARY_PATH": libdir + ":" +
           os.environ.get("LD_LIBRARY_PATH", ""), "QEVAL_NO_GPU": "0",
           "CUDA_VISIBLE_DEVICES": "0"}
    srv = FakeServer(tmp, {"default": {"text": "one two three four",
                                       "delay_ms": 400}})
    try:
        rc, so, se = run(["--model", "m", "--endpoint", srv.url, "--tasks",
                          "speed", "--task-opt", "samples=4", "--task-opt",
                          "max_tokens=4", "--concurrency", "1", "--out",
                          outd, "--run-id", "g", "-q"], env=env)
    finally:
        srv.stop()
    if ok(rc == 0 and os.path.exists(fake), "a run with the stand-in NVML",
          se):
        rd = os.path.join(outd, "g")
        g = results(rd)["system"]["gpu"] or {}
        ser = g.get("series") or {}
        t, m, u = (ser.get(k) or [] for k in ("t_s", "memory_used_gb",
                                               "utilization_pct"))
        ok(g.get("name") == "Fake NVML GPU" and len(t) >= 3 and
           len(t) == len(m) == len(u) == g.get("samples") and
           all(t[i] <= t[i + 1] for i in range(len(t) - 1)) and t[-1] > 0 and
           # gpu_open() read the memory once, for the total
           m == [float(i + 1) for i in range(len(m))] and
           u[:3] == [0, 10, 20],
           "results.json: system.gpu.series holds every sample in order",
           json.dumps(g))
        ok(g.get("memory_used_gb") == max(m),
           "its peak is the summary's memory_used_gb")
        rep = open(os.path.join(rd, "report.md"), encoding="utf-8").read()
        try:
            lines = marks(ET.parse(os.path.join(rd, "charts",
                                                "report-gpu-memory.svg"))
                          .getroot(), "polyline", "series")
        except (OSError, ET.ParseError):
            lines = []
        ok("](charts/report-gpu-memory.svg)" in rep and
           "](charts/report-gpu-util.svg)" in rep and len(lines) == 1 and
           len(lines[0].get("points").split()) == len(t),
           "the run's report links GPU charts drawing every point")

    browser = chromium()
    if browser is None:
        for _ in range(4):
            skip("headless Chromium not installed (Debian: apt-get install "
                 "chromium; ~80 MB, so not in scripts/install-deps)")
        shutil.rmtree(tmp)
        done()
    svg = os.path.join(tmp, "charts", "tracker-scores.svg")
    light = os.path.join(tmp, "light.png")
    if ok(shoot(browser, "file://" + svg, light, tmp),
          "chromium draws the scores chart"):
        w, h, rows = png_pixels(light)
        bg = rows[0][0]
        drawn = sum(1 for r in rows for px in r if not near(px, bg, 8))
        blue = sum(1 for r in rows for px in r if near(px, PALETTE0))
        orange = sum(1 for r in rows for px in r if near(px, PALETTE1))
        ok(drawn > w * h // 50 and blue > 500 and orange > 500,
           "the picture is not blank: %d of %d pixels drawn, %d in the "
           "first series' colour, %d in the second's" %
           (drawn, w * h, blue, orange))
    page = os.path.join(tmp, "dark.html")
    with open(page, "w") as f:
        f.write('<!doctype html><html><body style="margin:0;'
                'background:#0d1117"><img src="charts/tracker-scores.svg">'
                '</body></html>')
    dark = os.path.join(tmp, "dark.png")
    if ok(shoot(browser, "file://" + page, dark, tmp),
          "chromium draws it through <img> on a dark page"):
        w, h, rows = png_pixels(dark)
        grey = sum(1 for r in rows for px in r
                   if near(px, (0x80, 0x80, 0x80), 40))
        blue = sum(1 for r in rows for px in r if near(px, PALETTE0))
        ok(near(rows[h - 1][w - 1], (0x0d, 0x11, 0x17)) and grey > 200 and
           blue > 500, "on the dark page the background shows through and "
           "the grey text (%d px) and bars (%d px) are drawn" %
           (grey, blue))
    shutil.rmtree(tmp)
    done()


main()
