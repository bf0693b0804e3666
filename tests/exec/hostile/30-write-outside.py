#: expect passed
#: check canary
hits = []
for path in ("@CANARY1@", "@CANARY2@"):
    try:
        with open(path, "w") as f:
            f.write("pwned")
        hits.append(path)
    except OSError:
        pass
assert not hits, hits
