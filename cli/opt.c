/*
 * opt.c - option parsing and help text from the option tables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

struct parse_state {
	struct option *longopts;
	char shortopts[128];
};

void
cli_parse_begin(struct cli_parser *p, const char *command, int argc,
    char **argv, const struct cli_option *options)
{
	struct parse_state *st;
	const struct cli_option *o;
	size_t n = 0, i, s = 0;

	memset(p, 0, sizeof(*p));
	p->argc = argc;
	p->argv = argv;
	p->command = command;
	p->options = options;
	for (o = options; o->long_name != NULL; o++)
		n++;
	st = calloc(1, sizeof(*st));
	if (st != NULL)
		st->longopts = calloc(n + 2, sizeof(struct option));
	if (st == NULL || st->longopts == NULL) {
		free(st);
		return;
	}
	/* '+': stop at the first operand, so `cos exec -- cmd -x` works;
	 * ':': report a missing argument as ':' rather than '?'. */
	st->shortopts[s++] = '+';
	st->shortopts[s++] = ':';
	for (i = 0; i < n; i++) {
		o = &options[i];
		st->longopts[i].name = o->long_name;
		st->longopts[i].has_arg = o->arg != NULL ? required_argument :
		    no_argument;
		st->longopts[i].val = 1000 + (int)i;
		if (o->short_name != 0 && s + 3 < sizeof(st->shortopts)) {
			st->shortopts[s++] = (char)o->short_name;
			if (o->arg != NULL)
				st->shortopts[s++] = ':';
		}
	}
	st->longopts[n].name = "help";
	st->longopts[n].val = 'h';
	st->shortopts[s++] = 'h';
	st->shortopts[s] = '\0';
	p->state = st;
	optind = 0; /* full reinitialization of getopt */
	opterr = 0;
}

int
cli_next_option(struct cli_parser *p)
{
	struct parse_state *st = p->state;
	const struct cli_option *o;
	int c, longindex = -1;

	if (st == NULL) {
		cli_fail(COS_ERR_OTHER, "out of memory");
		return '?';
	}
	c = getopt_long(p->argc, p->argv, st->shortopts, st->longopts,
	    &longindex);
	p->optind = optind;
	p->optarg = optarg;
	if (c == -1)
		return -1;
	if (c == 'h')
		return 'h';
	if (c >= 1000)
		return p->options[c - 1000].id;
	if (c == ':') {
		cli_usage_error(p->command, "option '%s' requires an argument",
		    p->argv[optind - 1]);
		return '?';
	}
	if (c == '?') {
		if (optopt != 0)
			cli_usage_error(p->command, "unknown option '-%c'",
			    optopt);
		else
			cli_usage_error(p->command, "unknown option '%s'",
			    p->argv[optind - 1]);
		return '?';
	}
	for (o = p->options; o->long_name != NULL; o++)
		if (o->short_name == c)
			return o->id;
	cli_usage_error(p->command, "unknown option '-%c'", c);
	return '?';
}

void
cli_parse_end(struct cli_parser *p)
{
	struct parse_state *st = p->state;

	if (st != NULL) {
		free(st->longopts);
		free(st);
	}
	p->state = NULL;
}

void
cli_print_command_help(const struct cli_command *cmd)
{
	const struct cli_option *o;
	char left[64];

	printf("Usage: %s\n\n%s.\n\nOptions:\n", cmd->usage, cmd->summary);
	for (o = cmd->options; o->long_name != NULL; o++) {
		if (o->short_name != 0)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
			    o->short_name, o->long_name, o->arg ? " " : "",
			    o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s",
			    o->long_name, o->arg ? " " : "",
			    o->arg ? o->arg : "");
		printf("  %-28s %s\n", left, o->help);
		if (o->values != NULL)
			printf("  %-28s (one of: %s)\n", "", o->values);
	}
	printf("  %-28s %s\n", "-h, --help", "show this help");
}

int
cli_parse_long(const char *command, const char *name, const char *text,
    long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (text[0] == '\0' || *end != '\0' || errno != 0 ||
	    (text[0] < '0' || text[0] > '9'))
		return cli_usage_error(command,
		    "%s must be a whole number of seconds, not '%s'", name,
		    text);
	if (v < min || v > max)
		return cli_usage_error(command,
		    "%s must be between %ld and %ld, not '%s'", name, min,
		    max, text);
	*out = v;
	return 0;
}
