/*
 * store.h - helpers of the profile store for other core modules.
 *
 * Layout (the one the Python COS CLI reads and writes): DIR/config and
 * DIR/credentials are INI files with the section "[default]" for the
 * profile "default" and "[profile NAME]" for every other profile, in both
 * files.  The credentials file contains secret_id, secret_key, assume_role,
 * token and token_expiration; the config file contains everything else.
 */
#ifndef COS_STORE_H
#define COS_STORE_H

#include <stddef.h>

#include "cos.h"

/* Returns nonzero when key is kept in the credentials file rather than in
 * the config file. */
int cos_store_key_in_credentials(const char *key);

/* Writes the section name of profile ("default" or "profile NAME") into
 * out.  Returns 0, or -1 when it does not fit. */
int cos_store_section_name(const char *profile, char *out, size_t size);

/* Checks value for key as `cos configure set` does, after removing
 * trailing CR and LF bytes, and returns the result in new secret memory. */
int cos_store_normalize_value(const char *key, const char *value, char **out,
    struct cos_error *err);

/* Keeps an unlocked master key cached across several store calls even
 * when the context's TTL is 0, so that one command prompts for the
 * passphrase once.  Returns the TTL to hand back to cos_store_hold_key_end(), which
 * restores it and wipes the key when the TTL was 0. */
long cos_store_hold_key_begin(struct cos_ctx *ctx);
void cos_store_hold_key_end(struct cos_ctx *ctx, long saved_ttl);

#endif /* COS_STORE_H */
