/*
 * test_tc3.c - TC3-HMAC-SHA256 against the vectors computed with the
 * official Tencent Cloud Python SDK signer (tencentcloud-sdk-python
 * sign.py), one test per vector plus the intermediate signing keys.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "internal.h"
#include "tc3.h"

#define SECRET_ID "AKIDEXAMPLE1234567890abcdefghijklmnop"
#define SECRET_KEY "EXAMPLEKEY1234567890abcdefghijklm"
#define AUTH_PREFIX "TC3-HMAC-SHA256 Credential=" SECRET_ID \
	"/2023-11-14/sts/tc3_request, SignedHeaders=content-type;host, Signature="

#define V2_BODY "{\"RoleArn\": \"qcs::cam::uin/100000000001:roleName/cos-readwrite\", \"RoleSessionName\": \"cli-session\", \"DurationSeconds\": 1800, \"Policy\": \"%7B%22version%22%3A%222.0%22%2C%22statement%22%3A%5B%7B%22effect%22%3A%22allow%22%2C%22action%22%3A%5B%22name%2Fcos%3AGetObject%22%2C%22name%2Fcos%3APutObject%22%5D%2C%22resource%22%3A%5B%22qcs%3A%3Acos%3Aap-guangzhou%3Auid%2F1250000000%3Aexamplebucket-1250000000%2Fexampledir%2F%2A%22%5D%7D%5D%7D\"}"
#define V3A_BODY "{\"RoleArn\": \"qcs::cam::uin/100000000001:roleName/cos-readwrite\", \"RoleSessionName\": \"cli-session\", \"Tags\": [{\"Key\": \"\\u9879\\u76ee\", \"Value\": \"\\u6d4b\\u8bd5-\\u30c7\\u30fc\\u30bf\"}]}"
#define V3B_BODY "{\"RoleArn\":\"qcs::cam::uin/100000000001:roleName/cos-readwrite\",\"RoleSessionName\":\"cli-session\",\"Tags\":[{\"Key\":\"\xe9""\xa1""\xb9""\xe7""\x9b""\xae""\",\"Value\":\"\xe6""\xb5""\x8b""\xe8""\xaf""\x95""-\xe3""\x83""\x87""\xe3""\x83""\xbc""\xe3""\x82""\xbf""\"}]}"
#define V4_QUERY "Name=cli&DurationSeconds=1800&Policy=%257B%2522version%2522%253A%25222.0%2522%252C%2522statement%2522%253A%255B%257B%2522effect%2522%253A%2522allow%2522%252C%2522action%2522%253A%255B%2522name%252Fcos%253AGetObject%2522%252C%2522name%252Fcos%253APutObject%2522%255D%252C%2522resource%2522%253A%255B%2522qcs%253A%253Acos%253Aap-guangzhou%253Auid%252F1250000000%253Aexamplebucket-1250000000%252Fexampledir%252F%252A%2522%255D%257D%255D%257D"

struct vector {
	const char *name;
	const char *method;
	const char *host;
	const char *query;
	const char *content_type;
	const char *body;
	long long timestamp;
	const char *payload_hash;
	const char *canonical_hash;
	const char *signature;
};

static const struct vector vectors[] = {
	{ "TC3-V1 GetCallerIdentity, UTC date", "POST",
	  "sts.tencentcloudapi.com", "", "application/json", "{}", 1699980000,
	  "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
	  "27a9f5a9c8a4da9c86f0fcf3df35b2a50d53bd6317667e0e3f4382f405e9af81",
	  "ded35d3d37555f4fb76bd64006aae91b3ab13de7bc8f867ab52ae389889d6d5c" },
	{ "TC3-V2 AssumeRole with Policy", "POST", "sts.tencentcloudapi.com",
	  "", "application/json", V2_BODY, 1700000000,
	  "eeb7329bee3e1f972cb52c5e26a4032d03fae87f575b57f68d0250d8f35d5d70",
	  "0cbb4fa29840bcbac34cb46000b0ae4dda5f343c660663454612fa72b658a49b",
	  "7ffc60acd0307bf4d8b3f8611cfacb40896a28f0ed8b0c89b827fbba76ff6a85" },
	{ "TC3-V3a escaped non-ASCII body", "POST", "sts.tencentcloudapi.com",
	  "", "application/json", V3A_BODY, 1700000000,
	  "eeb4843ffcb0e2f09337ec03054de6c8dcd6e81863ff87678afe388ae241cb0c",
	  "1bff730aed6edbffda7b730d4617bc64a3f0efa0766d2d6fa5f943e3c6ca5512",
	  "238d7aecd4f7bb5bfe78872109a72fd95cb379803c4ee6fc2e3099fe15993713" },
	{ "TC3-V3b raw UTF-8 body", "POST", "sts.tencentcloudapi.com", "",
	  "application/json", V3B_BODY, 1700000000,
	  "3f2a0b5ca6153e797e48d70621fef11a1287faf1cc4418633d7d741a9fb82471",
	  "b9f381d2041578a0ab9ac4831e84fb52f3fc088c6f3d438b7842e43cda8e799c",
	  "ef41a560db6b0fd4ff8a587226e1d8561e85d4a4928eb1baab7bd86cd7574cfc" },
	{ "TC3-V4 GET with query string", "GET", "sts.tencentcloudapi.com",
	  V4_QUERY, "application/x-www-form-urlencoded", "", 1700000000,
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	  "e4a1345f6ef80f111fb896c0a81a3440cf2ab1b8cfc8ba4c8b355303bbd20b79",
	  "0b96c319a4e3bbdf3d8363b0272d4ce77bf046080f64b410a6e908a2f9821915" },
	{ "TC3-V5 regional host", "POST", "sts.ap-shanghai.tencentcloudapi.com",
	  "", "application/json", "{}", 1700000000,
	  "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
	  "cfb6b7e45156394f5ea2f4420346d38bb7e3b1c981c69dca15aac584f4e976a5",
	  "5d2f18beb28043881f140f66fa14cc895e4e40712236a6a60c6d596958fb1ae9" },
};

static void
hex(const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void
test_vector(const struct vector *v)
{
	struct cos_tc3_request req = {
		.method = v->method, .host = v->host, .query = v->query,
		.content_type = v->content_type, .body = v->body,
		.body_len = strlen(v->body), .service = "sts",
		.timestamp = v->timestamp, .secret_id = SECRET_ID,
		.secret_key = SECRET_KEY,
	};
	struct cos_tc3_trace trace;
	char auth[COS_TC3_AUTH_MAX], want[COS_TC3_AUTH_MAX], name[160];
	int rc;

	rc = cos_tc3_sign(&req, auth, sizeof(auth), &trace);
	snprintf(name, sizeof(name), "%s: signs", v->name);
	tap_int(rc, 0, name);
	snprintf(name, sizeof(name), "%s: payload hash", v->name);
	tap_str(trace.payload_hash, v->payload_hash, name);
	snprintf(name, sizeof(name), "%s: canonical request hash", v->name);
	tap_str(trace.canonical_request_hash, v->canonical_hash, name);
	snprintf(name, sizeof(name), "%s: Authorization", v->name);
	snprintf(want, sizeof(want), "%s%s", AUTH_PREFIX, v->signature);
	tap_str(auth, want, name);
}

static void
test_signing_keys(void)
{
	unsigned char key[32];
	char got[65];

	tap_int(cos_tc3_signing_key(SECRET_KEY, "2023-11-14", "sts", key), 0,
	    "signing key derives");
	hex(key, 32, got);
	tap_str(got,
	    "94c0c5b824e435c94a048c5d47ab1819863246c22168b42ff62b385457006b6a",
	    "kSigning for 2023-11-14/sts");
}

static void
test_utc_date(void)
{
	struct cos_tc3_request req = {
		.method = "POST", .host = "sts.tencentcloudapi.com", .query = "",
		.content_type = "application/json", .body = "{}", .body_len = 2,
		.service = "sts", .timestamp = 1699980000,
		.secret_id = SECRET_ID, .secret_key = SECRET_KEY,
	};
	struct cos_tc3_trace trace;
	char auth[COS_TC3_AUTH_MAX];

	/* 16:40 UTC is already the next day in Beijing (UTC+8). */
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	cos_tc3_sign(&req, auth, sizeof(auth), &trace);
	tap_str(trace.date, "2023-11-14", "scope date is UTC under TZ=Asia/Shanghai");
}

static void
test_host_with_port(void)
{
	struct cos_tc3_request req = {
		.method = "POST", .host = "127.0.0.1:8443", .query = "",
		.content_type = "application/json", .body = "{}", .body_len = 2,
		.service = "sts", .timestamp = 1700000000,
		.secret_id = SECRET_ID, .secret_key = SECRET_KEY,
	};
	struct cos_tc3_request other = req;
	char a[COS_TC3_AUTH_MAX], b[COS_TC3_AUTH_MAX];

	other.host = "127.0.0.1";
	cos_tc3_sign(&req, a, sizeof(a), NULL);
	cos_tc3_sign(&other, b, sizeof(b), NULL);
	tap_ok(strcmp(a, b) != 0, "port is part of the signed host");
}

static void
test_small_buffer(void)
{
	struct cos_tc3_request req = {
		.method = "POST", .host = "sts.tencentcloudapi.com", .query = "",
		.content_type = "application/json", .body = "{}", .body_len = 2,
		.service = "sts", .timestamp = 1700000000,
		.secret_id = SECRET_ID, .secret_key = SECRET_KEY,
	};
	char auth[40];

	tap_int(cos_tc3_sign(&req, auth, sizeof(auth), NULL), -1,
	    "too small Authorization buffer fails");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		test_vector(&vectors[i]);
	test_signing_keys();
	test_utc_date();
	test_host_with_port();
	test_small_buffer();
	return tap_done();
}
