/*
 * test_builtin.c - the shell-independent parts of `cos_token`: argument
 * parsing, the --refresh-within decision, the --status report and the help.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cos.h"
#include "tap.h"

#define MAX_WORDS 10

/* One parse case: the words after the builtin's name, the expected status
 * and, for a usage error, a fragment the message must contain. */
struct parse_case {
	const char *name;
	const char *words[MAX_WORDS];
	int status;
	const char *message_part;
};

static const struct parse_case parse_cases[] = {
	{ "no arguments", { NULL }, COS_OK, NULL },
	{ "all fetch options", { "-d", "3600", "--profile", "dev", "-r",
	    "ap-guangzhou", "-b", "b-1250000000", NULL }, COS_OK, NULL },
	{ "attached short value", { "-d3600", NULL }, COS_OK, NULL },
	{ "long option with =", { "--duration=3600", NULL }, COS_OK, NULL },
	{ "help in a cluster", { "-sh", NULL }, COS_OK, NULL },
	{ "help wins", { "--help", "--bogus", NULL }, COS_OK, NULL },
	{ "unknown long option", { "--bogus", NULL }, COS_ERR_USAGE,
	    "unknown option '--bogus'" },
	{ "unknown long option with value", { "--bogus=1", NULL },
	    COS_ERR_USAGE, "unknown option '--bogus'" },
	{ "unknown short option", { "-z", NULL }, COS_ERR_USAGE,
	    "unknown option '-z'" },
	{ "unknown short in cluster", { "-uz", NULL }, COS_ERR_USAGE,
	    "unknown option '-z'" },
	{ "missing value", { "-d", NULL }, COS_ERR_USAGE,
	    "missing value for option '-d'" },
	{ "missing long value", { "--profile", NULL }, COS_ERR_USAGE,
	    "missing value for option '--profile'" },
	{ "empty value", { "--region=", NULL }, COS_ERR_USAGE,
	    "missing value for option '--region'" },
	{ "duration not a number", { "-d", "1h", NULL }, COS_ERR_USAGE,
	    "invalid value '1h' for option '-d'" },
	{ "duration negative", { "-d", "-5", NULL }, COS_ERR_USAGE,
	    "invalid value '-5' for option '-d'" },
	{ "duration zero", { "-d", "0", NULL }, COS_ERR_USAGE,
	    "Duration must be at least 1800 seconds" },
	{ "duration overflow", { "-d", "99999999999999999999", NULL },
	    COS_ERR_USAGE, "whole number of seconds" },
	{ "refresh-within too large", { "--refresh-within", "43201", NULL },
	    COS_ERR_USAGE, "expected 0 to 43200 seconds" },
	{ "flag with value", { "--read-only=yes", NULL }, COS_ERR_USAGE,
	    "option '--read-only' takes no value" },
	{ "duplicate option", { "--profile", "a", "--profile", "b", NULL },
	    COS_ERR_USAGE, "duplicate option '--profile'" },
	{ "operand", { "extra", NULL }, COS_ERR_USAGE,
	    "unexpected argument 'extra'" },
	{ "operand after --", { "--", "extra", NULL }, COS_ERR_USAGE,
	    "unexpected argument 'extra'" },
	{ "unset and status", { "-u", "-s", NULL }, COS_ERR_USAGE,
	    "'--unset' and '--status' cannot be used together" },
	{ "unset with fetch option", { "-u", "--profile", "x", NULL },
	    COS_ERR_USAGE, "option '--unset' cannot be used with '--profile'" },
	{ "status with refresh", { "-s", "--refresh-within", "60", NULL },
	    COS_ERR_USAGE, "cannot be used with '--refresh-within'" },
	{ "lone dash", { "-", NULL }, COS_ERR_USAGE,
	    "unexpected argument '-'" },
	{ "control bytes cleaned", { "--\x1b[31m", NULL }, COS_ERR_USAGE,
	    "unknown option '--?[31m'" },
};

static int
count_words(const char *const words[])
{
	int n = 0;

	while (n < MAX_WORDS && words[n] != NULL)
		n++;
	return n;
}

static void
test_parse_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct cos_builtin_args args;
		struct cos_error err;
		char label[160];
		int status;

		cos_error_clear(&err);
		memset(&args, 0x5a, sizeof(args));
		status = cos_builtin_parse_args(count_words(c->words),
		    (char *const *)c->words, &args, &err);
		snprintf(label, sizeof(label), "parse: %s: status", c->name);
		tap_int(status, c->status, label);
		if (c->message_part == NULL)
			continue;
		snprintf(label, sizeof(label), "parse: %s: message", c->name);
		tap_ok(strstr(err.message, c->message_part) != NULL, label);
		if (strstr(err.message, c->message_part) == NULL)
			printf("#   message: '%s'\n", err.message);
		snprintf(label, sizeof(label), "parse: %s: hint", c->name);
		tap_str(err.hint, "Try 'cos_token --help'.", label);
		snprintf(label, sizeof(label), "parse: %s: args untouched",
		    c->name);
		tap_int(args.unset, 0x5a5a5a5a, label);
	}
}

static void
test_parse_values(void)
{
	const char *words[] = { "-d", "3600", "--profile=dev", "-r",
	    "ap-beijing", "-b", "cos://bkt-1250000000/logs", "-p", "a/b",
	    "--read-only", "--session-name", "ci", "--action", "GetObject",
	    "--action=bkt/cos:PutObject", "--appid", "1250000000" };
	struct cos_builtin_args args;
	struct cos_error err;
	int status;

	cos_error_clear(&err);
	status = cos_builtin_parse_args(sizeof(words) / sizeof(words[0]),
	    (char *const *)words, &args, &err);
	tap_int(status, COS_OK, "values: status");
	tap_int(args.token.duration, 3600, "values: duration");
	tap_str(args.token.profile, "dev", "values: profile");
	tap_str(args.token.region, "ap-beijing", "values: region");
	tap_str(args.token.bucket, "cos://bkt-1250000000/logs",
	    "values: bucket");
	tap_str(args.token.prefix, "a/b", "values: prefix");
	tap_int(args.token.read_only, 1, "values: read-only");
	tap_str(args.token.session_name, "ci", "values: session name");
	tap_int((long long)args.token.action_count, 2, "values: action count");
	tap_ok(args.token.actions == args.actions,
	    "values: actions point into args");
	tap_str(args.actions[0], "GetObject", "values: first action");
	tap_str(args.actions[1], "bkt/cos:PutObject", "values: second action");
	tap_str(args.token.appid, "1250000000", "values: appid");
	tap_int(args.refresh_within, -1, "values: refresh-within absent");
	tap_int(args.unset, 0, "values: unset off");
	tap_int(args.status, 0, "values: status off");
	tap_int(args.help, 0, "values: help off");
	tap_int(args.token.use_cache, 0, "values: no session cache");
}

static void
test_parse_modes(void)
{
	const char *unset[] = { "--unset" };
	const char *status[] = { "-s" };
	const char *refresh[] = { "--refresh-within", "300", "-d", "1800" };
	const char *refresh0[] = { "--refresh-within=0" };
	const char *help[] = { "-h" };
	struct cos_builtin_args args;
	struct cos_error err;

	tap_int(cos_builtin_parse_args(1, (char *const *)unset, &args, &err),
	    COS_OK, "modes: --unset parses");
	tap_int(args.unset, 1, "modes: --unset sets unset");
	tap_int(cos_builtin_parse_args(1, (char *const *)status, &args, &err),
	    COS_OK, "modes: -s parses");
	tap_int(args.status, 1, "modes: -s sets status");
	tap_int(cos_builtin_parse_args(4, (char *const *)refresh, &args, &err),
	    COS_OK, "modes: --refresh-within with -d parses");
	tap_int(args.refresh_within, 300, "modes: refresh window");
	tap_int(args.token.duration, 1800, "modes: duration with refresh");
	tap_int(args.token.use_cache, 1, "modes: refresh uses the cache");
	tap_int(args.token.min_left, 300, "modes: cached session must outlive "
	    "the window");
	tap_int(cos_builtin_parse_args(1, (char *const *)refresh0, &args,
	    &err), COS_OK, "modes: --refresh-within=0 parses");
	tap_int(args.refresh_within, 0, "modes: zero refresh window");
	tap_int(cos_builtin_parse_args(1, (char *const *)help, &args, &err),
	    COS_OK, "modes: -h parses");
	tap_int(args.help, 1, "modes: -h sets help");
}

static void
test_too_many_actions(void)
{
	const char *words[2 * (COS_BUILTIN_MAX_ACTIONS + 1)];
	struct cos_builtin_args args;
	struct cos_error err;
	int i;

	for (i = 0; i < COS_BUILTIN_MAX_ACTIONS + 1; i++) {
		words[2 * i] = "--action";
		words[2 * i + 1] = "GetObject";
	}
	tap_int(cos_builtin_parse_args(2 * COS_BUILTIN_MAX_ACTIONS,
	    (char *const *)words, &args, &err), COS_OK,
	    "actions: the maximum is accepted");
	tap_int((long long)args.token.action_count, COS_BUILTIN_MAX_ACTIONS,
	    "actions: all counted");
	cos_error_clear(&err);
	tap_int(cos_builtin_parse_args(2 * (COS_BUILTIN_MAX_ACTIONS + 1),
	    (char *const *)words, &args, &err), COS_ERR_USAGE,
	    "actions: one more is rejected");
	tap_ok(strstr(err.message, "too many '--action'") != NULL,
	    "actions: message names the option");
}

/* 2024-01-01T00:00:00Z */
#define T0 1704067200LL

static void
test_needs_refresh(void)
{
	const char *exp = "2024-01-01T01:00:00Z";

	tap_int(cos_builtin_needs_refresh(0, exp, 60, T0), 1,
	    "refresh: a variable unset");
	tap_int(cos_builtin_needs_refresh(1, NULL, 60, T0), 1,
	    "refresh: no expiration");
	tap_int(cos_builtin_needs_refresh(1, "soon", 60, T0), 1,
	    "refresh: unparsable expiration");
	tap_int(cos_builtin_needs_refresh(1, "2024-01-01T01:00:00Z junk", 60,
	    T0), 1, "refresh: trailing junk");
	tap_int(cos_builtin_needs_refresh(1, exp, 60, T0), 0,
	    "refresh: far from expiry");
	tap_int(cos_builtin_needs_refresh(1, exp, 3599, T0), 0,
	    "refresh: one second outside the window");
	tap_int(cos_builtin_needs_refresh(1, exp, 3600, T0), 1,
	    "refresh: exactly at the window");
	tap_int(cos_builtin_needs_refresh(1, exp, 7200, T0), 1,
	    "refresh: inside the window");
	tap_int(cos_builtin_needs_refresh(1, exp, 0, T0 + 3600), 1,
	    "refresh: zero window at expiry");
	tap_int(cos_builtin_needs_refresh(1, exp, 0, T0 + 3599), 0,
	    "refresh: zero window before expiry");
	tap_int(cos_builtin_needs_refresh(1, exp, 0, T0 + 9999), 1,
	    "refresh: already expired");
	tap_int(cos_builtin_needs_refresh(1, exp, -5, T0), 0,
	    "refresh: negative window counts as zero");
}

/* Checks the expiry parser through the refresh decision: with a zero
 * window, text must need a refresh at want but not one second before. */
static void
check_expiry_time(const char *text, long long want, const char *name)
{
	char label[160];

	snprintf(label, sizeof(label), "expiry %s: valid before", name);
	tap_int(cos_builtin_needs_refresh(1, text, 0, want - 1), 0, label);
	snprintf(label, sizeof(label), "expiry %s: due at the time", name);
	tap_int(cos_builtin_needs_refresh(1, text, 0, want), 1, label);
}

static void
test_expiry_parse(void)
{
	static const char *const invalid[] = {
		"2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
		"2024-00-10T00:00:00Z", "2024-04-31T00:00:00Z",
		"2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z",
		"2024-01-01 00:00:00Z", "2024-01-01T00:00:00",
		"2024-01-01T00:00:00+00:00", " 2024-01-01T00:00:00Z",
		"2024-1-01T00:00:00Z", "+024-01-01T00:00:00Z", "",
	};
	char text[32], label[96];
	struct tm tm;
	long long t;
	size_t i;
	int mismatches = 0;

	check_expiry_time("1970-01-01T00:00:00Z", 0, "epoch");
	check_expiry_time("2000-02-29T12:00:00Z", 951825600LL, "leap day");
	check_expiry_time("2100-03-01T00:00:00Z", 4107542400LL, "after 2100");
	check_expiry_time("1969-12-31T23:59:59Z", -1, "before the epoch");

	/* Every 12345677 s from 1970 to 2106 against the C library. */
	for (t = 0; t < 4294967296LL; t += 12345677) {
		time_t tt = (time_t)t;

		gmtime_r(&tt, &tm);
		strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (cos_builtin_needs_refresh(1, text, 0, t - 1) != 0 ||
		    cos_builtin_needs_refresh(1, text, 0, t) != 1) {
			if (mismatches++ == 0)
				printf("#   first mismatch: %s\n", text);
		}
	}
	tap_int(mismatches, 0, "expiry: matches gmtime_r over 136 years");

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		snprintf(label, sizeof(label), "expiry: invalid '%s'",
		    invalid[i]);
		tap_int(cos_builtin_needs_refresh(1, invalid[i], 0, 0), 1,
		    label);
	}
}

static void
test_status(void)
{
	char out[512];

	cos_builtin_status(NULL, NULL, NULL, T0, out, sizeof(out));
	tap_str(out, "COS credentials: not set\n", "status: nothing set");

	cos_builtin_status("AKIDabcdefghijklmnop", "secret-token-value",
	    "2024-01-01T01:59:30Z", T0, out, sizeof(out));
	tap_str(out, "COS credentials: set\n"
	    "  secret ID: AKID****mnop\n"
	    "  expires:   2024-01-01T01:59:30Z (in 1h 59m)\n",
	    "status: set, hours left");
	tap_ok(strstr(out, "secret-token-value") == NULL,
	    "status: token never shown");

	cos_builtin_status("AKIDabcdefghijklmnop", "t", "2024-01-01T00:04:10Z",
	    T0, out, sizeof(out));
	tap_ok(strstr(out, "(in 4m 10s)") != NULL, "status: minutes left");

	cos_builtin_status("AKIDabcdefghijklmnop", "t", "2024-01-01T00:00:42Z",
	    T0, out, sizeof(out));
	tap_ok(strstr(out, "(in 42s)") != NULL, "status: seconds left");

	cos_builtin_status("AKIDabcdefghijklmnop", "t", "2023-12-31T23:57:00Z",
	    T0, out, sizeof(out));
	tap_str(out, "COS credentials: expired\n"
	    "  secret ID: AKID****mnop\n"
	    "  expires:   2023-12-31T23:57:00Z (expired 3m 0s ago)\n",
	    "status: expired");

	cos_builtin_status("AKIDabcdefghijklmnop", "t", NULL, T0, out,
	    sizeof(out));
	tap_ok(strstr(out, "COS credentials: set\n") == out,
	    "status: set without expiration");
	tap_ok(strstr(out, "COS_TOKEN_EXPIRATION is not set") != NULL,
	    "status: names the missing expiration");

	cos_builtin_status("short", NULL, "bad\x1b]0;x\a", T0, out,
	    sizeof(out));
	tap_ok(strstr(out, "COS credentials: incomplete\n") == out,
	    "status: token missing is incomplete");
	tap_ok(strstr(out, "secret ID: ****\n") != NULL,
	    "status: short id fully masked");
	tap_ok(strstr(out, "token:     not set (COS_TOKEN)") != NULL,
	    "status: names the missing token");
	tap_ok(strchr(out, '\x1b') == NULL && strchr(out, '\a') == NULL,
	    "status: control characters removed");

	cos_builtin_status("AKIDabcdefghijklmnop", "t", "2024-01-01T01:00:00Z",
	    T0, out, 20);
	tap_int((long long)strlen(out), 19, "status: truncated to the buffer");
}

static void
test_help(void)
{
	size_t i, longest = 0;
	int has_options = 0, has_status = 0;

	for (i = 0; cos_builtin_help[i] != NULL; i++) {
		if (strlen(cos_builtin_help[i]) > longest)
			longest = strlen(cos_builtin_help[i]);
		if (strstr(cos_builtin_help[i], "--refresh-within") != NULL)
			has_options = 1;
		if (strstr(cos_builtin_help[i], "130 interrupted") != NULL)
			has_status = 1;
		if (strchr(cos_builtin_help[i], '\n') != NULL)
			tap_ok(0, "help: a line holds a newline");
	}
	/* bash treats a one-line long_doc as a file name, so keep several. */
	tap_ok(i > 2, "help: several lines");
	tap_ok(longest <= 76, "help: lines fit 80 columns after bash's indent");
	tap_ok(has_options, "help: lists --refresh-within");
	tap_ok(has_status, "help: lists the exit status");
}

int
main(void)
{
	test_parse_table();
	test_parse_values();
	test_parse_modes();
	test_too_many_actions();
	test_needs_refresh();
	test_expiry_parse();
	test_status();
	test_help();
	return tap_done();
}
