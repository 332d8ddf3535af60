/*
 * tc3.h - TC3-HMAC-SHA256, the request signature of Tencent Cloud API 3.0.
 */
#ifndef COS_TC3_H
#define COS_TC3_H

#include <stddef.h>
#include <stdint.h>

struct cos_tc3_request {
	const char *method;       /* "POST" or "GET" */
	const char *host;         /* Host header as sent, with ":port" if any */
	const char *query;        /* GET query string as sent; "" for POST */
	const char *content_type; /* exactly the Content-Type header sent */
	const char *body;         /* exact body bytes; may be NULL when empty */
	size_t body_len;
	const char *service;      /* "sts" */
	int64_t timestamp;        /* X-TC-Timestamp, Unix seconds */
	const char *secret_id;
	const char *secret_key;
};

/* Intermediate values, for tests and --debug (none is secret). */
struct cos_tc3_trace {
	char date[11];                  /* UTC date of the timestamp */
	char payload_hash[65];
	char canonical_request_hash[65];
	char signature[65];
};

#define COS_TC3_AUTH_MAX 512

/* Computes the Authorization header value into auth (size bytes) for a
 * request signed over the headers content-type and host.  trace may be
 * NULL.  Returns 0, or -1 when the inputs do not fit or hashing fails. */
int cos_tc3_sign(const struct cos_tc3_request *req, char *auth, size_t size,
    struct cos_tc3_trace *trace);

/* Derives kSigning = HMAC chain over "TC3" + secret_key, date, service and
 * "tc3_request" into out[32].  Returns 0 or -1. */
int cos_tc3_signing_key(const char *secret_key, const char *date,
    const char *service, unsigned char out[32]);

#endif /* COS_TC3_H */
