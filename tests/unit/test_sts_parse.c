/*
 * test_sts_parse.c - parsing STS responses: errors, bounds, wrong types.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "internal.h"
#include "sts.h"

#define NOW 1700000000

static int
parse(const char *body, struct cos_credentials **creds, struct cos_error *err)
{
	struct json_object *resp = NULL;
	int status;

	*creds = NULL;
	cos_error_clear(err);
	status = cos_sts_parse_body(body, strlen(body), &resp, err);
	if (status != COS_OK)
		return status;
	status = cos_sts_parse_credentials(resp, NOW, creds, err);
	cos_json_wipe(resp);
	json_object_put(resp);
	return status;
}

static void
test_success(void)
{
	struct cos_credentials *c;
	struct cos_error err;

	tap_int(parse("{\"Response\":{\"Credentials\":{\"Token\":\"tok\","
	    "\"TmpSecretId\":\"AKIDx\",\"TmpSecretKey\":\"key\"},"
	    "\"ExpiredTime\":1700007200,\"Expiration\":\"2023-11-15T00:13:20Z\","
	    "\"RequestId\":\"r-1\"}}", &c, &err), COS_OK, "success parses");
	if (c == NULL)
		return;
	tap_str(c->secret_id, "AKIDx", "TmpSecretId");
	tap_str(c->secret_key, "key", "TmpSecretKey");
	tap_str(c->token, "tok", "Token");
	tap_int(c->expired_time, 1700007200, "ExpiredTime from the server");
	tap_str(c->request_id, "r-1", "RequestId");
	cos_credentials_free(c);
}

static void
test_service_error(void)
{
	struct cos_credentials *c;
	struct cos_error err;

	tap_int(parse("{\"Response\":{\"Error\":{\"Code\":"
	    "\"AuthFailure.SignatureFailure\",\"Message\":\"The provided "
	    "credentials could not be validated.\\u001b[2J\"},\"RequestId\":"
	    "\"ed93f3cb\"}}", &c, &err), COS_ERR_SERVICE, "error is a service "
	    "rejection");
	tap_str(err.code, "AuthFailure.SignatureFailure", "error code kept");
	tap_str(err.request_id, "ed93f3cb", "request id kept");
	tap_str(err.message, "The provided credentials could not be "
	    "validated.?[2J", "message cleaned of control characters");
}

static void
test_rejections(void)
{
	static const struct {
		const char *name;
		const char *body;
		const char *message;
	} cases[] = {
		{ "empty body", "", "STS returned an empty response body" },
		{ "html body", "<html>oops</html>",
		  "STS returned a response that is not valid JSON" },
		{ "truncated body", "{\"Response\":{\"Credentials\":{",
		  "STS returned a response that is not valid JSON" },
		{ "trailing garbage", "{\"Response\":{}} x",
		  "STS returned a response that is not valid JSON" },
		{ "no Response", "{\"Foo\":1}",
		  "STS returned JSON without a Response object" },
		{ "Response is an array", "{\"Response\":[]}",
		  "STS returned JSON without a Response object" },
		{ "no Credentials", "{\"Response\":{\"ExpiredTime\":1800000000}}",
		  "STS response has no Credentials object" },
		{ "missing key", "{\"Response\":{\"Credentials\":{\"Token\":\"t\","
		  "\"TmpSecretId\":\"i\"},\"ExpiredTime\":1800000000}}",
		  "STS response has no Credentials.TmpSecretKey" },
		{ "token is a number", "{\"Response\":{\"Credentials\":{\"Token\":"
		  "5,\"TmpSecretId\":\"i\",\"TmpSecretKey\":\"k\"},"
		  "\"ExpiredTime\":1800000000}}",
		  "STS response field Credentials.Token is not a string" },
		{ "ExpiredTime is a string", "{\"Response\":{\"Credentials\":{"
		  "\"Token\":\"t\",\"TmpSecretId\":\"i\",\"TmpSecretKey\":\"k\"},"
		  "\"ExpiredTime\":\"soon\"}}",
		  "STS response field ExpiredTime is not an integer" },
		{ "already expired", "{\"Response\":{\"Credentials\":{"
		  "\"Token\":\"t\",\"TmpSecretId\":\"i\",\"TmpSecretKey\":\"k\"},"
		  "\"ExpiredTime\":1600000000}}",
		  "STS returned credentials that expired already "
		  "(2020-09-13T12:26:40Z)" },
		{ "NUL in a value", "{\"Response\":{\"Credentials\":{"
		  "\"Token\":\"t\\u0000x\",\"TmpSecretId\":\"i\",\"TmpSecretKey\":"
		  "\"k\"},\"ExpiredTime\":1800000000}}",
		  "STS response field Credentials.Token contains a NUL byte, "
		  "which no shell variable can hold" },
		{ "empty id", "{\"Response\":{\"Credentials\":{\"Token\":\"t\","
		  "\"TmpSecretId\":\"\",\"TmpSecretKey\":\"k\"},"
		  "\"ExpiredTime\":1800000000}}",
		  "STS response field Credentials.TmpSecretId is empty" },
		{ "Error is a string", "{\"Response\":{\"Error\":\"x\"}}",
		  "STS returned an Error that is not an object" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cos_credentials *c;
		struct cos_error err;

		tap_int(parse(cases[i].body, &c, &err), COS_ERR_OTHER,
		    cases[i].name);
		tap_str(err.message, cases[i].message, cases[i].name);
		tap_ok(c == NULL, "no credentials on failure");
	}
}

static void
test_bounds(void)
{
	struct cos_credentials *c;
	struct cos_error err;
	struct cos_buf b;
	size_t i;

	for (i = 0; i < 2; i++) {
		size_t len = i == 0 ? 4096 : 4097;
		size_t k;

		cos_buf_init(&b, 0, 0);
		cos_buf_puts(&b, "{\"Response\":{\"Credentials\":{\"Token\":\"");
		for (k = 0; k < len; k++)
			cos_buf_puts(&b, "A");
		cos_buf_puts(&b, "\",\"TmpSecretId\":\"i\",\"TmpSecretKey\":\"k\"},"
		    "\"ExpiredTime\":1800000000}}");
		tap_int(parse(b.data, &c, &err), i == 0 ? COS_OK : COS_ERR_OTHER,
		    i == 0 ? "token of 4096 bytes accepted" :
		    "token of 4097 bytes rejected");
		cos_credentials_free(c);
		cos_buf_free(&b);
	}
}

int
main(void)
{
	test_success();
	test_service_error();
	test_rejections();
	test_bounds();
	return tap_done();
}
