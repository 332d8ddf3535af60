/*
 * internal.h - declarations shared by the core's own modules.  Nothing here
 * is part of the library's interface.
 */
#ifndef COS_INTERNAL_H
#define COS_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cos.h"
#include "banned.h"

#define COS_MASTER_KEY_BYTES 32

struct cos_ctx {
	char *config_dir;
	cos_log_fn log_fn;
	void *log_userdata;
	enum cos_log_level log_level;
	cos_interrupt_fn interrupt_fn;
	void *interrupt_userdata;
	cos_passphrase_fn passphrase_fn;
	void *passphrase_userdata;

	/* Unlocked master key (secret memory) and when it was last used. */
	unsigned char *master_key;
	int64_t master_key_used;
	long key_ttl;
};


/* Growable buffer.  With secret set, storage is secret memory and every
 * discarded copy is wiped. */
struct cos_buf {
	char *data;
	size_t len;
	size_t cap;
	int secret;
	int failed; /* an append ran out of memory or past max */
	size_t max; /* 0: unlimited */
};

void cos_buf_init(struct cos_buf *buf, int secret, size_t max);
void cos_buf_append(struct cos_buf *buf, const void *data, size_t len);
void cos_buf_puts(struct cos_buf *buf, const char *s);
void cos_buf_printf(struct cos_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Releases the storage (wiping it when secret) and resets the buffer. */
void cos_buf_free(struct cos_buf *buf);
/* Hands the NUL-terminated contents to the caller (secret memory when the
 * buffer is secret) and resets the buffer.  NULL when failed. */
char *cos_buf_take(struct cos_buf *buf, size_t *len);

/* Percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ (RFC 3986
 * unreserved), upper-case hex. */
void cos_buf_urlencode(struct cos_buf *buf, const char *s, size_t len);

/* Formats t (Unix seconds, UTC) as 2006-01-02T15:04:05Z into out[21]. */
void cos_format_iso8601(int64_t t, char out[21]);
/* Parses YYYY-MM-DDTHH:MM:SSZ.  Returns 0 on success. */
int cos_parse_iso8601(const char *s, int64_t *out);

/* Returns the environment variable name if set and non-empty, else NULL. */
const char *cos_getenv(const char *name);

#endif /* COS_INTERNAL_H */
