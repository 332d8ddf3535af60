/*
 * store.c - the profile store: DIR/config and DIR/credentials, with every
 * secret sealed under the master key.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "fileio.h"
#include "ini.h"
#include "seal.h"
#include "store.h"

#define PROFILE_NAME_MAX 64
#define SECTION_MAX (PROFILE_NAME_MAX + 16)
#define KEY_NAME_MAX 64

const char *const cos_profile_keys[] = {
	"secret_id", "secret_key", "assume_role", "region", "output",
	"sts_endpoint", "ca_bundle", "session_name", "connect_timeout",
	"timeout", "cache_margin", NULL
};

/* Keys that only cos_store_import_token() writes. */
static const char *const token_keys[] = { "token", "token_expiration", NULL };

static const char *const credential_keys[] = {
	"secret_id", "secret_key", "assume_role", "token", "token_expiration",
	NULL
};

static const char *const secret_keys[] = {
	"secret_id", "secret_key", "token", NULL
};

static int
in_list(const char *const *list, const char *key)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, key) == 0)
			return 1;
	return 0;
}

int
cos_key_is_secret(const char *key)
{
	return key != NULL && in_list(secret_keys, key);
}

int
cos_store_key_in_credentials(const char *key)
{
	return in_list(credential_keys, key);
}

/* ------------------------------------------------------------------ */
/* Profile names                                                       */

int
cos_profile_name_validate(const char *name, struct cos_error *err)
{
	size_t i, len = strlen(name);

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_' && name[i] != '.')
			break;
	if (len == 0 || len > PROFILE_NAME_MAX || i < len || !isascii(name[0]))
		return cos_error_set(err, COS_ERR_USAGE,
		    "invalid profile name '%s': use 1 to %d letters, digits, "
		    "'-', '_' or '.'", name, PROFILE_NAME_MAX);
	return COS_OK;
}

int
cos_store_section_name(const char *profile, char *out, size_t size)
{
	int n;

	if (strcmp(profile, "default") == 0)
		n = snprintf(out, size, "default");
	else
		n = snprintf(out, size, "profile %s", profile);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Returns the profile a section name stands for, or NULL when the section
 * is not a profile of ours. */
static char *
profile_of_section(const char *text, size_t len)
{
	static const char prefix[] = "profile ";
	size_t plen = sizeof(prefix) - 1;

	if (len == 7 && memcmp(text, "default", 7) == 0)
		return strdup("default");
	if (len > plen && memcmp(text, prefix, plen) == 0)
		return strndup(text + plen, len - plen);
	return NULL;
}

void
cos_strv_free(char **strv)
{
	size_t i;

	if (strv == NULL)
		return;
	for (i = 0; strv[i] != NULL; i++)
		free(strv[i]);
	free(strv);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */

/* Secrets must be printable ASCII without spaces: a pasted key that contains
 * anything else is damaged. */
static int
check_secret_chars(const char *key, const char *value, struct cos_error *err)
{
	size_t i;

	for (i = 0; value[i] != '\0'; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c <= 0x20 || c >= 0x7f)
			return cos_error_set(err, COS_ERR_USAGE,
			    "invalid %s: a control character, space or "
			    "non-ASCII byte at position %zu", key, i + 1);
	}
	return COS_OK;
}

static int
check_text_chars(const char *key, const char *value, struct cos_error *err)
{
	size_t i, len = strlen(value);

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f)
			return cos_error_set(err, COS_ERR_USAGE,
			    "invalid %s: a control character at position %zu",
			    key, i + 1);
	}
	if (value[0] == ' ' || value[len - 1] == ' ')
		return cos_error_set(err, COS_ERR_USAGE,
		    "invalid %s '%s': it begins or ends with a space", key,
		    value);
	return COS_OK;
}

static int
all_of(const char *s, size_t len, const char *extra)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isascii((unsigned char)s[i]) ||
		    (!isalnum((unsigned char)s[i]) &&
		    strchr(extra, s[i]) == NULL))
			return 0;
	return 1;
}

/* Region names look like "ap-shanghai" or "ap-shanghai-fsi". */
static int
check_region(const char *value, struct cos_error *err)
{
	size_t len = strlen(value), i;
	int ok = len >= 4 && len <= 64 && islower((unsigned char)value[0]) &&
	    strchr(value, '-') != NULL && value[len - 1] != '-';

	for (i = 0; ok && i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (!(islower(c) || isdigit(c) || c == '-') ||
		    (c == '-' && value[i + 1] == '-'))
			ok = 0;
	}
	if (!ok)
		return cos_error_set(err, COS_ERR_USAGE,
		    "invalid region '%s': expected a name such as ap-shanghai "
		    "or ap-guangzhou", value);
	return COS_OK;
}

static int
check_endpoint(const char *value, struct cos_error *err)
{
	static const char scheme[] = "https://";
	const char *host = value + sizeof(scheme) - 1;
	size_t host_len;

	if (strncmp(value, scheme, sizeof(scheme) - 1) != 0) {
		cos_error_set(err, COS_ERR_USAGE, "invalid sts_endpoint '%s': "
		    "it must be an https:// URL", value);
		cos_error_hint(err, "For example: %s", COS_DEFAULT_ENDPOINT);
		return COS_ERR_USAGE;
	}
	host_len = strcspn(host, ":/?#");
	if (host_len == 0 || strpbrk(value, " \t") != NULL ||
	    !all_of(host, host_len, "-.[]"))
		return cos_error_set(err, COS_ERR_USAGE, "invalid sts_endpoint "
		    "'%s': the host name is missing or invalid", value);
	return COS_OK;
}

/* A CAM role ARN: qcs::cam::uin/OWNER:roleName/NAME or
 * qcs::cam::uin/OWNER:role/ID. */
static int
check_role(const char *value, struct cos_error *err)
{
	static const char prefix[] = "qcs::cam::uin/";
	const char *p = value + sizeof(prefix) - 1, *rest;
	size_t digits;
	int ok = strncmp(value, prefix, sizeof(prefix) - 1) == 0;

	if (ok) {
		digits = strspn(p, "0123456789");
		rest = p + digits;
		if (digits == 0 || rest[0] != ':')
			ok = 0;
		else if (strncmp(rest, ":roleName/", 10) == 0)
			ok = rest[10] != '\0' && strlen(rest + 10) <= 128 &&
			    all_of(rest + 10, strlen(rest + 10), "+=,.@_-");
		else if (strncmp(rest, ":role/", 6) == 0)
			ok = rest[6] != '\0' &&
			    strspn(rest + 6, "0123456789") == strlen(rest + 6);
		else
			ok = 0;
	}
	if (!ok) {
		cos_error_set(err, COS_ERR_USAGE, "invalid assume_role '%s'",
		    value);
		cos_error_hint(err, "Expected qcs::cam::uin/ACCOUNT_ID:roleName/"
		    "ROLE_NAME or qcs::cam::uin/ACCOUNT_ID:role/ROLE_ID.");
		return COS_ERR_USAGE;
	}
	return COS_OK;
}

static int
check_session_name(const char *value, struct cos_error *err)
{
	size_t len = strlen(value);

	if (len < 2 || len > 128 || !all_of(value, len, "_+=,.@-"))
		return cos_error_set(err, COS_ERR_USAGE,
		    "invalid session_name '%s': use 2 to 128 letters, digits "
		    "or the characters _ + = , . @ -", value);
	return COS_OK;
}

/* connect_timeout and timeout: seconds, as resolve.c reads them. */
static int
check_seconds(const char *key, const char *value, struct cos_error *err)
{
	char *end;
	double secs = strtod(value, &end);

	if (end == value || *end != '\0' || !(secs > 0) || secs > 3600)
		return cos_error_set(err, COS_ERR_USAGE, "invalid %s '%s': "
		    "expected a number of seconds greater than 0 and at most "
		    "3600", key, value);
	return COS_OK;
}

/* cache_margin: whole seconds, as cos_cache_margin() reads it. */
static int
check_margin(const char *value, struct cos_error *err)
{
	size_t len = strlen(value);

	if (len == 0 || len > 5 || strspn(value, "0123456789") != len ||
	    atol(value) > COS_DURATION_MAX)
		return cos_error_set(err, COS_ERR_USAGE, "invalid cache_margin "
		    "'%s': expected a whole number of seconds from 0 to %d",
		    value, COS_DURATION_MAX);
	return COS_OK;
}

static int
check_value(const char *key, const char *value, struct cos_error *err)
{
	enum cos_format format;
	int64_t when;
	int status;

	if (value[0] == '\0')
		return cos_error_set(err, COS_ERR_USAGE, "the value of %s is "
		    "empty", key);
	if (strlen(value) > COS_LINE_MAX / 2)
		return cos_error_set(err, COS_ERR_USAGE, "the value of %s is "
		    "longer than %d bytes", key, COS_LINE_MAX / 2);
	if (cos_key_is_secret(key))
		return check_secret_chars(key, value, err);
	if ((status = check_text_chars(key, value, err)) != COS_OK)
		return status;
	if (strcmp(key, "region") == 0)
		return check_region(value, err);
	if (strcmp(key, "sts_endpoint") == 0)
		return check_endpoint(value, err);
	if (strcmp(key, "assume_role") == 0)
		return check_role(value, err);
	if (strcmp(key, "session_name") == 0)
		return check_session_name(value, err);
	if (strcmp(key, "output") == 0)
		return cos_format_parse(value, &format, err);
	if (strcmp(key, "connect_timeout") == 0 || strcmp(key, "timeout") == 0)
		return check_seconds(key, value, err);
	if (strcmp(key, "cache_margin") == 0)
		return check_margin(value, err);
	if (strcmp(key, "token_expiration") == 0 &&
	    cos_parse_iso8601(value, &when) != 0)
		return cos_error_set(err, COS_ERR_USAGE, "invalid "
		    "token_expiration '%s': expected YYYY-MM-DDTHH:MM:SSZ",
		    value);
	return COS_OK;
}

int
cos_store_normalize_value(const char *key, const char *value, char **out,
    struct cos_error *err)
{
	size_t len = strlen(value);
	char *copy;
	int status;

	while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == '\r'))
		len--;
	if ((copy = cos_secret_strndup(value, len)) == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	if ((status = check_value(key, copy, err)) != COS_OK) {
		cos_secret_free(copy);
		return status;
	}
	*out = copy;
	return COS_OK;
}

static int
check_settable(const char *key, struct cos_error *err)
{
	const char *const *k;
	char list[256] = "";

	if (in_list(cos_profile_keys, key) || in_list(token_keys, key))
		return COS_OK;
	for (k = cos_profile_keys; *k != NULL; k++) {
		if (list[0] != '\0')
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), ", ");
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s", *k);
	}
	cos_error_set(err, COS_ERR_USAGE, "unknown key '%s'", key);
	cos_error_hint(err, "Valid keys: %s.", list);
	return COS_ERR_USAGE;
}

/* ------------------------------------------------------------------ */
/* One store operation: paths, lock, parsed files, the key cache       */

struct store_op {
	struct cos_ctx *ctx;
	struct cos_lock lock;
	char *config_path;
	char *cred_path;
	struct cos_ini config;
	struct cos_ini cred;
	char section[SECTION_MAX];
};

/* Prepares op so that op_end() may run on it. */
static void
op_init(struct store_op *op)
{
	memset(op, 0, sizeof(*op));
	op->lock.fd = -1;
}

static int
op_begin(struct store_op *op, struct cos_ctx *ctx, const char *profile,
    int exclusive, struct cos_error *err)
{
	const char *dir = cos_ctx_config_dir(ctx);
	char *key_path;
	int status;

	op->ctx = ctx;
	if (profile != NULL) {
		if ((status = cos_profile_name_validate(profile, err)) != 0)
			return status;
		if (cos_store_section_name(profile, op->section,
		    sizeof(op->section)) != 0)
			return cos_error_set(err, COS_ERR_USAGE,
			    "the profile name is too long");
	}
	op->config_path = cos_path_join(dir, "config");
	op->cred_path = cos_path_join(dir, "credentials");
	if (op->config_path == NULL || op->cred_path == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	/* A cached master key older than the TTL is wiped before use. */
	if (ctx->master_key != NULL && (ctx->key_ttl == 0 ||
	    cos_now() - ctx->master_key_used > ctx->key_ttl))
		cos_ctx_forget_key(ctx);
	if ((status = cos_lock_acquire(ctx, exclusive, &op->lock, err)) != 0)
		return status;
	if (exclusive) {
		cos_file_remove_stale(op->config_path);
		cos_file_remove_stale(op->cred_path);
		if ((key_path = cos_path_join(dir, "master.key")) != NULL)
			cos_file_remove_stale(key_path);
		free(key_path);
	}
	return COS_OK;
}

static void
op_end(struct store_op *op)
{
	cos_lock_release(&op->lock);
	cos_ini_free(&op->config);
	cos_ini_free(&op->cred);
	free(op->config_path);
	free(op->cred_path);
	if (op->ctx != NULL && op->ctx->key_ttl == 0)
		cos_ctx_forget_key(op->ctx);
}

static int
load_ini(const char *path, int private_file, struct cos_ini *ini,
    struct cos_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int status;

	if ((status = cos_file_read(path, private_file, &data, &len, err)) != 0)
		return status;
	status = cos_ini_parse(ini, data != NULL ? data : "", len, path, err);
	cos_secret_free(data);
	return status;
}

static int
op_load_config(struct store_op *op, struct cos_error *err)
{
	return load_ini(op->config_path, 0, &op->config, err);
}

static int
op_load_cred(struct store_op *op, struct cos_error *err)
{
	return load_ini(op->cred_path, 1, &op->cred, err);
}

static int
save_ini(const char *path, const struct cos_ini *ini, struct cos_error *err)
{
	return cos_file_replace(path, ini->text, ini->len, err);
}

static int
has_sealed_values(const struct cos_ini *ini)
{
	size_t i, plen = strlen(COS_SEAL_PREFIX);

	for (i = 0; i < ini->count; i++) {
		const struct cos_ini_line *l = &ini->lines[i];

		if (l->kind == COS_INI_KEY && l->value_len >= plen &&
		    memcmp(ini->text + l->value_off, COS_SEAL_PREFIX, plen) ==
		    0)
			return 1;
	}
	return 0;
}

/* Unlocks the master key for sealing, creating it when there is none yet.
 * A credentials file that already contains sealed values without a master
 * key is an error: a new key could never open them. */
static int
op_key_for_sealing(struct store_op *op, struct cos_error *err)
{
	if (op->ctx->master_key == NULL && !cos_master_key_exists(op->ctx) &&
	    has_sealed_values(&op->cred)) {
		cos_error_set(err, COS_ERR_OTHER, "'%s' holds sealed values "
		    "but the master key next to it is missing", op->cred_path);
		cos_error_hint(err, "Restore master.key from a backup, or "
		    "remove the sealed values and set them again.");
		return COS_ERR_OTHER;
	}
	return cos_master_key_load(op->ctx, 1, err);
}

/* Seals value for key of profile and sets it in the credentials file. */
static int
op_set_sealed(struct store_op *op, const char *profile, const char *key,
    const char *value, struct cos_error *err)
{
	char *sealed = NULL;
	int status;

	status = cos_seal_value(op->ctx->master_key, profile, key, value,
	    &sealed, err);
	if (status == COS_OK)
		status = cos_ini_set(&op->cred, op->section, key, sealed, err);
	free(sealed);
	return status;
}

static void
lower_key(const char *key, char *out, size_t size)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)key[i]);
	out[i] = '\0';
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

static int
open_value(struct store_op *op, const char *profile, const char *key,
    char **raw, struct cos_error *err)
{
	char *plain = NULL;
	int status;

	if ((status = cos_master_key_load(op->ctx, 0, err)) != COS_OK)
		return status;
	if (cos_unseal_value(op->ctx->master_key, profile, key, *raw,
	    &plain) != 0) {
		cos_error_set(err, COS_ERR_OTHER, "cannot open the sealed %s "
		    "of profile '%s' in '%s': the value was changed, moved "
		    "from another profile or key, or sealed under another "
		    "master key", key, profile, op->cred_path);
		cos_error_hint(err, "Set it again with: cos configure set %s "
		    "--prompt --profile %s", key, profile);
		return COS_ERR_OTHER;
	}
	cos_secret_free(*raw);
	*raw = plain;
	return COS_OK;
}

int
cos_store_get(struct cos_ctx *ctx, const char *profile, const char *key,
    char **value, enum cos_origin *origin, struct cos_error *err)
{
	struct store_op op;
	char name[KEY_NAME_MAX];
	char *raw = NULL;
	int in_cred, found, status;

	profile = cos_profile_choose(profile);
	op_init(&op);
	lower_key(key, name, sizeof(name));
	in_cred = cos_store_key_in_credentials(name);
	if ((status = op_begin(&op, ctx, profile, 0, err)) != COS_OK)
		goto out;
	status = in_cred ? op_load_cred(&op, err) : op_load_config(&op, err);
	if (status != COS_OK)
		goto out;
	found = cos_ini_get(in_cred ? &op.cred : &op.config, op.section, name,
	    &raw);
	if (found < 0) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	if (found && cos_key_is_secret(name)) {
		if (cos_seal_is_sealed(raw)) {
			status = open_value(&op, profile, name, &raw, err);
			if (status != COS_OK)
				goto out;
		} else if (raw[0] != '\0') {
			cos_log(ctx, COS_LOG_WARN, "the %s of profile '%s' is "
			    "stored in plaintext in '%s'; run 'cos configure "
			    "seal' to seal it", name, profile, op.cred_path);
		}
	}
	*value = raw;
	raw = NULL;
	if (origin != NULL)
		*origin = !found ? COS_ORIGIN_UNSET : in_cred ?
		    COS_ORIGIN_CREDENTIALS : COS_ORIGIN_CONFIG;
	status = COS_OK;
out:
	cos_secret_free(raw);
	op_end(&op);
	return status;
}

static int
add_profile(char ***names, size_t *count, char *name)
{
	char **grown;
	size_t i;

	for (i = 0; i < *count; i++)
		if (strcmp((*names)[i], name) == 0) {
			free(name);
			return 0;
		}
	grown = realloc(*names, (*count + 2) * sizeof(char *));
	if (grown == NULL) {
		free(name);
		return -1;
	}
	grown[(*count)++] = name;
	grown[*count] = NULL;
	*names = grown;
	return 0;
}

static int
collect_profiles(const struct cos_ini *ini, char ***names, size_t *count)
{
	size_t i;

	for (i = 0; i < ini->count; i++) {
		const struct cos_ini_line *l = &ini->lines[i];
		char *name;

		if (l->kind != COS_INI_SECTION)
			continue;
		name = profile_of_section(ini->text + l->name_off, l->name_len);
		if (name != NULL && add_profile(names, count, name) != 0)
			return -1;
	}
	return 0;
}

int
cos_store_list_profiles(struct cos_ctx *ctx, char ***names,
    struct cos_error *err)
{
	struct store_op op;
	char **list = NULL;
	size_t count = 0;
	int status;

	op_init(&op);
	if ((status = op_begin(&op, ctx, NULL, 0, err)) != COS_OK ||
	    (status = op_load_cred(&op, err)) != COS_OK ||
	    (status = op_load_config(&op, err)) != COS_OK)
		goto out;
	if (collect_profiles(&op.cred, &list, &count) != 0 ||
	    collect_profiles(&op.config, &list, &count) != 0 ||
	    (list == NULL && (list = calloc(1, sizeof(char *))) == NULL)) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	*names = list;
	list = NULL;
	status = COS_OK;
out:
	cos_strv_free(list);
	op_end(&op);
	return status;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

int
cos_store_set(struct cos_ctx *ctx, const char *profile, const char *key,
    const char *value, struct cos_error *err)
{
	struct store_op op;
	struct cos_ini *ini;
	char name[KEY_NAME_MAX];
	char *clean = NULL;
	int in_cred, status;

	profile = cos_profile_choose(profile);
	op_init(&op);
	lower_key(key, name, sizeof(name));
	if ((status = check_settable(name, err)) != COS_OK)
		goto out;
	if (value != NULL &&
	    (status = cos_store_normalize_value(name, value, &clean, err)) != 0)
		goto out;
	in_cred = cos_store_key_in_credentials(name);
	ini = in_cred ? &op.cred : &op.config;
	if ((status = op_begin(&op, ctx, profile, 1, err)) != COS_OK)
		goto out;
	status = in_cred ? op_load_cred(&op, err) : op_load_config(&op, err);
	if (status != COS_OK)
		goto out;
	if (clean != NULL && cos_key_is_secret(name)) {
		if ((status = op_key_for_sealing(&op, err)) != COS_OK ||
		    (status = op_set_sealed(&op, profile, name, clean, err)) !=
		    COS_OK)
			goto out;
	} else if ((status = cos_ini_set(ini, op.section, name, clean, err)) !=
	    COS_OK) {
		goto out;
	}
	status = save_ini(in_cred ? op.cred_path : op.config_path, ini, err);
out:
	cos_secret_free(clean);
	op_end(&op);
	return status;
}

int
cos_store_import_token(struct cos_ctx *ctx, const char *profile,
    const struct cos_credentials *creds, struct cos_error *err)
{
	static const char *const names[] = { "secret_id", "secret_key",
	    "token" };
	char *clean[3] = { NULL, NULL, NULL };
	const char *raw[3];
	char expiration[21];
	struct store_op op;
	size_t i;
	int status;

	profile = cos_profile_choose(profile);
	op_init(&op);
	raw[0] = creds->secret_id;
	raw[1] = creds->secret_key;
	raw[2] = creds->token;
	for (i = 0; i < 3; i++) {
		if (raw[i] == NULL) {
			status = cos_error_set(err, COS_ERR_USAGE, "the %s of "
			    "the temporary credentials is missing", names[i]);
			goto out;
		}
		status = cos_store_normalize_value(names[i], raw[i], &clean[i],
		    err);
		if (status != COS_OK)
			goto out;
	}
	if ((status = op_begin(&op, ctx, profile, 1, err)) != COS_OK ||
	    (status = op_load_cred(&op, err)) != COS_OK ||
	    (status = op_key_for_sealing(&op, err)) != COS_OK)
		goto out;
	for (i = 0; i < 3; i++)
		if ((status = op_set_sealed(&op, profile, names[i], clean[i],
		    err)) != COS_OK)
			goto out;
	if (creds->expired_time > 0)
		cos_format_iso8601(creds->expired_time, expiration);
	status = cos_ini_set(&op.cred, op.section, "token_expiration",
	    creds->expired_time > 0 ? expiration : NULL, err);
	if (status == COS_OK)
		status = save_ini(op.cred_path, &op.cred, err);
out:
	for (i = 0; i < 3; i++)
		cos_secret_free(clean[i]);
	op_end(&op);
	return status;
}

int
cos_store_remove_profile(struct cos_ctx *ctx, const char *profile,
    struct cos_error *err)
{
	struct store_op op;
	int in_config, in_cred, status;

	profile = cos_profile_choose(profile);
	op_init(&op);
	if ((status = op_begin(&op, ctx, profile, 1, err)) != COS_OK ||
	    (status = op_load_cred(&op, err)) != COS_OK ||
	    (status = op_load_config(&op, err)) != COS_OK)
		goto out;
	in_cred = cos_ini_has_section(&op.cred, op.section);
	in_config = cos_ini_has_section(&op.config, op.section);
	if (!in_cred && !in_config) {
		status = cos_error_set(err, COS_ERR_OTHER, "profile '%s' not "
		    "found in '%s' or '%s'", profile, op.cred_path,
		    op.config_path);
		cos_error_hint(err, "List the profiles with 'cos configure "
		    "list-profiles'.");
		goto out;
	}
	if (in_cred &&
	    ((status = cos_ini_remove_section(&op.cred, op.section, err)) != 0 ||
	    (status = save_ini(op.cred_path, &op.cred, err)) != COS_OK))
		goto out;
	if (in_config &&
	    ((status = cos_ini_remove_section(&op.config, op.section, err)) !=
	    0 || (status = save_ini(op.config_path, &op.config, err)) != 0))
		goto out;
	status = COS_OK;
out:
	op_end(&op);
	return status;
}

/* Seals the plaintext secrets of one section.  *changed counts them. */
static int
seal_section(struct store_op *op, const char *profile, int *changed,
    struct cos_error *err)
{
	const char *const *key;
	char *raw = NULL;
	int found, status = COS_OK;

	if (cos_store_section_name(profile, op->section,
	    sizeof(op->section)) != 0)
		return COS_OK;
	for (key = secret_keys; *key != NULL && status == COS_OK; key++) {
		found = cos_ini_get_own(&op->cred, op->section, *key, &raw);
		if (found < 0)
			return cos_error_set(err, COS_ERR_OTHER,
			    "out of memory");
		if (found && raw[0] != '\0' && !cos_seal_is_sealed(raw)) {
			status = op_key_for_sealing(op, err);
			if (status == COS_OK)
				status = op_set_sealed(op, profile, *key, raw,
				    err);
			if (status == COS_OK)
				(*changed)++;
		}
		cos_secret_free(raw);
		raw = NULL;
	}
	return status;
}

/* Warns about plaintext secrets in sections that are not profiles, such
 * as "[DEFAULT]", which cos leaves as they are. */
static void
warn_unsealable(struct store_op *op, const char *section)
{
	const char *const *key;
	char *raw = NULL;

	for (key = secret_keys; *key != NULL; key++) {
		if (cos_ini_get_own(&op->cred, section, *key, &raw) == 1 &&
		    raw[0] != '\0' && !cos_seal_is_sealed(raw))
			cos_log(op->ctx, COS_LOG_WARN, "'%s' has a plaintext %s "
			    "in section [%s], which is not a profile; cos "
			    "leaves it as it is", op->cred_path, *key,
			    section);
		cos_secret_free(raw);
		raw = NULL;
	}
}

int
cos_store_seal(struct cos_ctx *ctx, struct cos_error *err)
{
	struct store_op op;
	char **profiles = NULL;
	size_t count = 0, i;
	int changed = 0, status;

	op_init(&op);
	if ((status = op_begin(&op, ctx, NULL, 1, err)) != COS_OK ||
	    (status = op_load_cred(&op, err)) != COS_OK)
		goto out;
	for (i = 0; i < op.cred.count; i++) {
		const struct cos_ini_line *l = &op.cred.lines[i];
		char section[SECTION_MAX], *name;

		if (l->kind != COS_INI_SECTION)
			continue;
		name = profile_of_section(op.cred.text + l->name_off,
		    l->name_len);
		if (name != NULL && cos_profile_name_validate(name, NULL) == 0) {
			if (add_profile(&profiles, &count, name) != 0) {
				status = cos_error_set(err, COS_ERR_OTHER,
				    "out of memory");
				goto out;
			}
		} else if (l->name_len < sizeof(section)) {
			free(name);
			memcpy(section, op.cred.text + l->name_off, l->name_len);
			section[l->name_len] = '\0';
			warn_unsealable(&op, section);
		} else {
			free(name);
		}
	}
	for (i = 0; i < count; i++)
		if ((status = seal_section(&op, profiles[i], &changed, err)) !=
		    COS_OK)
			goto out;
	if (changed > 0)
		status = save_ini(op.cred_path, &op.cred, err);
	if (status == COS_OK)
		cos_log(ctx, COS_LOG_INFO, "sealed %d plaintext value%s in '%s'",
		    changed, changed == 1 ? "" : "s", op.cred_path);
out:
	cos_strv_free(profiles);
	op_end(&op);
	return status;
}

/* ------------------------------------------------------------------ */
/* Passphrase                                                          */

static int
passphrase_op(struct cos_ctx *ctx, int (*fn)(struct cos_ctx *,
    struct cos_error *), int needs_key, struct cos_error *err)
{
	struct store_op op;
	int status;

	op_init(&op);
	if ((status = op_begin(&op, ctx, NULL, 1, err)) != COS_OK ||
	    (status = op_load_cred(&op, err)) != COS_OK)
		goto out;
	/* Change and remove must check the current passphrase, so a cached
	 * key does not count. */
	cos_ctx_forget_key(ctx);
	if (needs_key && !cos_master_key_exists(ctx) &&
	    (status = op_key_for_sealing(&op, err)) != COS_OK)
		goto out;
	status = fn(ctx, err);
out:
	op_end(&op);
	return status;
}

int
cos_store_passphrase_set(struct cos_ctx *ctx, struct cos_error *err)
{
	return passphrase_op(ctx, cos_master_passphrase_set, 1, err);
}

int
cos_store_passphrase_change(struct cos_ctx *ctx, struct cos_error *err)
{
	return passphrase_op(ctx, cos_master_passphrase_change, 0, err);
}

int
cos_store_passphrase_remove(struct cos_ctx *ctx, struct cos_error *err)
{
	return passphrase_op(ctx, cos_master_passphrase_remove, 0, err);
}

long
cos_store_hold_key_begin(struct cos_ctx *ctx)
{
	long saved = ctx->key_ttl;

	if (saved == 0)
		ctx->key_ttl = LONG_MAX;
	return saved;
}

void
cos_store_hold_key_end(struct cos_ctx *ctx, long saved_ttl)
{
	ctx->key_ttl = saved_ttl;
	if (saved_ttl == 0)
		cos_ctx_forget_key(ctx);
}
