/*
 * resolve.c - settings, credential precedence, and the two STS calls.
 *
 * A setting comes from the command line, else the environment, else the
 * profile's files, else a default.  Credentials follow this order:
 *   1. COS_TOKEN in the environment (with COS_SECRET_ID, COS_SECRET_KEY);
 *   2. a token imported into the profile;
 *   3. AssumeRole with the profile's role and permanent key;
 *   4. the permanent key itself.
 * `cos token` always takes steps 3 and 4: it needs a permanent key.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cache.h"
#include "policy.h"
#include "store.h"
#include "sts.h"

#define CONNECT_TIMEOUT_DEFAULT_MS 10000
#define TIMEOUT_DEFAULT_MS 30000

static const struct {
	const char *key;
	const char *env;
} key_env[] = {
	{ "secret_id", "COS_SECRET_ID" },
	{ "secret_key", "COS_SECRET_KEY" },
	{ "token", "COS_TOKEN" },
	{ "assume_role", "COS_ASSUME_ROLE" },
	{ "region", "COS_REGION" },
	{ "output", "COS_OUTPUT" },
	{ "sts_endpoint", "COS_STS_ENDPOINT" },
	{ "ca_bundle", "COS_CA_BUNDLE" },
	{ "session_name", "COS_SESSION_NAME" },
	{ "connect_timeout", "COS_CONNECT_TIMEOUT" },
	{ "timeout", "COS_TIMEOUT" },
	{ "cache_margin", "COS_CACHE_MARGIN" },
};

const char *
cos_key_env_name(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(key_env) / sizeof(key_env[0]); i++)
		if (strcmp(key, key_env[i].key) == 0)
			return key_env[i].env;
	return NULL;
}

const char *
cos_profile_choose(const char *name)
{
	const char *env;

	if (name != NULL)
		return name;
	env = cos_getenv("COS_PROFILE");
	return env != NULL ? env : "default";
}

/* Everything one STS call needs, resolved for one profile. */
struct settings {
	const char *profile;
	char *secret_id;        /* secret memory */
	char *secret_key;       /* secret memory */
	enum cos_origin key_origin;
	char *assume_role;      /* secret memory, as every store value */
	char *region;
	char *endpoint;
	char *ca_bundle;
	char *session_name;
	long connect_timeout_ms;
	long timeout_ms;
};

static void
settings_free(struct settings *s)
{
	cos_secret_free(s->secret_id);
	cos_secret_free(s->secret_key);
	cos_secret_free(s->assume_role);
	cos_secret_free(s->region);
	cos_secret_free(s->endpoint);
	cos_secret_free(s->ca_bundle);
	cos_secret_free(s->session_name);
	memset(s, 0, sizeof(*s));
}

/* Reads a non-secret setting: option, else environment, else profile.
 * *value stays NULL when nothing sets it. */
static int
setting_get(struct cos_ctx *ctx, const char *profile, const char *key,
    const char *option, char **value, struct cos_error *err)
{
	const char *env_name = cos_key_env_name(key);
	const char *env = env_name != NULL ? cos_getenv(env_name) : NULL;
	enum cos_origin origin;

	*value = NULL;
	if (option != NULL || env != NULL) {
		*value = cos_secret_strdup(option != NULL ? option : env);
		if (*value == NULL)
			return cos_error_set(err, COS_ERR_OTHER, "out of memory");
		return COS_OK;
	}
	return cos_store_get(ctx, profile, key, value, &origin, err);
}

/* Rejects a credential that cannot travel in an HTTP header: a control
 * character such as a line break would end the header early.  what names
 * the value for the message, never the value itself. */
static int
check_credential(const char *what, const char *value, struct cos_error *err)
{
	size_t i;

	for (i = 0; value[i] != '\0'; i++) {
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) {
			cos_error_set(err, COS_ERR_USAGE, "%s contains a control "
			    "character at position %zu", what, i + 1);
			cos_error_hint(err, "Set it again without line breaks or "
			    "spaces around it.");
			return COS_ERR_USAGE;
		}
	}
	return COS_OK;
}

/* Checks the three values of creds, which came from where. */
static int
check_credentials(const struct cos_credentials *c, const char *where,
    struct cos_error *err)
{
	char what[160];
	int status;

	snprintf(what, sizeof(what), "the secret_id %s", where);
	if ((status = check_credential(what, c->secret_id, err)) != COS_OK)
		return status;
	snprintf(what, sizeof(what), "the secret_key %s", where);
	if ((status = check_credential(what, c->secret_key, err)) != COS_OK)
		return status;
	snprintf(what, sizeof(what), "the token %s", where);
	if (c->token != NULL &&
	    (status = check_credential(what, c->token, err)) != COS_OK)
		return status;
	return COS_OK;
}

enum { TEMPORARY_IN_ENV = 1, TEMPORARY_IN_PROFILE = 2 };

/* Reads the permanent key: COS_SECRET_ID and COS_SECRET_KEY when no
 * COS_TOKEN marks them as temporary, else the profile's, unless the
 * profile contains an imported token.  Both stay NULL when there is none;
 * *temporary tells where temporary credentials were seen instead: 0
 * nowhere, TEMPORARY_IN_ENV or TEMPORARY_IN_PROFILE. */
static int
permanent_key_get(struct cos_ctx *ctx, struct settings *s, int *temporary,
    struct cos_error *err)
{
	const char *env_id = cos_getenv("COS_SECRET_ID");
	const char *env_key = cos_getenv("COS_SECRET_KEY");
	char *token = NULL;
	enum cos_origin origin;
	int status;

	*temporary = cos_getenv("COS_TOKEN") != NULL ? TEMPORARY_IN_ENV : 0;
	if (!*temporary && (env_id != NULL || env_key != NULL)) {
		if (env_id == NULL || env_key == NULL)
			return cos_error_set(err, COS_ERR_USAGE, "%s is set but "
			    "%s is not; set both or neither", env_id != NULL ?
			    "COS_SECRET_ID" : "COS_SECRET_KEY", env_id != NULL ?
			    "COS_SECRET_KEY" : "COS_SECRET_ID");
		if ((status = check_credential("COS_SECRET_ID", env_id,
		    err)) != COS_OK ||
		    (status = check_credential("COS_SECRET_KEY", env_key,
		    err)) != COS_OK)
			return status;
		s->secret_id = cos_secret_strdup(env_id);
		s->secret_key = cos_secret_strdup(env_key);
		if (s->secret_id == NULL || s->secret_key == NULL)
			return cos_error_set(err, COS_ERR_OTHER, "out of memory");
		s->key_origin = COS_ORIGIN_ENV;
		return COS_OK;
	}
	if ((status = cos_store_get(ctx, s->profile, "token", &token, &origin,
	    err)) != COS_OK)
		return status;
	if (token != NULL) {
		cos_secret_free(token);
		*temporary = TEMPORARY_IN_PROFILE;
		return COS_OK;
	}
	if ((status = cos_store_get(ctx, s->profile, "secret_id",
	    &s->secret_id, &s->key_origin, err)) != COS_OK ||
	    (status = cos_store_get(ctx, s->profile, "secret_key",
	    &s->secret_key, &origin, err)) != COS_OK)
		return status;
	if ((s->secret_id == NULL) != (s->secret_key == NULL))
		return cos_error_set(err, COS_ERR_OTHER, "profile '%s' has a "
		    "%s but no %s", s->profile, s->secret_id != NULL ?
		    "secret_id" : "secret_key", s->secret_id != NULL ?
		    "secret_key" : "secret_id");
	if (s->secret_id != NULL) {
		char what[160];

		snprintf(what, sizeof(what), "the secret_id of profile '%s'",
		    s->profile);
		if ((status = check_credential(what, s->secret_id, err)) != COS_OK)
			return status;
		snprintf(what, sizeof(what), "the secret_key of profile '%s'",
		    s->profile);
		if ((status = check_credential(what, s->secret_key,
		    err)) != COS_OK)
			return status;
	}
	return COS_OK;
}

static int
valid_region(const char *r)
{
	size_t i, len = strlen(r);

	if (len == 0 || len > 32)
		return 0;
	for (i = 0; i < len; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' &&
		    r[i] <= '9') || r[i] == '-'))
			return 0;
	return 1;
}

/* RoleSessionName: 2-128 characters of [A-Za-z0-9_+=,.@-]. */
static int
session_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("_+=,.@-", c) != NULL;
}

static int
check_session_name(const char *name, struct cos_error *err)
{
	size_t i, len = strlen(name);

	if (len < 2 || len > 128)
		return cos_error_set(err, COS_ERR_USAGE, "session name '%s' "
		    "must be 2 to 128 characters long", name);
	for (i = 0; i < len; i++)
		if (!session_char(name[i]))
			return cos_error_set(err, COS_ERR_USAGE, "session name "
			    "'%s' has an invalid character at position %zu; use "
			    "letters, digits and _+=,.@-", name, i + 1);
	return COS_OK;
}

/* The default RoleSessionName: "cos-" and the local user name reduced to
 * the characters STS allows. */
static char *
default_session_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw != NULL ? pw->pw_name : cos_getenv("USER");
	char name[129] = "cos-";
	size_t o = 4;

	for (; user != NULL && *user != '\0' && o < 128; user++)
		if (session_char(*user))
			name[o++] = *user;
	name[o] = '\0';
	if (o == 4)
		snprintf(name, sizeof(name), "cos-cli");
	return cos_secret_strdup(name);
}

static int
parse_timeout(const char *key, const char *text, long fallback_ms,
    long *out_ms, struct cos_error *err)
{
	char *end;
	double secs;

	if (text == NULL) {
		*out_ms = fallback_ms;
		return COS_OK;
	}
	secs = strtod(text, &end);
	if (end == text || *end != '\0' || !(secs > 0) || secs > 3600)
		return cos_error_set(err, COS_ERR_USAGE, "%s '%s' is not a "
		    "number of seconds between 0 and 3600 (set by %s or the "
		    "profile key %s)", key, text, cos_key_env_name(key), key);
	*out_ms = (long)(secs * 1000);
	return COS_OK;
}

/* Resolves everything but the key: role, region, endpoint, CA bundle,
 * session name and timeouts. */
static int
settings_load(struct cos_ctx *ctx, const struct cos_token_options *opts,
    struct settings *s, struct cos_error *err)
{
	char *connect = NULL, *total = NULL;
	int status;

	if ((status = setting_get(ctx, s->profile, "assume_role", NULL,
	    &s->assume_role, err)) != COS_OK ||
	    (status = setting_get(ctx, s->profile, "region", opts->region,
	    &s->region, err)) != COS_OK ||
	    (status = setting_get(ctx, s->profile, "sts_endpoint", NULL,
	    &s->endpoint, err)) != COS_OK ||
	    (status = setting_get(ctx, s->profile, "ca_bundle", NULL,
	    &s->ca_bundle, err)) != COS_OK ||
	    (status = setting_get(ctx, s->profile, "session_name",
	    opts->session_name, &s->session_name, err)) != COS_OK ||
	    (status = setting_get(ctx, s->profile, "connect_timeout", NULL,
	    &connect, err)) != COS_OK ||
	    (status = setting_get(ctx, s->profile, "timeout", NULL, &total,
	    err)) != COS_OK)
		goto out;

	if (s->region == NULL)
		s->region = cos_secret_strdup(COS_DEFAULT_REGION);
	if (s->endpoint == NULL)
		s->endpoint = cos_secret_strdup(COS_DEFAULT_ENDPOINT);
	if (s->session_name == NULL)
		s->session_name = default_session_name();
	if (s->region == NULL || s->endpoint == NULL || s->session_name == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	if (s->ca_bundle != NULL && access(s->ca_bundle, R_OK) != 0) {
		status = cos_error_set(err, COS_ERR_USAGE, "CA bundle '%s' "
		    "cannot be read: %s", s->ca_bundle, strerror(errno));
		cos_error_hint(err, "Point COS_CA_BUNDLE or the profile key "
		    "ca_bundle at a readable PEM file.");
		goto out;
	}
	if (!valid_region(s->region)) {
		status = cos_error_set(err, COS_ERR_USAGE, "region '%s' is not "
		    "a valid region name such as ap-shanghai", s->region);
		goto out;
	}
	if ((status = check_session_name(s->session_name, err)) != COS_OK ||
	    (status = parse_timeout("connect_timeout", connect,
	    CONNECT_TIMEOUT_DEFAULT_MS, &s->connect_timeout_ms, err)) != COS_OK ||
	    (status = parse_timeout("timeout", total, TIMEOUT_DEFAULT_MS,
	    &s->timeout_ms, err)) != COS_OK)
		goto out;
	status = COS_OK;
out:
	cos_secret_free(connect);
	cos_secret_free(total);
	return status;
}

int
cos_token_options_validate(const struct cos_token_options *opts,
    struct cos_error *err)
{
	char *policy = NULL;
	int status;

	if (opts->duration != 0 && opts->duration < COS_DURATION_MIN)
		return cos_error_set(err, COS_ERR_USAGE,
		    "Duration must be at least %d seconds", COS_DURATION_MIN);
	if (opts->duration > COS_DURATION_MAX)
		return cos_error_set(err, COS_ERR_USAGE,
		    "Duration cannot exceed %d seconds", COS_DURATION_MAX);
	if (opts->profile != NULL &&
	    (status = cos_profile_name_validate(opts->profile, err)) != COS_OK)
		return status;
	if (opts->region != NULL && !valid_region(opts->region))
		return cos_error_set(err, COS_ERR_USAGE, "region '%s' is not a "
		    "valid region name such as ap-shanghai", opts->region);
	if (opts->session_name != NULL &&
	    (status = check_session_name(opts->session_name, err)) != COS_OK)
		return status;
	/* Build the policy once with a placeholder region, so that every
	 * scoping error shows before any request. */
	status = cos_policy_build(opts, "ap-shanghai", &policy, err);
	free(policy);
	return status;
}

static int
target_from(const struct settings *s, struct cos_sts_target *t)
{
	t->endpoint = s->endpoint;
	t->region = s->region;
	t->ca_bundle = s->ca_bundle;
	t->connect_timeout_ms = s->connect_timeout_ms;
	t->timeout_ms = s->timeout_ms;
	return COS_OK;
}

/* Builds the AssumeRole body.  The Policy travels URL-encoded. */
static int
assume_role_body(const struct settings *s, long duration, const char *policy,
    char **out, size_t *out_len, struct cos_error *err)
{
	struct json_object *body = json_object_new_object();
	struct cos_buf enc;
	const char *text;

	cos_buf_init(&enc, 0, 0);
	json_object_object_add(body, "RoleArn",
	    json_object_new_string(s->assume_role));
	json_object_object_add(body, "RoleSessionName",
	    json_object_new_string(s->session_name));
	json_object_object_add(body, "DurationSeconds",
	    json_object_new_int64(duration));
	if (policy != NULL) {
		cos_buf_urlencode(&enc, policy, strlen(policy));
		if (enc.failed) {
			json_object_put(body);
			return cos_error_set(err, COS_ERR_OTHER, "out of memory");
		}
		json_object_object_add(body, "Policy",
		    json_object_new_string(enc.data));
	}
	text = json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = text != NULL ? strdup(text) : NULL;
	if (*out != NULL)
		*out_len = strlen(*out);
	json_object_put(body);
	cos_buf_free(&enc);
	if (*out == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	return COS_OK;
}

static void
hint_for_service_error(struct cos_error *err, const struct settings *s)
{
	if (err->hint[0] != '\0')
		return;
	if (strcmp(err->code, "AuthFailure.SignatureFailure") == 0 ||
	    strcmp(err->code, "AuthFailure.SecretIdNotFound") == 0)
		cos_error_hint(err, "Check the secret_id and secret_key of "
		    "profile '%s' (cos configure list --profile %s).",
		    s->profile, s->profile);
	else if (strcmp(err->code, "ResourceNotFound.RoleNotFound") == 0)
		cos_error_hint(err, "Check the role ARN: cos configure set "
		    "assume_role \"qcs::cam::uin/<uin>:roleName/<role>\"");
	else if (strcmp(err->code, "InvalidParameter.OverTimeError") == 0)
		cos_error_hint(err, "The role's maximum session duration is "
		    "lower; request a shorter --duration.");
}

/* One AssumeRole request, ready to send. */
struct assume_call {
	struct cos_ctx *ctx;
	const struct settings *s;
	long duration;
	const char *body;
	size_t body_len;
};

/* Sends the AssumeRole request of call (a cos_cache_fetch_fn). */
static int
assume_role_send(void *arg, struct cos_credentials **out,
    struct cos_error *err)
{
	const struct assume_call *call = arg;
	struct cos_sts_target target;
	struct cos_sts_signer signer;
	struct json_object *response = NULL;
	int status;

	target_from(call->s, &target);
	signer.secret_id = call->s->secret_id;
	signer.secret_key = call->s->secret_key;
	signer.token = NULL;
	cos_log(call->ctx, COS_LOG_INFO, "AssumeRole %s as session %s in %s "
	    "for %ld s", call->s->assume_role, call->s->session_name,
	    call->s->region, call->duration);
	status = cos_sts_call(call->ctx, &target, &signer, "AssumeRole",
	    call->body, call->body_len, &response, err);
	if (status == COS_ERR_SERVICE)
		hint_for_service_error(err, call->s);
	if (status == COS_OK)
		status = cos_sts_parse_credentials(response, cos_now(), out,
		    err);
	if (status == COS_OK)
		(*out)->duration = call->duration;
	if (response != NULL) {
		cos_json_wipe(response);
		json_object_put(response);
	}
	return status;
}

static int
assume_role(struct cos_ctx *ctx, const struct cos_token_options *opts,
    struct cos_credentials **out, struct cos_error *err)
{
	struct settings s;
	struct assume_call call;
	char *policy = NULL, *body = NULL;
	size_t body_len = 0;
	long duration = opts->duration != 0 ? opts->duration :
	    COS_DURATION_DEFAULT;
	int temporary = 0, status;

	memset(&s, 0, sizeof(s));
	if ((status = cos_token_options_validate(opts, err)) != COS_OK)
		return status;
	s.profile = cos_profile_choose(opts->profile);
	if ((status = cos_profile_name_validate(s.profile, err)) != COS_OK ||
	    (status = permanent_key_get(ctx, &s, &temporary, err)) != COS_OK)
		goto out;
	if (s.secret_id == NULL) {
		if (temporary == TEMPORARY_IN_ENV) {
			status = cos_error_set(err, COS_ERR_OTHER, "no permanent "
			    "key is configured for profile '%s', and the "
			    "credentials in the environment (COS_TOKEN) are "
			    "temporary, which cannot request new ones", s.profile);
			cos_error_hint(err, "Set a permanent key for the profile: "
			    "cos configure --profile %s", s.profile);
		} else if (temporary == TEMPORARY_IN_PROFILE) {
			status = cos_error_set(err, COS_ERR_OTHER, "cos token "
			    "needs a permanent key, but profile '%s' has only "
			    "temporary credentials", s.profile);
			cos_error_hint(err, "Use a profile with a permanent key "
			    "(--profile NAME), or set one: cos configure set "
			    "secret_id - --profile %s", s.profile);
		} else {
			status = cos_error_set(err, COS_ERR_OTHER, "no permanent "
			    "key is configured for profile '%s'", s.profile);
			cos_error_hint(err, "Run 'cos configure --profile %s', or "
			    "set COS_SECRET_ID and COS_SECRET_KEY.", s.profile);
		}
		goto out;
	}
	if ((status = settings_load(ctx, opts, &s, err)) != COS_OK)
		goto out;
	if (s.assume_role == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "Assume role ARN is required");
		cos_error_hint(err, "Set it with: cos configure set assume_role "
		    "\"qcs::cam::uin/<uin>:roleName/<role>\"");
		goto out;
	}
	if ((status = cos_policy_build(opts, s.region, &policy, err)) != COS_OK ||
	    (status = assume_role_body(&s, duration, policy, &body, &body_len,
	    err)) != COS_OK)
		goto out;

	call.ctx = ctx;
	call.s = &s;
	call.duration = duration;
	call.body = body;
	call.body_len = body_len;
	if (opts->use_cache) {
		/* Everything that shapes the session picks the cache entry. */
		struct cos_cache_key key = {
			.profile = s.profile, .secret_id = s.secret_id,
			.role = s.assume_role, .region = s.region,
			.duration = duration, .policy = policy,
			.session_name = s.session_name, .endpoint = s.endpoint,
			.min_left = opts->min_left,
		};

		status = cos_cache_get(ctx, &key, assume_role_send, &call, out,
		    err);
	} else {
		status = assume_role_send(&call, out, err);
	}
out:
	free(policy);
	free(body);
	settings_free(&s);
	return status;
}

/* ------------------------------------------------------------------ */

/* Step 1: temporary credentials in the environment. */
static int
env_token_credentials(struct cos_credentials **out, struct cos_error *err)
{
	const char *id = cos_getenv("COS_SECRET_ID");
	const char *key = cos_getenv("COS_SECRET_KEY");
	const char *token = cos_getenv("COS_TOKEN");
	const char *expiration = cos_getenv("COS_TOKEN_EXPIRATION");
	struct cos_credentials *c;
	int64_t expires = 0;
	int status;

	if (id == NULL || key == NULL)
		return cos_error_set(err, COS_ERR_USAGE, "COS_TOKEN is set but "
		    "COS_SECRET_ID or COS_SECRET_KEY is not");
	if (expiration != NULL) {
		if (cos_parse_iso8601(expiration, &expires) != 0)
			return cos_error_set(err, COS_ERR_USAGE,
			    "COS_TOKEN_EXPIRATION '%s' is not an ISO-8601 UTC "
			    "time such as 2026-01-02T03:04:05Z", expiration);
		if (expires <= cos_now()) {
			cos_error_set(err, COS_ERR_OTHER, "the temporary "
			    "credentials in the environment expired at %s",
			    expiration);
			cos_error_hint(err, "Get new ones with cos_token, or "
			    "eval \"$(cos token -o env)\".");
			return COS_ERR_OTHER;
		}
	}
	c = cos_credentials_new();
	if (c == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	c->secret_id = cos_secret_strdup(id);
	c->secret_key = cos_secret_strdup(key);
	c->token = cos_secret_strdup(token);
	c->expired_time = expires;
	c->source = COS_SOURCE_ENV_TOKEN;
	if (c->secret_id == NULL || c->secret_key == NULL || c->token == NULL) {
		cos_credentials_free(c);
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	}
	if ((status = check_credentials(c, "in the environment (COS_SECRET_ID, "
	    "COS_SECRET_KEY, COS_TOKEN)", err)) != COS_OK) {
		cos_credentials_free(c);
		return status;
	}
	*out = c;
	return COS_OK;
}

/* Step 2: a token imported into the profile.  *out stays NULL when the
 * profile contains none. */
static int
imported_token_credentials(struct cos_ctx *ctx, const char *profile,
    struct cos_credentials **out, struct cos_error *err)
{
	struct cos_credentials *c;
	char *expiration = NULL;
	char where[160];
	enum cos_origin origin;
	int status;

	*out = NULL;
	c = cos_credentials_new();
	if (c == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	if ((status = cos_store_get(ctx, profile, "token", &c->token, &origin,
	    err)) != COS_OK || c->token == NULL)
		goto out;
	if ((status = cos_store_get(ctx, profile, "secret_id", &c->secret_id,
	    &origin, err)) != COS_OK ||
	    (status = cos_store_get(ctx, profile, "secret_key", &c->secret_key,
	    &origin, err)) != COS_OK ||
	    (status = cos_store_get(ctx, profile, "token_expiration",
	    &expiration, &origin, err)) != COS_OK)
		goto out;
	if (c->secret_id == NULL || c->secret_key == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "profile '%s' has an "
		    "imported token but no secret_id or secret_key", profile);
		goto out;
	}
	if (expiration != NULL) {
		if (cos_parse_iso8601(expiration, &c->expired_time) != 0) {
			status = cos_error_set(err, COS_ERR_OTHER, "profile '%s' "
			    "has an invalid token_expiration '%s'", profile,
			    expiration);
			goto out;
		}
		if (c->expired_time <= cos_now()) {
			status = cos_error_set(err, COS_ERR_OTHER, "the token "
			    "imported into profile '%s' expired at %s", profile,
			    expiration);
			cos_error_hint(err, "Run 'cos token' again and import the "
			    "result: cos token -o json | cos configure "
			    "import-token --json - --profile %s", profile);
			goto out;
		}
	}
	snprintf(where, sizeof(where), "imported into profile '%s'", profile);
	if ((status = check_credentials(c, where, err)) != COS_OK)
		goto out;
	c->source = COS_SOURCE_IMPORTED_TOKEN;
	*out = c;
	c = NULL;
	status = COS_OK;
out:
	cos_secret_free(expiration);
	cos_credentials_free(c);
	return status;
}

static int
resolve_credentials(struct cos_ctx *ctx,
    const struct cos_token_options *opts, struct cos_credentials **out,
    struct cos_error *err)
{
	struct settings s;
	struct cos_credentials *c = NULL;
	int temporary = 0, status;

	memset(&s, 0, sizeof(s));
	if (cos_getenv("COS_TOKEN") != NULL)
		return env_token_credentials(out, err);
	s.profile = cos_profile_choose(opts->profile);
	if ((status = cos_profile_name_validate(s.profile, err)) != COS_OK ||
	    (status = imported_token_credentials(ctx, s.profile, &c,
	    err)) != COS_OK)
		return status;
	if (c != NULL) {
		*out = c;
		return COS_OK;
	}
	if ((status = setting_get(ctx, s.profile, "assume_role", NULL,
	    &s.assume_role, err)) != COS_OK)
		goto out;
	if (s.assume_role != NULL) {
		status = assume_role(ctx, opts, out, err);
		goto out;
	}
	if ((status = permanent_key_get(ctx, &s, &temporary, err)) != COS_OK)
		goto out;
	if (s.secret_id == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "no credentials are "
		    "configured for profile '%s'", s.profile);
		cos_error_hint(err, "Run 'cos configure --profile %s', or set "
		    "COS_SECRET_ID and COS_SECRET_KEY.", s.profile);
		goto out;
	}
	c = cos_credentials_new();
	if (c == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	c->secret_id = s.secret_id;
	c->secret_key = s.secret_key;
	s.secret_id = s.secret_key = NULL;
	c->source = COS_SOURCE_PERMANENT_KEY;
	*out = c;
	status = COS_OK;
out:
	settings_free(&s);
	return status;
}

/* The public entry points hold the unlocked master key for the whole
 * lookup, so that a store whose key cache is off asks for the passphrase
 * once rather than once per sealed value. */
int
cos_assume_role(struct cos_ctx *ctx, const struct cos_token_options *opts,
    struct cos_credentials **out, struct cos_error *err)
{
	long saved_ttl = cos_store_hold_key_begin(ctx);
	int status = assume_role(ctx, opts, out, err);

	cos_store_hold_key_end(ctx, saved_ttl);
	return status;
}

int
cos_resolve_credentials(struct cos_ctx *ctx,
    const struct cos_token_options *opts, struct cos_credentials **out,
    struct cos_error *err)
{
	long saved_ttl = cos_store_hold_key_begin(ctx);
	int status = resolve_credentials(ctx, opts, out, err);

	cos_store_hold_key_end(ctx, saved_ttl);
	return status;
}

int
cos_resolve_source(struct cos_ctx *ctx, const char *profile,
    enum cos_source *out, struct cos_error *err)
{
	struct settings s;
	char *token = NULL;
	enum cos_origin origin;
	int temporary = 0, status;

	memset(&s, 0, sizeof(s));
	if (cos_getenv("COS_TOKEN") != NULL) {
		*out = COS_SOURCE_ENV_TOKEN;
		return COS_OK;
	}
	s.profile = cos_profile_choose(profile);
	if ((status = cos_store_get(ctx, s.profile, "token", &token, &origin,
	    err)) != COS_OK)
		return status;
	if (token != NULL) {
		cos_secret_free(token);
		*out = COS_SOURCE_IMPORTED_TOKEN;
		return COS_OK;
	}
	if ((status = permanent_key_get(ctx, &s, &temporary, err)) != COS_OK ||
	    (status = setting_get(ctx, s.profile, "assume_role", NULL,
	    &s.assume_role, err)) != COS_OK)
		goto out;
	if (s.secret_id == NULL)
		*out = COS_SOURCE_NONE;
	else if (s.assume_role != NULL)
		*out = COS_SOURCE_ASSUME_ROLE;
	else
		*out = COS_SOURCE_PERMANENT_KEY;
	status = COS_OK;
out:
	settings_free(&s);
	return status;
}

/* ------------------------------------------------------------------ */

static void
identity_field(struct json_object *resp, const char *name, char *out,
    size_t size)
{
	struct json_object *v;

	out[0] = '\0';
	if (json_object_object_get_ex(resp, name, &v) &&
	    (json_object_is_type(v, json_type_string) ||
	    json_object_is_type(v, json_type_int)))
		cos_clean_text(out, size, json_object_get_string(v),
		    strlen(json_object_get_string(v)));
}

int
cos_get_caller_identity(struct cos_ctx *ctx,
    const struct cos_token_options *opts, const struct cos_credentials *creds,
    struct cos_identity *out, struct cos_error *err)
{
	struct settings s;
	struct cos_sts_target target;
	struct cos_sts_signer signer;
	struct cos_token_options none;
	struct json_object *response = NULL;
	int status;

	memset(&s, 0, sizeof(s));
	memset(&none, 0, sizeof(none));
	none.region = opts != NULL ? opts->region : NULL;
	s.profile = cos_profile_choose(opts != NULL ? opts->profile : NULL);
	if ((status = settings_load(ctx, &none, &s, err)) != COS_OK)
		goto out;
	target_from(&s, &target);
	signer.secret_id = creds->secret_id;
	signer.secret_key = creds->secret_key;
	signer.token = creds->token;
	status = cos_sts_call(ctx, &target, &signer, "GetCallerIdentity", "{}",
	    2, &response, err);
	if (status != COS_OK)
		goto out;
	memset(out, 0, sizeof(*out));
	identity_field(response, "AccountId", out->account_id,
	    sizeof(out->account_id));
	identity_field(response, "Arn", out->arn, sizeof(out->arn));
	identity_field(response, "UserId", out->user_id, sizeof(out->user_id));
	identity_field(response, "PrincipalId", out->principal_id,
	    sizeof(out->principal_id));
	identity_field(response, "Type", out->type, sizeof(out->type));
	identity_field(response, "RequestId", out->request_id,
	    sizeof(out->request_id));
	if (out->arn[0] == '\0' || out->account_id[0] == '\0')
		status = cos_error_set(err, COS_ERR_OTHER, "STS response to "
		    "GetCallerIdentity has no Arn or AccountId");
out:
	if (response != NULL)
		json_object_put(response);
	settings_free(&s);
	return status;
}
