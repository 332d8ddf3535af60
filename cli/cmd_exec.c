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

enum {
	OPT_DURATION = 1, OPT_PROFILE, OPT_REGION, OPT_SESSION_NAME,
	OPT_BUCKET, OPT_PREFIX, OPT_READ_ONLY, OPT_ACTION, OPT_APPID
};

#define MAX_ACTIONS 32

/* See cmd_whoami.c: one passphrase prompt per command. */
#define COMMAND_KEY_TTL_SECONDS 600

/* The shell conventions for a command that cannot be run. */
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127

const struct cli_option cli_exec_options[] = {
	{ "duration", 'd', "SECONDS", "lifetime of the session, 1800 to "
	  "43200 seconds (default 7200)", "1800 3600 7200 43200", OPT_DURATION },
	{ "profile", 0, "NAME", "profile to use (default $COS_PROFILE, else "
	  "default)", NULL, OPT_PROFILE },
	{ "region", 'r', "REGION", "region sent as X-TC-Region (default "
	  "$COS_REGION, the profile's region, else ap-shanghai)",
	  "ap-beijing ap-chengdu ap-chongqing ap-guangzhou ap-hongkong "
	  "ap-nanjing ap-shanghai ap-singapore ap-tokyo eu-frankfurt "
	  "na-ashburn na-siliconvalley", OPT_REGION },
	{ "session-name", 0, "NAME", "RoleSessionName, 2 to 128 of "
	  "[A-Za-z0-9_+=,.@-] (default cos-<user>)", NULL, OPT_SESSION_NAME },
	{ "bucket", 'b', "BUCKET", "scope the session to a bucket "
	  "(name-APPID, or cos://name-APPID/prefix)", NULL, OPT_BUCKET },
	{ "prefix", 'p', "PREFIX", "scope the session to keys under PREFIX "
	  "(needs --bucket)", NULL, OPT_PREFIX },
	{ "read-only", 0, NULL, "allow only reading actions", NULL,
	  OPT_READ_ONLY },
	{ "action", 0, "ACTION", "allow this COS action, such as GetObject "
	  "(repeatable; replaces the default list)", "GetObject HeadObject "
	  "GetBucket PutObject DeleteObject", OPT_ACTION },
	{ "appid", 0, "APPID", "APPID for the policy (default: the bucket's "
	  "numeric suffix)", NULL, OPT_APPID },
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

/* Remembers the first option that shapes an AssumeRole session, for the
 * check that the credentials really come from one. */
static void
note_role_option(const char **first, const char *name)
{
	if (*first == NULL)
		*first = name;
}

static int
set_once(const char **slot, const char *value, const char *name)
{
	if (*slot != NULL)
		return cli_usage_error("exec", "option --%s is given twice",
		    name);
	*slot = value;
	return 0;
}

/* Parses the options before "--" (argv[0..end)). */
static int
parse_options(int end, char **argv, struct cos_token_options *opts,
    const char **actions, const char **duration_text,
    const char **role_option, int *help)
{
	struct cli_parser p;
	int c, status = COS_OK;

	cli_parse_begin(&p, "exec", end, argv, cli_exec_options);
	while (status == COS_OK && (c = cli_next_option(&p)) != -1) {
		switch (c) {
		case OPT_DURATION:
			status = set_once(duration_text, p.optarg, "duration");
			note_role_option(role_option, "--duration");
			break;
		case OPT_PROFILE:
			status = set_once(&opts->profile, p.optarg, "profile");
			break;
		case OPT_REGION:
			status = set_once(&opts->region, p.optarg, "region");
			break;
		case OPT_SESSION_NAME:
			status = set_once(&opts->session_name, p.optarg,
			    "session-name");
			note_role_option(role_option, "--session-name");
			break;
		case OPT_BUCKET:
			status = set_once(&opts->bucket, p.optarg, "bucket");
			note_role_option(role_option, "--bucket");
			break;
		case OPT_PREFIX:
			status = set_once(&opts->prefix, p.optarg, "prefix");
			note_role_option(role_option, "--prefix");
			break;
		case OPT_APPID:
			status = set_once(&opts->appid, p.optarg, "appid");
			note_role_option(role_option, "--appid");
			break;
		case OPT_READ_ONLY:
			opts->read_only = 1;
			note_role_option(role_option, "--read-only");
			break;
		case OPT_ACTION:
			if (opts->action_count == MAX_ACTIONS)
				status = cli_usage_error("exec", "at most %d "
				    "--action options are allowed", MAX_ACTIONS);
			else
				actions[opts->action_count++] = p.optarg;
			note_role_option(role_option, "--action");
			break;
		case 'h':
			*help = 1;
			cli_parse_end(&p);
			return COS_OK;
		default:
			status = COS_ERR_USAGE;
			break;
		}
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
	const char *actions[MAX_ACTIONS];
	const char *duration_text = NULL, *profile;
	struct cos_token_options opts;
	struct cos_credentials *creds = NULL;
	const char *role_option = NULL;
	struct cos_error err;
	char **command;
	int end, help = 0, saved, status;

	memset(&opts, 0, sizeof(opts));
	cos_error_clear(&err);
	opts.actions = actions;
	end = find_separator(argc, argv);
	if ((status = parse_options(end, argv, &opts, actions, &duration_text,
	    &role_option, &help)) != COS_OK)
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

	if (duration_text != NULL &&
	    (status = cli_parse_long("exec", "Duration", duration_text, 0,
	    1000000000L, &opts.duration)) != 0)
		return status;
	if (duration_text != NULL && opts.duration == 0)
		return cli_fail(COS_ERR_USAGE, "Duration must be at least %d "
		    "seconds", COS_DURATION_MIN);

	opts.use_cache = 1;
	profile = cos_profile_choose(opts.profile);
	cos_ctx_set_key_ttl(cli->ctx, COMMAND_KEY_TTL_SECONDS);
	if ((status = cos_token_options_validate(&opts, &err)) != COS_OK ||
	    (status = cos_resolve_credentials(cli->ctx, &opts, &creds,
	    &err)) != COS_OK)
		return cli_report(&err);
	if ((status = check_role_option(role_option, creds, profile)) != COS_OK) {
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
