/*
 * cmd_whoami.c - `cos whoami`: the identity behind the credentials that
 * the precedence rules pick, from STS GetCallerIdentity.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "banned.h"

enum { OPT_OUTPUT = CLI_OPT_OWN };

const struct cli_option cli_whoami_options[] = {
	CLI_OPTION_PROFILE,
	{ "output", 'o', "FORMAT", "output format (default table)",
	  "table json", OPT_OUTPUT },
	CLI_OPTION_REGION,
	{ NULL, 0, NULL, NULL, NULL, 0 }
};

static const char whoami_help[] =
    "\n"
    "Credentials follow the usual order: COS_TOKEN in the environment, a\n"
    "token imported into the profile, a session for the profile's role\n"
    "(reused from the cache while more than COS_CACHE_MARGIN seconds,\n"
    "default 300, are left), then the permanent key.  Source names the one\n"
    "used; Expiration and TimeLeft appear for temporary credentials.\n";

/* Lifetime of the credentials, shown next to the identity. */
struct validity {
	int temporary;        /* a token came with them */
	int64_t expired_time; /* 0: unknown */
	int64_t now;
};

static void
format_iso8601(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "unknown");
}

/* Writes the time left as "1h 59m 58s", "unknown" or "expired". */
static void
format_time_left(const struct validity *v, char *out, size_t size)
{
	int64_t left = v->expired_time - v->now;

	if (v->expired_time == 0)
		snprintf(out, size, "unknown");
	else if (left <= 0)
		snprintf(out, size, "expired");
	else if (left >= 3600)
		snprintf(out, size, "%lldh %lldm %llds", (long long)(left / 3600),
		    (long long)(left % 3600 / 60), (long long)(left % 60));
	else if (left >= 60)
		snprintf(out, size, "%lldm %llds", (long long)(left / 60),
		    (long long)(left % 60));
	else
		snprintf(out, size, "%llds", (long long)left);
}

static int
print_table(const struct cos_identity *id, const char *source,
    const struct validity *v)
{
	char expiration[32], left[64];

	printf("AccountId    %s\n", id->account_id);
	printf("Arn          %s\n", id->arn);
	printf("UserId       %s\n", id->user_id);
	printf("PrincipalId  %s\n", id->principal_id);
	printf("Type         %s\n", id->type);
	printf("Source       %s\n", source);
	if (v->temporary) {
		if (v->expired_time != 0)
			format_iso8601(v->expired_time, expiration);
		else
			snprintf(expiration, sizeof(expiration), "unknown");
		format_time_left(v, left, sizeof(left));
		printf("Expiration   %s\n", expiration);
		printf("TimeLeft     %s\n", left);
	}
	return 0;
}

/* Adds name: value, or null when value is NULL. */
static void
add_string(struct json_object *obj, const char *name, const char *value)
{
	json_object_object_add(obj, name, value != NULL ?
	    json_object_new_string(value) : NULL);
}

/* JSON keys follow the STS response; Expiration and SecondsLeft are null
 * for a permanent key or an unknown expiry. */
static int
print_json(const struct cos_identity *id, const char *source,
    const struct validity *v)
{
	struct json_object *obj = json_object_new_object();
	char expiration[32];
	const char *text;
	int known = v->temporary && v->expired_time != 0;

	if (obj == NULL)
		return cli_fail(COS_ERR_OTHER, "out of memory");
	if (known)
		format_iso8601(v->expired_time, expiration);
	add_string(obj, "AccountId", id->account_id);
	add_string(obj, "Arn", id->arn);
	add_string(obj, "UserId", id->user_id);
	add_string(obj, "PrincipalId", id->principal_id);
	add_string(obj, "Type", id->type);
	add_string(obj, "Source", source);
	json_object_object_add(obj, "Temporary",
	    json_object_new_boolean(v->temporary));
	add_string(obj, "Expiration", known ? expiration : NULL);
	json_object_object_add(obj, "SecondsLeft", known ?
	    json_object_new_int64(v->expired_time - v->now) : NULL);
	add_string(obj, "RequestId", id->request_id);
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL) {
		json_object_put(obj);
		return cli_fail(COS_ERR_OTHER, "out of memory");
	}
	printf("%s\n", text);
	json_object_put(obj);
	return 0;
}

int
cmd_whoami(struct cli *cli, int argc, char **argv)
{
	struct cos_token_options opts;
	struct cos_credentials *creds = NULL;
	struct cos_identity id;
	struct cos_error err;
	struct cli_parser p;
	struct validity v;
	const char *output = NULL, *source;
	int c, json = 0, status = COS_OK;

	memset(&opts, 0, sizeof(opts));
	cos_error_clear(&err);
	cli_parse_begin(&p, "whoami", argc, argv, cli_whoami_options);
	while (status == COS_OK && (c = cli_next_option(&p)) != -1) {
		switch (c) {
		case CLI_OPT_PROFILE:
			status = cli_set_once("whoami", &opts.profile, p.optarg,
			    "profile");
			break;
		case OPT_OUTPUT:
			status = cli_set_once("whoami", &output, p.optarg,
			    "output");
			break;
		case CLI_OPT_REGION:
			status = cli_set_once("whoami", &opts.region, p.optarg,
			    "region");
			break;
		case 'h':
			cli_print_command_help(cli_find_command("whoami"));
			fputs(whoami_help, stdout);
			cli_parse_end(&p);
			return 0;
		default:
			status = COS_ERR_USAGE;
			break;
		}
	}
	if (status == COS_OK && p.optind < argc)
		status = cli_usage_error("whoami", "unexpected argument '%s'",
		    argv[p.optind]);
	cli_parse_end(&p);
	if (status != COS_OK)
		return status;
	if (output != NULL && strcmp(output, "json") == 0)
		json = 1;
	else if (output != NULL && strcmp(output, "table") != 0)
		return cli_usage_error("whoami", "unknown output format '%s'; "
		    "use table or json", output);

	opts.use_cache = 1;
	if ((status = cos_token_options_validate(&opts, &err)) != COS_OK ||
	    (status = cos_resolve_credentials(cli->ctx, &opts, &creds,
	    &err)) != COS_OK)
		return cli_report(&err);
	status = cos_get_caller_identity(cli->ctx, &opts, creds, &id, &err);
	v.temporary = creds->token != NULL;
	v.expired_time = creds->expired_time;
	v.now = cos_now();
	source = cos_source_name(creds->source);
	if (status == COS_ERR_SERVICE && creds->source == COS_SOURCE_CACHE &&
	    err.hint[0] == '\0')
		cos_error_hint(&err, "The service rejected the cached session; "
		    "drop it with: cos configure clear-cache --profile %s",
		    cos_profile_choose(opts.profile));
	cos_credentials_free(creds);
	if (status != COS_OK)
		return cli_report(&err);
	return json ? print_json(&id, source, &v) :
	    print_table(&id, source, &v);
}
