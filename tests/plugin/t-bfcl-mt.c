/*
 * t-bfcl-mt: the bfcl plugin's multi-turn categories through plugtest,
 * on the real data (QEVAL_DATA_DIR; skipped without it).  EXEC requests
 * are answered by tests/bfcl_mt/fake_exec.py, a stand-in for the core's
 * executor sessions (one Python process, globals per session), so the
 * plugin's conversation, its embedded driver and its scoring are tested
 * here apart from the core; tests/e2e/t-bfcl-mt.py does it end to end.
 *
 * 1. The reference model scores 100% on the 600 entries, the corrupted
 *    one at most 10%.
 * 2. The first request as the reference sends it: no system prompt, the
 *    user turn, the tools of the involved classes in order with the
 *    Python hint, temperature 0.001.
 * 3. Results go back as role:tool messages with the call id.
 * 4. The held-out turn: the fixed user text, the tool added then and
 *    without the hint.
 * 5. The step limit: 21 executed steps end the entry, force_terminated.
 * 6. A failed session request: inference_error.
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "plugtest.h"
#include "tap.h"

#define HINT	" Note that the provided function is in Python 3 syntax."
#define HELD	"I have updated some more functions you can choose from. " \
    "What about now?"

static FILE *to_py, *from_py;
static pid_t py_pid;

static int
exec_start(void)
{
	const char *py = getenv("PYTHON3"), *src = getenv("QEVAL_SRCDIR");
	char path[4096];
	int in[2], out[2];

	if (py == NULL || *py == '\0')
		py = "python3";
	snprintf(path, sizeof(path), "%s/tests/bfcl_mt/fake_exec.py",
	    src != NULL ? src : ".");
	if (pipe(in) != 0 || pipe(out) != 0)
		return (-1);
	py_pid = fork();
	if (py_pid < 0)
		return (-1);
	if (py_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp(py, py, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	to_py = fdopen(in[1], "w");
	from_py = fdopen(out[0], "r");
	return (to_py != NULL && from_py != NULL ? 0 : -1);
}

static void
exec_stop(void)
{
	if (to_py != NULL)
		fclose(to_py);
	if (from_py != NULL)
		fclose(from_py);
	if (py_pid > 0)
		waitpid(py_pid, NULL, 0);
}

static char *ans_text;

/* Sends one body for session `key`; fills status and text. */
static int
exec_one(const char *key, const char *body, int *status, const char **text)
{
	cJSON *a, *t, *s;
	char *line = NULL;
	size_t cap = 0;

	fprintf(to_py, "{\"key\":\"%s\",\"body\":%s}\n", key, body);
	fflush(to_py);
	if (getline(&line, &cap, from_py) < 0) {
		free(line);
		return (-1);
	}
	a = cJSON_Parse(line);
	free(line);
	t = cJSON_GetObjectItem(a, "text");
	s = cJSON_GetObjectItem(a, "status");
	if (!cJSON_IsString(t) || !cJSON_IsNumber(s)) {
		cJSON_Delete(a);
		return (-1);
	}
	free(ans_text);
	ans_text = strdup(t->valuestring);
	*status = s->valueint;
	*text = ans_text;
	cJSON_Delete(a);
	return (0);
}

/* What the scripted model does in callback mode. */
enum script { S_EXEC_ONLY, S_LOOP, S_PWD_THEN_TEXT, S_CRASH };
static enum script script;
static unsigned run_no;		/* session keys differ per run */
static int chats, execs;
static cJSON *first_body, *last_body;

static int
answer(void *arg, size_t sample, const struct qeval_request *req,
    struct plugtest_answer *out)
{
	char key[64];

	(void)arg;
	snprintf(key, sizeof(key), "%u-%zu", run_no, sample);
	if (req->kind == QEVAL_REQ_EXEC) {
		execs++;
		if (script == S_CRASH && strstr(req->body, "\"session\"")) {
			out->status = QEVAL_EXEC_CRASHED;
			out->text = "killed by signal 9";
			return (0);
		}
		return (exec_one(key, req->body, &out->status, &out->text));
	}
	chats++;
	cJSON_Delete(last_body);
	last_body = cJSON_Parse(req->body);
	if (first_body == NULL)
		first_body = cJSON_Parse(req->body);
	switch (script) {
	case S_LOOP:
	case S_CRASH:
		out->tool_calls = "[{\"id\":\"c1\",\"type\":\"function\","
		    "\"function\":{\"name\":\"pwd\",\"arguments\":\"{}\"}}]";
		out->text = "";
		break;
	case S_PWD_THEN_TEXT: {
		/* one pwd() per turn, then text */
		cJSON *msgs = cJSON_GetObjectItem(last_body, "messages");
		cJSON *lastm = cJSON_GetArrayItem(msgs,
		    cJSON_GetArraySize(msgs) - 1);
		const char *role = cJSON_GetStringValue(cJSON_GetObjectItem(
		    lastm, "role"));

		if (role != NULL && strcmp(role, "user") == 0) {
			out->tool_calls = "[{\"id\":\"call_A\",\"type\":"
			    "\"function\",\"function\":{\"name\":\"pwd\","
			    "\"arguments\":\"{}\"}}]";
			out->text = "";
		} else
			out->text = "ok";
		break;
	}
	default:
		out->text = "ok";
	}
	return (0);
}

static const char *
err_type(const struct qeval_verdict *v)
{
	static char buf[128];
	cJSON *d = cJSON_Parse(v->detail ? v->detail : "{}");
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(d,
	    "error_type"));

	snprintf(buf, sizeof(buf), "%s", t ? t : "(none)");
	cJSON_Delete(d);
	return (buf);
}

static void
reference_runs(const char *data)
{
	static const char *const tasks[] = { "bfcl_multi_turn_base",
		"bfcl_multi_turn_miss_func", "bfcl_multi_turn_miss_param" };
	size_t t, i;

	for (t = 0; t < 3; t++) {
		struct plugtest pt;
		size_t n, pass = 0, bad = 0, errs = 0;

		if (plugtest_open(&pt, "bfcl", tasks[t], data, NULL, 1, 0) !=
		    0) {
			ok(0, "%s opens: %s", tasks[t], pt.err.buf);
			continue;
		}
		n = pt.plugin.desc->count(pt.state);
		for (i = 0; i < n; i++) {
			struct qeval_verdict v;

			run_no++;
			if (plugtest_run(&pt, i, 0, PLUGTEST_GOLD, answer, NULL,
			    &v) != 0) {
				errs++;
				continue;
			}
			if (v.values[0] == 1.0)
				pass++;
			else if (pass + 3 > i)
				tap_diag("%s: %s", pt.plugin.desc->sample_id(
				    pt.state, i), v.reason);
			run_no++;
			if (plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT, answer,
			    NULL, &v) != 0) {
				errs++;
				continue;
			}
			if (v.values[0] == 1.0)
				bad++;
		}
		ok(n == 200 && pass == n && errs == 0, "%s: the reference "
		    "model passes %zu/%zu (%zu errors)", tasks[t], pass, n,
		    errs);
		ok(bad * 10 <= n, "%s: the corrupted one passes %zu/%zu",
		    tasks[t], bad, n);
		plugtest_close(&pt);
	}
}

static int
has_tool(cJSON *body, const char *name, const char **desc)
{
	cJSON *tools = cJSON_GetObjectItem(body, "tools"), *t;

	cJSON_ArrayForEach(t, tools) {
		cJSON *f = cJSON_GetObjectItem(t, "function");

		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(f,
		    "name")), name) == 0) {
			*desc = cJSON_GetStringValue(cJSON_GetObjectItem(f,
			    "description"));
			return (1);
		}
	}
	return (0);
}

static int
ends_with(const char *s, const char *suf)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suf);

	return (a >= b && strcmp(s + a - b, suf) == 0);
}

static void
conversations(const char *data)
{
	struct plugtest pt;
	struct qeval_verdict v;
	const struct qeval_exchange *ex;
	cJSON *msgs, *m0, *tools, *doc = NULL;
	const char *d = NULL;
	size_t nex, k;
	int found, turn;

	if (plugtest_open(&pt, "bfcl", "bfcl_multi_turn_base", data, NULL, 1,
	    0) != 0) {
		ok(0, "base opens: %s", pt.err.buf);
		return;
	}
	/* 2, 3: base_0 (TwitterAPI, GorillaFileSystem), pwd once a turn */
	script = S_PWD_THEN_TEXT;
	run_no++;
	chats = execs = 0;
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer, NULL, &v) == 0,
	    "a scripted conversation runs: %s", pt.err.buf);
	msgs = cJSON_GetObjectItem(first_body, "messages");
	m0 = cJSON_GetArrayItem(msgs, 0);
	ok(cJSON_GetArraySize(msgs) == 1 && strcmp(cJSON_GetStringValue(
	    cJSON_GetObjectItem(m0, "role")), "user") == 0,
	    "the first request: the user turn alone, no system prompt");
	tools = cJSON_GetObjectItem(first_body, "tools");
	ok(cJSON_GetArraySize(tools) == 14 + 18, "the tools of TwitterAPI "
	    "(14) and GorillaFileSystem (18): %d",
	    cJSON_GetArraySize(tools));
	d = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(tools, 0), "function"), "name"));
	ok(d != NULL && strcmp(d, "authenticate_twitter") == 0,
	    "in involved_classes order (first: %s)", d ? d : "?");
	ok(has_tool(first_body, "pwd", &d) && ends_with(d, HINT),
	    "each description carries the Python hint");
	ex = plugtest_exchanges(&nex);
	ok(ex[0].req.temperature == 0.001 && ex[0].req.kind ==
	    QEVAL_REQ_CHAT, "temperature 0.001");
	ok(execs == 5 && chats == 8, "4 turns: 8 answers, 4 steps and the "
	    "checker (%d chats, %d execs)", chats, execs);
	ok(strstr(ex[1].req.body, "\"session\":true") != NULL &&
	    strstr(ex[1].req.body, "\"modules\"") != NULL &&
	    strstr(ex[4].req.body, "\"modules\"") == NULL &&
	    strstr(ex[nex - 1].req.body, "\"journal\":false") != NULL,
	    "steps run in the session (modules with the first only); the "
	    "checker is not journaled");
	cJSON_Delete(doc);
	doc = cJSON_Parse(ex[2].req.body);
	msgs = cJSON_GetObjectItem(doc, "messages");
	m0 = cJSON_GetArrayItem(msgs, 2);
	ok(cJSON_GetArraySize(msgs) == 3 && strcmp(cJSON_GetStringValue(
	    cJSON_GetObjectItem(m0, "role")), "tool") == 0 &&
	    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m0,
	    "tool_call_id")), "call_A") == 0 && strcmp(cJSON_GetStringValue(
	    cJSON_GetObjectItem(m0, "content")),
	    "{\"current_working_directory\": \"/workspace\"}") == 0,
	    "the result goes back as a tool message with the call id");
	ok(v.values[0] == 0.0 && strcmp(err_type(&v),
	    "multi_turn:instance_state_mismatch") == 0,
	    "pwd alone leaves the state wrong: %s", v.reason);
	cJSON_Delete(doc);

	/* 5: the step limit */
	script = S_LOOP;
	run_no++;
	chats = execs = 0;
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer, NULL, &v) == 0,
	    "a model that never stops runs: %s", pt.err.buf);
	ok(chats == 21 && execs == 22, "21 answers and steps, then the "
	    "checker (%d chats, %d execs)", chats, execs);
	ok(v.values[0] == 0.0 && strcmp(err_type(&v),
	    "multi_turn:force_terminated") == 0, "force_terminated: %s",
	    v.reason);

	/* 6: the session fails */
	script = S_CRASH;
	run_no++;
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer, NULL, &v) == 0 &&
	    v.values[0] == 0.0 && strcmp(err_type(&v),
	    "multi_turn:inference_error") == 0 && strstr(v.reason,
	    "killed by signal 9") != NULL, "a crashed session: "
	    "inference_error with the detail: %s", v.reason);
	plugtest_close(&pt);

	/* 4: the held-out turn (miss_func_0: sort at turn 3) */
	if (plugtest_open(&pt, "bfcl", "bfcl_multi_turn_miss_func", data,
	    NULL, 1, 0) != 0) {
		ok(0, "miss_func opens: %s", pt.err.buf);
		return;
	}
	script = S_EXEC_ONLY;
	run_no++;
	cJSON_Delete(first_body);
	first_body = NULL;
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer, NULL, &v) == 0,
	    "miss_func_0 runs");
	ex = plugtest_exchanges(&nex);
	found = 0;
	turn = 0;
	for (k = 0; k < nex; k++) {
		cJSON *b;

		if (ex[k].req.kind != QEVAL_REQ_CHAT)
			continue;
		turn++;
		b = cJSON_Parse(ex[k].req.body);
		if (turn < 4)
			found |= has_tool(b, "sort", &d) ? 1 : 0;
		else if (turn == 4) {
			msgs = cJSON_GetObjectItem(b, "messages");
			m0 = cJSON_GetArrayItem(msgs,
			    cJSON_GetArraySize(msgs) - 1);
			ok(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m0,
			    "content")), HELD) == 0, "the held-out turn's user "
			    "text is the reference's");
			ok(has_tool(b, "sort", &d) && !ends_with(d, HINT) &&
			    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(
			    cJSON_GetObjectItem(cJSON_GetArrayItem(
			    cJSON_GetObjectItem(b, "tools"),
			    cJSON_GetArraySize(cJSON_GetObjectItem(b,
			    "tools")) - 1), "function"), "name")), "sort") ==
			    0, "the held-out tool joins last, without the "
			    "hint");
		}
		cJSON_Delete(b);
	}
	ok(found == 0, "the held-out tool is absent before its turn");
	ok(strcmp(err_type(&v), "multi_turn:empty_turn_model_response") == 0,
	    "text only: empty_turn_model_response: %s", v.reason);
	plugtest_close(&pt);
}

int
main(void)
{
	const char *data = getenv("QEVAL_DATA_DIR");
	char probe[4096];

	signal(SIGPIPE, SIG_IGN);
	snprintf(probe, sizeof(probe), "%s/bfcl/BFCL_v4_multi_turn_base.json",
	    data ? data : "");
	if (data == NULL || access(probe, R_OK) != 0) {
		tap_skip("QEVAL_DATA_DIR with the BFCL multi-turn files not set");
		return (tap_done());
	}
	if (exec_start() != 0) {
		ok(0, "the stand-in executor starts");
		return (tap_done());
	}
	conversations(data);
	reference_runs(data);
	exec_stop();
	cJSON_Delete(first_body);
	cJSON_Delete(last_body);
	free(ans_text);
	return (tap_done());
}
