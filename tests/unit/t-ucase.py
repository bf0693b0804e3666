"""t-ucase: plugins/ucase.c (HellaSwag's ctx_b.capitalize()) against
Python's own str.capitalize(), through tests/unit/ucase-cli.

  a. examples, each quoted with what Python 3 answers;
  b. every code point (surrogates excepted) as the first character
     (title case), as a later one (lower case), and before and after a
     capital sigma (the Final_Sigma rule's cased / case-ignorable
     classes): when the running Python's Unicode database is the one the
     tables were generated from (scripts/gen-ucase.py), else SKIP."""

import os
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
from core import done, ok, skip  # noqa: E402

CLI = os.path.join(os.environ.get("QEVAL_BUILDDIR", "."), "tests", "unit",
                   "ucase-cli")


def capitalize(strings):
    data = "".join(s.encode("utf-8").hex() + "\n" for s in strings)
    p = subprocess.run([CLI], input=data.encode(), stdout=subprocess.PIPE,
                       check=True)
    return [bytes.fromhex(x).decode("utf-8", "surrogateescape")
            for x in p.stdout.decode().split("\n")[:-1]]


# (input, Python 3.8+'s str.capitalize())
EXAMPLES = [
    ("élan", "Élan"),
    ("ßtraße", "Sstraße"),
    ("ǆungla", "ǅungla"),
    ("ŉ", "ʼN"),
    ("ǰ", "J̌"),
    ("ﬀ", "Ff"),
    ("ﬃx", "Ffix"),
    ("the LADY in red", "The lady in red"),
    ("ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ", "Οδος και σοφια"),
    ("αΣ.", "Ας."),
    ("ΑΣ'Σ", "Ασ'ς"),  # the next Σ is cased: not final
    ("aΣb", "Aσb"),
    ("Σ", "Σ"),
    ("ΣΣ", "Σς"),
    ("xİy", "xi̇y".capitalize()),
    ("İstanbul", "İstanbul"),
    ("ПРИВЕТ мир", "Привет мир"),
    ("ǉ", "ǈ"),
    ("ᾳ", "ᾼ"),
    ("", ""),
    ("1ABC", "1abc"),
    (" he", " he"),
]

want = [w for _, w in EXAMPLES]
got = capitalize([s for s, _ in EXAMPLES])
for (s, w), g in zip(EXAMPLES, got):
    ok(g == w and s.capitalize() == w, "capitalize(%r) == %r" % (s, w),
       "C gives %r, this Python %r" % (g, s.capitalize()))

ver = subprocess.run([CLI, "-v"], stdout=subprocess.PIPE,
                     check=True).stdout.decode().strip()
if ver != unicodedata.unidata_version:
    for _ in range(3):
        skip("tables are Unicode %s, this Python's database %s"
             % (ver, unicodedata.unidata_version))
else:
    cps = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for what, make in (
            ("first and later code point (title, lower)",
             lambda x: x + x),
            ("code point between a cased letter and a capital sigma",
             lambda x: "a" + x + "\u03a3"),
            ("code point after a final-candidate capital sigma",
             lambda x: "a\u03a3" + x)):
        inp = [make(x) for x in cps]
        out = capitalize(inp)
        bad = [(s, o, s.capitalize()) for s, o in zip(inp, out)
               if o != s.capitalize()]
        ok(not bad, "every code point: %s (%d strings)" % (what, len(inp)),
           "\n".join("%r: C %r, Python %r" % b for b in bad[:10]))
done()
