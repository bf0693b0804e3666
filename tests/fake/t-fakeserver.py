#!/usr/bin/env python3
"""TAP: tests/fake/fakeserver.py answers in vLLM's and llama.cpp's shapes.

Runs the server in-process on a free loopback port (one per flavor).
"""
import http.client
import json
import os
import socket
import sys
import tempfile
import threading

SRC = os.environ.get("QEVAL_SRCDIR",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "fake"))
import fakeserver  # noqa: E402

N = 0
FAILED = 0


def ok(cond, what):
    global N, FAILED
    N += 1
    if not cond:
        FAILED += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", N, what))
    return cond


def is_(got, want, what):
    if not ok(got == want, what):
        print("#   got:  %r\n#   want: %r" % (got, want))


SCRIPT = {
    "default": {"text": "fake answer"},
    "rules": [
        {"contains": "ONCE", "times": 1, "status": 429, "retry_after": 2},
        {"nth": 1, "text": "first answer"},
        {"path": "/v1/completions", "contains": "PATHRULE",
         "text": "by path"},
        {"loglik": {" Paris": -2.0, " big city": -3.0, " Lyon": -6.0},
         "greedy": [" Paris"]},
        {"contains": "TOOL", "tool_calls": [{"type": "function", "function":
                                             {"name": "f", "arguments":
                                              {"a": 1}}}]},
        {"contains": "CONV", "step": 0, "text": "first step"},
        {"contains": "CONV", "last_role": "tool", "tool_contains": "R1",
         "text": "after R1"},
        {"contains": "CONV", "step": 1, "text": "second step"},
        {"contains": "STOPME", "text": "one two Question: three"},
        {"contains": "RAWB", "raw_bytes": "ff00", "text": "a{bytes}b"},
        {"contains": "NOCH", "no_choices": True},
        {"contains": "NANV", "logprob_value": "NaN"},
        {"contains": "BIGV", "size_bytes": 1000},
    ],
}


def start(*extra):
    d = tempfile.mkdtemp()
    sp = os.path.join(d, "s.json")
    with open(sp, "w") as f:
        json.dump(SCRIPT, f)
    log = os.path.join(d, "log.jsonl")
    srv = fakeserver.make_server(["--port", "0", "--script", sp,
                                  "--log", log] + list(extra))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv, srv.server_address[1], log


def request(port, method, path, body=None, raw=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    data = raw if raw is not None else (json.dumps(body).encode()
                                        if body is not None else None)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    payload = r.read()
    out = (r.status, dict((k.lower(), v) for k, v in r.getheaders()),
           payload)
    c.close()
    return out


def post(port, path, body, **kw):
    st, hd, payload = request(port, "POST", path, body, **kw)
    try:
        obj = json.loads(payload)
    except ValueError:
        obj = payload.decode()
    return st, hd, obj


def events(text):
    out = []
    for line in text.split("\n"):
        if line.startswith("data: "):
            p = line[6:]
            out.append(p if p == "[DONE]" else json.loads(p))
    return out


def main():
    srv, port, logpath = start("--strict-model", "--model", "m")
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}

    # -- vLLM shapes ----------------------------------------------------
    st, hd, o = post(port, "/v1/chat/completions", chat)
    is_(st, 200, "chat: 200")
    ok(o["object"] == "chat.completion" and o["id"].startswith("chatcmpl-")
       and isinstance(o["created"], int), "chat: id, object, created")
    c = o["choices"][0]
    is_(c["message"]["content"], "first answer", "chat: nth rule")
    ok(c["finish_reason"] == "stop" and "stop_reason" in c,
       "chat: finish_reason and stop_reason")
    ok(set(o["usage"]) >= {"prompt_tokens", "completion_tokens",
                           "total_tokens"}, "chat: usage")
    is_(o["usage"]["completion_tokens"], 2, "chat: 2 completion tokens")

    body = dict(chat, stream=True, stream_options={"include_usage": True})
    st, hd, o = post(port, "/v1/chat/completions", body)
    ev = events(o)
    ok(hd.get("content-type", "").startswith("text/event-stream"),
       "stream: text/event-stream")
    is_(ev[-1], "[DONE]", "stream: ends with [DONE]")
    is_(ev[0]["choices"][0]["delta"].get("role"), "assistant",
        "stream: first delta has the role")
    is_("".join(e["choices"][0]["delta"].get("content", "")
                for e in ev[:-1] if e["choices"]), "fake answer",
        "stream: deltas spell the answer")
    ok(ev[-2]["choices"] == [] and ev[-2]["usage"]["completion_tokens"]
       == 2, "stream: usage chunk with empty choices")
    fins = [e["choices"][0]["finish_reason"] for e in ev[:-1]
            if e["choices"]]
    is_(fins[-1], "stop", "stream: finish_reason on the last choice")

    st, hd, o = post(port, "/v1/completions",
                     {"model": "m", "prompt": "PATHRULE x"})
    is_(o["choices"][0]["text"], "by path", "completion: path rule")
    is_(o["object"], "text_completion", "completion: object")
    st, hd, o = post(port, "/v1/chat/completions",
                     dict(chat, messages=[{"role": "user",
                                           "content": "PATHRULE"}]))
    is_(o["choices"][0]["message"]["content"], "fake answer",
        "path rule does not match another path")

    st, hd, o = post(port, "/v1/chat/completions",
                     dict(chat, messages=[{"role": "user",
                                           "content": "ONCE"}]))
    ok(st == 429 and hd.get("retry-after") == "2", "429 with Retry-After")
    ok(o == {"object": "error", "message": o["message"],
             "type": "RateLimitError", "param": None, "code": 429},
       "error in vLLM's format")
    st, hd, o = post(port, "/v1/chat/completions",
                     dict(chat, messages=[{"role": "user",
                                           "content": "ONCE"}]))
    is_(st, 200, "times: 1 applies once")

    st, hd, o = post(port, "/v1/chat/completions",
                     dict(chat, messages=[{"role": "user",
                                           "content": "TOOL"}]))
    m = o["choices"][0]["message"]
    ok(m["tool_calls"][0]["function"] == {"name": "f",
                                          "arguments": '{"a": 1}'}
       and m["tool_calls"][0]["id"] and m["content"] is None,
       "tool_calls in OpenAI format, arguments a string")
    is_(o["choices"][0]["finish_reason"], "tool_calls",
        "tool_calls finish_reason")

    # scripted tool-call conversations: where the chat stands
    def conv(msgs):
        st, hd, o = post(port, "/v1/chat/completions",
                         dict(chat, messages=msgs))
        return o["choices"][0]["message"]["content"]
    u = {"role": "user", "content": "CONV"}
    a = {"role": "assistant", "content": None, "tool_calls": []}
    is_(conv([u]), "first step", "step 0: no answer since the user")
    is_(conv([u, a, {"role": "tool", "content": "R1"}]), "after R1",
        "last_role and tool_contains")
    is_(conv([u, a, {"role": "tool", "content": "R2"}]), "second step",
        "step 1: one answer since the user")
    is_(conv([u, a, {"role": "tool", "content": "R1"}, u]), "first step",
        "a new user message starts the count again")

    st, hd, o = post(port, "/v1/chat/completions",
                     dict(chat, stop=["Question:"],
                          messages=[{"role": "user", "content": "STOPME"}]))
    is_(o["choices"][0]["message"]["content"], "one two ", "stop cuts")
    st, hd, o = post(port, "/v1/completions",
                     {"model": "m", "prompt": "p", "max_tokens": 1})
    ok(o["choices"][0]["text"] == "fake" and
       o["choices"][0]["finish_reason"] == "length", "max_tokens cuts")

    st, hd, o = post(port, "/v1/chat/completions", {"model": "m"})
    ok(st == 400 and "Field required" in o["message"] and
       o["type"] == "BadRequestError", "missing messages: 400")
    st, hd, o = post(port, "/v1/completions", {"model": "m"})
    is_(st, 400, "missing prompt: 400")
    st, hd, o = post(port, "/v1/completions", None, raw=b"{bad")
    ok(st == 400 and o["code"] == 400, "malformed JSON: 400")
    st, hd, o = post(port, "/v1/completions", {"model": "x", "prompt": "p"})
    ok(st == 404 and o["message"] == "The model `x` does not exist.",
       "strict model: 404")

    # -- log-likelihood ---------------------------------------------------
    lreq = {"model": "m", "prompt": "The capital is Paris", "echo": True,
            "logprobs": 1, "max_tokens": 1, "temperature": 0}
    st, hd, o = post(port, "/v1/completions", lreq)
    c = o["choices"][0]
    lp = c["logprobs"]
    is_(lp["tokens"], ["The", " capital", " is", " Paris", " x"],
        "echo: prompt tokens then one generated")
    is_(lp["text_offset"], [0, 3, 11, 14, 20], "echo: text_offset")
    ok(lp["token_logprobs"][0] is None and lp["top_logprobs"][0] is None,
       "echo: the first prompt token has no logprob")
    is_(lp["token_logprobs"][1:], [-1.0, -1.0, -2.0, -1.0],
        "echo: -1 by default, the rule's total on the continuation")
    is_(o["usage"]["prompt_tokens"], 4, "echo: usage counts the prompt")
    is_(c["text"], "The capital is Paris x", "echo: text = prompt + gen")
    is_(lp["top_logprobs"][3], {" Paris": -2.0}, "greedy: self is top-1")
    t1 = lp["top_logprobs"][2]
    ok(max(t1, key=t1.get) != " is", "not greedy: another token is top-1")

    st, hd, o = post(port, "/v1/completions",
                     dict(lreq, prompt="A big city"))
    lp = o["choices"][0]["logprobs"]
    is_(lp["token_logprobs"], [None, -1.5, -1.5, -1.0],
        "the total is spread over the continuation's tokens")
    t = lp["top_logprobs"][1]
    ok(max(t, key=t.get) != " big" and t[" big"] == -1.5,
       "non-greedy continuation: another token ranks higher")
    st, hd, o = post(port, "/v1/completions",
                     dict(lreq, prompt="caf\u00e9 Lyon", max_tokens=2))
    lp = o["choices"][0]["logprobs"]
    is_(lp["text_offset"], [0, 4, 9, 11], "offsets count code points")
    is_(lp["tokens"][-2:], [" x", " x"], "max_tokens generated tokens")

    # -- fault modes --------------------------------------------------------
    def say(text, **kw):
        return dict(chat, messages=[{"role": "user", "content": text}], **kw)

    st, hd, p = request(port, "POST", "/v1/chat/completions", say("RAWB"))
    ok(st == 200 and b'"content": "a\xff\x00b"' in p,
       "raw_bytes: the bytes are put raw in the answer")
    st, hd, o = post(port, "/v1/chat/completions", say("NOCH"))
    ok(st == 200 and "choices" not in o, "no_choices: a 200 without them")
    st, hd, o = post(port, "/v1/chat/completions", say("NOCH", stream=True))
    ev = events(o)
    ok(ev[-1] == "[DONE]" and len(ev) > 1 and
       all("choices" not in e for e in ev[:-1]),
       "no_choices: no stream event has them")
    st, hd, p = request(port, "POST", "/v1/completions",
                        {"model": "m", "prompt": "NANV x", "logprobs": 1,
                         "max_tokens": 2})
    ok(b"NaN" in p, "logprob_value: NaN written as Python writes it")
    st, hd, o = post(port, "/v1/chat/completions", say("BIGV"))
    is_(len(o["choices"][0]["message"]["content"]), 1000,
        "size_bytes: an answer of that size")

    # -- GET endpoints ----------------------------------------------------
    st, hd, p = request(port, "GET", "/v1/models")
    o = json.loads(p)
    ok(st == 200 and o["data"][0]["id"] == "m" and
       o["data"][0]["max_model_len"] == 4096, "/v1/models")
    st, hd, p = request(port, "GET", "/health")
    is_(st, 200, "/health")
    st, hd, p = request(port, "GET", "/metrics")
    ok(b"vllm:num_requests_running" in p, "/metrics is Prometheus text")
    st, hd, p = request(port, "GET", "/stats")
    o = json.loads(p)
    ok(o["max_inflight"] >= 1 and o["by_path"]["/v1/completions"] >= 5,
       "/stats counts")

    # Sequence numbers count every request.
    with open(logpath) as f:
        recs = [json.loads(x) for x in f]
    ok(all(r["auth"] is False for r in recs), "log: auth recorded")
    third = [r for r in recs if r["seq"] == 3][0]
    is_(third["path"], "/v1/completions", "log: seq and path")
    ok(third["body"]["prompt"] == "PATHRULE x" and third["status"] == 200,
       "log: parsed body and status")
    srv.shutdown()

    # -- llama.cpp flavor ---------------------------------------------------
    srv, port, logpath = start("--flavor", "llamacpp")
    st, hd, o = post(port, "/v1/completions", lreq)
    c = o["choices"][0]
    ok(c["text"] == "x" or not c["text"].startswith("The capital"),
       "llamacpp: echo ignored")
    ok("content" in c["logprobs"] and "tokens" not in c["logprobs"],
       "llamacpp: chat-format logprobs only")
    st, hd, o = post(port, "/v1/completions", None, raw=b"{bad")
    ok(st == 500 and "error" in o, "llamacpp: malformed JSON gets 500")
    # A streamed response closes the connection.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    b = json.dumps(dict(chat, model="any", stream=True)).encode()
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n"
              b"\r\n%s" % (len(b), b))
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    s.close()
    ok(b"data: [DONE]" in got and b"connection: keep-alive" in got.lower(),
       "llamacpp: keep-alive advertised, connection closed after a stream")
    srv.shutdown()

    print("1..%d" % N)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
