/*
 * tc3.c - TC3-HMAC-SHA256 request signing.
 *
 * CanonicalRequest = Method \n "/" \n Query \n CanonicalHeaders \n
 *                    SignedHeaders \n hex(SHA256(body))
 * StringToSign     = "TC3-HMAC-SHA256" \n Timestamp \n
 *                    Date/Service/tc3_request \n hex(SHA256(CanonicalRequest))
 * The Date is the UTC calendar date of the timestamp: using local time
 * breaks every request made between midnight and 08:00 in Beijing.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "internal.h"
#include "tc3.h"

static void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
    unsigned char out[32])
{
	unsigned int out_len = 32;

	if (HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out,
	    &out_len) == NULL || out_len != 32)
		return -1;
	return 0;
}

static void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char digest[SHA256_DIGEST_LENGTH];

	SHA256(data, len, digest);
	hex_encode(digest, sizeof(digest), out);
}

int
cos_tc3_signing_key(const char *secret_key, const char *date,
    const char *service, unsigned char out[32])
{
	struct cos_buf key;
	unsigned char k_date[32], k_service[32];
	int rc = -1;

	cos_buf_init(&key, 1, 0);
	cos_buf_puts(&key, "TC3");
	cos_buf_puts(&key, secret_key);
	if (key.failed)
		goto out;
	if (hmac_sha256(key.data, key.len, date, strlen(date), k_date) != 0 ||
	    hmac_sha256(k_date, 32, service, strlen(service), k_service) != 0 ||
	    hmac_sha256(k_service, 32, "tc3_request", 11, out) != 0)
		goto out;
	rc = 0;
out:
	cos_wipe(k_date, sizeof(k_date));
	cos_wipe(k_service, sizeof(k_service));
	cos_buf_free(&key);
	return rc;
}

/* Lower-cases and trims a header value as CanonicalHeaders requires. */
static void
canonical_value(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src), i, o = 0;

	while (len > 0 && (src[len - 1] == ' ' || src[len - 1] == '\t'))
		len--;
	while (len > 0 && (*src == ' ' || *src == '\t')) {
		src++;
		len--;
	}
	for (i = 0; i < len && o + 1 < size; i++) {
		char c = src[i];

		dst[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	dst[o] = '\0';
}

int
cos_tc3_sign(const struct cos_tc3_request *req, char *auth, size_t size,
    struct cos_tc3_trace *trace)
{
	struct cos_tc3_trace local;
	struct cos_buf canonical, to_sign;
	char content_type[256], host[256];
	unsigned char k_signing[32], sig[32];
	struct tm tm;
	time_t ts = (time_t)req->timestamp;
	int n, rc = -1;

	if (trace == NULL)
		trace = &local;
	memset(trace, 0, sizeof(*trace));
	cos_buf_init(&canonical, 0, 0);
	cos_buf_init(&to_sign, 0, 0);

	if (gmtime_r(&ts, &tm) == NULL ||
	    strftime(trace->date, sizeof(trace->date), "%Y-%m-%d", &tm) == 0)
		goto out;
	canonical_value(content_type, sizeof(content_type), req->content_type);
	canonical_value(host, sizeof(host), req->host);
	sha256_hex(req->body != NULL ? req->body : "", req->body_len,
	    trace->payload_hash);

	cos_buf_printf(&canonical, "%s\n/\n%s\ncontent-type:%s\nhost:%s\n\n"
	    "content-type;host\n%s", req->method, req->query, content_type, host,
	    trace->payload_hash);
	if (canonical.failed)
		goto out;
	sha256_hex(canonical.data, canonical.len, trace->canonical_request_hash);

	cos_buf_printf(&to_sign, "TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s",
	    (long long)req->timestamp, trace->date, req->service,
	    trace->canonical_request_hash);
	if (to_sign.failed)
		goto out;

	if (cos_tc3_signing_key(req->secret_key, trace->date, req->service,
	    k_signing) != 0 ||
	    hmac_sha256(k_signing, 32, to_sign.data, to_sign.len, sig) != 0)
		goto out;
	hex_encode(sig, sizeof(sig), trace->signature);

	n = snprintf(auth, size, "TC3-HMAC-SHA256 Credential=%s/%s/%s/"
	    "tc3_request, SignedHeaders=content-type;host, Signature=%s",
	    req->secret_id, trace->date, req->service, trace->signature);
	if (n < 0 || (size_t)n >= size)
		goto out;
	rc = 0;
out:
	cos_wipe(k_signing, sizeof(k_signing));
	cos_wipe(sig, sizeof(sig));
	cos_buf_free(&canonical);
	cos_buf_free(&to_sign);
	return rc;
}
