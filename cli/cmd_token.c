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

enum { OPT_OUTPUT = CLI_OPT_OWN, OPT_CACHED };

const struct cli_option cli_token_options[] = {
	CLI_SESSION_OPTIONS,
	{ "output", 'o', "FORMAT", "output format (default: the profile's "
	  "output, else table)", "table env json fish powershell dotenv",
	  OPT_OUTPUT },
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

int
cmd_token(struct cli *cli, int argc, char **argv)
{
	struct cli_session_args args;
	struct cos_token_options *opts = &args.opts;
	const char *output = NULL;
	struct cos_credentials *creds = NULL;
	struct cos_error err;
	struct cli_parser p;
	enum cos_format format;
	char *text = NULL;
	size_t text_len = 0;
	int c, status = COS_OK;

	cli_session_args_init(&args);
	cos_error_clear(&err);
	cli_parse_begin(&p, "token", argc, argv, cli_token_options);
	while (status == COS_OK && (c = cli_next_option(&p)) != -1) {
		switch (c) {
		case OPT_OUTPUT:
			status = cli_set_once("token", &output, p.optarg,
			    "output");
			break;
		case OPT_CACHED:
			opts->use_cache = 1;
			break;
		case 'h':
			cli_print_command_help(cli_find_command("token"));
			cli_parse_end(&p);
			return 0;
		default:
			status = cli_session_args_apply("token", &args, c,
			    p.optarg);
			if (status < 0)
				status = COS_ERR_USAGE;
			break;
		}
	}
	if (status == COS_OK && p.optind < argc)
		status = cli_usage_error("token", "unexpected argument '%s'",
		    argv[p.optind]);
	cli_parse_end(&p);
	if (status == COS_OK)
		status = cli_session_args_finish("token", &args);
	if (status != COS_OK)
		return status;

	if ((status = cos_token_options_validate(opts, &err)) != COS_OK ||
	    (status = choose_format(cli, output, opts->profile, &format,
	    &err)) != COS_OK)
		return cli_report(&err);

	if (opts->use_cache)
		status = cos_resolve_credentials(cli->ctx, opts, &creds, &err);
	else
		status = cos_assume_role(cli->ctx, opts, &creds, &err);
	if (status == COS_OK && creds->token == NULL) {
		cos_credentials_free(creds);
		return cli_fail(COS_ERR_OTHER, "profile '%s' has no assume_role, "
		    "so there are no temporary credentials to print",
		    cos_profile_choose(opts->profile));
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
