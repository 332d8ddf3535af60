/*
 * sts.h - calls to Tencent Cloud STS (API version 2018-08-13).
 */
#ifndef COS_STS_H
#define COS_STS_H

#include <json-c/json.h>

#include "internal.h"

#define COS_STS_VERSION "2018-08-13"
#define COS_STS_MAX_ATTEMPTS 3

/* Endpoint, region, CA bundle and timeouts of an STS call. */
struct cos_sts_target {
	const char *endpoint;    /* https URL */
	const char *region;      /* X-TC-Region */
	const char *ca_bundle;   /* NULL: system store */
	long connect_timeout_ms;
	long timeout_ms;         /* the whole call, retries included */
};

/* Key that signs the call; token is NULL for a permanent key. */
struct cos_sts_signer {
	const char *secret_id;
	const char *secret_key;
	const char *token;
};

/* Sends action with the JSON body, retrying throttling, server errors and
 * network failures (at most COS_STS_MAX_ATTEMPTS attempts, full-jitter
 * backoff, Retry-After honoured) and correcting the clock once after
 * AuthFailure.SignatureExpire.  On success *response is the parsed
 * "Response" object (release with json_object_put). */
int cos_sts_call(struct cos_ctx *ctx, const struct cos_sts_target *target,
    const struct cos_sts_signer *signer, const char *action,
    const char *body, size_t body_len, struct json_object **response,
    struct cos_error *err);

/* Parses an AssumeRole "Response" object into credentials. */
int cos_sts_parse_credentials(struct json_object *response, int64_t now,
    struct cos_credentials **out, struct cos_error *err);

/* Parses a raw HTTP body into its "Response" object, checking the shape
 * and turning Response.Error into a COS_ERR_SERVICE error. */
int cos_sts_parse_body(const char *body, size_t len,
    struct json_object **response, struct cos_error *err);

/* Overwrites the bytes of every string in obj, so that credentials do not
 * linger in json-c's heap after json_object_put. */
void cos_json_wipe(struct json_object *obj);

#endif /* COS_STS_H */
