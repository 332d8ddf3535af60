/*
 * seal.h - sealed values and the master key.
 *
 * A sealed value is "cos:v1:" followed by the URL-safe base64 without
 * padding (libsodium's sodium_base64_VARIANT_URLSAFE_NO_PADDING) of
 * nonce || ciphertext, where the ciphertext is XChaCha20-Poly1305 (IETF)
 * under the 32-byte master key with the associated data
 * "cos-v1\0" PROFILE "\0" KEY, so that a value copied to another profile
 * or key fails to open.
 *
 * The master key file DIR/master.key (0600) is one line, in one of two
 * versioned forms:
 *   cos-master-key:v1:plain:BASE64(key)
 *   cos-master-key:v1:argon2id:OPSLIMIT:MEMLIMIT:BASE64(salt):BASE64(nonce || wrapped)
 * In the second, the key is sealed with XChaCha20-Poly1305 under a key
 * that crypto_pwhash (Argon2id 1.3) derives from the passphrase, with
 * everything before the last ':' as associated data.
 */
#ifndef COS_SEAL_H
#define COS_SEAL_H

#include "cos.h"

#define COS_SEAL_PREFIX "cos:v1:"
#define COS_PASSPHRASE_MAX 1024

/* Returns nonzero when value starts with COS_SEAL_PREFIX. */
int cos_seal_is_sealed(const char *value);

/* Seals plain for key of profile.  *out is a new heap string (it contains
 * no secret in the clear). */
int cos_seal_value(const unsigned char *master_key, const char *profile,
    const char *key, const char *plain, char **out, struct cos_error *err);

/* Opens a sealed value.  Returns 0 and a new secret string in *out, or -1
 * when the value is malformed, was changed, belongs to another profile or
 * key, or was sealed under another master key. */
int cos_unseal_value(const unsigned char *master_key, const char *profile,
    const char *key, const char *sealed, char **out);

/* Returns nonzero when DIR/master.key exists. */
int cos_master_key_exists(struct cos_ctx *ctx);

/* Makes the unlocked master key available in ctx->master_key: the cached
 * one, or the one in DIR/master.key (asking for the passphrase when it is
 * protected).  With create set, a missing file is created with a new
 * random key; call that only under the exclusive store lock.  Returns
 * COS_ERR_PASSPHRASE for a wrong passphrase. */
int cos_master_key_load(struct cos_ctx *ctx, int create,
    struct cos_error *err);

/* Passphrase protection of DIR/master.key.  Call under the exclusive store
 * lock.  The new passphrase comes from COS_PASSPHRASE_FILE (set) or
 * COS_NEW_PASSPHRASE_FILE (change), else from the context's passphrase
 * callback, asked twice.  The current one comes from COS_PASSPHRASE_FILE
 * or the callback.  A wrong current passphrase returns COS_ERR_PASSPHRASE
 * and changes nothing. */
int cos_master_passphrase_set(struct cos_ctx *ctx, struct cos_error *err);
int cos_master_passphrase_change(struct cos_ctx *ctx, struct cos_error *err);
int cos_master_passphrase_remove(struct cos_ctx *ctx, struct cos_error *err);

#endif /* COS_SEAL_H */
