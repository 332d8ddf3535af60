/*
 * cmd_exec.c - `cos exec`: run one command with credentials in its
 * environment.
 *
 * cos puts COS_SECRET_ID, COS_SECRET_KEY, COS_TOKEN and
 * COS_TOKEN_EXPIRATION into its own environment and replaces itself with
 * COMMAND through execvp(), with no shell in between.  COMMAND's exit
 * status and signals therefore reach the caller unchanged, and the
 * credentials go nowhere but COMMAND's environment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

/* The shell conventions for a command that cannot be run. */
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127

const struct cli_option cli_exec_options[] = {
	CLI_SESSION_OPTIONS,
	{ NULL, 0, NULL, NULL, NULL, 0 }
};

static const char exec_help[] =
    "\n"
    "COMMAND runs directly, without a shell, with COS_SECRET_ID,\n"
    "COS_SECRET_KEY, COS_TOKEN and COS_TOKEN_EXPIRATION set.  A cached\n"
    "session is reused while more than a margin of its lifetime is left:\n"
    "COS_CACHE_MARGIN seconds, else the profile's cache_margin, else 300.\n"
    "'cos configure clear-cache' drops cached sessions.  For a profile\n"
    "without assume_role, COMMAND gets the permanent key, and COS_TOKEN\n"
    "and COS_TOKEN_EXPIRATION are removed from its environment.\n"
    "\n"
    "Exit status:\n"
    "  COMMAND's own once it runs; 126 when COMMAND cannot be executed,\n"
    "  127 when it is not found; otherwise as for every cos command.\n";

/* Parses the options before "--" (argv[0..end)). */
static int
parse_options(int end, char **argv, struct cli_session_args *args, int *help)
{
	struct cli_parser p;
	int c, status = COS_OK;

	cli_parse_begin(&p, "exec", end, argv, cli_exec_options);
	while (status == COS_OK && (c = cli_next_option(&p)) != -1) {
		if (c == 'h') {
			*help = 1;
			cli_parse_end(&p);
			return COS_OK;
		}
		status = cli_session_args_apply("exec", args, c, p.optarg);
		if (status < 0)
			status = COS_ERR_USAGE;
	}
	if (status == COS_OK && p.optind < end)
		status = cli_usage_error("exec", "unexpected argument '%s'; put "
		    "the command after '--'", argv[p.optind]);
	cli_parse_end(&p);
	return status;
}

/* Options such as --read-only only shape a session that cos requests
 * itself.  Handing over other credentials while such an option was given
 * would silently grant more than the user asked for. */
static int
check_role_option(const char *role_option,
    const struct cos_credentials *creds, const char *profile)
{
	if (role_option == NULL || creds->source == COS_SOURCE_ASSUME_ROLE ||
	    creds->source == COS_SOURCE_CACHE)
		return COS_OK;
	cli_fail(COS_ERR_USAGE, "option %s applies only to a session from "
	    "AssumeRole, but the credentials come from the %s",
	    role_option, cos_source_name(creds->source));
	if (creds->source == COS_SOURCE_ENV_TOKEN)
		fputs("Unset COS_TOKEN so that cos requests a new session.\n",
		    stderr);
	else if (creds->source == COS_SOURCE_IMPORTED_TOKEN)
		fprintf(stderr, "Use a profile with assume_role instead of "
		    "'%s', which holds an imported token.\n", profile);
	else
		fprintf(stderr, "Set a role for profile '%s': cos configure set "
		    "assume_role \"qcs::cam::uin/<uin>:roleName/<role>\"\n",
		    profile);
	return COS_ERR_USAGE;
}

static int
export_credentials(const struct cos_credentials *creds)
{
	char expiration[32];
	time_t t = (time_t)creds->expired_time;
	struct tm tm;

	if (setenv("COS_SECRET_ID", creds->secret_id, 1) != 0 ||
	    setenv("COS_SECRET_KEY", creds->secret_key, 1) != 0)
		return -1;
	if (creds->token == NULL)
		return unsetenv("COS_TOKEN") != 0 ||
		    unsetenv("COS_TOKEN_EXPIRATION") != 0 ? -1 : 0;
	if (setenv("COS_TOKEN", creds->token, 1) != 0)
		return -1;
	if (creds->expired_time == 0)
		return unsetenv("COS_TOKEN_EXPIRATION");
	if (gmtime_r(&t, &tm) == NULL || strftime(expiration,
	    sizeof(expiration), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return setenv("COS_TOKEN_EXPIRATION", expiration, 1);
}

/* Finds the "--" that ends the options: *end is its index, or argc. */
static int
find_separator(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return argc;
}

int
cmd_exec(struct cli *cli, int argc, char **argv)
{
	struct cli_session_args args;
	struct cos_token_options *opts = &args.opts;
	struct cos_credentials *creds = NULL;
	const char *profile;
	struct cos_error err;
	char **command;
	int end, help = 0, saved, status;

	cli_session_args_init(&args);
	cos_error_clear(&err);
	end = find_separator(argc, argv);
	if ((status = parse_options(end, argv, &args, &help)) != COS_OK)
		return status;
	if (help) {
		cli_print_command_help(cli_find_command("exec"));
		fputs(exec_help, stdout);
		return 0;
	}
	if (end == argc)
		return cli_usage_error("exec", "missing '--' before the command "
		    "to run");
	if (end + 1 == argc)
		return cli_usage_error("exec", "missing the command after '--'");
	command = argv + end + 1;

	if ((status = cli_session_args_finish("exec", &args)) != 0)
		return status;

	opts->use_cache = 1;
	profile = cos_profile_choose(opts->profile);
	if ((status = cos_token_options_validate(opts, &err)) != COS_OK ||
	    (status = cos_resolve_credentials(cli->ctx, opts, &creds,
	    &err)) != COS_OK)
		return cli_report(&err);
	if ((status = check_role_option(args.shaping_option, creds,
	    profile)) != COS_OK) {
		cos_credentials_free(creds);
		return status;
	}
	if (creds->source == COS_SOURCE_PERMANENT_KEY)
		cli_warn("profile '%s' has no assume_role, so '%s' gets the "
		    "permanent key", profile, command[0]);
	status = export_credentials(creds);
	cos_credentials_free(creds);
	cos_ctx_forget_key(cli->ctx);
	if (status != 0)
		return cli_fail(COS_ERR_OTHER, "cannot set the environment of "
		    "'%s': %s", command[0], strerror(errno));

	cli_restore_process(cli);
	fflush(NULL);
	execvp(command[0], command);
	saved = errno;
	if (saved == ENOENT)
		return cli_fail(EXIT_NOT_FOUND, "command '%s' not found",
		    command[0]);
	return cli_fail(EXIT_NOT_EXECUTABLE, "cannot execute '%s': %s",
	    command[0], strerror(saved));
}
