/*
 * cmd_configure.c - `cos configure`: interactive setup, set, get, list,
 * import-token, list-profiles, remove, seal and passphrase.
 *
 * Values never reach stdout unmasked when they are secrets, and a secret
 * given as an argument is wiped from argv as soon as it is copied.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "sts.h"
#include "banned.h"

#define VALUE_MAX (64 * 1024)
#define JSON_MAX (1024 * 1024)
#define MAX_OPERANDS 4
#define IMPORT_DEFAULT_PROFILE "temp"

enum {
	OPT_PROFILE = 1, OPT_PROMPT, OPT_TMP_ID, OPT_TMP_KEY, OPT_TOKEN,
	OPT_FROM_ENV, OPT_JSON, OPT_COUNT
};

const struct cli_option cli_configure_options[] = {
	{ "profile", 0, "NAME", "profile to read or change (default "
	  "$COS_PROFILE, else default; import-token: temp)", NULL,
	  OPT_PROFILE },
	{ "prompt", 0, NULL, "set: ask for the value on the terminal, without "
	  "echo", NULL, OPT_PROMPT },
	{ "tmp-secret-id", 0, "ID", "import-token: the temporary SecretId",
	  NULL, OPT_TMP_ID },
	{ "tmp-secret-key", 0, "KEY", "import-token: the temporary SecretKey "
	  "(other users can see it in ps; prefer --from-env or --json)", NULL,
	  OPT_TMP_KEY },
	{ "token", 0, "TOKEN", "import-token: the session token", NULL,
	  OPT_TOKEN },
	{ "from-env", 0, NULL, "import-token: read COS_SECRET_ID, "
	  "COS_SECRET_KEY, COS_TOKEN and COS_TOKEN_EXPIRATION", NULL,
	  OPT_FROM_ENV },
	{ "json", 0, "FILE", "import-token: read the output of 'cos token -o "
	  "json' from FILE, or from stdin when FILE is -", NULL, OPT_JSON },
	{ NULL, 0, NULL, NULL, NULL, 0 }
};

/* The subcommands, the options each accepts and its operand count. */
struct subcommand {
	const char *name;
	unsigned options;      /* bit (1 << OPT_x) for each accepted option */
	size_t min_operands;
	size_t max_operands;
};

#define BIT(opt) (1u << (opt))

static const struct subcommand subcommands[] = {
	{ "", BIT(OPT_PROFILE), 0, 0 },
	{ "set", BIT(OPT_PROFILE) | BIT(OPT_PROMPT), 1, 2 },
	{ "get", BIT(OPT_PROFILE), 1, 1 },
	{ "list", BIT(OPT_PROFILE), 0, 0 },
	{ "import-token", BIT(OPT_PROFILE) | BIT(OPT_TMP_ID) | BIT(OPT_TMP_KEY) |
	  BIT(OPT_TOKEN) | BIT(OPT_FROM_ENV) | BIT(OPT_JSON), 0, 0 },
	{ "list-profiles", 0, 0, 0 },
	{ "remove", BIT(OPT_PROFILE), 0, 0 },
	{ "seal", 0, 0, 0 },
	{ "passphrase", 0, 1, 1 },
	{ "clear-cache", BIT(OPT_PROFILE), 0, 0 },
	{ NULL, 0, 0, 0 }
};

struct configure_args {
	const struct subcommand *sub;
	const char *operands[MAX_OPERANDS];
	size_t operand_count;
	const char *profile;
	int prompt;
	int from_env;
	const char *tmp_id;
	char *tmp_key;  /* points into argv, wiped after use */
	char *token;    /* points into argv, wiped after use */
	const char *json;
	unsigned seen;  /* bit (1 << OPT_x) for each option given */
	int help;
};

/* ------------------------------------------------------------------ */
/* Arguments                                                           */

static const char *
option_name(int id)
{
	const struct cli_option *o;

	for (o = cli_configure_options; o->long_name != NULL; o++)
		if (o->id == id)
			return o->long_name;
	return "?";
}

static int
take_option(struct configure_args *a, int id, char *arg)
{
	if (a->seen & BIT(id))
		return cli_usage_error("configure", "option --%s is given twice",
		    option_name(id));
	a->seen |= BIT(id);
	switch (id) {
	case OPT_PROFILE:
		a->profile = arg;
		break;
	case OPT_PROMPT:
		a->prompt = 1;
		break;
	case OPT_TMP_ID:
		a->tmp_id = arg;
		break;
	case OPT_TMP_KEY:
		a->tmp_key = arg;
		break;
	case OPT_TOKEN:
		a->token = arg;
		break;
	case OPT_FROM_ENV:
		a->from_env = 1;
		break;
	case OPT_JSON:
		a->json = arg;
		break;
	}
	return 0;
}

static int
take_operand(struct configure_args *a, const char *word)
{
	if (a->operand_count == MAX_OPERANDS)
		return cli_usage_error("configure", "unexpected argument '%s'",
		    word);
	a->operands[a->operand_count++] = word;
	return 0;
}

/* Parses options anywhere among the operands, as in
 * `cos configure set region ap-beijing --profile dev`.  Words after "--"
 * are operands. */
static int
parse_words(struct configure_args *a, int argc, char **argv)
{
	struct cli_parser p;
	int end = argc, c, i, status = 0;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			end = i;
			break;
		}
	cli_parse_begin(&p, "configure", end, argv, cli_configure_options);
	while (status == 0) {
		c = cli_next_option(&p);
		if (c == -1) {
			if (p.optind >= end)
				break;
			/* getopt stopped at an operand: take it and go on
			 * scanning after it. */
			status = take_operand(a, argv[p.optind]);
			optind = p.optind + 1;
			continue;
		}
		if (c == 'h')
			a->help = 1;
		else if (c == '?')
			status = COS_ERR_USAGE;
		else
			status = take_option(a, c, (char *)p.optarg);
	}
	cli_parse_end(&p);
	for (i = end + 1; status == 0 && i < argc; i++)
		status = take_operand(a, argv[i]);
	return status;
}

static int
check_subcommand(struct configure_args *a)
{
	const struct subcommand *s;
	const char *name = a->operand_count > 0 ? a->operands[0] : "";
	size_t operands;
	int id;

	for (s = subcommands; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			break;
	if (s->name == NULL)
		return cli_usage_error("configure", "unknown command '%s'; "
		    "expected set, get, list, import-token, list-profiles, "
		    "remove, seal, passphrase or clear-cache", name);
	a->sub = s;
	if (a->help)
		return 0;
	for (id = 1; id < OPT_COUNT; id++)
		if ((a->seen & BIT(id)) && !(s->options & BIT(id)))
			return cli_usage_error("configure", "option --%s does "
			    "not apply to 'cos configure%s%s'", option_name(id),
			    s->name[0] != '\0' ? " " : "", s->name);
	operands = a->operand_count > 0 ? a->operand_count - 1 : 0;
	if (operands < s->min_operands)
		return cli_usage_error("configure", "'cos configure %s' needs "
		    "%s", s->name, strcmp(s->name, "passphrase") == 0 ?
		    "set, change or remove" : "a KEY");
	if (operands > s->max_operands)
		return cli_usage_error("configure", "unexpected argument '%s'",
		    a->operands[1 + s->max_operands]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Input and output helpers                                            */

/* Overwrites an argument in place, so that `ps` and /proc show it for as
 * short a time as possible. */
static void
wipe_arg(char *arg)
{
	if (arg != NULL)
		cos_wipe(arg, strlen(arg));
}

/* Reads all of fd (at most max bytes) into new secret memory. */
static int
read_fd_secret(int fd, const char *what, size_t max, char **out,
    size_t *out_len)
{
	char *buf;
	size_t len = 0;
	ssize_t n;

	if ((buf = cos_secret_alloc(max + 2)) == NULL)
		return cli_fail(COS_ERR_OTHER, "out of memory");
	while (len <= max) {
		n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cos_secret_free(buf);
			return cli_fail(COS_ERR_OTHER, "cannot read %s: %s", what,
			    strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		cos_secret_free(buf);
		return cli_fail(COS_ERR_USAGE, "%s is longer than %zu bytes",
		    what, max);
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		cos_secret_free(buf);
		return cli_fail(COS_ERR_USAGE, "%s contains a NUL byte", what);
	}
	*out = buf;
	if (out_len != NULL)
		*out_len = len;
	return 0;
}

/* Prints text with control characters replaced, since file contents may
 * contain anything.  Newlines of multi-line values stay when
 * keep_newlines is set. */
static void
print_clean(FILE *f, const char *text, int keep_newlines)
{
	const unsigned char *s = (const unsigned char *)text;

	for (; *s != '\0'; s++) {
		if (*s == '\n' && keep_newlines)
			fputc('\n', f);
		else
			fputc(*s < 0x20 || *s == 0x7f ? '?' : *s, f);
	}
}

/* Returns a displayable form of value for key: secrets masked. */
static void
display_value(const char *key, const char *value, char *out, size_t size)
{
	if (value == NULL)
		snprintf(out, size, "-");
	else if (cos_key_is_secret(key))
		cos_mask_secret(value, out, size);
	else
		snprintf(out, size, "%s", value);
}

static int
is_profile_key(const char *key)
{
	const char *const *k;

	for (k = cos_profile_keys; *k != NULL; k++)
		if (strcmp(*k, key) == 0)
			return 1;
	return 0;
}

static int
unknown_key(const char *key)
{
	const char *const *k;
	char list[512] = "";
	size_t used = 0;

	for (k = cos_profile_keys; *k != NULL && used < sizeof(list); k++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%s%s", used > 0 ? ", " : "", *k);
	return cli_usage_error("configure", "unknown key '%s'; valid keys: %s",
	    key, list);
}

static const char *
chosen_profile(const struct configure_args *a, struct cos_error *err,
    int *status)
{
	const char *profile = cos_profile_choose(a->profile);

	*status = cos_profile_name_validate(profile, err);
	return profile;
}

/* ------------------------------------------------------------------ */
/* set, get, list                                                      */

static int
configure_set(struct cli *cli, struct configure_args *a)
{
	const char *key = a->operands[1];
	const char *arg = a->operand_count > 2 ? a->operands[2] : NULL;
	const char *profile;
	struct cos_error err;
	char *value = NULL, label[64], hint[128];
	int status;

	cos_error_clear(&err);
	if (!is_profile_key(key))
		return unknown_key(key);
	if (a->prompt && arg != NULL)
		return cli_usage_error("configure", "give either VALUE or "
		    "--prompt, not both");
	if (!a->prompt && arg == NULL)
		return cli_usage_error("configure", "'cos configure set %s' "
		    "needs a VALUE, '-' to read it from stdin, or --prompt",
		    key);
	profile = chosen_profile(a, &err, &status);
	if (status != COS_OK)
		return cli_report(&err);

	if (a->prompt) {
		snprintf(label, sizeof(label), "Value of %s", key);
		if ((value = cos_secret_alloc(VALUE_MAX + 1)) == NULL)
			return cli_fail(COS_ERR_OTHER, "out of memory");
		snprintf(hint, sizeof(hint), "Pass the value on stdin instead: "
		    "cos configure set %s -", key);
		status = cli_read_secret_tty(label, value, VALUE_MAX + 1, hint,
		    &err);
		if (status != COS_OK) {
			cos_secret_free(value);
			return cli_report(&err);
		}
	} else if (strcmp(arg, "-") == 0) {
		if ((status = read_fd_secret(STDIN_FILENO, "the value on stdin",
		    VALUE_MAX, &value, NULL)) != 0)
			return status;
	} else {
		if ((value = cos_secret_strdup(arg)) == NULL)
			return cli_fail(COS_ERR_OTHER, "out of memory");
		if (cos_key_is_secret(key))
			wipe_arg((char *)arg);
	}

	status = cos_store_set(cli->ctx, profile, key, value, &err);
	cos_secret_free(value);
	if (status != COS_OK)
		return cli_report(&err);
	if (arg != NULL && strcmp(arg, "-") != 0 && cos_key_is_secret(key))
		cli_warn("the %s was stored, but it was on the command line, "
		    "where other users (ps) and the shell history can see it; "
		    "next time use 'cos configure set %s -' (stdin) or "
		    "'cos configure set %s --prompt'", key, key, key);
	return 0;
}

static int
configure_get(struct cli *cli, struct configure_args *a)
{
	const char *key = a->operands[1];
	const char *profile;
	struct cos_error err;
	enum cos_origin origin;
	char *value = NULL, shown[512];
	int status;

	cos_error_clear(&err);
	if (!is_profile_key(key) && strcmp(key, "token") != 0 &&
	    strcmp(key, "token_expiration") != 0)
		return unknown_key(key);
	profile = chosen_profile(a, &err, &status);
	if (status != COS_OK)
		return cli_report(&err);
	if ((status = cos_store_get(cli->ctx, profile, key, &value, &origin,
	    &err)) != COS_OK)
		return cli_report(&err);
	if (value == NULL)
		return cli_fail(COS_ERR_OTHER, "%s is not set in profile '%s'",
		    key, profile);
	if (cos_key_is_secret(key)) {
		cos_mask_secret(value, shown, sizeof(shown));
		printf("%s\n", shown);
	} else {
		print_clean(stdout, value, 1);
		putchar('\n');
	}
	cos_secret_free(value);
	return 0;
}

static const char *
default_value(const char *key)
{
	if (strcmp(key, "region") == 0)
		return COS_DEFAULT_REGION;
	if (strcmp(key, "sts_endpoint") == 0)
		return COS_DEFAULT_ENDPOINT;
	if (strcmp(key, "output") == 0)
		return "table";
	if (strcmp(key, "connect_timeout") == 0)
		return "10";
	if (strcmp(key, "timeout") == 0)
		return "30";
	if (strcmp(key, "cache_margin") == 0)
		return "300";
	return NULL;
}

/* Prints one row of `configure list`.  Returns the status of reading the
 * stored value. */
static int
list_row(struct cli *cli, const char *profile, const char *key)
{
	const char *env_name = cos_key_env_name(key);
	const char *env = env_name != NULL ? getenv(env_name) : NULL;
	enum cos_origin origin = COS_ORIGIN_UNSET;
	struct cos_error err;
	char *stored = NULL, shown[512];
	const char *value = NULL;
	int status = COS_OK;

	cos_error_clear(&err);
	if (env != NULL && env[0] != '\0') {
		value = env;
		origin = COS_ORIGIN_ENV;
	} else if ((status = cos_store_get(cli->ctx, profile, key, &stored,
	    &origin, &err)) != COS_OK) {
		cli_report(&err);
	} else if (stored != NULL) {
		value = stored;
	} else if ((value = default_value(key)) != NULL) {
		origin = COS_ORIGIN_DEFAULT;
	}
	display_value(key, value, shown, sizeof(shown));
	printf("%-18s ", key);
	print_clean(stdout, status == COS_OK ? shown : "(cannot be read)", 0);
	printf("%*s %s\n", (int)(strlen(shown) < 32 ? 32 - strlen(shown) : 0),
	    "", status == COS_OK ? cos_origin_name(origin) : "error");
	cos_secret_free(stored);
	return status;
}

static int
configure_list(struct cli *cli, struct configure_args *a)
{
	static const char *const extra_keys[] = { "token", "token_expiration",
	    NULL };
	const char *const *key;
	const char *profile;
	struct cos_error err;
	enum cos_source source;
	int status, failed = 0;

	cos_error_clear(&err);
	profile = chosen_profile(a, &err, &status);
	if (status != COS_OK)
		return cli_report(&err);
	printf("Profile %s in %s\n\n", profile,
	    cos_ctx_config_dir(cli->ctx));
	printf("%-18s %-32s %s\n", "KEY", "VALUE", "ORIGIN");
	for (key = cos_profile_keys; *key != NULL; key++)
		if ((status = list_row(cli, profile, *key)) != COS_OK)
			failed = status;
	for (key = extra_keys; *key != NULL; key++)
		if ((status = list_row(cli, profile, *key)) != COS_OK)
			failed = status;
	status = cos_resolve_source(cli->ctx, profile, &source, &err);
	if (status != COS_OK) {
		printf("\nCredential source: unknown\n");
		cli_report(&err);
		return status;
	}
	printf("\nCredential source: %s\n", cos_source_name(source));
	return failed;
}

/* ------------------------------------------------------------------ */
/* import-token                                                        */

static int
creds_take(char **slot, const char *value)
{
	if ((*slot = cos_secret_strdup(value)) == NULL)
		return cli_fail(COS_ERR_OTHER, "out of memory");
	return 0;
}

static int
import_from_args(struct configure_args *a, struct cos_credentials *c)
{
	if (a->tmp_id == NULL || a->tmp_key == NULL || a->token == NULL)
		return cli_usage_error("configure", "import-token needs "
		    "--tmp-secret-id, --tmp-secret-key and --token, or "
		    "--from-env, or --json FILE");
	if (creds_take(&c->secret_id, a->tmp_id) != 0 ||
	    creds_take(&c->secret_key, a->tmp_key) != 0 ||
	    creds_take(&c->token, a->token) != 0)
		return COS_ERR_OTHER;
	wipe_arg(a->tmp_key);
	wipe_arg(a->token);
	return 0;
}

static int
import_from_env(struct cos_credentials *c)
{
	static const char *const names[] = { "COS_SECRET_ID",
	    "COS_SECRET_KEY", "COS_TOKEN" };
	char **slots[] = { &c->secret_id, &c->secret_key, &c->token };
	const char *value, *expiration;
	size_t i;

	for (i = 0; i < 3; i++) {
		value = getenv(names[i]);
		if (value == NULL || value[0] == '\0')
			return cli_usage_error("configure", "--from-env needs "
			    "%s, which is not set", names[i]);
		if (creds_take(slots[i], value) != 0)
			return COS_ERR_OTHER;
	}
	expiration = getenv("COS_TOKEN_EXPIRATION");
	if (expiration != NULL && expiration[0] != '\0' &&
	    cos_parse_iso8601(expiration, &c->expired_time) != 0)
		return cli_usage_error("configure", "COS_TOKEN_EXPIRATION "
		    "'%s' is not a time like 2024-01-31T12:00:00Z", expiration);
	return 0;
}

/* Copies the string member name of obj into secret memory. */
static int
json_take(struct json_object *obj, const char *name, const char *what,
    char **out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return cli_fail(COS_ERR_USAGE, "%s has no string "
		    "Credentials.%s", what, name);
	return creds_take(out, json_object_get_string(v));
}

static int
json_expiry(struct json_object *root, const char *what, int64_t *out)
{
	struct json_object *v, *creds;

	if (json_object_object_get_ex(root, "ExpiredTime", &v)) {
		if (!json_object_is_type(v, json_type_int))
			return cli_fail(COS_ERR_USAGE, "%s: ExpiredTime is not "
			    "an integer", what);
		*out = json_object_get_int64(v);
		return 0;
	}
	if (json_object_object_get_ex(root, "Credentials", &creds) &&
	    json_object_object_get_ex(creds, "Expiration", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    cos_parse_iso8601(json_object_get_string(v), out) != 0)
		return cli_fail(COS_ERR_USAGE, "%s: Credentials.Expiration is "
		    "not a time like 2024-01-31T12:00:00Z", what);
	return 0;
}

static struct json_object *
parse_json(const char *text, size_t len, struct json_tokener *tok)
{
	struct json_object *root;
	size_t end;

	root = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	while (end < len && strchr(" \t\r\n", text[end]) != NULL)
		end++;
	if (root != NULL && (json_tokener_get_error(tok) !=
	    json_tokener_success || end != len)) {
		cos_json_wipe(root);
		json_object_put(root);
		root = NULL;
	}
	/* NOTE: json-c 0.16 still publishes the tokener's fields; its buffer
	 * contains the last string parsed, which may be a credential. */
	if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
		cos_wipe(tok->pb->buf, (size_t)tok->pb->size);
	return root;
}

static int
import_from_json(const char *file, struct cos_credentials *c)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *creds, *version;
	char *text = NULL, what[600];
	size_t len;
	int fd = STDIN_FILENO, status;

	if (strcmp(file, "-") == 0) {
		snprintf(what, sizeof(what), "the JSON on stdin");
	} else {
		snprintf(what, sizeof(what), "'%s'", file);
		if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			return cli_fail(COS_ERR_OTHER, "cannot open '%s': %s",
			    file, strerror(errno));
	}
	status = read_fd_secret(fd, what, JSON_MAX, &text, &len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (status != 0)
		return status;
	if ((tok = json_tokener_new()) == NULL) {
		status = cli_fail(COS_ERR_OTHER, "out of memory");
		goto out;
	}
	root = parse_json(text, len, tok);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		status = cli_fail(COS_ERR_USAGE, "%s is not a JSON object",
		    what);
		goto out;
	}
	if (json_object_object_get_ex(root, "Version", &version) &&
	    (!json_object_is_type(version, json_type_int) ||
	    json_object_get_int(version) != 1)) {
		status = cli_fail(COS_ERR_USAGE, "%s has a Version other than "
		    "1, which this cos does not read", what);
		goto out;
	}
	if (!json_object_object_get_ex(root, "Credentials", &creds) ||
	    !json_object_is_type(creds, json_type_object)) {
		status = cli_fail(COS_ERR_USAGE, "%s has no Credentials object; "
		    "expected the output of 'cos token -o json'", what);
		goto out;
	}
	if ((status = json_take(creds, "TmpSecretId", what,
	    &c->secret_id)) != 0 ||
	    (status = json_take(creds, "TmpSecretKey", what,
	    &c->secret_key)) != 0 ||
	    (status = json_take(creds, "Token", what, &c->token)) != 0)
		goto out;
	status = json_expiry(root, what, &c->expired_time);
out:
	if (root != NULL) {
		cos_json_wipe(root);
		json_object_put(root);
	}
	if (tok != NULL)
		json_tokener_free(tok);
	cos_secret_free(text);
	return status;
}

static int
configure_import(struct cli *cli, struct configure_args *a)
{
	struct cos_credentials *creds = NULL;
	struct cos_error err;
	const char *profile;
	char when[21];
	int modes, status;

	cos_error_clear(&err);
	modes = (a->from_env != 0) + (a->json != NULL) +
	    (a->tmp_id != NULL || a->tmp_key != NULL || a->token != NULL);
	if (modes > 1) {
		wipe_arg(a->tmp_key);
		wipe_arg(a->token);
		return cli_usage_error("configure", "use only one of "
		    "--tmp-secret-id/--tmp-secret-key/--token, --from-env and "
		    "--json");
	}
	profile = a->profile != NULL ? a->profile : IMPORT_DEFAULT_PROFILE;
	if ((status = cos_profile_name_validate(profile, &err)) != COS_OK)
		return cli_report(&err);
	if ((creds = cos_credentials_new()) == NULL)
		return cli_fail(COS_ERR_OTHER, "out of memory");
	if (a->from_env)
		status = import_from_env(creds);
	else if (a->json != NULL)
		status = import_from_json(a->json, creds);
	else
		status = import_from_args(a, creds);
	if (status == 0 && (status = cos_store_import_token(cli->ctx, profile,
	    creds, &err)) != COS_OK)
		status = cli_report(&err);
	if (status == 0) {
		fprintf(stderr, "Imported temporary credentials into profile "
		    "'%s'", profile);
		if (creds->expired_time > 0) {
			cos_format_iso8601(creds->expired_time, when);
			fprintf(stderr, "; they expire at %s", when);
		}
		fputs(".\n", stderr);
		if (creds->expired_time > 0 && creds->expired_time <= cos_now())
			cli_warn("these credentials have expired already; get "
			    "new ones with 'cos token'");
		if (a->tmp_key != NULL)
			cli_warn("the secret key and token were on the command "
			    "line, where other users (ps) and the shell "
			    "history can see them; next time use --from-env "
			    "or --json");
	}
	cos_credentials_free(creds);
	return status;
}

/* ------------------------------------------------------------------ */
/* list-profiles, remove, seal, passphrase                             */

static int
configure_list_profiles(struct cli *cli)
{
	struct cos_error err;
	char **names = NULL;
	size_t i;
	int status;

	cos_error_clear(&err);
	if ((status = cos_store_list_profiles(cli->ctx, &names, &err)) !=
	    COS_OK)
		return cli_report(&err);
	for (i = 0; names[i] != NULL; i++) {
		print_clean(stdout, names[i], 0);
		putchar('\n');
	}
	cos_strv_free(names);
	return 0;
}

static int
configure_remove(struct cli *cli, struct configure_args *a)
{
	struct cos_error err;
	int status;

	cos_error_clear(&err);
	if (a->profile == NULL)
		return cli_usage_error("configure", "'cos configure remove' "
		    "needs --profile NAME");
	if ((status = cos_store_remove_profile(cli->ctx, a->profile, &err)) !=
	    COS_OK)
		return cli_report(&err);
	fprintf(stderr, "Removed profile '%s'.\n", a->profile);
	return 0;
}

/* Without --profile, every profile's cached sessions go. */
static int
configure_clear_cache(struct cli *cli, struct configure_args *a)
{
	struct cos_error err;
	size_t removed = 0;

	cos_error_clear(&err);
	if (cos_cache_clear(cli->ctx, a->profile, &removed, &err) != COS_OK)
		return cli_report(&err);
	if (a->profile != NULL)
		fprintf(stderr, "Removed %zu cached session%s of profile '%s'.\n",
		    removed, removed == 1 ? "" : "s", a->profile);
	else
		fprintf(stderr, "Removed %zu cached session%s.\n", removed,
		    removed == 1 ? "" : "s");
	return 0;
}

static int
configure_seal(struct cli *cli)
{
	struct cos_error err;
	int status;

	cos_error_clear(&err);
	if ((status = cos_store_seal(cli->ctx, &err)) != COS_OK)
		return cli_report(&err);
	fprintf(stderr, "Every secret in %s/credentials is sealed.\n",
	    cos_ctx_config_dir(cli->ctx));
	return 0;
}

static int
configure_passphrase(struct cli *cli, struct configure_args *a)
{
	const char *action = a->operands[1];
	struct cos_error err;
	int status;

	cos_error_clear(&err);
	if (strcmp(action, "set") == 0)
		status = cos_store_passphrase_set(cli->ctx, &err);
	else if (strcmp(action, "change") == 0)
		status = cos_store_passphrase_change(cli->ctx, &err);
	else if (strcmp(action, "remove") == 0)
		status = cos_store_passphrase_remove(cli->ctx, &err);
	else
		return cli_usage_error("configure", "unknown passphrase action "
		    "'%s'; expected set, change or remove", action);
	if (status != COS_OK)
		return cli_report(&err);
	fprintf(stderr, "%s the passphrase of %s/master.key.\n",
	    strcmp(action, "set") == 0 ? "Set" : strcmp(action, "change") ==
	    0 ? "Changed" : "Removed", cos_ctx_config_dir(cli->ctx));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Interactive setup on /dev/tty                                       */

struct question {
	const char *key;
	const char *label;
	int echo;
};

static const struct question questions[] = {
	{ "secret_id", "Secret ID", 1 },
	{ "secret_key", "Secret Key", 0 },
	{ "assume_role", "Assume Role ARN", 1 },
	{ "region", "Default region", 1 },
	{ "output", "Default output format", 1 },
	{ NULL, NULL, 0 }
};

#define ATTEMPTS 3

/* Asks one question until the answer is stored, kept (Enter) or the
 * attempts run out. */
static int
ask(struct cli *cli, const char *profile, const struct question *q)
{
	struct cos_error err;
	enum cos_origin origin;
	char *current = NULL, *answer = NULL, shown[256], prompt[400];
	int attempt, status;

	cos_error_clear(&err);
	if ((status = cos_store_get(cli->ctx, profile, q->key, &current,
	    &origin, &err)) != COS_OK)
		return cli_report(&err);
	if (current != NULL) {
		display_value(q->key, current, shown, sizeof(shown));
		/* Control characters from the file stay off the terminal. */
		for (char *s = shown; *s != '\0'; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				*s = '?';
	} else {
		snprintf(shown, sizeof(shown), "none");
	}
	cos_secret_free(current);
	snprintf(prompt, sizeof(prompt), "%s [%s]", q->label, shown);
	if ((answer = cos_secret_alloc(VALUE_MAX + 1)) == NULL)
		return cli_fail(COS_ERR_OTHER, "out of memory");
	for (attempt = 1; attempt <= ATTEMPTS; attempt++) {
		cos_error_clear(&err);
		status = cos_tty_read_line(prompt, q->echo, answer,
		    VALUE_MAX + 1, NULL, NULL, NULL, &err);
		if (status == COS_ERR_INTERRUPTED)
			break;
		if (status != COS_OK) {
			cli_report(&err);
			continue;
		}
		if (answer[0] == '\0')
			break;
		cos_error_clear(&err);
		status = cos_store_set(cli->ctx, profile, q->key, answer, &err);
		if (status != COS_ERR_USAGE)
			break;
		cli_report(&err);
	}
	cos_secret_free(answer);
	if (status == COS_ERR_INTERRUPTED)
		return cli_fail(status, "interrupted; the values entered before "
		    "were stored");
	if (status != COS_OK && err.message[0] != '\0')
		return cli_report(&err);
	if (status != COS_OK)
		return cli_fail(status, "no valid %s after %d attempts", q->key,
		    ATTEMPTS);
	return 0;
}

static int
configure_interactive(struct cli *cli, struct configure_args *a)
{
	const struct question *q;
	struct cos_error err;
	const char *profile;
	int tty, status;

	cos_error_clear(&err);
	profile = chosen_profile(a, &err, &status);
	if (status != COS_OK)
		return cli_report(&err);
	tty = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (tty < 0) {
		cli_fail(COS_ERR_USAGE, "'cos configure' asks its questions on "
		    "a terminal, and there is none");
		fputs("Use the non-interactive commands instead:\n"
		    "  cos configure set KEY VALUE    (VALUE '-' reads stdin, "
		    "--prompt asks without echo)\n"
		    "  cos configure import-token --from-env | --json FILE\n"
		    "  cos configure get KEY, cos configure list\n", stderr);
		return COS_ERR_USAGE;
	}
	dprintf(tty, "Configuring profile '%s'.  Press Enter to keep the value "
	    "in brackets.\n", profile);
	close(tty);
	status = 0;
	for (q = questions; q->key != NULL && status == 0; q++)
		status = ask(cli, profile, q);
	return status;
}

/* ------------------------------------------------------------------ */

static void
print_help(void)
{
	const char *const *k;

	cli_print_command_help(cli_find_command("configure"));
	fputs("\nKeys:", stdout);
	for (k = cos_profile_keys; *k != NULL; k++)
		printf(" %s", *k);
	fputs("\nSecrets (secret_id, secret_key, token) are sealed in the "
	    "credentials file.\nCOS_PASSPHRASE_FILE names a file whose first "
	    "line is the master key's passphrase;\n'passphrase change' reads "
	    "the new one from COS_NEW_PASSPHRASE_FILE when it is set.\n",
	    stdout);
}

int
cmd_configure(struct cli *cli, int argc, char **argv)
{
	struct configure_args a;
	const char *name;
	int status;

	memset(&a, 0, sizeof(a));
	if ((status = parse_words(&a, argc, argv)) != 0 ||
	    (status = check_subcommand(&a)) != 0) {
		wipe_arg(a.tmp_key);
		wipe_arg(a.token);
		return status;
	}
	if (a.help) {
		print_help();
		return 0;
	}
	name = a.sub->name;
	if (name[0] == '\0')
		return configure_interactive(cli, &a);
	if (strcmp(name, "set") == 0)
		return configure_set(cli, &a);
	if (strcmp(name, "get") == 0)
		return configure_get(cli, &a);
	if (strcmp(name, "list") == 0)
		return configure_list(cli, &a);
	if (strcmp(name, "import-token") == 0)
		return configure_import(cli, &a);
	if (strcmp(name, "list-profiles") == 0)
		return configure_list_profiles(cli);
	if (strcmp(name, "remove") == 0)
		return configure_remove(cli, &a);
	if (strcmp(name, "seal") == 0)
		return configure_seal(cli);
	if (strcmp(name, "clear-cache") == 0)
		return configure_clear_cache(cli, &a);
	return configure_passphrase(cli, &a);
}
