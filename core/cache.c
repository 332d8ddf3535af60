/*
 * cache.c - the sealed session cache (layout and format in cache.h).
 *
 * Single flight: a caller takes the entry's exclusive lock and reads the
 * entry.  On a miss it fetches and writes the new entry before it
 * releases the lock.  Processes started together for the same key thus
 * make one AssumeRole call between them.  Writers replace the entry
 * atomically (cos_file_replace), so a reader never sees half an entry.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"
#include "cache.h"
#include "fileio.h"
#include "seal.h"
#include "store.h"

#define CACHE_DIR "cache"
#define CACHE_MAGIC "cos-session-cache:v1"
#define SESSION_SUFFIX ".session"
#define LOCK_SUFFIX ".lock"
#define PREFIX_BYTES 8      /* profile hash in the file name */
#define HASH_BYTES 32       /* entry hash in the file name */
#define PREFIX_HEX (PREFIX_BYTES * 2)
#define HASH_HEX (HASH_BYTES * 2)
#define BASE_NAME_LEN (PREFIX_HEX + 1 + HASH_HEX)
#define LOCK_REOPEN_MAX 100

static const char *const sealed_fields[] = {
	"secret_id", "secret_key", "token"
};

/* One open entry: its paths and, while held, its lock. */
struct entry {
	char *session_path;
	char *lock_path;
	char hash_hex[HASH_HEX + 1];
	int lock_fd;
};

/* The fields of an entry file.  The sealed values point into the file's
 * text. */
struct entry_fields {
	int64_t expired_time;
	int64_t requested_time;
	long duration;
	char request_id[128];
	const char *sealed[3];
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Feeds one length-prefixed field into the hash, so that no two
 * different keys serialize alike.  NULL hashes differently from "". */
static void
hash_field(crypto_generichash_state *st, const char *value)
{
	unsigned char len[8];
	uint64_t n = value != NULL ? strlen(value) : UINT64_MAX;
	size_t i;

	for (i = 0; i < sizeof(len); i++)
		len[i] = (unsigned char)(n >> (8 * i));
	crypto_generichash_update(st, len, sizeof(len));
	if (value != NULL)
		crypto_generichash_update(st, (const unsigned char *)value,
		    strlen(value));
}

static void
profile_prefix(const char *profile, char out[PREFIX_HEX + 1])
{
	crypto_generichash_state st;
	unsigned char bin[PREFIX_BYTES];

	crypto_generichash_init(&st, NULL, 0, sizeof(bin));
	hash_field(&st, "cos-session-cache-profile:v1");
	hash_field(&st, profile);
	crypto_generichash_final(&st, bin, sizeof(bin));
	sodium_bin2hex(out, PREFIX_HEX + 1, bin, sizeof(bin));
}

static void
entry_hash(const struct cos_cache_key *key, char out[HASH_HEX + 1])
{
	crypto_generichash_state st;
	unsigned char bin[HASH_BYTES];
	char duration[32];

	snprintf(duration, sizeof(duration), "%ld", key->duration);
	crypto_generichash_init(&st, NULL, 0, sizeof(bin));
	hash_field(&st, "cos-session-cache-entry:v1");
	hash_field(&st, key->profile);
	hash_field(&st, key->secret_id);
	hash_field(&st, key->role);
	hash_field(&st, key->region);
	hash_field(&st, duration);
	hash_field(&st, key->policy);
	hash_field(&st, key->session_name);
	hash_field(&st, key->endpoint);
	crypto_generichash_final(&st, bin, sizeof(bin));
	sodium_bin2hex(out, HASH_HEX + 1, bin, sizeof(bin));
}

/* Returns DIR/cache in new heap memory, creating it (0700) when create
 * is set. */
static int
cache_dir(struct cos_ctx *ctx, int create, char **out, struct cos_error *err)
{
	const char *dir = cos_ctx_config_dir(ctx);
	char *path;
	int status;

	if (create && (status = cos_dir_ensure(dir, err)) != COS_OK)
		return status;
	if ((path = cos_path_join(dir, CACHE_DIR)) == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	if (create && (status = cos_dir_ensure(path, err)) != COS_OK) {
		free(path);
		return status;
	}
	*out = path;
	return COS_OK;
}

/* ------------------------------------------------------------------ */
/* Entry locks                                                         */

/* Takes an exclusive flock on the lock file at path, creating it.  Polls,
 * so that the context's interrupt callback can stop the wait, and gives
 * up after COS_LOCK_TIMEOUT_SECONDS. */
static int
lock_file_acquire(struct cos_ctx *ctx, const char *path, int *out,
    struct cos_error *err)
{
	struct stat held, named;
	long waited_ms = 0, step_ms = 2;
	int fd, reopen;

	for (reopen = 0; reopen < LOCK_REOPEN_MAX; reopen++) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY, 0600);
		if (fd < 0)
			return cos_error_set(err, COS_ERR_OTHER, "cannot open "
			    "the lock file '%s': %s", path, strerror(errno));
		while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			int saved = errno;

			if (saved != EWOULDBLOCK && saved != EINTR) {
				close(fd);
				return cos_error_set(err, COS_ERR_OTHER,
				    "cannot lock '%s': %s", path,
				    strerror(saved));
			}
			if (cos_ctx_interrupted(ctx)) {
				close(fd);
				return cos_error_set(err, COS_ERR_INTERRUPTED,
				    "interrupted while waiting for the lock "
				    "'%s'", path);
			}
			if (waited_ms >= COS_LOCK_TIMEOUT_SECONDS * 1000L) {
				close(fd);
				return cos_error_set(err, COS_ERR_OTHER,
				    "timed out after %d seconds waiting for the "
				    "lock '%s'", COS_LOCK_TIMEOUT_SECONDS, path);
			}
			sleep_ms(step_ms);
			waited_ms += step_ms;
			if (step_ms < 50)
				step_ms *= 2;
		}
		/* cos_cache_clear() unlinks lock files while it holds them.
		 * A lock on a file that no longer has this name protects
		 * nothing, so open the name again. */
		if (fstat(fd, &held) == 0 && stat(path, &named) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
			*out = fd;
			return COS_OK;
		}
		close(fd);
	}
	return cos_error_set(err, COS_ERR_OTHER, "cannot lock '%s': another "
	    "process keeps removing it", path);
}

static void
entry_init(struct entry *e)
{
	memset(e, 0, sizeof(*e));
	e->lock_fd = -1;
}

/* Releases the lock (closing the descriptor drops the flock) and frees
 * the paths; an entry from entry_init() is accepted. */
static void
entry_close(struct entry *e)
{
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	free(e->session_path);
	free(e->lock_path);
	entry_init(e);
}

/* Sets the paths of the entry named base in dir. */
static int
entry_paths(struct entry *e, const char *dir, const char *base,
    struct cos_error *err)
{
	if (asprintf(&e->session_path, "%s/%s%s", dir, base,
	    SESSION_SUFFIX) < 0) {
		e->session_path = NULL;
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	}
	if (asprintf(&e->lock_path, "%s/%s%s", dir, base, LOCK_SUFFIX) < 0) {
		e->lock_path = NULL;
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	}
	return COS_OK;
}

/* Finds the entry for key, creating DIR/cache when needed, and locks it. */
static int
entry_open(struct cos_ctx *ctx, const struct cos_cache_key *key,
    struct entry *e, struct cos_error *err)
{
	char prefix[PREFIX_HEX + 1], base[BASE_NAME_LEN + 1];
	char *dir = NULL;
	int status;

	profile_prefix(key->profile, prefix);
	entry_hash(key, e->hash_hex);
	snprintf(base, sizeof(base), "%s-%s", prefix, e->hash_hex);
	if ((status = cache_dir(ctx, 1, &dir, err)) != COS_OK ||
	    (status = entry_paths(e, dir, base, err)) != COS_OK)
		goto out;
	status = lock_file_acquire(ctx, e->lock_path, &e->lock_fd, err);
out:
	free(dir);
	return status;
}

/* ------------------------------------------------------------------ */
/* Reading an entry                                                    */

static int
parse_int64(const char *text, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;
	const char *p;

	if (text[0] == '\0' || strlen(text) > 18)
		return -1;
	for (p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Stores one "name=value" line of an entry into f.  Returns -1 for an
 * unknown, repeated or invalid field. */
static int
parse_field(struct entry_fields *f, char *line, unsigned *seen)
{
	static const char *const names[] = {
		"expired_time", "requested_time", "duration", "request_id",
		"secret_id", "secret_key", "token"
	};
	char *value = strchr(line, '=');
	int64_t n;
	size_t i;

	if (value == NULL)
		return -1;
	*value++ = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(line, names[i]) == 0)
			break;
	if (i == sizeof(names) / sizeof(names[0]) || (*seen & (1u << i)))
		return -1;
	*seen |= 1u << i;
	switch (i) {
	case 0:
		return parse_int64(value, 1, INT64_MAX / 2, &f->expired_time);
	case 1:
		return parse_int64(value, 0, INT64_MAX / 2, &f->requested_time);
	case 2:
		if (parse_int64(value, COS_DURATION_MIN, COS_DURATION_MAX,
		    &n) != 0)
			return -1;
		f->duration = (long)n;
		return 0;
	case 3:
		cos_clean_text(f->request_id, sizeof(f->request_id), value,
		    strlen(value));
		return 0;
	default:
		if (!cos_seal_is_sealed(value))
			return -1;
		f->sealed[i - 4] = value;
		return 0;
	}
}

/* Parses the text of an entry in place.  Returns -1 when it is not a
 * complete version 1 entry. */
static int
parse_entry(char *text, struct entry_fields *f)
{
	const unsigned all = (1u << 7) - 1, optional = 1u << 3;
	unsigned seen = 0;
	char *line = text, *next;
	int first = 1;

	memset(f, 0, sizeof(*f));
	for (; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next == NULL)
			return -1; /* every line ends with a newline */
		*next++ = '\0';
		if (first) {
			if (strcmp(line, CACHE_MAGIC) != 0)
				return -1;
			first = 0;
			continue;
		}
		if (parse_field(f, line, &seen) != 0)
			return -1;
	}
	return (seen | optional) == all ? 0 : -1;
}

/* Writes the key name that a sealed value of the entry is bound to.  The
 * entry hash and the numbers are part of the associated data, so an entry
 * moved to another name or with edited times fails to open. */
static void
seal_name(const struct entry *e, int64_t expired_time,
    int64_t requested_time, long duration, const char *field, char *out,
    size_t size)
{
	snprintf(out, size, "cache:%s:%lld:%lld:%ld:%s", e->hash_hex,
	    (long long)expired_time, (long long)requested_time, duration,
	    field);
}

/* Opens the sealed values of f into new credentials.  Returns -1 when
 * one does not open. */
static int
unseal_entry(struct cos_ctx *ctx, const struct entry *e, const char *profile,
    const struct entry_fields *f, struct cos_credentials **out)
{
	struct cos_credentials *c;
	char *plain[3] = { NULL, NULL, NULL };
	char name[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		seal_name(e, f->expired_time, f->requested_time, f->duration,
		    sealed_fields[i], name, sizeof(name));
		if (cos_unseal_value(ctx->master_key, profile, name,
		    f->sealed[i], &plain[i]) != 0 || plain[i][0] == '\0')
			goto fail;
	}
	if ((c = cos_credentials_new()) == NULL)
		goto fail;
	c->secret_id = plain[0];
	c->secret_key = plain[1];
	c->token = plain[2];
	c->expired_time = f->expired_time;
	c->requested_time = f->requested_time;
	c->duration = f->duration;
	c->source = COS_SOURCE_CACHE;
	snprintf(c->request_id, sizeof(c->request_id), "%s", f->request_id);
	*out = c;
	return 0;
fail:
	for (i = 0; i < 3; i++)
		cos_secret_free(plain[i]);
	return -1;
}

/* Makes the existing master key available for opening entries.  *usable
 * is 0 when it cannot be loaded for a reason other than a wrong
 * passphrase or an interrupt, which are returned. */
static int
master_key_for_lookup(struct cos_ctx *ctx, int *usable, struct cos_error *err)
{
	struct cos_error local;
	int status;

	*usable = 1;
	if (ctx->master_key != NULL)
		return COS_OK;
	cos_error_clear(&local);
	status = cos_master_key_load(ctx, 0, &local);
	if (status == COS_ERR_PASSPHRASE || status == COS_ERR_INTERRUPTED) {
		if (err != NULL)
			*err = local;
		return status;
	}
	if (status != COS_OK) {
		cos_log(ctx, COS_LOG_WARN, "the session cache is not used: %s",
		    local.message);
		*usable = 0;
	}
	return COS_OK;
}

/* Reads the entry.  *out is NULL on a miss: no entry, a broken one, or
 * one that does not fit the request.  *usable is cleared when the cache
 * cannot be used at all. */
static int
entry_lookup(struct cos_ctx *ctx, const struct entry *e,
    const struct cos_cache_key *key, long margin, int *usable,
    struct cos_credentials **out, struct cos_error *err)
{
	struct entry_fields f;
	struct cos_error local;
	char *text = NULL;
	size_t len = 0;
	int64_t left;
	int status = COS_OK;

	*out = NULL;
	cos_error_clear(&local);
	if (cos_file_read(e->session_path, 1, &text, &len, &local) != COS_OK) {
		cos_log(ctx, COS_LOG_INFO, "ignoring the cached session: %s",
		    local.message);
		return COS_OK;
	}
	if (text == NULL) {
		cos_log(ctx, COS_LOG_INFO, "no cached session for profile '%s'",
		    key->profile);
		return COS_OK;
	}
	if (ctx->master_key == NULL && !cos_master_key_exists(ctx)) {
		/* The write that follows creates a new master key. */
		cos_log(ctx, COS_LOG_INFO, "ignoring the cached session in "
		    "'%s': the master key is missing", e->session_path);
		goto out;
	}
	if ((status = master_key_for_lookup(ctx, usable, err)) != COS_OK ||
	    !*usable)
		goto out;
	if (strlen(text) != len || parse_entry(text, &f) != 0 ||
	    unseal_entry(ctx, e, key->profile, &f, out) != 0) {
		cos_log(ctx, COS_LOG_INFO, "ignoring the cached session in "
		    "'%s': it is damaged, was changed, or was sealed under "
		    "another master key", e->session_path);
		goto out;
	}
	left = f.expired_time - cos_now();
	if (f.duration < key->duration || left <= margin) {
		cos_log(ctx, COS_LOG_INFO, "the cached session for profile "
		    "'%s' has %lld seconds left, not more than the margin of "
		    "%ld seconds; requesting a new one", key->profile,
		    (long long)left, margin);
		cos_credentials_free(*out);
		*out = NULL;
		goto out;
	}
	cos_log(ctx, COS_LOG_INFO, "using the cached session for profile "
	    "'%s' (%lld seconds left)", key->profile, (long long)left);
out:
	cos_secret_free(text);
	return status;
}

/* ------------------------------------------------------------------ */
/* Writing an entry                                                    */

/* Makes the master key available for sealing, creating it under the
 * exclusive store lock when there is none yet. */
static int
master_key_for_sealing(struct cos_ctx *ctx, struct cos_error *err)
{
	struct cos_lock lock;
	int status;

	if (ctx->master_key != NULL)
		return COS_OK;
	if (cos_master_key_exists(ctx))
		return cos_master_key_load(ctx, 0, err);
	if ((status = cos_lock_acquire(ctx, 1, &lock, err)) != COS_OK)
		return status;
	status = cos_master_key_load(ctx, 1, err);
	cos_lock_release(&lock);
	return status;
}

static int
entry_text(struct cos_ctx *ctx, const struct entry *e, const char *profile,
    const struct cos_credentials *c, char **out, size_t *out_len,
    struct cos_error *err)
{
	const char *plain[3] = { c->secret_id, c->secret_key, c->token };
	char *sealed = NULL, name[256], request_id[128];
	struct cos_buf buf;
	size_t i;
	int status = COS_OK;

	cos_buf_init(&buf, 0, COS_FILE_MAX);
	cos_clean_text(request_id, sizeof(request_id), c->request_id,
	    strlen(c->request_id));
	cos_buf_printf(&buf, "%s\nexpired_time=%lld\nrequested_time=%lld\n"
	    "duration=%ld\nrequest_id=%s\n", CACHE_MAGIC,
	    (long long)c->expired_time, (long long)c->requested_time,
	    c->duration, request_id);
	for (i = 0; i < 3 && status == COS_OK; i++) {
		seal_name(e, c->expired_time, c->requested_time, c->duration,
		    sealed_fields[i], name, sizeof(name));
		status = cos_seal_value(ctx->master_key, profile, name,
		    plain[i], &sealed, err);
		if (status == COS_OK)
			cos_buf_printf(&buf, "%s=%s\n", sealed_fields[i],
			    sealed);
		free(sealed);
		sealed = NULL;
	}
	if (status == COS_OK && (*out = cos_buf_take(&buf, out_len)) == NULL)
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
	cos_buf_free(&buf);
	return status;
}

/* Writes creds into the entry.  A failure only costs the reuse, so it is
 * logged, not returned.  An interrupt or a wrong passphrase is returned. */
static int
entry_save(struct cos_ctx *ctx, const struct entry *e,
    const struct cos_cache_key *key, const struct cos_credentials *creds,
    struct cos_error *err)
{
	struct cos_error local;
	char *text = NULL;
	size_t len = 0;
	int status;

	cos_error_clear(&local);
	if (creds->token == NULL || creds->expired_time <= 0 ||
	    creds->duration < COS_DURATION_MIN ||
	    creds->duration > COS_DURATION_MAX) {
		cos_log(ctx, COS_LOG_INFO, "not caching a session without a "
		    "token, an expiry or a valid duration");
		return COS_OK;
	}
	if ((status = master_key_for_sealing(ctx, &local)) == COS_OK &&
	    (status = entry_text(ctx, e, key->profile, creds, &text, &len,
	    &local)) == COS_OK) {
		cos_file_remove_stale(e->session_path);
		status = cos_file_replace(e->session_path, text, len, &local);
	}
	free(text);
	if (status == COS_ERR_INTERRUPTED || status == COS_ERR_PASSPHRASE) {
		if (err != NULL)
			*err = local;
		return status;
	}
	if (status != COS_OK)
		cos_log(ctx, COS_LOG_WARN, "cannot cache the session: %s",
		    local.message);
	return COS_OK;
}

/* ------------------------------------------------------------------ */

int
cos_cache_margin(struct cos_ctx *ctx, const char *profile, long *out,
    struct cos_error *err)
{
	const char *env = cos_getenv("COS_CACHE_MARGIN");
	char *stored = NULL;
	enum cos_origin origin;
	int64_t v;
	int status;

	profile = cos_profile_choose(profile);
	if (env != NULL) {
		if (parse_int64(env, 0, COS_DURATION_MAX, &v) != 0)
			return cos_error_set(err, COS_ERR_USAGE,
			    "COS_CACHE_MARGIN '%s' is not a whole number of "
			    "seconds from 0 to %d", env, COS_DURATION_MAX);
		*out = (long)v;
		return COS_OK;
	}
	if ((status = cos_store_get(ctx, profile, "cache_margin", &stored,
	    &origin, err)) != COS_OK)
		return status;
	if (stored == NULL) {
		*out = COS_CACHE_MARGIN_DEFAULT;
		return COS_OK;
	}
	if (parse_int64(stored, 0, COS_DURATION_MAX, &v) != 0) {
		cos_error_set(err, COS_ERR_USAGE, "cache_margin '%s' of profile "
		    "'%s' is not a whole number of seconds from 0 to %d",
		    stored, profile, COS_DURATION_MAX);
		cos_secret_free(stored);
		return COS_ERR_USAGE;
	}
	cos_secret_free(stored);
	*out = (long)v;
	return COS_OK;
}

int
cos_cache_get(struct cos_ctx *ctx, const struct cos_cache_key *key,
    cos_cache_fetch_fn fetch, void *arg, struct cos_credentials **out,
    struct cos_error *err)
{
	struct cos_credentials *creds = NULL;
	struct cos_error local;
	struct entry e;
	long margin, saved_ttl;
	int usable = 1, status;

	entry_init(&e);
	if ((status = cos_cache_margin(ctx, key->profile, &margin,
	    err)) != COS_OK)
		return status;
	if (key->min_left > margin)
		margin = key->min_left;
	/* One passphrase prompt covers the lookup and the write. */
	saved_ttl = cos_store_hold_key_begin(ctx);

	cos_error_clear(&local);
	status = entry_open(ctx, key, &e, &local);
	if (status == COS_ERR_INTERRUPTED) {
		if (err != NULL)
			*err = local;
		goto out;
	}
	if (status != COS_OK) {
		cos_log(ctx, COS_LOG_WARN, "the session cache is not used: %s",
		    local.message);
		usable = 0;
	}
	if (usable && (status = entry_lookup(ctx, &e, key, margin, &usable,
	    &creds, err)) != COS_OK)
		goto out;

	if (creds == NULL) {
		if ((status = fetch(arg, &creds, err)) != COS_OK)
			goto out;
		if (usable && (status = entry_save(ctx, &e, key, creds,
		    err)) != COS_OK)
			goto out;
	}
	*out = creds;
	creds = NULL;
	status = COS_OK;
out:
	entry_close(&e);
	cos_store_hold_key_end(ctx, saved_ttl);
	cos_credentials_free(creds);
	return status;
}

/* ------------------------------------------------------------------ */
/* Clearing                                                            */

/* Returns nonzero when name is "P-H.session" or "P-H.lock" (with P the
 * given prefix unless it is NULL), and copies "P-H" into base. */
static int
entry_base(const char *name, const char *prefix, char base[BASE_NAME_LEN + 1])
{
	size_t len = strlen(name), i;
	const char *suffix = name + BASE_NAME_LEN;

	if (len <= BASE_NAME_LEN || (strcmp(suffix, SESSION_SUFFIX) != 0 &&
	    strcmp(suffix, LOCK_SUFFIX) != 0) || name[PREFIX_HEX] != '-')
		return 0;
	for (i = 0; i < BASE_NAME_LEN; i++)
		if (i != PREFIX_HEX && strchr("0123456789abcdef", name[i]) ==
		    NULL)
			return 0;
	if (prefix != NULL && strncmp(name, prefix, PREFIX_HEX) != 0)
		return 0;
	memcpy(base, name, BASE_NAME_LEN);
	base[BASE_NAME_LEN] = '\0';
	return 1;
}

/* Lists the distinct entry names in dir (of one profile when prefix is
 * not NULL) into a NULL-terminated array for cos_strv_free(). */
static int
list_entries(const char *dir, const char *prefix, char ***out,
    struct cos_error *err)
{
	char base[BASE_NAME_LEN + 1], **names = NULL, **grown;
	size_t count = 0, i;
	struct dirent *ent;
	DIR *d;

	if ((d = opendir(dir)) == NULL && errno != ENOENT)
		return cos_error_set(err, COS_ERR_OTHER, "cannot read the cache "
		    "directory '%s': %s", dir, strerror(errno));
	if ((names = calloc(1, sizeof(*names))) == NULL)
		goto oom;
	while (d != NULL && (ent = readdir(d)) != NULL) {
		if (!entry_base(ent->d_name, prefix, base))
			continue;
		for (i = 0; i < count; i++)
			if (strcmp(names[i], base) == 0)
				break;
		if (i < count)
			continue;
		if ((grown = realloc(names, (count + 2) *
		    sizeof(*names))) == NULL)
			goto oom;
		names = grown;
		if ((names[count] = strdup(base)) == NULL)
			goto oom;
		names[++count] = NULL;
	}
	if (d != NULL)
		closedir(d);
	*out = names;
	return COS_OK;
oom:
	if (d != NULL)
		closedir(d);
	cos_strv_free(names);
	return cos_error_set(err, COS_ERR_OTHER, "out of memory");
}

/* Removes one entry under its lock: the session, any temporary file of
 * an interrupted write, and the lock file.  *removed is set when a
 * session file was there. */
static int
remove_entry(struct cos_ctx *ctx, const char *dir, const char *base,
    int *removed, struct cos_error *err)
{
	struct entry e;
	int status;

	entry_init(&e);
	*removed = 0;
	if ((status = entry_paths(&e, dir, base, err)) != COS_OK ||
	    (status = lock_file_acquire(ctx, e.lock_path, &e.lock_fd,
	    err)) != COS_OK)
		goto out;
	cos_file_remove_stale(e.session_path);
	if (unlink(e.session_path) == 0)
		*removed = 1;
	else if (errno != ENOENT) {
		status = cos_error_set(err, COS_ERR_OTHER, "cannot remove '%s': "
		    "%s", e.session_path, strerror(errno));
		goto out;
	}
	/* Still locked: a process waiting on this file notices that the
	 * name is gone and opens a new one. */
	unlink(e.lock_path);
	status = COS_OK;
out:
	entry_close(&e);
	return status;
}

int
cos_cache_clear(struct cos_ctx *ctx, const char *profile, size_t *removed,
    struct cos_error *err)
{
	char prefix[PREFIX_HEX + 1], *dir = NULL, **names = NULL;
	size_t count = 0, i;
	int one, status;

	if (profile != NULL) {
		if ((status = cos_profile_name_validate(profile, err)) != COS_OK)
			return status;
		profile_prefix(profile, prefix);
	}
	if ((status = cache_dir(ctx, 0, &dir, err)) != COS_OK ||
	    (status = list_entries(dir, profile != NULL ? prefix : NULL,
	    &names, err)) != COS_OK)
		goto out;
	for (i = 0; names[i] != NULL; i++) {
		if ((status = remove_entry(ctx, dir, names[i], &one,
		    err)) != COS_OK)
			goto out;
		count += (size_t)one;
	}
	if (removed != NULL)
		*removed = count;
	status = COS_OK;
out:
	cos_strv_free(names);
	free(dir);
	return status;
}
