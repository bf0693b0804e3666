/*
 * The loader refuses every broken plugin with a message that names the
 * file and what to do, and loads good ones; the three-call test plugin
 * runs end to end through the real host table.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin.h"
#include "plugtest.h"
#include "tap.h"

static const char *dir;

static void
refused(const char *file, int want_rc, const char *needle, const char *what)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct plugin p;
	int rc;

	strbuf_addf(&path, "%s/%s", dir, file);
	rc = plugin_load(&p, path.buf, &err);
	is_int(rc, want_rc, "%s is refused", what);
	ok(strstr(err.buf, needle) != NULL && strstr(err.buf, file) != NULL,
	    "%s: message names the file and says '%s' (%s)", what, needle,
	    err.buf);
	ok(p.dl == NULL && p.desc == NULL, "%s: nothing stays loaded", what);
	strbuf_release(&path);
	strbuf_release(&err);
}

int
main(void)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT, warn = STRBUF_INIT;
	const char *bdir = getenv("QEVAL_BUILDDIR");
	const char *sdir = getenv("QEVAL_SRCDIR");
	struct plugin_set set;
	const struct qeval_task *t;
	const struct plugin *pl;
	struct plugtest pt;
	struct qeval_verdict v;
	size_t n;
	const struct qeval_exchange *ex;
	FILE *f;
	char *saved;

	dir = getenv("QEVAL_TEST_DIR");
	if (dir == NULL || bdir == NULL || sdir == NULL)
		return (tap_bail("run through make check"));

	refused("bad_major.so", QEVAL_EABI, "was built for ABI 2.0",
	    "wrong major");
	refused("newer_minor.so", QEVAL_EABI, "rebuild the plugin",
	    "newer minor");
	refused("no_symbol.so", QEVAL_EABI, "does not export the symbol",
	    "missing symbol");
	refused("wrong_name.so", QEVAL_EABI, "must be named 'somebody_else.so'",
	    "name mismatch");
	refused("no_score.so", QEVAL_EABI, "malformed descriptor",
	    "missing callback");
	refused("does_not_exist.so", QEVAL_ENOENT, "cannot load plugin",
	    "missing file");
	refused("bad_options.so", QEVAL_EABI, "option 'mode' is malformed: "
	    "an enum needs its choices", "an enum option without choices");

	/* A text file with a .so name is not a shared object. */
	strbuf_addf(&path, "%s/tests/loader/junk", bdir);
	mkdir(path.buf, 0755);
	strbuf_adds(&path, "/junk.so");
	f = fopen(path.buf, "w");
	fputs("this is not ELF\n", f);
	fclose(f);
	{
		struct plugin p;
		int rc = plugin_load(&p, path.buf, &err);

		is_int(rc, QEVAL_ENOENT, "not a shared object is refused");
		ok(strstr(err.buf, "junk.so") != NULL, "message names it (%s)",
		    err.buf);
	}
	unlink(path.buf);

	/* Scanning a directory keeps the good, reports the bad. */
	saved = getenv("QEVAL_PLUGIN_PATH") ? strdup(getenv(
	    "QEVAL_PLUGIN_PATH")) : NULL;
	setenv("QEVAL_PLUGIN_PATH", dir, 1);
	is_int(plugin_set_scan(&set, NULL, NULL, &warn), 0,
	    "scan the test dir");
	is_int(plugin_set_load(&set, NULL, &warn, &err), 0, "load them all");
	pl = plugin_set_find_task(&set, "threecall", &t);
	ok(pl != NULL && t != NULL && strcmp(t->name, "threecall") == 0,
	    "threecall task found");
	ok(strstr(warn.buf, "bad_major.so") != NULL &&
	    strstr(warn.buf, "no_symbol.so") != NULL,
	    "broken plugins reported, not fatal");
	ok(plugin_set_find_task(&set, "nonexistent", NULL) == NULL,
	    "unknown task not found");
	ok(strstr(warn.buf, "loadcrash.so' crashed while loading") != NULL,
	    "a plugin that crashes while loading is refused, the scan goes "
	    "on (%s)", warn.buf);
	{
		const struct qeval_option *op;
		struct strbuf why = STRBUF_INIT;
		int declared = -1;

		pl = plugin_set_find_task(&set, "old_task", NULL);
		ok(pl != NULL, "an ABI 1.0 plugin (no options member) loads");
		op = pl ? plugin_options(pl, &declared) : NULL;
		ok(op == NULL && declared == 0, "its options are undeclared");
		pl = plugin_set_find_task(&set, "opt_task", NULL);
		op = pl ? plugin_options(pl, &declared) : NULL;
		ok(op != NULL && declared == 1 && strcmp(op[0].name,
		    "timeout") == 0, "a 1.1 plugin's options are read");
		if (op != NULL) {
			is_int(plugin_option_check(&op[0], "2.5", &why), 0,
			    "double: 2.5");
			is_int(plugin_option_check(&op[0], "2.5s", &why), -1,
			    "double: 2.5s is refused");
			is_int(plugin_option_check(&op[1], "1.5", &why), -1,
			    "int: 1.5 is refused");
			is_int(plugin_option_check(&op[2], "yes", &why), 0,
			    "bool: yes");
			is_int(plugin_option_check(&op[2], "2", &why), -1,
			    "bool: 2 is refused");
			is_int(plugin_option_check(&op[3], "prompt", &why), 0,
			    "enum: prompt");
			is_int(plugin_option_check(&op[3], "pro", &why), -1,
			    "enum: a prefix is refused");
			ok(strstr(why.buf, "fc|prompt") != NULL,
			    "the enum's choices are named (%s)", why.buf);
			ok(!plugin_option_applies(&op[4], "opt_task") &&
			    plugin_option_applies(&op[4], "opt_task2"),
			    "an option limited to one task applies to it "
			    "only");
		}
		strbuf_release(&why);
	}
	plugin_set_release(&set);

	/* open() failing surfaces the plugin's message. */
	is_int(plugtest_open(&pt, "open_fails", "fake_task", "/nonexistent",
	    NULL, 1, 0), QEVAL_EDATA, "open failure is reported");
	ok(strstr(pt.err.buf, "open always fails") != NULL,
	    "with the plugin's message (%s)", pt.err.buf);
	plugtest_close(&pt);

	/* Three calls per sample, each built from the previous answer. */
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/tests/fixtures/threecall", sdir);
	is_int(plugtest_open(&pt, "threecall", "threecall", path.buf, NULL, 1,
	    0), 0, "open threecall (%s)", pt.err.buf);
	is_int(plugtest_run(&pt, 1, 0, PLUGTEST_GOLD, NULL, NULL, &v), 0,
	    "gold run");
	ex = plugtest_exchanges(&n);
	is_int((long long)n, 3, "three exchanges");
	ok(n == 3 && ex[1].req.target == QEVAL_TARGET_MODEL &&
	    strstr(ex[1].req.body, "\"assistant\",\"content\":\"Paris\"") !=
	    NULL, "the follow-up carries the first answer");
	ok(n == 3 && ex[2].req.target == QEVAL_TARGET_JUDGE &&
	    strstr(ex[2].req.body, "Answer: Paris") != NULL,
	    "the judge call carries the confirmed answer");
	is_dbl(v.values[0], 1.0, 0, "gold: acc 1");
	is_dbl(v.values[1], 10.0, 0, "gold: judge rates 10");
	is_str(v.category, "geo", "category");
	is_int(plugtest_run(&pt, 1, 0, PLUGTEST_CORRUPT, NULL, NULL, &v), 0,
	    "corrupted run");
	is_dbl(v.values[0], 0.0, 0, "corrupt: acc 0");
	is_dbl(v.values[1], 1.0, 0, "corrupt: judge rates 1");
	plugtest_close(&pt);

	if (saved != NULL) {
		setenv("QEVAL_PLUGIN_PATH", saved, 1);
		free(saved);
	}
	strbuf_release(&path);
	strbuf_release(&err);
	strbuf_release(&warn);
	return (tap_done());
}
