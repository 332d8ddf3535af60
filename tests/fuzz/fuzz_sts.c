/*
 * fuzz_sts.c - libFuzzer target for the STS response parser.
 *
 * The input is an HTTP body as STS would send it.  It goes through
 * cos_sts_parse_body() and, when that succeeds, cos_sts_parse_credentials()
 * and every output format.  Properties: a failure has status 1 or 3 and a
 * message without control characters.  Credentials that pass are
 * non-empty, without NUL and within their bounds (1024 bytes for
 * TmpSecretId and TmpSecretKey, 4096 for Token), and they expire after
 * the fixed "now".  A broken property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "internal.h"
#include "sts.h"

#define NOW 1700000000

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_sts: %s\n", what);
	abort();
}

static void
check_error(const struct cos_error *err, int status)
{
	const unsigned char *m = (const unsigned char *)err->message;

	if (status != COS_ERR_OTHER && status != COS_ERR_SERVICE)
		fail("a parse failure with an unexpected status");
	if (err->status != status || m[0] == '\0')
		fail("a parse failure without a message");
	for (; *m != '\0'; m++)
		if (*m < 0x20 || *m == 0x7f)
			fail("an error message with a control character");
	for (m = (const unsigned char *)err->code; *m != '\0'; m++)
		if (*m < 0x20 || *m == 0x7f)
			fail("an error code with a control character");
}

static void
check_value(const char *v, size_t max)
{
	size_t len;

	if (v == NULL)
		fail("a credential is missing");
	len = strlen(v);
	if (len == 0 || len > max)
		fail("a credential is empty or over its bound");
}

static void
render_all(const struct cos_credentials *c)
{
	static const enum cos_format formats[] = { COS_FORMAT_TABLE,
	    COS_FORMAT_ENV, COS_FORMAT_JSON, COS_FORMAT_FISH,
	    COS_FORMAT_POWERSHELL, COS_FORMAT_DOTENV };
	struct cos_error err;
	size_t i, len;
	char *out;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		out = NULL;
		cos_error_clear(&err);
		if (cos_format_credentials(c, formats[i], (int)(i & 1), &out,
		    &len, &err) == COS_OK) {
			if (strlen(out) != len)
				fail("a format reported a wrong length");
			cos_secret_free(out);
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *response = NULL;
	struct cos_credentials *creds = NULL;
	struct cos_error err;
	int status;

	cos_error_clear(&err);
	status = cos_sts_parse_body((const char *)data, size, &response, &err);
	if (status != COS_OK) {
		check_error(&err, status);
		return 0;
	}
	cos_error_clear(&err);
	status = cos_sts_parse_credentials(response, NOW, &creds, &err);
	if (status != COS_OK) {
		check_error(&err, status);
	} else {
		check_value(creds->secret_id, 1024);
		check_value(creds->secret_key, 1024);
		check_value(creds->token, 4096);
		if (creds->expired_time <= NOW)
			fail("credentials that expired already were accepted");
		render_all(creds);
		cos_credentials_free(creds);
	}
	cos_json_wipe(response);
	json_object_put(response);
	return 0;
}
