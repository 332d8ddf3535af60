/*
 * sts.c - signed calls to STS, with retries, clock-skew correction and
 * strict parsing of what comes back.
 *
 * STS responds with HTTP 200 both for success and for API errors; an error is a
 * Response.Error object with Code and Message, next to Response.RequestId.
 * Any other HTTP status is a transport failure, as in the official SDK.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "http.h"
#include "sts.h"
#include "tc3.h"

#define TOKEN_MAX 4096      /* Credentials.Token, documented maximum */
#define TMP_KEY_MAX 1024    /* TmpSecretId and TmpSecretKey */
#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS 4000

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms milliseconds in short steps so that Ctrl-C is noticed. */
static int
sleep_interruptible(struct cos_ctx *ctx, long ms)
{
	while (ms > 0) {
		long step = ms < 50 ? ms : 50;
		struct timespec ts = { 0, step * 1000000L };

		if (cos_ctx_interrupted(ctx))
			return -1;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return cos_ctx_interrupted(ctx) ? -1 : 0;
}

static void
wipe_tokener(struct json_tokener *tok)
{
	/* NOTE: json-c marks the fields deprecated but still public in 0.16;
	 * its string buffer still contains the last credential parsed. */
	if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
		cos_wipe(tok->pb->buf, (size_t)tok->pb->size);
}

void
cos_json_wipe(struct json_object *obj)
{
	size_t i, n;

	switch (json_object_get_type(obj)) {
	case json_type_string:
		cos_wipe((char *)json_object_get_string(obj),
		    (size_t)json_object_get_string_len(obj));
		break;
	case json_type_object: {
		json_object_object_foreach(obj, key, value) {
			(void)key;
			cos_json_wipe(value);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(obj);
		for (i = 0; i < n; i++)
			cos_json_wipe(json_object_array_get_idx(obj, i));
		break;
	default:
		break;
	}
}

static void
copy_string_field(struct json_object *obj, const char *name, char *out,
    size_t size)
{
	struct json_object *v;

	out[0] = '\0';
	if (json_object_object_get_ex(obj, name, &v) &&
	    json_object_is_type(v, json_type_string))
		cos_clean_text(out, size, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
}

int
cos_sts_parse_body(const char *body, size_t len,
    struct json_object **response, struct cos_error *err)
{
	struct json_tokener *tok;
	struct json_object *root = NULL, *resp, *error;
	size_t end;
	int status;

	if (len == 0)
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS returned an empty response body");
	tok = json_tokener_new_ex(32);
	if (tok == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	root = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	while (end < len && (body[end] == ' ' || body[end] == '\n' ||
	    body[end] == '\r' || body[end] == '\t'))
		end++;
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    end != len) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "STS returned a response that is not valid JSON");
		goto fail;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "Response", &resp) ||
	    !json_object_is_type(resp, json_type_object)) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "STS returned JSON without a Response object");
		goto fail;
	}
	if (json_object_object_get_ex(resp, "Error", &error)) {
		char message[512];

		if (!json_object_is_type(error, json_type_object)) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "STS returned an Error that is not an object");
			goto fail;
		}
		status = COS_ERR_SERVICE;
		if (err != NULL) {
			copy_string_field(error, "Code", err->code,
			    sizeof(err->code));
			copy_string_field(resp, "RequestId", err->request_id,
			    sizeof(err->request_id));
		}
		copy_string_field(error, "Message", message, sizeof(message));
		cos_error_set(err, status, "%s", message[0] != '\0' ? message :
		    "STS rejected the request without a message");
		goto fail;
	}
	/* The caller owns resp now and wipes it after use. */
	json_object_get(resp);
	json_object_put(root);
	wipe_tokener(tok);
	json_tokener_free(tok);
	*response = resp;
	return COS_OK;
fail:
	if (root != NULL) {
		cos_json_wipe(root);
		json_object_put(root);
	}
	wipe_tokener(tok);
	json_tokener_free(tok);
	return status;
}

/* Returns the offset of the first byte of s that a credential may not
 * contain, or len when there is none.  Allowed: valid UTF-8 without
 * control characters (C0, DEL, C1), except newline and tab.  JSON output
 * cannot carry invalid UTF-8, and control characters would reach the
 * terminal when the env or JSON output is shown there. */
static size_t
bad_credential_byte(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;

	while (i < len) {
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				return i;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			if (c == 0xc2)
				lo = 0xa0; /* U+0080..U+009F are C1 controls */
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
			hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing past U+10FFFF */
		} else {
			return i;
		}
		if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (k = 2; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

/* Copies Credentials.<name> into secret memory, checking its type and
 * bounds.  NUL is refused because no shell variable can hold it. */
static int
take_credential(struct json_object *creds, const char *name, size_t max,
    char **out, struct cos_error *err)
{
	struct json_object *v;
	const char *s;
	size_t len, bad;

	if (!json_object_object_get_ex(creds, name, &v) || v == NULL)
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS response has no Credentials.%s", name);
	if (!json_object_is_type(v, json_type_string))
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS response field Credentials.%s is not a string", name);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0)
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS response field Credentials.%s is empty", name);
	if (len > max)
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS response field Credentials.%s is %zu bytes, over the "
		    "limit of %zu", name, len, max);
	if (strlen(s) != len)
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS response field Credentials.%s contains a NUL byte, "
		    "which no shell variable can hold", name);
	if ((bad = bad_credential_byte((const unsigned char *)s, len)) < len)
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS response field Credentials.%s contains a control "
		    "character or invalid UTF-8 at offset %zu", name, bad);
	*out = cos_secret_strndup(s, len);
	if (*out == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	return COS_OK;
}

static int
take_expiry(struct json_object *response, int64_t now, int64_t *out,
    struct cos_error *err)
{
	struct json_object *v;
	int64_t t;

	if (json_object_object_get_ex(response, "ExpiredTime", &v)) {
		if (!json_object_is_type(v, json_type_int))
			return cos_error_set(err, COS_ERR_OTHER,
			    "STS response field ExpiredTime is not an integer");
		t = json_object_get_int64(v);
	} else if (json_object_object_get_ex(response, "Expiration", &v) &&
	    json_object_is_type(v, json_type_string)) {
		if (cos_parse_iso8601(json_object_get_string(v), &t) != 0)
			return cos_error_set(err, COS_ERR_OTHER,
			    "STS response field Expiration is not an ISO-8601 "
			    "UTC time");
	} else {
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS response has neither ExpiredTime nor Expiration");
	}
	if (t <= now) {
		char when[21];

		cos_format_iso8601(t, when);
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS returned credentials that expired already (%s)", when);
	}
	*out = t;
	return COS_OK;
}

int
cos_sts_parse_credentials(struct json_object *response, int64_t now,
    struct cos_credentials **out, struct cos_error *err)
{
	struct cos_credentials *creds;
	struct json_object *c;
	int status;

	if (!json_object_object_get_ex(response, "Credentials", &c) ||
	    !json_object_is_type(c, json_type_object))
		return cos_error_set(err, COS_ERR_OTHER,
		    "STS response has no Credentials object");
	creds = cos_credentials_new();
	if (creds == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	if ((status = take_credential(c, "TmpSecretId", TMP_KEY_MAX,
	    &creds->secret_id, err)) != COS_OK ||
	    (status = take_credential(c, "TmpSecretKey", TMP_KEY_MAX,
	    &creds->secret_key, err)) != COS_OK ||
	    (status = take_credential(c, "Token", TOKEN_MAX, &creds->token,
	    err)) != COS_OK ||
	    (status = take_expiry(response, now, &creds->expired_time,
	    err)) != COS_OK) {
		cos_credentials_free(creds);
		return status;
	}
	copy_string_field(response, "RequestId", creds->request_id,
	    sizeof(creds->request_id));
	creds->requested_time = now;
	creds->source = COS_SOURCE_ASSUME_ROLE;
	*out = creds;
	return COS_OK;
}

static int
retryable_code(const char *code)
{
	return strncmp(code, "RequestLimitExceeded", 20) == 0 ||
	    strncmp(code, "InternalError", 13) == 0 ||
	    strcmp(code, "ServiceUnavailable") == 0;
}

/* Returns the server's clock from an HTTP Date header in the IMF-fixdate
 * form of RFC 9110 ("Sun, 06 Nov 1994 08:49:37 GMT"), or -1.  The names
 * are matched by hand because strptime's %a and %b follow LC_TIME, which
 * the user's shell sets when cos runs as a builtin. */
static int64_t
parse_http_date(const char *date)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	const char *m;
	char mon[4];
	int end = -1;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(date, "%*3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n",
	    &tm.tm_mday, mon, &tm.tm_year, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec, &end) != 6 || end < 0 || date[end] != '\0')
		return -1;
	m = strlen(mon) == 3 ? strstr(months, mon) : NULL;
	if (m == NULL || (m - months) % 3 != 0 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_year < 1970 || tm.tm_hour > 23 ||
	    tm.tm_hour < 0 || tm.tm_min > 59 || tm.tm_min < 0 ||
	    tm.tm_sec > 60 || tm.tm_sec < 0)
		return -1;
	tm.tm_mon = (int)((m - months) / 3);
	tm.tm_year -= 1900;
	t = timegm(&tm);
	return t == (time_t)-1 ? -1 : (int64_t)t;
}

struct attempt {
	struct cos_ctx *ctx;
	const struct cos_sts_target *target;
	const struct cos_sts_signer *signer;
	const char *action;
	const char *body;
	size_t body_len;
	const char *host;
	int64_t timestamp;
	long timeout_ms;
};

/* Signs and sends one attempt.  On COS_OK, resp contains an HTTP response. */
static int
send_attempt(const struct attempt *a, struct cos_http_response *resp,
    struct cos_error *err)
{
	struct cos_tc3_request sig = {
		.method = "POST", .host = a->host, .query = "",
		.content_type = "application/json", .body = a->body,
		.body_len = a->body_len, .service = "sts",
		.timestamp = a->timestamp, .secret_id = a->signer->secret_id,
		.secret_key = a->signer->secret_key,
	};
	struct cos_http_header headers[9];
	struct cos_http_request req;
	char auth[COS_TC3_AUTH_MAX + 1024], timestamp[24];
	size_t n = 0;
	int status;

	if (cos_tc3_sign(&sig, auth, sizeof(auth), NULL) != 0)
		return cos_error_set(err, COS_ERR_OTHER,
		    "cannot sign the %s request (secret id too long?)",
		    a->action);
	snprintf(timestamp, sizeof(timestamp), "%lld",
	    (long long)a->timestamp);
	headers[n++] = (struct cos_http_header){ "Content-Type",
	    "application/json", 0 };
	headers[n++] = (struct cos_http_header){ "Host", a->host, 0 };
	headers[n++] = (struct cos_http_header){ "X-TC-Action", a->action, 0 };
	headers[n++] = (struct cos_http_header){ "X-TC-Version",
	    COS_STS_VERSION, 0 };
	headers[n++] = (struct cos_http_header){ "X-TC-Timestamp", timestamp, 0 };
	headers[n++] = (struct cos_http_header){ "X-TC-Region",
	    a->target->region, 0 };
	headers[n++] = (struct cos_http_header){ "X-TC-Language", "en-US", 0 };
	if (a->signer->token != NULL)
		headers[n++] = (struct cos_http_header){ "X-TC-Token",
		    a->signer->token, 1 };
	headers[n++] = (struct cos_http_header){ "Authorization", auth, 1 };

	memset(&req, 0, sizeof(req));
	req.url = a->target->endpoint;
	req.headers = headers;
	req.header_count = n;
	req.body = a->body;
	req.body_len = a->body_len;
	req.ca_bundle = a->target->ca_bundle;
	req.connect_timeout_ms = a->target->connect_timeout_ms;
	if (req.connect_timeout_ms > a->timeout_ms)
		req.connect_timeout_ms = a->timeout_ms;
	req.timeout_ms = a->timeout_ms;
	status = cos_http_post(a->ctx, &req, resp, err);
	cos_wipe(auth, sizeof(auth));
	return status;
}

/* Decides what to do after one attempt.  Returns 1 to retry (with
 * *reason set), 0 to stop with status. */
static int
should_retry(int status, const struct cos_http_response *resp,
    const struct cos_error *err, const char **reason)
{
	if (status == COS_ERR_NETWORK && resp->status >= 500) {
		*reason = "a server error";
		return 1;
	}
	/* A certificate that is not trusted stays untrusted, and a 4xx
	 * response will not change either. */
	if (status == COS_ERR_NETWORK && resp->status == 0 &&
	    !resp->tls_failure) {
		*reason = "a network failure";
		return 1;
	}
	if (status == COS_ERR_SERVICE && retryable_code(err->code)) {
		*reason = err->code;
		return 1;
	}
	return 0;
}

int
cos_sts_call(struct cos_ctx *ctx, const struct cos_sts_target *target,
    const struct cos_sts_signer *signer, const char *action,
    const char *body, size_t body_len, struct json_object **response,
    struct cos_error *err)
{
	struct cos_http_response resp;
	struct attempt a;
	char host[256];
	int64_t deadline, skew = 0, server_time;
	int attempt, status, skew_fixed = 0;

	if ((status = cos_http_url_host(target->endpoint, host, sizeof(host),
	    err)) != COS_OK)
		return status;
	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.target = target;
	a.signer = signer;
	a.action = action;
	a.body = body;
	a.body_len = body_len;
	a.host = host;
	deadline = monotonic_ms() + target->timeout_ms;

	for (attempt = 1;; attempt++) {
		const char *reason = NULL;
		long delay;

		cos_error_clear(err);
		a.timestamp = cos_now() + skew;
		a.timeout_ms = (long)(deadline - monotonic_ms());
		if (a.timeout_ms <= 0)
			return cos_error_set(err, COS_ERR_NETWORK,
			    "%s timed out after %ld ms", action,
			    target->timeout_ms);
		status = send_attempt(&a, &resp, err);
		if (status == COS_OK && resp.status != 200) {
			status = cos_error_set(err, COS_ERR_NETWORK,
			    "STS endpoint %s answered HTTP %ld", target->endpoint,
			    resp.status);
		} else if (status == COS_OK) {
			status = cos_sts_parse_body(resp.body.data, resp.body.len,
			    response, err);
		}
		if (status == COS_OK) {
			cos_http_response_free(&resp);
			return COS_OK;
		}

		if (status == COS_ERR_SERVICE && err != NULL &&
		    strcmp(err->code, "AuthFailure.SignatureExpire") == 0) {
			server_time = parse_http_date(resp.date);
			cos_http_response_free(&resp);
			if (server_time < 0) {
				cos_error_hint(err, "The local clock is probably "
				    "wrong, but the response had no valid Date "
				    "header to tell by how much; fix time sync "
				    "(for example, enable NTP).");
				return status;
			}
			skew = server_time - cos_now();
			if (skew_fixed) {
				cos_error_hint(err, "The local clock is %lld "
				    "seconds %s the STS server's clock, and a "
				    "request corrected by that offset failed too; "
				    "fix time sync (for example, enable NTP).",
				    (long long)(skew < 0 ? -skew : skew),
				    skew < 0 ? "ahead of" : "behind");
				return status;
			}
			skew_fixed = 1;
			cos_log(ctx, COS_LOG_WARN, "the local clock is %lld "
			    "seconds %s the STS server's clock; fix time sync "
			    "(for example, enable NTP). Retrying with a corrected "
			    "timestamp", (long long)(skew < 0 ? -skew : skew),
			    skew < 0 ? "ahead of" : "behind");
			continue;
		}
		if (status == COS_ERR_INTERRUPTED ||
		    !should_retry(status, &resp, err, &reason)) {
			cos_http_response_free(&resp);
			return status;
		}
		if (attempt >= COS_STS_MAX_ATTEMPTS) {
			cos_http_response_free(&resp);
			if (err->hint[0] == '\0')
				cos_error_hint(err, "%s failed %d times in a "
				    "row; try again later (-v shows each "
				    "attempt).", action, attempt);
			return status;
		}

		/* Full jitter: a random delay up to the exponential bound. */
		if (resp.retry_after >= 0) {
			delay = resp.retry_after * 1000;
		} else {
			long bound = BACKOFF_BASE_MS << (attempt - 1);

			if (bound > BACKOFF_CAP_MS)
				bound = BACKOFF_CAP_MS;
			delay = (long)randombytes_uniform((uint32_t)bound + 1);
		}
		cos_http_response_free(&resp);
		if (monotonic_ms() + delay >= deadline) {
			cos_log(ctx, COS_LOG_INFO, "not retrying %s: the %ld ms "
			    "time limit would pass", action, target->timeout_ms);
			return status;
		}
		cos_log(ctx, COS_LOG_INFO, "retrying %s in %ld ms (attempt %d "
		    "of %d) after %s: %s", action, delay, attempt + 1,
		    COS_STS_MAX_ATTEMPTS, reason, err->message);
		if (sleep_interruptible(ctx, delay) != 0)
			return cos_error_set(err, COS_ERR_INTERRUPTED,
			    "interrupted while waiting to retry %s", action);
	}
}
