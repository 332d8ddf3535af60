/*
 * util.c - errors, secret memory, growable buffers, time formatting.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "internal.h"

void
cos_error_clear(struct cos_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

/* Replaces control characters and bytes that are not valid UTF-8 with '?'.
 * Tabs become spaces. */
void
cos_clean_text(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	if (size == 0)
		return;
	while (i < len && s[i] != '\0' && o + 1 < size) {
		unsigned char c = s[i];
		size_t seq = 0;

		if (c < 0x80) {
			if (c == '\t')
				dst[o++] = ' ';
			else if (c < 0x20 || c == 0x7f)
				dst[o++] = '?';
			else
				dst[o++] = (char)c;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			seq = 2;
		else if (c >= 0xe0 && c <= 0xef)
			seq = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			seq = 4;
		if (seq != 0 && i + seq <= len && o + seq < size) {
			size_t k;
			int ok = 1;

			for (k = 1; k < seq; k++)
				if ((s[i + k] & 0xc0) != 0x80)
					ok = 0;
			/* C1 controls (U+0080-U+009F) are encoded as C2 80-9F. */
			if (ok && c == 0xc2 && s[i + 1] < 0xa0)
				ok = 0;
			if (ok) {
				memcpy(dst + o, s + i, seq);
				o += seq;
				i += seq;
				continue;
			}
		}
		dst[o++] = '?';
		i++;
	}
	dst[o] = '\0';
}


int
cos_error_set(struct cos_error *err, int status, const char *fmt, ...)
{
	char raw[sizeof(err->message)];
	va_list ap;

	if (err == NULL)
		return status;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	err->status = status;
	cos_clean_text(err->message, sizeof(err->message), raw, strlen(raw));
	cos_wipe(raw, sizeof(raw));
	return status;
}

void
cos_error_hint(struct cos_error *err, const char *fmt, ...)
{
	char raw[sizeof(err->hint)];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	cos_clean_text(err->hint, sizeof(err->hint), raw, strlen(raw));
}

int
cos_global_init(struct cos_error *err)
{
	if (sodium_init() < 0)
		return cos_error_set(err, COS_ERR_OTHER,
		    "cannot initialize libsodium");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return cos_error_set(err, COS_ERR_OTHER,
		    "cannot initialize libcurl");
	return COS_OK;
}

void
cos_global_cleanup(void)
{
	curl_global_cleanup();
}

void *
cos_secret_alloc(size_t size)
{
	void *p;

	/* sodium_malloc() aborts when libsodium is not initialized; a
	 * repeated sodium_init() is cheap and returns 1. */
	if (sodium_init() < 0)
		return NULL;
	/* sodium_malloc() returns guarded pages that are mlock()ed and
	 * excluded from core dumps (MADV_DONTDUMP). */
	p = sodium_malloc(size == 0 ? 1 : size);
	if (p != NULL)
		memset(p, 0, size == 0 ? 1 : size);
	return p;
}

char *
cos_secret_strndup(const char *src, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = cos_secret_alloc(len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, src, len);
	p[len] = '\0';
	return p;
}

char *
cos_secret_strdup(const char *src)
{
	return cos_secret_strndup(src, strlen(src));
}

void
cos_secret_free(void *ptr)
{
	/* sodium_free() wipes the whole allocation before unmapping it. */
	if (ptr != NULL)
		sodium_free(ptr);
}

void
cos_wipe(void *ptr, size_t len)
{
	if (ptr != NULL && len > 0)
		sodium_memzero(ptr, len);
}

struct cos_credentials *
cos_credentials_new(void)
{
	return calloc(1, sizeof(struct cos_credentials));
}

void
cos_credentials_free(struct cos_credentials *creds)
{
	if (creds == NULL)
		return;
	cos_secret_free(creds->secret_id);
	cos_secret_free(creds->secret_key);
	cos_secret_free(creds->token);
	cos_wipe(creds, sizeof(*creds));
	free(creds);
}

const char *
cos_source_name(enum cos_source source)
{
	switch (source) {
	case COS_SOURCE_ENV_TOKEN:
		return "environment token";
	case COS_SOURCE_IMPORTED_TOKEN:
		return "imported token";
	case COS_SOURCE_ASSUME_ROLE:
		return "assume role";
	case COS_SOURCE_CACHE:
		return "cached session";
	case COS_SOURCE_PERMANENT_KEY:
		return "permanent key";
	case COS_SOURCE_NONE:
		break;
	}
	return "none";
}

const char *
cos_origin_name(enum cos_origin origin)
{
	switch (origin) {
	case COS_ORIGIN_DEFAULT:
		return "default";
	case COS_ORIGIN_ENV:
		return "environment";
	case COS_ORIGIN_CONFIG:
		return "config file";
	case COS_ORIGIN_CREDENTIALS:
		return "credentials file";
	case COS_ORIGIN_OPTION:
		return "command line";
	case COS_ORIGIN_UNSET:
		break;
	}
	return "unset";
}

/* ------------------------------------------------------------------ */

void
cos_buf_init(struct cos_buf *buf, int secret, size_t max)
{
	memset(buf, 0, sizeof(*buf));
	buf->secret = secret;
	buf->max = max;
}

static int
buf_reserve(struct cos_buf *buf, size_t extra)
{
	size_t need, cap;
	char *p;

	if (buf->failed)
		return -1;
	if (extra > SIZE_MAX - buf->len - 1)
		goto fail;
	need = buf->len + extra + 1;
	if (buf->max != 0 && need > buf->max + 1)
		goto fail;
	if (need <= buf->cap)
		return 0;
	cap = buf->cap == 0 ? 256 : buf->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = buf->secret ? cos_secret_alloc(cap) : malloc(cap);
	if (p == NULL)
		goto fail;
	if (buf->data != NULL) {
		memcpy(p, buf->data, buf->len);
		if (buf->secret) {
			cos_secret_free(buf->data);
		} else {
			free(buf->data);
		}
	}
	buf->data = p;
	buf->cap = cap;
	return 0;
fail:
	buf->failed = 1;
	return -1;
}

void
cos_buf_append(struct cos_buf *buf, const void *data, size_t len)
{
	if (buf_reserve(buf, len) != 0)
		return;
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void
cos_buf_puts(struct cos_buf *buf, const char *s)
{
	cos_buf_append(buf, s, strlen(s));
}

void
cos_buf_printf(struct cos_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(buf, (size_t)n) != 0) {
		buf->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
}

void
cos_buf_free(struct cos_buf *buf)
{
	if (buf->data != NULL) {
		if (buf->secret) {
			cos_secret_free(buf->data);
		} else {
			free(buf->data);
		}
	}
	buf->data = NULL;
	buf->len = buf->cap = 0;
	buf->failed = 0;
}

char *
cos_buf_take(struct cos_buf *buf, size_t *len)
{
	char *p;

	if (buf->failed) {
		cos_buf_free(buf);
		return NULL;
	}
	if (buf->data == NULL && buf_reserve(buf, 0) != 0)
		return NULL;
	buf->data[buf->len] = '\0';
	p = buf->data;
	if (len != NULL)
		*len = buf->len;
	buf->data = NULL;
	buf->len = buf->cap = 0;
	return p;
}

void
cos_buf_urlencode(struct cos_buf *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			cos_buf_append(buf, &s[i], 1);
		} else {
			char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

			cos_buf_append(buf, enc, 3);
		}
	}
}

/* ------------------------------------------------------------------ */

void
cos_format_iso8601(int64_t t, char out[21])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 21, "1970-01-01T00:00:00Z");
}

int
cos_parse_iso8601(const char *s, int64_t *out)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

const char *
cos_getenv(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && v[0] != '\0') ? v : NULL;
}

int64_t
cos_now(void)
{
#ifdef COS_TEST_HOOKS
	const char *fixed = getenv("COS_TEST_NOW");

	if (fixed != NULL && fixed[0] != '\0')
		return (int64_t)strtoll(fixed, NULL, 10);
#endif
	return (int64_t)time(NULL);
}

void
cos_mask_secret(const char *value, char *out, size_t size)
{
	size_t len;

	if (size == 0)
		return;
	len = value != NULL ? strlen(value) : 0;
	if (len < 12) {
		snprintf(out, size, "****");
		return;
	}
	snprintf(out, size, "%.4s****%s", value, value + len - 4);
}
