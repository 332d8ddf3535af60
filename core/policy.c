/*
 * policy.c - CAM policies for scoped tokens.
 *
 * A COS resource is qcs::cos:<region>:uid/<APPID>:<bucket>-<APPID>/<key>,
 * where the bucket keeps its APPID suffix and '*' is a wildcard; actions
 * are named name/cos:<Action>.  The policy goes to AssumeRole as
 * URL-encoded JSON; STS grants the intersection with the role's policy.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "policy.h"

#define COS_PREFIX_MAX 850

static const char *const read_actions[] = {
	"GetBucket", "GetObject", "HeadObject", "OptionsObject", "ListParts",
	"ListMultipartUploads", NULL
};

static const char *const write_actions[] = {
	"PutObject", "PostObject", "DeleteObject", "DeleteMultipleObjects",
	"InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
	"AbortMultipartUpload", NULL
};

/* Actions that --read-only allows when named with --action. */
static int
is_read_action(const char *action)
{
	size_t i;

	for (i = 0; read_actions[i] != NULL; i++)
		if (strcmp(action, read_actions[i]) == 0)
			return 1;
	return strcmp(action, "GetBucketObjectVersions") == 0 ||
	    strcmp(action, "GetService") == 0 ||
	    strcmp(action, "GetBucketLocation") == 0;
}

int
cos_policy_wanted(const struct cos_token_options *opts)
{
	return opts->bucket != NULL || opts->prefix != NULL ||
	    opts->read_only || opts->action_count > 0;
}

/* COS bucket names: lower-case letters, digits and '-', no leading or
 * trailing '-'. */
static int
valid_bucket(const char *b, size_t len)
{
	size_t i;

	if (len < 2 || len > 60 || b[0] == '-' || b[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' &&
		    b[i] <= '9') || b[i] == '-'))
			return 0;
	return 1;
}

static int
all_digits(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Rejects a prefix with control characters or a '*' (which would widen
 * the resource beyond the prefix). */
static int
check_prefix(const char *prefix, struct cos_error *err)
{
	size_t i;

	/* An encoded COS object key is at most 850 bytes (Tencent Cloud COS
	 * documentation, "Object Overview"), so a longer prefix matches
	 * nothing. */
	if (strlen(prefix) > COS_PREFIX_MAX)
		return cos_error_set(err, COS_ERR_USAGE, "prefix is %zu bytes "
		    "long, over the limit of %d", strlen(prefix),
		    COS_PREFIX_MAX);

	for (i = 0; prefix[i] != '\0'; i++) {
		unsigned char c = (unsigned char)prefix[i];

		if (c < 0x20 || c == 0x7f)
			return cos_error_set(err, COS_ERR_USAGE,
			    "prefix has a control character at position %zu",
			    i + 1);
		if (c == '*')
			return cos_error_set(err, COS_ERR_USAGE,
			    "prefix '%s' contains '*'; give a plain key prefix, "
			    "the wildcard is added for you", prefix);
	}
	return COS_OK;
}

static int
check_action(const char *action, struct cos_error *err)
{
	size_t i, len = strlen(action);

	if (len == 0 || len > 64)
		return cos_error_set(err, COS_ERR_USAGE,
		    "action '%s' is not a COS action name such as GetObject",
		    action);
	for (i = 0; i < len; i++)
		if (!((action[i] >= 'A' && action[i] <= 'Z') ||
		    (action[i] >= 'a' && action[i] <= 'z') ||
		    (action[i] >= '0' && action[i] <= '9') || action[i] == '*'))
			return cos_error_set(err, COS_ERR_USAGE,
			    "action '%s' is not a COS action name such as "
			    "GetObject", action);
	return COS_OK;
}

struct scope {
	char bucket[64];
	char appid[32];
	const char *prefix;
	char *prefix_owned;
};

/* Splits --bucket (name-APPID or cos://name-APPID/prefix) and --appid. */
static int
parse_bucket(const struct cos_token_options *opts, struct scope *sc,
    struct cos_error *err)
{
	const char *b = opts->bucket, *slash, *dash;
	size_t len;

	sc->prefix = opts->prefix;
	if (strncmp(b, "cos://", 6) == 0) {
		b += 6;
		slash = strchr(b, '/');
		len = slash != NULL ? (size_t)(slash - b) : strlen(b);
		if (slash != NULL && slash[1] != '\0') {
			if (opts->prefix != NULL)
				return cos_error_set(err, COS_ERR_USAGE,
				    "give the prefix either in '%s' or with "
				    "--prefix, not both", opts->bucket);
			sc->prefix = slash + 1;
		}
	} else {
		len = strlen(b);
	}
	if (!valid_bucket(b, len))
		return cos_error_set(err, COS_ERR_USAGE,
		    "bucket '%s' is not a valid COS bucket name (lower-case "
		    "letters, digits and '-', ending in -APPID)", opts->bucket);
	memcpy(sc->bucket, b, len);
	sc->bucket[len] = '\0';

	dash = strrchr(sc->bucket, '-');
	if (opts->appid != NULL) {
		if (!all_digits(opts->appid, strlen(opts->appid)) ||
		    strlen(opts->appid) >= sizeof(sc->appid))
			return cos_error_set(err, COS_ERR_USAGE,
			    "APPID '%s' is not a number", opts->appid);
		snprintf(sc->appid, sizeof(sc->appid), "%s", opts->appid);
		if (dash == NULL || strcmp(dash + 1, sc->appid) != 0) {
			/* The resource needs the full bucket name. */
			if (strlen(sc->bucket) + 1 + strlen(sc->appid) >=
			    sizeof(sc->bucket))
				return cos_error_set(err, COS_ERR_USAGE,
				    "bucket '%s' is too long", opts->bucket);
			len = strlen(sc->bucket);
			snprintf(sc->bucket + len, sizeof(sc->bucket) - len,
			    "-%s", sc->appid);
		}
	} else {
		if (dash == NULL || !all_digits(dash + 1, strlen(dash + 1)) ||
		    strlen(dash + 1) >= sizeof(sc->appid))
			return cos_error_set(err, COS_ERR_USAGE,
			    "bucket '%s' does not end in -APPID (for example "
			    "examplebucket-1250000000); add the suffix or pass "
			    "--appid", opts->bucket);
		snprintf(sc->appid, sizeof(sc->appid), "%s", dash + 1);
	}
	return COS_OK;
}

static int
add_actions(struct json_object *list, const struct cos_token_options *opts,
    struct cos_error *err)
{
	const char *const *defaults;
	char name[96];
	size_t i;
	int status;

	for (i = 0; i < opts->action_count; i++) {
		const char *a = opts->actions[i];

		if (strncmp(a, "name/cos:", 9) == 0)
			a += 9;
		if ((status = check_action(a, err)) != COS_OK)
			return status;
		if (opts->read_only && !is_read_action(a))
			return cos_error_set(err, COS_ERR_USAGE,
			    "--read-only conflicts with --action %s, which "
			    "writes", a);
		snprintf(name, sizeof(name), "name/cos:%s", a);
		json_object_array_add(list, json_object_new_string(name));
	}
	if (opts->action_count > 0)
		return COS_OK;
	for (defaults = read_actions; *defaults != NULL; defaults++) {
		snprintf(name, sizeof(name), "name/cos:%s", *defaults);
		json_object_array_add(list, json_object_new_string(name));
	}
	if (opts->read_only)
		return COS_OK;
	for (defaults = write_actions; *defaults != NULL; defaults++) {
		snprintf(name, sizeof(name), "name/cos:%s", *defaults);
		json_object_array_add(list, json_object_new_string(name));
	}
	return COS_OK;
}

int
cos_policy_build(const struct cos_token_options *opts, const char *region,
    char **out, struct cos_error *err)
{
	struct json_object *root = NULL, *statements, *st, *actions, *resources;
	struct scope sc;
	char *resource = NULL, *json = NULL;
	int status;

	memset(&sc, 0, sizeof(sc));
	if (!cos_policy_wanted(opts)) {
		*out = NULL;
		return COS_OK;
	}
	if (opts->bucket == NULL && opts->prefix != NULL)
		return cos_error_set(err, COS_ERR_USAGE,
		    "--prefix needs --bucket");
	if (opts->bucket == NULL && opts->appid != NULL)
		return cos_error_set(err, COS_ERR_USAGE,
		    "--appid needs --bucket");
	if (opts->bucket != NULL &&
	    (status = parse_bucket(opts, &sc, err)) != COS_OK)
		return status;
	if (sc.prefix != NULL) {
		while (sc.prefix[0] == '/')
			sc.prefix++;
		if ((status = check_prefix(sc.prefix, err)) != COS_OK)
			return status;
	}

	root = json_object_new_object();
	statements = json_object_new_array();
	st = json_object_new_object();
	actions = json_object_new_array();
	resources = json_object_new_array();
	json_object_object_add(root, "version", json_object_new_string("2.0"));
	json_object_object_add(root, "statement", statements);
	json_object_array_add(statements, st);
	json_object_object_add(st, "effect", json_object_new_string("allow"));
	json_object_object_add(st, "action", actions);
	json_object_object_add(st, "resource", resources);
	if ((status = add_actions(actions, opts, err)) != COS_OK)
		goto out;

	if (opts->bucket != NULL) {
		if (asprintf(&resource, "qcs::cos:%s:uid/%s:%s/%s*", region,
		    sc.appid, sc.bucket, sc.prefix != NULL ? sc.prefix : "") < 0) {
			resource = NULL;
			status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
			goto out;
		}
		json_object_array_add(resources,
		    json_object_new_string(resource));
	} else {
		/* --read-only or --action without a bucket: every resource
		 * the role can reach, limited to those actions. */
		json_object_array_add(resources, json_object_new_string("*"));
	}

	json = strdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (json == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	*out = json;
	status = COS_OK;
out:
	free(resource);
	json_object_put(root);
	return status;
}
