/*
 * test_format.c - output formats: exact text, quoting, and refusals.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "internal.h"

static struct cos_credentials *
make_creds(const char *id, const char *key, const char *token)
{
	struct cos_credentials *c = cos_credentials_new();

	c->secret_id = cos_secret_strdup(id);
	c->secret_key = cos_secret_strdup(key);
	c->token = cos_secret_strdup(token);
	c->requested_time = 1700000000;
	c->expired_time = 1700003600;
	c->duration = 3600;
	return c;
}

static char *
render(const struct cos_credentials *c, enum cos_format f, int utf8,
    int *status)
{
	struct cos_error err;
	char *out = NULL;
	size_t len = 0;

	cos_error_clear(&err);
	*status = cos_format_credentials(c, f, utf8, &out, &len, &err);
	if (*status == COS_OK && strlen(out) != len)
		tap_ok(0, "reported length matches the text");
	return out;
}

static void
test_env(void)
{
	struct cos_credentials *c = make_creds("AKIDa", "it's", "t$(x)`y`\\\n");
	char *out;
	int status;

	setenv("TZ", "UTC", 1);
	out = render(c, COS_FORMAT_ENV, 0, &status);
	tap_int(status, COS_OK, "env renders");
	tap_str(out,
	    "# Temporary COS credentials from 'cos token'\n"
	    "export COS_SECRET_ID='AKIDa'\n"
	    "export COS_SECRET_KEY='it'\\''s'\n"
	    "export COS_TOKEN='t$(x)`y`\\\n'\n"
	    "export COS_TOKEN_EXPIRATION='2023-11-14T23:13:20Z'\n"
	    "# Valid until: 2023-11-14 23:13:20\n", "env text and quoting");
	cos_secret_free(out);
	cos_credentials_free(c);
}

static void
test_fish_and_powershell(void)
{
	struct cos_credentials *c = make_creds("a'b", "c\\d",
	    "e\xe2\x80\x99" "f");
	char *out;
	int status;

	out = render(c, COS_FORMAT_FISH, 0, &status);
	tap_int(status, COS_OK, "fish renders");
	tap_ok(out != NULL && strstr(out, "set -gx COS_SECRET_ID 'a\\'b';\n") !=
	    NULL, "fish escapes a quote");
	tap_ok(out != NULL && strstr(out, "set -gx COS_SECRET_KEY 'c\\\\d';\n") !=
	    NULL, "fish escapes a backslash");
	cos_secret_free(out);

	out = render(c, COS_FORMAT_POWERSHELL, 0, &status);
	tap_int(status, COS_OK, "powershell renders");
	tap_ok(out != NULL && strstr(out, "$Env:COS_SECRET_ID = 'a''b'\n") !=
	    NULL, "powershell doubles a quote");
	tap_ok(out != NULL && strstr(out, "$Env:COS_TOKEN = 'e\xe2\x80\x99"
	    "\xe2\x80\x99" "f'\n") != NULL,
	    "powershell doubles a typographic quote");
	cos_secret_free(out);
	cos_credentials_free(c);
}

static void
test_dotenv(void)
{
	static const char *const bad[] = { "a\nb", "a\"b", "a'b", "a\\b",
		" ab", "ab\t", "a\rb" };
	struct cos_credentials *c = make_creds("AKIDa", "key+/=", "tok");
	char *out;
	size_t i;
	int status;

	out = render(c, COS_FORMAT_DOTENV, 0, &status);
	tap_int(status, COS_OK, "dotenv renders");
	tap_ok(out != NULL && strstr(out, "\nCOS_SECRET_KEY=key+/=\n") != NULL,
	    "dotenv value is unquoted");
	cos_secret_free(out);
	cos_credentials_free(c);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = make_creds("AKIDa", "key", bad[i]);
		out = render(c, COS_FORMAT_DOTENV, 0, &status);
		tap_int(status, COS_ERR_OTHER, "dotenv refuses a value it "
		    "cannot represent");
		tap_ok(out == NULL, "dotenv refusal gives no text");
		cos_credentials_free(c);
	}
}

static void
test_json(void)
{
	struct cos_credentials *c = make_creds("AKIDa", "k\"\\", "t\n\x01");
	char *out;
	int status;

	out = render(c, COS_FORMAT_JSON, 0, &status);
	tap_int(status, COS_OK, "json renders");
	tap_str(out,
	    "{\n"
	    "  \"Version\": 1,\n"
	    "  \"Credentials\": {\n"
	    "    \"TmpSecretId\": \"AKIDa\",\n"
	    "    \"TmpSecretKey\": \"k\\\"\\\\\",\n"
	    "    \"Token\": \"t\\u000a\\u0001\",\n"
	    "    \"Expiration\": \"2023-11-14T23:13:20Z\"\n"
	    "  },\n"
	    "  \"ExpiredTime\": 1700003600,\n"
	    "  \"ExpiresIn\": 3600,\n"
	    "  \"RequestedTime\": \"2023-11-14T22:13:20Z\"\n"
	    "}\n", "json text and escaping");
	cos_secret_free(out);
	cos_credentials_free(c);
}

static void
test_table(void)
{
	struct cos_credentials *c = make_creds(
	    "AKIDabcdefghijklmnopqrstuvwxyz", "k\x1b[3secretkey",
	    "tokentokentokentokentokentokentokentokentokentoken-rest");
	char *out;
	int status;

	setenv("TZ", "UTC", 1);
	out = render(c, COS_FORMAT_TABLE, 0, &status);
	tap_int(status, COS_OK, "table renders");
	tap_ok(out != NULL && strstr(out, "| TmpSecretId  | "
	    "AKIDabcdefghijklmnop...") != NULL, "table shortens the secret id");
	tap_ok(out != NULL && strstr(out, "| Duration     | 3600s (1h 0m)") !=
	    NULL, "table shows the duration");
	tap_ok(out != NULL && strstr(out, "| Expires At   | 2023-11-14 23:13:20")
	    != NULL, "table shows the local expiry time");
	tap_ok(out != NULL && strchr(out, '\x1b') == NULL,
	    "table drops control characters");
	tap_ok(out != NULL && strstr(out, "| TmpSecretKey | k?[3...") != NULL,
	    "table shows four characters of the key");
	tap_ok(out != NULL && strstr(out, "secretkey") == NULL,
	    "table hides the rest of the key");
	tap_ok(out != NULL && strstr(out, "| Token        | tokentokentokent...")
	    != NULL, "table shows sixteen characters of the token");
	tap_ok(out != NULL && strstr(out, "tokentokentokentok") == NULL,
	    "table hides the rest of the token");
	cos_secret_free(out);

	out = render(c, COS_FORMAT_TABLE, 1, &status);
	tap_ok(out != NULL && strstr(out, "\xe2\x94\x8c") != NULL,
	    "utf-8 table uses box drawing");
	cos_secret_free(out);
	cos_credentials_free(c);
}

static void
test_parse_names(void)
{
	struct cos_error err;
	enum cos_format f;

	cos_error_clear(&err);
	tap_int(cos_format_parse("powershell", &f, &err), COS_OK,
	    "powershell is a format");
	tap_int(f, COS_FORMAT_POWERSHELL, "powershell parses to its value");
	tap_int(cos_format_parse("yaml", &f, &err), COS_ERR_USAGE,
	    "yaml is not a format");
	tap_str(err.message, "unknown output format 'yaml'",
	    "unknown format message");
}

int
main(void)
{
	test_env();
	test_fish_and_powershell();
	test_dotenv();
	test_json();
	test_table();
	test_parse_names();
	return tap_done();
}
