/*
 * cache.h - the session cache: AssumeRole sessions kept sealed under
 * DIR/cache, so that repeated commands reuse one session instead of
 * asking STS every time.
 *
 * Each entry is DIR/cache/P-H.session with a lock file P-H.lock next to
 * it.  P is 16 hex digits of a BLAKE2b hash of the profile name, so that
 * one profile's entries can be removed without opening them.  H is 64 hex
 * digits of a BLAKE2b hash of everything that shapes the session.  The
 * entry is a versioned text file:
 *
 *   cos-session-cache:v1
 *   expired_time=UNIX-SECONDS     (the server's ExpiredTime)
 *   requested_time=UNIX-SECONDS
 *   duration=SECONDS
 *   request_id=TEXT
 *   secret_id=SEALED
 *   secret_key=SEALED
 *   token=SEALED
 *
 * The three credential values are sealed with cos_seal_value() for the
 * profile, under a key name that binds H and the three numbers, so that
 * an entry copied to another name or with edited times fails to open.
 */
#ifndef COS_CACHE_H
#define COS_CACHE_H

#include "cos.h"

/* Everything that shapes an AssumeRole session.  Two requests with equal
 * keys may share a session. */
struct cos_cache_key {
	const char *profile;
	const char *secret_id;    /* the permanent key that signs AssumeRole */
	const char *role;         /* RoleArn */
	const char *region;
	long duration;            /* DurationSeconds */
	const char *policy;       /* Policy JSON; NULL when unscoped */
	const char *session_name; /* RoleSessionName */
	const char *endpoint;     /* STS endpoint URL */
	long min_left;            /* seconds that must be left, when above the margin */
};

/* Gets new credentials; called at most once per cos_cache_get(). */
typedef int (*cos_cache_fetch_fn)(void *arg, struct cos_credentials **out,
    struct cos_error *err);

/* Returns a session for key in *out.  A cached one is reused when it was
 * requested for at least key->duration seconds and more than the margin
 * (cos_cache_margin) of it is left, by the server's ExpiredTime; its
 * source is then COS_SOURCE_CACHE.  Otherwise fetch runs and its result
 * is cached.  The entry's lock is held from the lookup to the write, so
 * concurrent callers with the same key wait and then reuse one session.
 *
 * A missing, corrupt, changed or unopenable entry counts as a miss.  When
 * the cache cannot be used at all (lock timeout, unwritable directory),
 * a warning is logged and fetch runs uncached.  Errors returned: those of
 * fetch, an invalid margin (COS_ERR_USAGE), a wrong passphrase for the
 * master key (COS_ERR_PASSPHRASE), and interruption. */
int cos_cache_get(struct cos_ctx *ctx, const struct cos_cache_key *key,
    cos_cache_fetch_fn fetch, void *arg, struct cos_credentials **out,
    struct cos_error *err);

#endif /* COS_CACHE_H */
