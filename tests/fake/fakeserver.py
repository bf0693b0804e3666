#!/usr/bin/env python3
"""fakeserver.py: a fake OpenAI-compatible server that answers like vLLM.

Python 3 standard library only.  Loopback, HTTP/1.1 keep-alive, one
thread per connection.  For tests and benchmarks of qeval.

Command line:
  python3 fakeserver.py [--host 127.0.0.1] [--port 0] [--port-file F]
      [--script S.json] [--log L.jsonl] [--flavor vllm|llamacpp]
      [--model NAME] [--also-model NAME]... [--no-models] [--strict-model]
      [--max-model-len N]
      [--latency-ms N] [--default-text TEXT] [--api-key KEY]

  --port 0 --port-file F  bind a free port and write it to F (atomically,
                          once the server accepts connections)
  --script S.json         scripted answers (format below)
  --log L.jsonl           one JSON line per request: {"seq", "method",
                          "path", "body" (parsed JSON, or the raw text when
                          it is not JSON), "status" (0: no answer),
                          "action" ("answer", "reset", "hang"), "auth"
                          (true when an Authorization header was sent; its
                          value is never logged)}
  --flavor vllm           vLLM's JSON and SSE shapes (default)
  --flavor llamacpp       llama-server's: echo ignored, no prompt logprobs,
                          logprobs in the chat format logprobs.content[],
                          connection closed after each streamed response,
                          malformed JSON gets HTTP 500, responses name
                          --model whatever was asked, /metrics has
                          llama.cpp's names (llamacpp:…; a quarter of
                          each prompt's tokens counted as cached, as
                          usage.prompt_tokens_details.cached_tokens
                          says too), and
                          /v1/models says owned_by "llamacpp"
  --model NAME            the served model (default "fake-model"); any
                          model name is accepted unless --strict-model
  --also-model NAME       another name GET /v1/models lists (repeatable)
  --no-models             GET /v1/models answers 404 (a proxy without it)
  --latency-ms N          sleep N ms before every completion answer
  --api-key KEY           answer 401 unless "Authorization: Bearer KEY"
  --loading-s S           GET /health answers 503 "Loading model" for the
                          first S seconds (llama-server while it loads)

Chat requests with "continue_final_message": true (vLLM flavor) need
"add_generation_prompt": false and a final assistant message, else HTTP
400 as vLLM answers; the scripted text is then the continuation.

Endpoints: POST /v1/chat/completions, POST /v1/completions (stream true or
false; stream_options.include_usage), GET /v1/models, GET /health,
GET /metrics (Prometheus text), GET /stats (JSON counters: requests,
by_path, statuses, inflight, max_inflight, auth_seen; "GET /stats?reset=1"
answers, then zeroes them), POST /stats/reset (zeroes them).

Script file:
  {"default": {ANSWER...},
   "rules": [{MATCH..., ANSWER...}, ...]}
MATCH (all given must hold; first matching rule wins):
  "contains": "s"    substring of the last user message or of the prompt
  "path": "/v1/completions"
  "nth": N           the request's sequence number (1-based, all paths)
  "times": N         the rule applies to its first N matches only
  Scripted tool-call conversations (chat; BFCL multi-turn):
  "step": N          N assistant messages since the last user message
                     (0: the first answer of a turn)
  "last_role": "tool"  the role of the request's last message
  "tool_contains": "s"  substring of a tool message's content since the
                     last user message
ANSWER:
  "text": "..."      answer text; "{echo}" is replaced by the last user
                     message (or the prompt), "{seed}" by the request's
                     seed; default "fake answer"
  "finish_reason": "stop"
  "tool_calls": [{"type": "function", "function": {"name": "f",
                 "arguments": "{...}" or {...}}}, ...]
  "status": 429      an error answer in the flavor's format, with
  "retry_after": S   a Retry-After header, and "message": "..."
  "delay_ms": N      sleep before answering
  "token_delay_ms": N  sleep between stream events
  "reasoning": "..." reasoning_content of a chat answer
  "malformed": true  HTTP 200 with a body that is not valid JSON
  "raw_bytes": "ff00" hex bytes put raw (not JSON-escaped, so possibly
                     not UTF-8) in place of "{bytes}" in the text
  "no_choices": true HTTP 200 whose JSON (each stream event) has no
                     "choices"
  "logprob_value": "NaN"  every token logprob of a completion is this
                     float ("NaN", "Infinity", "-Infinity", "1e999"),
                     written as Python's json writes it (NaN, Infinity)
  "size_bytes": N    the answer is one token "xxx..." of N bytes (stops
                     and max_tokens do not cut it); if the client
                     closes the connection before it is all sent, the
                     log's action is "client_closed"
  "reset": true      close the connection without answering
  "hang": true       never answer (for client timeouts; "hang_s" caps it)
  "loglik": {"<continuation>": total_logprob, ...}
  "greedy": ["<continuation>", ...]
A rule with "loglik" matches only a /v1/completions prompt that ends with
one of its continuations.

Log-likelihood (vLLM flavor): /v1/completions with "logprobs": N returns the
legacy object {tokens, token_logprobs, top_logprobs, text_offset}; with
"echo": true it covers the prompt's tokens (the first one's logprob is
null) and then the generated ones, and usage.prompt_tokens counts the
prompt's tokens.  The fake tokeniser is the regex \\s*\\S+ (so " Paris" is
one token; trailing whitespace is a token of its own); text_offset counts
code points.  Every token's logprob is -1.0, except that a matching
"loglik" rule spreads its total evenly over the tokens that end inside the
continuation's characters; for a "greedy" continuation those tokens are
their own top-1 in top_logprobs, else another token with a higher logprob
is.  With echo the generated text is max_tokens (default 16) tokens " x"
unless the rule gives "text".
"""

import argparse
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_RE = re.compile(r"\s*\S+|\s+")
# Stands for the raw bytes of "raw_bytes" until the body is encoded.
BYTES_MARK = "\ue000qeval-raw-bytes\ue000"

STATUS_TEXT = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 408: "Request Timeout", 413: "Payload Too Large",
    422: "Unprocessable Entity", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}
ERROR_TYPE = {
    400: "BadRequestError", 401: "AuthenticationError",
    403: "PermissionDeniedError", 404: "NotFoundError",
    408: "RequestTimeoutError", 422: "UnprocessableEntityError",
    429: "RateLimitError", 500: "InternalServerError",
    502: "BadGatewayError", 503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}
LLAMA_ERROR_TYPE = {
    400: "invalid_request_error", 401: "authentication_error",
    404: "not_found_error", 500: "server_error", 503: "unavailable_error",
}


def tokens(text):
    return TOKEN_RE.findall(text)


def content_text(content):
    """A message content: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content
                       if isinstance(p, dict))
    return ""


class State:
    def __init__(self, args):
        self.args = args
        # llama-server answers /health 503 while the model loads
        self.loaded_at = time.time() + getattr(args, "loading_s", 0)
        self.lock = threading.Lock()
        self.seq = 0
        self.inflight = 0
        self.max_inflight = 0
        self.requests = 0
        self.by_path = {}
        self.statuses = {}
        self.auth_seen = 0
        self.prompt_tokens = 0
        self.cached_tokens = 0
        self.gen_tokens = 0
        self.stopping = threading.Event()
        self.log = open(args.log, "a", encoding="utf-8") if args.log \
            else None
        self.default = {"text": args.default_text}
        self.rules = []
        if args.script:
            with open(args.script, encoding="utf-8") as f:
                script = json.load(f)
            self.default.update(script.get("default", {}))
            self.rules = script.get("rules", [])
            for r in self.rules:
                r["_used"] = 0

    def reset(self):
        """Zeroes the counters (the caller holds the lock)."""
        self.requests = 0
        self.by_path = {}
        self.statuses = {}
        self.auth_seen = 0
        self.max_inflight = self.inflight

    def begin(self, path, auth):
        with self.lock:
            self.seq += 1
            self.requests += 1
            self.inflight += 1
            if self.inflight > self.max_inflight:
                self.max_inflight = self.inflight
            self.by_path[path] = self.by_path.get(path, 0) + 1
            if auth:
                self.auth_seen += 1
            return self.seq

    def end(self, status):
        with self.lock:
            self.inflight -= 1
            k = str(status)
            self.statuses[k] = self.statuses.get(k, 0) + 1

    def write_log(self, rec):
        if self.log is None:
            return
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with self.lock:
            self.log.write(line)
            self.log.flush()

    def pick(self, path, seq, needle, prompt, conv=None):
        """The answer for a request: the default updated by a rule."""
        conv = conv or {}
        for r in self.rules:
            if "path" in r and r["path"] != path:
                continue
            if "step" in r and r["step"] != conv.get("step"):
                continue
            if "last_role" in r and r["last_role"] != conv.get("last_role"):
                continue
            if "tool_contains" in r and \
                    r["tool_contains"] not in conv.get("tool_text", ""):
                continue
            if "nth" in r and r["nth"] != seq:
                continue
            if "contains" in r and r["contains"] not in needle:
                continue
            cont = None
            if "loglik" in r:
                if prompt is None:
                    continue
                best = None
                for c in r["loglik"]:
                    if prompt.endswith(c) and (best is None or
                                               len(c) > len(best)):
                        best = c
                if best is None:
                    continue
                cont = best
            if "times" in r:
                with self.lock:
                    if r["_used"] >= r["times"]:
                        continue
                    r["_used"] += 1
            ans = dict(self.default)
            ans.update(r)
            ans["_cont"] = cont
            ans["_rule"] = r
            return ans
        ans = dict(self.default)
        ans["_cont"] = None
        ans["_rule"] = {}
        return ans


def conversation(msgs):
    """Where a chat stands: answers since the last user message, the
    last message's role, the tool results since the last user message."""
    last_user = -1
    for i, m in enumerate(msgs):
        if isinstance(m, dict) and m.get("role") == "user":
            last_user = i
    after = [m for m in msgs[last_user + 1:] if isinstance(m, dict)]
    return {"step": sum(1 for m in after if m.get("role") == "assistant"),
            "last_role": msgs[-1].get("role") if msgs and
            isinstance(msgs[-1], dict) else None,
            "tool_text": "\n".join(content_text(m.get("content"))
                                   for m in after if m.get("role") == "tool")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-vllm/1"
    sys_version = ""
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    # -- output --------------------------------------------------------

    def send_raw(self, status, body, ctype="application/json",
                 headers=(), close=False):
        if isinstance(body, str):
            body = body.encode("utf-8")
        body = self.put_raw_bytes(body)
        head = ["HTTP/1.1 %d %s" % (status, STATUS_TEXT.get(status, "X")),
                "content-type: " + ctype,
                "content-length: %d" % len(body)]
        head.extend("%s: %s" % kv for kv in headers)
        if close or self.close_connection:
            head.append("connection: close")
            self.close_connection = True
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
                         + body)

    def put_raw_bytes(self, data):
        raw = getattr(self, "raw_bytes", None)
        if raw is None:
            return data
        return data.replace(BYTES_MARK.encode("utf-8"), raw)

    def send_json(self, status, obj, headers=()):
        self.send_raw(status, json.dumps(obj, ensure_ascii=False),
                      headers=headers)

    def send_error_body(self, status, message, headers=()):
        if self.server.st.args.flavor == "llamacpp":
            obj = {"error": {"code": status, "message": message,
                             "type": LLAMA_ERROR_TYPE.get(status,
                                                          "server_error")}}
        else:
            obj = {"object": "error", "message": message,
                   "type": ERROR_TYPE.get(status, "Error"),
                   "param": None, "code": status}
        self.send_json(status, obj, headers)

    def send_stream(self, events, delay_s=0.0, close=False):
        """SSE with chunked transfer encoding, as uvicorn sends it."""
        head = ("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; "
                "charset=utf-8\r\ntransfer-encoding: chunked\r\n"
                "connection: keep-alive\r\n\r\n").encode("latin-1")
        parts = [head]
        for ev in events:
            data = self.put_raw_bytes(
                ("data: " + (ev if isinstance(ev, str) else
                             json.dumps(ev, ensure_ascii=False)) +
                 "\n\n").encode("utf-8"))
            parts.append(b"%x\r\n%s\r\n" % (len(data), data))
            if delay_s > 0:
                self.wfile.write(b"".join(parts))
                parts = []
                time.sleep(delay_s)
        parts.append(b"0\r\n\r\n")
        self.wfile.write(b"".join(parts))
        if close:
            self.close_connection = True

    # -- input ---------------------------------------------------------

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def authorised(self):
        key = self.server.st.args.api_key
        if key is None:
            return True
        return self.headers.get("Authorization") == "Bearer " + key

    # -- GET -----------------------------------------------------------

    def do_GET(self):
        st = self.server.st
        path = self.path.split("?", 1)[0]
        seq = st.begin(path, "Authorization" in self.headers)
        status = 200
        try:
            if path in ("/v1/models", "/models") and st.args.no_models:
                status = 404
                self.send_json(404, {"detail": "Not Found"})
            elif path in ("/v1/models", "/models"):
                if not self.authorised():
                    status = 401
                    self.send_json(401, {"error": "Unauthorized"})
                    return
                owner = "llamacpp" if st.args.flavor == "llamacpp" \
                    else "vllm"
                self.send_json(200, {"object": "list", "data": [{
                    "id": name, "object": "model",
                    "created": int(time.time()), "owned_by": owner,
                    "root": st.args.model, "parent": None,
                    "max_model_len": st.args.max_model_len,
                    "permission": []}
                    for name in [st.args.model] + st.args.also_model]})
            elif path == "/health":
                if time.time() < st.loaded_at:
                    status = 503
                    self.send_json(503, {"error": {
                        "message": "Loading model",
                        "type": "unavailable_error", "code": 503}})
                elif st.args.flavor == "llamacpp":
                    self.send_json(200, {"status": "ok"})
                else:
                    self.send_raw(200, b"", ctype="application/json")
            elif path == "/metrics":
                self.send_raw(200, self.metrics(), ctype="text/plain; "
                              "version=0.0.4; charset=utf-8")
            elif path == "/stats":
                with st.lock:
                    obj = {"requests": st.requests,
                           "by_path": dict(st.by_path),
                           "statuses": dict(st.statuses),
                           "inflight": st.inflight - 1,
                           "max_inflight": st.max_inflight,
                           "auth_seen": st.auth_seen}
                    if "reset=1" in self.path:
                        st.reset()
                self.send_json(200, obj)
            else:
                status = 404
                self.send_json(404, {"detail": "Not Found"})
        finally:
            st.end(status)
            st.write_log({"seq": seq, "method": "GET", "path": path,
                          "body": None, "status": status,
                          "action": "answer",
                          "auth": "Authorization" in self.headers})

    def metrics(self):
        st = self.server.st
        m = 'model_name="%s"' % st.args.model
        if st.args.flavor == "llamacpp":
            with st.lock:
                cached = st.cached_tokens
                lines = [
                    "# TYPE llamacpp:prompt_tokens_total counter",
                    "llamacpp:prompt_tokens_total %d" % (
                        st.prompt_tokens - cached),
                    "# TYPE llamacpp:prompt_tokens_cached_total counter",
                    "llamacpp:prompt_tokens_cached_total %d" % cached,
                    "# TYPE llamacpp:tokens_predicted_total counter",
                    "llamacpp:tokens_predicted_total %d" % st.gen_tokens,
                    "# TYPE llamacpp:requests_processing gauge",
                    "llamacpp:requests_processing %d" % max(
                        st.inflight - 1, 0),
                    "# TYPE llamacpp:requests_deferred gauge",
                    "llamacpp:requests_deferred 0",
                ]
            return "\n".join(lines) + "\n"
        with st.lock:
            lines = [
                "# HELP vllm:num_requests_running Number of requests "
                "currently running on GPU.",
                "# TYPE vllm:num_requests_running gauge",
                "vllm:num_requests_running{%s} %d.0" % (m, st.inflight - 1),
                "# HELP vllm:num_requests_waiting Number of requests "
                "waiting to be processed.",
                "# TYPE vllm:num_requests_waiting gauge",
                "vllm:num_requests_waiting{%s} 0.0" % m,
                "# HELP vllm:prompt_tokens_total Number of prefill tokens "
                "processed.",
                "# TYPE vllm:prompt_tokens_total counter",
                "vllm:prompt_tokens_total{%s} %d.0" % (m, st.prompt_tokens),
                "# HELP vllm:generation_tokens_total Number of generation "
                "tokens processed.",
                "# TYPE vllm:generation_tokens_total counter",
                "vllm:generation_tokens_total{%s} %d.0" % (m,
                                                          st.gen_tokens),
                "# HELP vllm:kv_cache_usage_perc KV-cache usage (fake: "
                "requests in flight over 64).",
                "# TYPE vllm:kv_cache_usage_perc gauge",
                "vllm:kv_cache_usage_perc{%s} %.4f" % (
                    m, max(st.inflight - 1, 0) / 64.0),
                "# TYPE vllm:num_preemptions_total counter",
                "vllm:num_preemptions_total{%s} 0.0" % m,
                "# HELP vllm:prefix_cache_queries_total Prefix-cache "
                "queries, in tokens (fake: every prompt token).",
                "# TYPE vllm:prefix_cache_queries_total counter",
                "vllm:prefix_cache_queries_total{%s} %d.0" % (
                    m, st.prompt_tokens),
                "# HELP vllm:prefix_cache_hits_total Prefix-cache hits, "
                "in tokens (fake: half the queries, rounded down).",
                "# TYPE vllm:prefix_cache_hits_total counter",
                "vllm:prefix_cache_hits_total{%s} %d.0" % (
                    m, st.prompt_tokens // 2),
            ]
        return "\n".join(lines) + "\n"

    # -- POST ----------------------------------------------------------

    def do_POST(self):
        st = self.server.st
        path = self.path.split("?", 1)[0]
        auth = "Authorization" in self.headers
        raw = self.read_body()
        if path == "/stats/reset":
            with st.lock:
                st.reset()
            self.send_json(200, {"ok": True})
            return
        seq = st.begin(path, auth)
        rec = {"seq": seq, "method": "POST", "path": path, "body": None,
               "status": 0, "action": "answer", "auth": auth}
        status = 0
        try:
            status = self.post(path, seq, raw, rec)
        except (BrokenPipeError, ConnectionResetError):
            # the client gave up reading (qeval's response size limit)
            rec["action"] = "client_closed"
            status = 200
            self.close_connection = True
        finally:
            rec["status"] = status
            if rec["action"] != "hang":
                st.write_log(rec)
            st.end(status)

    def post(self, path, seq, raw, rec):
        st = self.server.st
        args = st.args
        llama = args.flavor == "llamacpp"
        try:
            body = json.loads(raw)
            rec["body"] = body
        except ValueError as e:
            rec["body"] = raw.decode("utf-8", "replace")
            if llama:
                self.send_error_body(500, "[json.exception.parse_error."
                                     "101] parse error: %s" % e)
                return 500
            self.send_error_body(400, "JSON decode error: %s" % e)
            return 400
        if not isinstance(body, dict):
            self.send_error_body(400, "the request body must be an object")
            return 400
        if not self.authorised():
            self.send_json(401, {"error": "Unauthorized"})
            return 401
        chat = path in ("/v1/chat/completions", "/chat/completions")
        cmpl = path in ("/v1/completions", "/completions")
        if not chat and not cmpl:
            self.send_json(404, {"detail": "Not Found"})
            return 404
        model = body.get("model")
        if args.strict_model and model != args.model:
            self.send_error_body(404, "The model `%s` does not exist." %
                                 model)
            return 404
        prompt = None
        conv = None
        if chat:
            msgs = body.get("messages")
            if not isinstance(msgs, list) or not msgs:
                self.send_error_body(400, "1 validation error for "
                                     "ChatCompletionRequest: messages: "
                                     "Field required")
                return 400
            if body.get("continue_final_message") and not llama:
                # vLLM's checks; the answer's text is the continuation
                if body.get("add_generation_prompt", True):
                    self.send_error_body(400, "Cannot set both "
                                         "`continue_final_message` and "
                                         "`add_generation_prompt` to True.")
                    return 400
                last = msgs[-1]
                if not isinstance(last, dict) or \
                        last.get("role") != "assistant":
                    self.send_error_body(400, "continue_final_message "
                                         "needs a final assistant message")
                    return 400
            needle = ""
            for m in reversed(msgs):
                if isinstance(m, dict) and m.get("role") == "user":
                    needle = content_text(m.get("content"))
                    break
            conv = conversation(msgs)
        else:
            prompt = body.get("prompt")
            if isinstance(prompt, list):
                prompt = "".join(p for p in prompt if isinstance(p, str))
            if not isinstance(prompt, str):
                self.send_error_body(400, "1 validation error for "
                                     "CompletionRequest: prompt: "
                                     "Field required")
                return 400
            needle = prompt
        ans = st.pick(path, seq, needle, prompt, conv)
        if args.latency_ms > 0:
            time.sleep(args.latency_ms / 1000.0)
        if ans.get("delay_ms"):
            time.sleep(ans["delay_ms"] / 1000.0)
        if ans.get("hang"):
            rec["action"] = "hang"
            st.write_log(rec)
            st.stopping.wait(ans.get("hang_s", 600))
            self.close_connection = True
            return 0
        if ans.get("reset"):
            rec["action"] = "reset"
            try:
                self.connection.setsockopt(socket.SOL_SOCKET,
                                           socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.close_connection = True
            return 0
        status = int(ans.get("status", 200))
        if status != 200:
            hdrs = []
            if "retry_after" in ans:
                hdrs.append(("retry-after", str(ans["retry_after"])))
            self.send_error_body(status, ans.get(
                "message", "fake error %d" % status), hdrs)
            return status
        stream = bool(body.get("stream"))
        self.raw_bytes = None
        if "raw_bytes" in ans:
            self.raw_bytes = bytes.fromhex(ans["raw_bytes"])
            ans["text"] = str(ans.get("text", "{bytes}")).replace(
                "{bytes}", BYTES_MARK)
        if "size_bytes" in ans:
            ans["text"] = "x" * int(ans["size_bytes"])
        if ans.get("no_choices"):
            obj = {"id": "cmpl-nochoices", "object": "chat.completion",
                   "model": body.get("model") or args.model,
                   "usage": self.usage(1, 1)}
            if stream:
                self.send_stream([obj, obj, "[DONE]"])
            else:
                self.send_json(200, obj)
            return 200
        if ans.get("malformed"):
            if stream:
                self.send_stream(['{"id": "broken", "choices": [{"ind'])
            else:
                self.send_raw(200, '{"id": "cmpl-broken", "choices": '
                              '[{"index": 0, "text": "tru')
            return 200
        if chat:
            self.answer_chat(body, ans, needle, seq, stream)
        else:
            self.answer_completion(body, ans, prompt, seq, stream)
        return 200

    # -- answers -------------------------------------------------------

    def gen_text(self, body, ans, needle):
        """(generated tokens, finish_reason) after stop and max_tokens."""
        if "size_bytes" in ans:
            return [ans["text"]], "length"
        text = str(ans.get("text", "")).replace("{echo}", needle)
        text = text.replace("{seed}", str(body.get("seed")))
        finish = "stop"
        stop = body.get("stop")
        if isinstance(stop, str):
            stop = [stop]
        if isinstance(stop, list):
            cut = len(text)
            for s in stop:
                if isinstance(s, str) and s and s in text:
                    cut = min(cut, text.index(s))
            text = text[:cut]
        toks = tokens(text)
        mt = body.get("max_tokens", body.get("max_completion_tokens"))
        if isinstance(mt, int) and 0 <= mt < len(toks):
            toks = toks[:mt]
            finish = "length"
        return toks, ans.get("finish_reason") or finish

    def usage(self, ptok, ctok):
        st = self.server.st
        cached = ptok // 4 if st.args.flavor == "llamacpp" else 0
        with st.lock:
            st.prompt_tokens += ptok
            st.cached_tokens += cached
            st.gen_tokens += ctok
        u = {"prompt_tokens": ptok, "total_tokens": ptok + ctok,
             "completion_tokens": ctok}
        if self.server.st.args.flavor == "vllm":
            u["prompt_tokens_details"] = None
        else:
            # llama.cpp: prompt_tokens counts the cached ones too
            u["prompt_tokens_details"] = {"cached_tokens": cached}
        return u

    def answer_chat(self, body, ans, needle, seq, stream):
        args = self.server.st.args
        llama = args.flavor == "llamacpp"
        rid = "chatcmpl-%032x" % seq
        created = int(time.time())
        model = args.model if llama else body.get("model") or args.model
        ptok = sum(len(tokens(content_text(m.get("content"))))
                   for m in body["messages"] if isinstance(m, dict)) + \
            3 * len(body["messages"])
        toks, finish = self.gen_text(body, ans, needle)
        tcs = None
        if ans.get("tool_calls"):
            tcs = []
            for i, tc in enumerate(ans["tool_calls"]):
                fn = dict(tc.get("function", {}))
                if not isinstance(fn.get("arguments", ""), str):
                    fn["arguments"] = json.dumps(fn["arguments"])
                fn.setdefault("arguments", "{}")
                tcs.append({"id": tc.get("id",
                                         "chatcmpl-tool-%08x%04x" % (seq, i)),
                            "type": "function", "function": fn})
            if not ans.get("finish_reason"):
                finish = "tool_calls"
            if "text" not in ans["_rule"]:
                toks = []
        text = "".join(toks)
        ctok = len(toks) + (8 * len(tcs) if tcs else 0)
        lp = None
        if body.get("logprobs"):
            lp = {"content": [self.chat_lp(t, body) for t in toks]}
        if not stream:
            msg = {"role": "assistant", "content": text if text or not tcs
                   else None}
            if not llama:
                msg["reasoning_content"] = ans.get("reasoning")
                msg["tool_calls"] = tcs or []
            elif tcs:
                msg["tool_calls"] = tcs
            if llama and ans.get("reasoning"):
                msg["reasoning_content"] = ans["reasoning"]
            choice = {"index": 0, "message": msg, "logprobs": lp,
                      "finish_reason": finish}
            if not llama:
                choice["stop_reason"] = None
            obj = {"id": rid, "object": "chat.completion",
                   "created": created, "model": model,
                   "choices": [choice], "usage": self.usage(ptok, ctok)}
            if not llama:
                obj["prompt_logprobs"] = None
            else:
                obj["system_fingerprint"] = "b0-fake"
            self.send_json(200, obj)
            return
        base = {"id": rid, "object": "chat.completion.chunk",
                "created": created, "model": model}
        events = []

        def chunk(delta, fin=None, logprobs=None):
            c = {"index": 0, "delta": delta, "logprobs": logprobs,
                 "finish_reason": fin}
            if fin is not None and not llama:
                c["stop_reason"] = None
            e = dict(base)
            e["choices"] = [c]
            events.append(e)

        chunk({"role": "assistant", "content": ""})
        if ans.get("reasoning"):
            for t in tokens(ans["reasoning"]):
                chunk({"reasoning_content": t})
        for i, t in enumerate(toks):
            chunk({"content": t}, logprobs=({"content": [lp["content"][i]]}
                                            if lp else None))
        for i, tc in enumerate(tcs or []):
            chunk({"tool_calls": [{"index": i, "id": tc["id"],
                                   "type": "function", "function": {
                                       "name": tc["function"]["name"],
                                       "arguments": ""}}]})
            a = tc["function"]["arguments"]
            h = len(a) // 2
            for piece in (a[:h], a[h:]):
                chunk({"tool_calls": [{"index": i, "function": {
                    "arguments": piece}}]})
        chunk({"content": ""} if not llama else {}, fin=finish)
        so = body.get("stream_options") or {}
        if so.get("include_usage"):
            e = dict(base)
            e["choices"] = []
            e["usage"] = self.usage(ptok, ctok)
            events.append(e)
        events.append("[DONE]")
        self.send_stream(events, ans.get("token_delay_ms", 0) / 1000.0,
                         close=llama)

    def chat_lp(self, tok, body):
        n = body.get("top_logprobs") or 1
        top = [{"token": tok, "logprob": -1.0,
                "bytes": list(tok.encode("utf-8"))}]
        for k in range(1, n):
            t = " t%d" % k
            top.append({"token": t, "logprob": -1.0 - k,
                        "bytes": list(t.encode("utf-8"))})
        return {"id": 0, "token": tok, "bytes": list(tok.encode("utf-8")),
                "logprob": -1.0, "top_logprobs": top}

    def legacy_lp(self, toks, lps, selftop, start, n, prompt_first):
        """vLLM's legacy completions logprobs object."""
        offs = []
        pos = start
        for t in toks:
            offs.append(pos)
            pos += len(t)
        top = []
        for i, (t, lp) in enumerate(zip(toks, lps)):
            if i == 0 and prompt_first:
                top.append(None)
                continue
            d = {}
            if selftop[i]:
                d[t] = lp
            else:
                other = " y" if t != " y" else " z"
                d[other] = lp / 2 if lp < 0 else 0.0
                d[t] = lp
            k = 1
            while len(d) < n:
                d[" t%d" % k] = min(lp, 0.0) - k
                k += 1
            top.append(d)
        return {"text_offset": offs, "token_logprobs": lps,
                "tokens": toks, "top_logprobs": top}

    def answer_completion(self, body, ans, prompt, seq, stream):
        args = self.server.st.args
        llama = args.flavor == "llamacpp"
        rid = "cmpl-%032x" % seq
        created = int(time.time())
        model = args.model if llama else body.get("model") or args.model
        ptoks = tokens(prompt)
        echo = bool(body.get("echo")) and not llama
        nlp = body.get("logprobs")
        if isinstance(nlp, bool):
            nlp = 1 if nlp else None
        if echo and "text" not in ans["_rule"]:
            mt = body.get("max_tokens")
            mt = 16 if not isinstance(mt, int) else mt
            toks, finish = [" x"] * mt, "length"
        else:
            toks, finish = self.gen_text(body, ans, prompt)
        text = "".join(toks)
        lp = None
        if isinstance(nlp, int) and nlp >= 0:
            if llama:
                lp = {"content": [self.chat_lp(t, {"top_logprobs": nlp})
                                  for t in toks]}
            else:
                lps = [-1.0] * len(toks)
                selftop = [True] * len(toks)
                lpv = ans.get("logprob_value")
                start = len(prompt)
                allt = toks
                if echo:
                    plps = [-1.0] * len(ptoks)
                    pself = [False] * len(ptoks)
                    cont = ans.get("_cont")
                    if cont is not None:
                        b = len(prompt) - len(cont)
                        inside = []
                        end = 0
                        for i, t in enumerate(ptoks):
                            end += len(t)
                            if end > b:
                                inside.append(i)
                        total = float(ans["loglik"][cont])
                        g = cont in (ans.get("greedy") or [])
                        for i in inside:
                            plps[i] = total / len(inside)
                            pself[i] = g
                    if plps:
                        plps[0] = None
                    lps = plps + lps
                    selftop = pself + selftop
                    allt = ptoks + toks
                    start = 0
                if lpv is not None:
                    lps = [float(lpv) if x is not None else None
                           for x in lps]
                lp = self.legacy_lp(allt, lps, selftop, start, max(nlp, 1),
                                    echo)
        ctok = len(toks)
        out_text = (prompt + text) if echo else text
        if not stream:
            choice = {"index": 0, "text": out_text, "logprobs": lp,
                      "finish_reason": ans.get("finish_reason") or finish}
            if not llama:
                choice["stop_reason"] = None
                choice["prompt_logprobs"] = None
            obj = {"id": rid, "object": "text_completion",
                   "created": created, "model": model,
                   "choices": [choice], "usage": self.usage(len(ptoks),
                                                            ctok)}
            if llama:
                obj["system_fingerprint"] = "b0-fake"
            self.send_json(200, obj)
            return
        base = {"id": rid, "object": "text_completion", "created": created,
                "model": model}
        events = []
        pieces = ([prompt] if echo else []) + toks
        for i, t in enumerate(pieces):
            c = {"index": 0, "text": t, "logprobs": None,
                 "finish_reason": None}
            if i == len(pieces) - 1:
                c["finish_reason"] = ans.get("finish_reason") or finish
            if not llama:
                c["stop_reason"] = None
            e = dict(base)
            e["choices"] = [c]
            events.append(e)
        if not pieces:
            e = dict(base)
            e["choices"] = [{"index": 0, "text": "", "logprobs": None,
                             "finish_reason": ans.get("finish_reason") or
                             finish}]
            events.append(e)
        so = body.get("stream_options") or {}
        if so.get("include_usage"):
            e = dict(base)
            e["choices"] = []
            e["usage"] = self.usage(len(ptoks), ctok)
            events.append(e)
        events.append("[DONE]")
        self.send_stream(events, ans.get("token_delay_ms", 0) / 1000.0,
                         close=llama)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="fake OpenAI-compatible "
                                 "server (vLLM / llama.cpp shapes)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--script")
    ap.add_argument("--log")
    ap.add_argument("--flavor", choices=("vllm", "llamacpp"),
                    default="vllm")
    ap.add_argument("--model", default="fake-model")
    ap.add_argument("--also-model", action="append", default=[])
    ap.add_argument("--no-models", action="store_true")
    ap.add_argument("--strict-model", action="store_true")
    ap.add_argument("--max-model-len", type=int, default=4096)
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--default-text", default="fake answer")
    ap.add_argument("--api-key")
    ap.add_argument("--loading-s", type=float, default=0)
    return ap.parse_args(argv)


def make_server(argv=None):
    """A bound server (not serving yet); for tests that import this."""
    args = parse_args(argv)
    srv = Server((args.host, args.port), Handler)
    srv.st = State(args)
    return srv


def main(argv=None):
    srv = make_server(argv)
    args = srv.st.args

    def stop(signum, frame):
        srv.st.stopping.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.replace(tmp, args.port_file)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    srv.st.stopping.set()
    srv.server_close()
    if srv.st.log:
        srv.st.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
