/*
 * http.h - one HTTPS POST through libcurl, with TLS always verified.
 */
#ifndef COS_HTTP_H
#define COS_HTTP_H

#include <stddef.h>

#include "internal.h"

#define COS_HTTP_BODY_MAX (1024 * 1024)

/* A request header.  value may be secret memory (X-TC-Token); it is
 * handed to libcurl without a copy of ours. */
struct cos_http_header {
	const char *name;
	const char *value;
	int redact; /* never log the value */
};

struct cos_http_request {
	const char *url;
	const struct cos_http_header *headers;
	size_t header_count;
	const char *body;
	size_t body_len;
	const char *ca_bundle;    /* PEM file to trust; NULL: system store */
	long connect_timeout_ms;
	long timeout_ms;          /* whole transfer */
};

struct cos_http_response {
	long status;
	struct cos_buf body;      /* secret: it carries credentials */
	int too_large;            /* the body passed COS_HTTP_BODY_MAX */
	char date[64];            /* Date header, "" when absent */
	long retry_after;         /* Retry-After in seconds, -1 when absent */
	int tls_failure;          /* the TLS handshake or verification failed */
};

/* Sends req and fills resp (which the caller releases with
 * cos_http_response_free).  Returns COS_OK when an HTTP response arrived,
 * whatever its status; COS_ERR_NETWORK for connection, TLS and timeout
 * failures; COS_ERR_INTERRUPTED when the context's interrupt callback
 * fired. */
int cos_http_post(struct cos_ctx *ctx, const struct cos_http_request *req,
    struct cos_http_response *resp, struct cos_error *err);

void cos_http_response_free(struct cos_http_response *resp);

/* Splits an https URL into its host (with ":port" when given) for the
 * Host header.  Rejects other schemes, user info, and a missing host. */
int cos_http_url_host(const char *url, char *host, size_t size,
    struct cos_error *err);

#endif /* COS_HTTP_H */
