/*
 * http.c - HTTPS POST through libcurl.
 *
 * Peer and host verification stay on; the only way to trust another CA is
 * a PEM bundle (COS_CA_BUNDLE or the profile key ca_bundle).  Proxies come
 * from libcurl's usual HTTPS_PROXY and NO_PROXY variables.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http.h"

struct transfer {
	struct cos_ctx *ctx;
	struct cos_http_response *resp;
	int interrupted;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb;

	if (t->resp->body.len + len > COS_HTTP_BODY_MAX) {
		t->resp->too_large = 1;
		return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	cos_buf_append(&t->resp->body, data, len);
	return t->resp->body.failed ? 0 : len;
}

/* Copies the value of header "name" from line into out, trimmed. */
static int
header_value(const char *line, size_t len, const char *name, char *out,
    size_t size)
{
	size_t nlen = strlen(name), vlen;
	const char *v;

	if (len <= nlen || strncasecmp(line, name, nlen) != 0 ||
	    line[nlen] != ':')
		return 0;
	v = line + nlen + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' '))
		vlen--;
	cos_clean_text(out, size, v, vlen);
	return 1;
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb;
	char value[64];

	header_value(line, len, "Date", t->resp->date, sizeof(t->resp->date));
	if (header_value(line, len, "Retry-After", value, sizeof(value))) {
		char *end;
		long secs = strtol(value, &end, 10);

		if (end != value && *end == '\0' && secs >= 0 && secs < 3600)
			t->resp->retry_after = secs;
	}
	return len;
}

/* libcurl calls this at least once a second while a transfer waits, and
 * right after a signal interrupts its poll(), so Ctrl-C aborts promptly. */
static int
on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = userdata;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (cos_ctx_interrupted(t->ctx)) {
		t->interrupted = 1;
		return 1;
	}
	return 0;
}

/* Checks the port of HOST[:PORT], if any: 1 to 65535.  An IPv6 literal
 * such as [::1]:8443 keeps its colons inside the brackets. */
static int
valid_port(const char *hostport, size_t len)
{
	const char *bracket = memchr(hostport, ']', len);
	const char *start = bracket != NULL ? bracket + 1 : hostport;
	const char *colon = memchr(start, ':', len - (size_t)(start - hostport));
	long port = 0;
	const char *c;

	if (colon == NULL)
		return 1;
	if (colon + 1 == hostport + len)
		return 0;
	for (c = colon + 1; c < hostport + len; c++) {
		if (*c < '0' || *c > '9')
			return 0;
		port = port * 10 + (*c - '0');
		if (port > 65535)
			return 0;
	}
	return port >= 1;
}

int
cos_http_url_host(const char *url, char *host, size_t size,
    struct cos_error *err)
{
	const char *p, *end;
	size_t len;

	if (strncasecmp(url, "https://", 8) != 0) {
		cos_error_set(err, COS_ERR_USAGE,
		    "STS endpoint '%s' is not an https:// URL", url);
		cos_error_hint(err, "Set COS_STS_ENDPOINT or the profile key "
		    "sts_endpoint to a URL such as https://sts.tencentcloudapi.com");
		return COS_ERR_USAGE;
	}
	p = url + 8;
	end = p + strcspn(p, "/?#");
	len = (size_t)(end - p);
	if (memchr(p, '@', len) != NULL) {
		cos_error_set(err, COS_ERR_USAGE, "STS endpoint '%s' contains "
		    "user information ('@'), which cos does not send", url);
		cos_error_hint(err, "Use a URL of the form https://HOST[:PORT]");
		return COS_ERR_USAGE;
	}
	if (len == 0 || len >= size || strcspn(p, " \t\r\n") < len ||
	    !valid_port(p, len)) {
		cos_error_set(err, COS_ERR_USAGE,
		    "STS endpoint '%s' has no valid host or port", url);
		cos_error_hint(err, "Use a URL of the form https://HOST[:PORT]");
		return COS_ERR_USAGE;
	}
	memcpy(host, p, len);
	host[len] = '\0';
	return COS_OK;
}

/* Returns nonzero when value contains a control character.  A CR or LF in a
 * header value would end the header and let the rest pass as headers of
 * its own. */
static int
has_control(const char *value)
{
	for (; *value != '\0'; value++)
		if ((unsigned char)*value < 0x20 || *value == 0x7f)
			return 1;
	return 0;
}

/* Builds the header list in our own nodes, so that the X-TC-Token value is
 * not duplicated into memory we cannot wipe. */
static struct curl_slist *
build_headers(const struct cos_http_request *req, struct curl_slist *nodes,
    char **lines, struct cos_error *err)
{
	size_t i;

	for (i = 0; i < req->header_count; i++) {
		const struct cos_http_header *h = &req->headers[i];
		struct cos_buf line;

		if (has_control(h->value)) {
			cos_error_set(err, COS_ERR_USAGE, "the %s header would "
			    "contain a control character such as a line break; "
			    "refusing to send it", h->name);
			cos_error_hint(err, "Check the credentials for stray "
			    "line breaks: cos configure list");
			return NULL;
		}

		cos_buf_init(&line, 1, 0);
		cos_buf_printf(&line, "%s: %s", h->name, h->value);
		lines[i] = cos_buf_take(&line, NULL);
		if (lines[i] == NULL) {
			cos_error_set(err, COS_ERR_OTHER, "out of memory");
			return NULL;
		}
		nodes[i].data = lines[i];
		nodes[i].next = i + 1 < req->header_count ? &nodes[i + 1] : NULL;
	}
	/* Drop the headers libcurl would add on its own. */
	nodes[i].data = (char *)"Expect:";
	nodes[i].next = NULL;
	if (i > 0)
		nodes[i - 1].next = &nodes[i];
	return nodes;
}

static void
log_request(struct cos_ctx *ctx, const struct cos_http_request *req)
{
	size_t i;

	cos_log(ctx, COS_LOG_INFO, "POST %s (%zu bytes)", req->url,
	    req->body_len);
	for (i = 0; i < req->header_count; i++) {
		const struct cos_http_header *h = &req->headers[i];

		if (!h->redact) {
			cos_log(ctx, COS_LOG_DEBUG, "> %s: %s", h->name,
			    h->value);
		} else if (strcasecmp(h->name, "Authorization") == 0) {
			/* Keep the algorithm and the credential scope only:
			 * the secret id and the signature are left out. */
			const char *scope = strchr(h->value, '/');
			size_t scope_len = scope != NULL ?
			    strcspn(scope, ",") : 0;

			cos_log(ctx, COS_LOG_DEBUG,
			    "> %s: TC3-HMAC-SHA256 Credential=<redacted>%.*s, "
			    "SignedHeaders=content-type;host, Signature=<redacted>",
			    h->name, (int)scope_len, scope != NULL ? scope : "");
		} else {
			cos_log(ctx, COS_LOG_DEBUG, "> %s: <redacted>", h->name);
		}
	}
}

static int
map_curl_error(CURLcode rc, const char *errbuf, const char *url,
    const struct cos_http_request *req, struct cos_http_response *resp,
    struct cos_error *err)
{
	const char *detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		cos_error_set(err, COS_ERR_NETWORK,
		    "request to %s timed out after %ld ms", url,
		    req->timeout_ms);
		cos_error_hint(err, "Check the network, or raise the limit "
		    "with COS_TIMEOUT (seconds).");
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CONNECT_ERROR:
		resp->tls_failure = 1;
		cos_error_set(err, COS_ERR_NETWORK,
		    "TLS connection to %s failed: %s", url, detail);
		cos_error_hint(err, "If a proxy or private endpoint uses its "
		    "own CA, set COS_CA_BUNDLE to its PEM file.");
		break;
	default:
		cos_error_set(err, COS_ERR_NETWORK, "request to %s failed: %s",
		    url, detail);
		break;
	}
	return COS_ERR_NETWORK;
}

int
cos_http_post(struct cos_ctx *ctx, const struct cos_http_request *req,
    struct cos_http_response *resp, struct cos_error *err)
{
	struct curl_slist *nodes = NULL, *headers;
	char **lines = NULL;
	char errbuf[CURL_ERROR_SIZE];
	struct transfer t;
	CURL *curl = NULL;
	CURLcode rc;
	double seconds = 0;
	size_t i;
	int status;

	memset(resp, 0, sizeof(*resp));
	cos_buf_init(&resp->body, 1, COS_HTTP_BODY_MAX);
	resp->retry_after = -1;
	memset(&t, 0, sizeof(t));
	t.ctx = ctx;
	t.resp = resp;
	errbuf[0] = '\0';

	nodes = calloc(req->header_count + 1, sizeof(*nodes));
	lines = calloc(req->header_count + 1, sizeof(*lines));
	curl = curl_easy_init();
	if (nodes == NULL || lines == NULL || curl == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	headers = build_headers(req, nodes, lines, err);
	if (headers == NULL) {
		status = err != NULL && err->status != 0 ? err->status :
		    COS_ERR_OTHER;
		goto out;
	}
	log_request(ctx, req);

	curl_easy_setopt(curl, CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_bundle != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, req->ca_bundle);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)req->body_len);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "cos/" COS_VERSION);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)COS_HTTP_BODY_MAX);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
#if LIBCURL_VERSION_NUM >= 0x075700
	/* Do not wait for a slow DNS resolver thread after an abort. */
	curl_easy_setopt(curl, CURLOPT_QUICK_EXIT, 1L);
#endif

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &seconds);
	if (t.interrupted || rc == CURLE_ABORTED_BY_CALLBACK) {
		status = cos_error_set(err, COS_ERR_INTERRUPTED,
		    "interrupted while waiting for %s", req->url);
		goto out;
	}
	if (resp->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		resp->too_large = 1;
		status = cos_error_set(err, COS_ERR_OTHER,
		    "response from %s is larger than %d bytes", req->url,
		    COS_HTTP_BODY_MAX);
		goto out;
	}
	if (rc != CURLE_OK) {
		status = map_curl_error(rc, errbuf, req->url, req, resp, err);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
	cos_log(ctx, COS_LOG_INFO, "HTTP %ld, %zu bytes in %.0f ms",
	    resp->status, resp->body.len, seconds * 1000);
	if (resp->body.failed) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	status = COS_OK;
out:
	if (curl != NULL)
		curl_easy_cleanup(curl);
	if (lines != NULL) {
		for (i = 0; i < req->header_count; i++)
			cos_secret_free(lines[i]);
		free(lines);
	}
	free(nodes);
	cos_wipe(errbuf, sizeof(errbuf));
	return status;
}

void
cos_http_response_free(struct cos_http_response *resp)
{
	cos_buf_free(&resp->body);
}
