/*
 * session_opt.c - the options that shape an AssumeRole session (duration,
 * profile, region, session name and the scoping options), parsed the same
 * way for `cos token` and `cos exec`.
 */
#define _GNU_SOURCE
#include <string.h>

#include "cli.h"
#include "banned.h"

int
cli_set_once(const char *command, const char **slot, const char *value,
    const char *name)
{
	if (*slot != NULL)
		return cli_usage_error(command, "option --%s is given twice",
		    name);
	*slot = value;
	return 0;
}

void
cli_session_args_init(struct cli_session_args *args)
{
	memset(args, 0, sizeof(*args));
	args->opts.actions = args->actions;
}

static void
note_shaping(struct cli_session_args *args, const char *option)
{
	if (args->shaping_option == NULL)
		args->shaping_option = option;
}

int
cli_session_args_apply(const char *command, struct cli_session_args *args,
    int id, const char *arg)
{
	struct cos_token_options *o = &args->opts;

	switch (id) {
	case CLI_OPT_DURATION:
		note_shaping(args, "--duration");
		return cli_set_once(command, &args->duration_text, arg,
		    "duration");
	case CLI_OPT_PROFILE:
		return cli_set_once(command, &o->profile, arg, "profile");
	case CLI_OPT_REGION:
		return cli_set_once(command, &o->region, arg, "region");
	case CLI_OPT_SESSION_NAME:
		note_shaping(args, "--session-name");
		return cli_set_once(command, &o->session_name, arg,
		    "session-name");
	case CLI_OPT_BUCKET:
		note_shaping(args, "--bucket");
		return cli_set_once(command, &o->bucket, arg, "bucket");
	case CLI_OPT_PREFIX:
		note_shaping(args, "--prefix");
		return cli_set_once(command, &o->prefix, arg, "prefix");
	case CLI_OPT_APPID:
		note_shaping(args, "--appid");
		return cli_set_once(command, &o->appid, arg, "appid");
	case CLI_OPT_READ_ONLY:
		note_shaping(args, "--read-only");
		o->read_only = 1;
		return 0;
	case CLI_OPT_ACTION:
		note_shaping(args, "--action");
		if (o->action_count == CLI_MAX_ACTIONS)
			return cli_usage_error(command, "at most %d --action "
			    "options are allowed", CLI_MAX_ACTIONS);
		args->actions[o->action_count++] = arg;
		return 0;
	default:
		return -1;
	}
}

int
cli_session_args_finish(const char *command, struct cli_session_args *args)
{
	int status;

	if (args->duration_text == NULL)
		return 0;
	if ((status = cli_parse_long(command, "Duration", args->duration_text,
	    0, 1000000000L, &args->opts.duration)) != 0)
		return status;
	/* The core reads 0 as "the default"; on the command line it is a
	 * duration below the minimum. */
	if (args->opts.duration == 0)
		return cli_fail(COS_ERR_USAGE, "Duration must be at least %d "
		    "seconds", COS_DURATION_MIN);
	return 0;
}
