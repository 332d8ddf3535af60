/*
 * tap.h - a minimal Test Anything Protocol writer for the C unit tests.
 * Each check prints "ok N - name" or "not ok N - name" with the values
 * that differed; tap_done() prints the plan and returns the exit status.
 */
#ifndef COS_TAP_H
#define COS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static void
tap_ok(int cond, const char *name)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, name);
}

static void
tap_str(const char *got, const char *want, const char *name)
{
	int same = got != NULL && want != NULL && strcmp(got, want) == 0;

	tap_ok(same, name);
	if (!same)
		printf("#   got:  '%s'\n#   want: '%s'\n",
		    got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}

static void
tap_int(long long got, long long want, const char *name)
{
	tap_ok(got == want, name);
	if (got != want)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
}

static int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}

#endif /* COS_TAP_H */
