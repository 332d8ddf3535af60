/*
 * cmd_token.c - `cos token`: temporary credentials from STS AssumeRole,
 * printed as a table, shell assignments or JSON.
 *
 * Only the credentials go to stdout, in one write after everything has
 * succeeded, so that `cos token -o env > creds.sh` never leaves a partial
 * file that someone might source.
 */
#define _GNU_SOURCE
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

enum {
	OPT_DURATION = 1, OPT_PROFILE, OPT_OUTPUT, OPT_REGION, OPT_SESSION_NAME,
	OPT_BUCKET, OPT_PREFIX, OPT_READ_ONLY, OPT_ACTION, OPT_APPID, OPT_CACHED
};

#define MAX_ACTIONS 32

const struct cli_option cli_token_options[] = {
	{ "duration", 'd', "SECONDS", "lifetime of the credentials, 1800 to "
	  "43200 seconds (default 7200)", "1800 3600 7200 43200", OPT_DURATION },
	{ "profile", 0, "NAME", "profile to use (default $COS_PROFILE, else "
	  "default)", NULL, OPT_PROFILE },
	{ "output", 'o', "FORMAT", "output format (default: the profile's "
	  "output, else table)", "table env json fish powershell dotenv",
	  OPT_OUTPUT },
	{ "region", 'r', "REGION", "region sent as X-TC-Region (default "
	  "$COS_REGION, the profile's region, else ap-shanghai)",
	  "ap-beijing ap-chengdu ap-chongqing ap-guangzhou ap-hongkong "
	  "ap-nanjing ap-shanghai ap-singapore ap-tokyo eu-frankfurt "
	  "na-ashburn na-siliconvalley", OPT_REGION },
	{ "session-name", 0, "NAME", "RoleSessionName, 2 to 128 of "
	  "[A-Za-z0-9_+=,.@-] (default cos-<user>)", NULL, OPT_SESSION_NAME },
	{ "bucket", 'b', "BUCKET", "scope the token to a bucket (name-APPID, "
	  "or cos://name-APPID/prefix)", NULL, OPT_BUCKET },
	{ "prefix", 'p', "PREFIX", "scope the token to keys under PREFIX "
	  "(needs --bucket)", NULL, OPT_PREFIX },
	{ "read-only", 0, NULL, "allow only reading actions", NULL,
	  OPT_READ_ONLY },
	{ "action", 0, "ACTION", "allow this COS action, such as GetObject "
	  "(repeatable; replaces the default list)", "GetObject HeadObject "
	  "GetBucket PutObject DeleteObject", OPT_ACTION },
	{ "appid", 0, "APPID", "APPID for the policy (default: the bucket's "
	  "numeric suffix)", NULL, OPT_APPID },
	{ "cached", 0, NULL, "reuse a cached session when one is still valid",
	  NULL, OPT_CACHED },
	{ NULL, 0, NULL, NULL, NULL, 0 }
};

/* Box-drawing characters only on a terminal whose locale is UTF-8. */
static int
stdout_is_utf8_terminal(void)
{
	const char *codeset;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (setlocale(LC_CTYPE, "") == NULL)
		return 0;
	codeset = nl_langinfo(CODESET);
	return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 ||
	    strcmp(codeset, "utf8") == 0);
}

/* Output format: option, else COS_OUTPUT or the profile's output key,
 * else table. */
static int
choose_format(struct cli *cli, const char *option, const char *profile,
    enum cos_format *format, struct cos_error *err)
{
	const char *env = getenv("COS_OUTPUT");
	char *stored = NULL;
	enum cos_origin origin;
	int status;

	if (option != NULL)
		return cos_format_parse(option, format, err);
	if (env != NULL && env[0] != '\0')
		return cos_format_parse(env, format, err);
	status = cos_store_get(cli->ctx, cos_profile_choose(profile), "output",
	    &stored, &origin, err);
	if (status != COS_OK)
		return status;
	if (stored == NULL) {
		*format = COS_FORMAT_TABLE;
		return COS_OK;
	}
	status = cos_format_parse(stored, format, err);
	if (status != COS_OK)
		cos_error_hint(err, "Fix the profile's output key: cos configure "
		    "set output table");
	cos_secret_free(stored);
	return status;
}

/* Stores the value of an option that may be given once. */
static int
set_once(const char **slot, const char *value, const char *name)
{
	if (*slot != NULL)
		return cli_usage_error("token", "option --%s is given twice",
		    name);
	*slot = value;
	return 0;
}

int
cmd_token(struct cli *cli, int argc, char **argv)
{
	const char *actions[MAX_ACTIONS];
	const char *duration_text = NULL, *output = NULL;
	struct cos_token_options opts;
	struct cos_credentials *creds = NULL;
	struct cos_error err;
	struct cli_parser p;
	enum cos_format format;
	char *text = NULL;
	size_t text_len = 0;
	int c, status = COS_OK;

	memset(&opts, 0, sizeof(opts));
	cos_error_clear(&err);
	opts.actions = actions;
	cli_parse_begin(&p, "token", argc, argv, cli_token_options);
	while (status == COS_OK && (c = cli_next_option(&p)) != -1) {
		switch (c) {
		case OPT_DURATION:
			status = set_once(&duration_text, p.optarg, "duration");
			break;
		case OPT_PROFILE:
			status = set_once(&opts.profile, p.optarg, "profile");
			break;
		case OPT_OUTPUT:
			status = set_once(&output, p.optarg, "output");
			break;
		case OPT_REGION:
			status = set_once(&opts.region, p.optarg, "region");
			break;
		case OPT_SESSION_NAME:
			status = set_once(&opts.session_name, p.optarg,
			    "session-name");
			break;
		case OPT_BUCKET:
			status = set_once(&opts.bucket, p.optarg, "bucket");
			break;
		case OPT_PREFIX:
			status = set_once(&opts.prefix, p.optarg, "prefix");
			break;
		case OPT_APPID:
			status = set_once(&opts.appid, p.optarg, "appid");
			break;
		case OPT_READ_ONLY:
			opts.read_only = 1;
			break;
		case OPT_CACHED:
			opts.use_cache = 1;
			break;
		case OPT_ACTION:
			if (opts.action_count == MAX_ACTIONS)
				status = cli_usage_error("token", "at most %d "
				    "--action options are allowed", MAX_ACTIONS);
			else
				actions[opts.action_count++] = p.optarg;
			break;
		case 'h':
			cli_print_command_help(cli_find_command("token"));
			cli_parse_end(&p);
			return 0;
		default:
			status = COS_ERR_USAGE;
			break;
		}
	}
	if (status == COS_OK && p.optind < argc)
		status = cli_usage_error("token", "unexpected argument '%s'",
		    argv[p.optind]);
	cli_parse_end(&p);
	if (status != COS_OK)
		return status;

	if (duration_text != NULL &&
	    (status = cli_parse_long("token", "Duration", duration_text, 0,
	    1000000000L, &opts.duration)) != 0)
		return status;
	if (duration_text != NULL && opts.duration == 0)
		return cli_fail(COS_ERR_USAGE, "Duration must be at least %d "
		    "seconds", COS_DURATION_MIN);

	if ((status = cos_token_options_validate(&opts, &err)) != COS_OK ||
	    (status = choose_format(cli, output, opts.profile, &format,
	    &err)) != COS_OK)
		return cli_report(&err);

	if (opts.use_cache)
		status = cos_resolve_credentials(cli->ctx, &opts, &creds, &err);
	else
		status = cos_assume_role(cli->ctx, &opts, &creds, &err);
	if (status == COS_OK && creds->token == NULL) {
		cos_credentials_free(creds);
		return cli_fail(COS_ERR_OTHER, "profile '%s' has no assume_role, "
		    "so there are no temporary credentials to print",
		    cos_profile_choose(opts.profile));
	}
	if (status == COS_OK)
		status = cos_format_credentials(creds, format,
		    stdout_is_utf8_terminal(), &text, &text_len, &err);
	cos_credentials_free(creds);
	if (status != COS_OK)
		return cli_report(&err);

	if (cli_write_all(STDOUT_FILENO, text, text_len) != 0)
		status = cli_fail(COS_ERR_OTHER, "cannot write the credentials "
		    "to stdout");
	cos_secret_free(text);
	return status;
}
