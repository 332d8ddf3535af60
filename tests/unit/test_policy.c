/*
 * test_policy.c - scoped-token policies and the option checks made before
 * any request.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "internal.h"
#include "policy.h"

/* The policy JSON of the TC3-V2 vector, which the official SDK encoded. */
#define V2_POLICY "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\"," \
	"\"action\":[\"name/cos:GetObject\",\"name/cos:PutObject\"]," \
	"\"resource\":[\"qcs::cos:ap-guangzhou:uid/1250000000:" \
	"examplebucket-1250000000/exampledir/*\"]}]}"
#define V2_ENCODED "%7B%22version%22%3A%222.0%22%2C%22statement%22%3A%5B%7B" \
	"%22effect%22%3A%22allow%22%2C%22action%22%3A%5B%22name%2Fcos%3A" \
	"GetObject%22%2C%22name%2Fcos%3APutObject%22%5D%2C%22resource%22%3A" \
	"%5B%22qcs%3A%3Acos%3Aap-guangzhou%3Auid%2F1250000000%3A" \
	"examplebucket-1250000000%2Fexampledir%2F%2A%22%5D%7D%5D%7D"

static char *
build(struct cos_token_options *o, const char *region, int *status)
{
	struct cos_error err;
	char *policy = NULL;

	cos_error_clear(&err);
	*status = cos_policy_build(o, region, &policy, &err);
	return policy;
}

static void
test_v2_policy(void)
{
	const char *actions[] = { "GetObject", "name/cos:PutObject" };
	struct cos_token_options o = { 0 };
	struct cos_buf enc;
	char *policy;
	int status;

	o.bucket = "examplebucket-1250000000";
	o.prefix = "exampledir/";
	o.actions = actions;
	o.action_count = 2;
	policy = build(&o, "ap-guangzhou", &status);
	tap_int(status, COS_OK, "v2 policy builds");
	tap_str(policy, V2_POLICY, "v2 policy JSON matches the SDK vector");
	cos_buf_init(&enc, 0, 0);
	cos_buf_urlencode(&enc, policy != NULL ? policy : "", policy != NULL ?
	    strlen(policy) : 0);
	tap_str(enc.data, V2_ENCODED, "v2 policy encodes like the SDK");
	cos_buf_free(&enc);
	free(policy);
}

static void
test_cos_url_bucket(void)
{
	struct cos_token_options o = { 0 };
	char *policy;
	int status;

	o.bucket = "cos://photos-1250000000/2024/raw/";
	o.read_only = 1;
	policy = build(&o, "ap-beijing", &status);
	tap_int(status, COS_OK, "cos:// bucket builds");
	tap_ok(policy != NULL && strstr(policy, "\"qcs::cos:ap-beijing:uid/"
	    "1250000000:photos-1250000000/2024/raw/*\"") != NULL,
	    "cos:// prefix goes into the resource");
	tap_ok(policy != NULL && strstr(policy, "PutObject") == NULL,
	    "read-only policy has no PutObject");
	tap_ok(policy != NULL && strstr(policy, "name/cos:GetObject") != NULL,
	    "read-only policy has GetObject");
	free(policy);
}

static void
test_appid_option(void)
{
	struct cos_token_options o = { 0 };
	char *policy;
	int status;

	o.bucket = "photos";
	o.appid = "1250000000";
	policy = build(&o, "ap-beijing", &status);
	tap_int(status, COS_OK, "--appid completes a short bucket name");
	tap_ok(policy != NULL && strstr(policy, ":photos-1250000000/*\"") != NULL,
	    "resource names the full bucket");
	free(policy);
}

static void
test_no_scope(void)
{
	struct cos_token_options o = { 0 };
	char *policy;
	int status;

	policy = build(&o, "ap-beijing", &status);
	tap_int(status, COS_OK, "no scoping builds");
	tap_ok(policy == NULL, "no scoping sends no Policy");
}

static void
test_rejections(void)
{
	static const struct {
		const char *name;
		const char *bucket;
		const char *prefix;
		const char *appid;
		int read_only;
		const char *action;
	} cases[] = {
		{ "bucket without APPID", "photos", NULL, NULL, 0, NULL },
		{ "upper-case bucket", "Photos-1250000000", NULL, NULL, 0, NULL },
		{ "bucket with shell syntax", "a$(id)-125", NULL, NULL, 0, NULL },
		{ "prefix without bucket", NULL, "dir/", NULL, 0, NULL },
		{ "prefix with wildcard", "b-1250000000", "a*", NULL, 0, NULL },
		{ "prefix with newline", "b-1250000000", "a\nb", NULL, 0, NULL },
		{ "non-numeric appid", "b", NULL, "12x", 0, NULL },
		{ "read-only with write action", "b-1250000000", NULL, NULL, 1,
		  "PutObject" },
		{ "action with quote", "b-1250000000", NULL, NULL, 0,
		  "Get\"Object" },
		{ "prefix in URL and option", "cos://b-1250000000/x", "y", NULL,
		  0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cos_token_options o = { 0 };
		const char *actions[1];
		char *policy;
		int status;

		o.bucket = cases[i].bucket;
		o.prefix = cases[i].prefix;
		o.appid = cases[i].appid;
		o.read_only = cases[i].read_only;
		if (cases[i].action != NULL) {
			actions[0] = cases[i].action;
			o.actions = actions;
			o.action_count = 1;
		}
		policy = build(&o, "ap-beijing", &status);
		tap_int(status, COS_ERR_USAGE, cases[i].name);
		free(policy);
	}
}

static void
test_duration_limits(void)
{
	struct cos_token_options o = { 0 };
	struct cos_error err;

	cos_error_clear(&err);
	o.duration = 1799;
	tap_int(cos_token_options_validate(&o, &err), COS_ERR_USAGE,
	    "duration 1799 rejected");
	tap_str(err.message, "Duration must be at least 1800 seconds",
	    "duration minimum message");
	o.duration = 43201;
	tap_int(cos_token_options_validate(&o, &err), COS_ERR_USAGE,
	    "duration 43201 rejected");
	tap_str(err.message, "Duration cannot exceed 43200 seconds",
	    "duration maximum message");
	o.duration = 43200;
	tap_int(cos_token_options_validate(&o, &err), COS_OK,
	    "duration 43200 accepted");
	o.duration = 1800;
	tap_int(cos_token_options_validate(&o, &err), COS_OK,
	    "duration 1800 accepted");
	o.session_name = "a b";
	tap_int(cos_token_options_validate(&o, &err), COS_ERR_USAGE,
	    "session name with a space rejected");
	o.session_name = "x";
	tap_int(cos_token_options_validate(&o, &err), COS_ERR_USAGE,
	    "one-character session name rejected");
	o.session_name = "ci+build=1,a.b@c_d-e";
	tap_int(cos_token_options_validate(&o, &err), COS_OK,
	    "session name with every allowed symbol accepted");
	o.region = "ap-shanghai;rm";
	tap_int(cos_token_options_validate(&o, &err), COS_ERR_USAGE,
	    "region with a semicolon rejected");
}

int
main(void)
{
	test_v2_policy();
	test_cos_url_bucket();
	test_appid_option();
	test_no_scope();
	test_rejections();
	test_duration_limits();
	return tap_done();
}
