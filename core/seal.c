/*
 * seal.c - sealing values under the master key, and the master key file
 * with its optional passphrase.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"
#include "fileio.h"
#include "seal.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KEY_FILE "master.key"
#define KEY_MAGIC "cos-master-key:v1:"
#define WRAPPED_BYTES (NONCE_BYTES + COS_MASTER_KEY_BYTES + TAG_BYTES)

/* ------------------------------------------------------------------ */
/* Sealed values                                                       */

int
cos_seal_is_sealed(const char *value)
{
	return strncmp(value, COS_SEAL_PREFIX, strlen(COS_SEAL_PREFIX)) == 0;
}

/* Builds "cos-v1\0" PROFILE "\0" KEY into new heap memory. */
static unsigned char *
value_ad(const char *profile, const char *key, size_t *len)
{
	static const char tag[] = "cos-v1";
	size_t p = strlen(profile), k = strlen(key);
	unsigned char *ad;

	*len = sizeof(tag) + p + 1 + k;
	if ((ad = malloc(*len)) == NULL)
		return NULL;
	memcpy(ad, tag, sizeof(tag));
	memcpy(ad + sizeof(tag), profile, p + 1);
	memcpy(ad + sizeof(tag) + p + 1, key, k);
	return ad;
}

/* Encodes bin as base64 after prefix into new heap memory. */
static char *
encode_b64(const char *prefix, const unsigned char *bin, size_t len)
{
	size_t plen = strlen(prefix);
	size_t elen = sodium_base64_ENCODED_LEN(len, B64);
	char *out;

	if ((out = malloc(plen + elen)) == NULL)
		return NULL;
	memcpy(out, prefix, plen);
	sodium_bin2base64(out + plen, elen, bin, len, B64);
	return out;
}

/* Decodes base64 text (up to stop, or the end when stop is NULL) into bin
 * of exactly want bytes, or of at most want bytes when exact is 0. */
static int
decode_b64(const char *text, const char *stop, unsigned char *bin,
    size_t want, int exact, size_t *got)
{
	size_t len = stop != NULL ? (size_t)(stop - text) : strlen(text);
	const char *end;
	size_t n;

	if (sodium_base642bin(bin, want, text, len, NULL, &n, &end, B64) != 0 ||
	    end != text + len || (exact && n != want))
		return -1;
	if (got != NULL)
		*got = n;
	return 0;
}

int
cos_seal_value(const unsigned char *master_key, const char *profile,
    const char *key, const char *plain, char **out, struct cos_error *err)
{
	size_t plen = strlen(plain), ad_len, blob_len;
	unsigned char *ad = NULL, *blob = NULL;
	char *text;
	int status = COS_ERR_OTHER;

	if (plen > COS_LINE_MAX) {
		return cos_error_set(err, COS_ERR_USAGE,
		    "the value of %s is longer than %d bytes", key,
		    COS_LINE_MAX);
	}
	blob_len = NONCE_BYTES + plen + TAG_BYTES;
	ad = value_ad(profile, key, &ad_len);
	blob = malloc(blob_len);
	if (ad == NULL || blob == NULL) {
		cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	randombytes_buf(blob, NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + NONCE_BYTES, NULL,
	    (const unsigned char *)plain, plen, ad, ad_len, NULL, blob,
	    master_key);
	if ((text = encode_b64(COS_SEAL_PREFIX, blob, blob_len)) == NULL) {
		cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	*out = text;
	status = COS_OK;
out:
	free(ad);
	free(blob);
	return status;
}

int
cos_unseal_value(const unsigned char *master_key, const char *profile,
    const char *key, const char *sealed, char **out)
{
	const char *b64 = sealed + strlen(COS_SEAL_PREFIX);
	unsigned char *ad = NULL, *blob = NULL;
	size_t ad_len, blob_len, plain_len;
	char *plain = NULL;
	int rc = -1;

	if (!cos_seal_is_sealed(sealed))
		return -1;
	blob_len = strlen(b64); /* base64 is longer than what it encodes */
	ad = value_ad(profile, key, &ad_len);
	blob = malloc(blob_len + 1);
	if (ad == NULL || blob == NULL ||
	    decode_b64(b64, NULL, blob, blob_len, 0, &blob_len) != 0 ||
	    blob_len < NONCE_BYTES + TAG_BYTES)
		goto out;
	plain_len = blob_len - NONCE_BYTES - TAG_BYTES;
	if ((plain = cos_secret_alloc(plain_len + 1)) == NULL)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)plain,
	    NULL, NULL, blob + NONCE_BYTES, blob_len - NONCE_BYTES, ad,
	    ad_len, blob, master_key) != 0)
		goto out;
	plain[plain_len] = '\0';
	*out = plain;
	plain = NULL;
	rc = 0;
out:
	cos_secret_free(plain);
	free(ad);
	free(blob);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The master key file                                                 */

struct key_file {
	char *path;
	int exists;
	int protected;              /* the argon2id form */
	unsigned char *key;         /* plain form: secret memory */
	unsigned long long opslimit;
	size_t memlimit;
	unsigned char salt[crypto_pwhash_SALTBYTES];
	unsigned char wrapped[WRAPPED_BYTES];
	char header[256];           /* associated data of the wrapped key */
};

static void
key_file_free(struct key_file *kf)
{
	cos_secret_free(kf->key);
	free(kf->path);
	memset(kf, 0, sizeof(*kf));
}

static int
bad_key_file(const struct key_file *kf, struct cos_error *err)
{
	cos_error_set(err, COS_ERR_OTHER,
	    "'%s' is not a master key file that this version of cos reads",
	    kf->path);
	cos_error_hint(err, "Restore it from a backup; without it the "
	    "sealed values cannot be opened.");
	return COS_ERR_OTHER;
}

static int
parse_protected(struct key_file *kf, const char *line, struct cos_error *err)
{
	const char *p = line + strlen(KEY_MAGIC "argon2id:");
	const char *salt_end, *header_end;
	char *end;

	errno = 0;
	kf->opslimit = strtoull(p, &end, 10);
	if (errno != 0 || end == p || *end != ':')
		return bad_key_file(kf, err);
	p = end + 1;
	kf->memlimit = (size_t)strtoull(p, &end, 10);
	if (errno != 0 || end == p || *end != ':')
		return bad_key_file(kf, err);
	/* Bounds keep a damaged or hostile file from asking for hours of
	 * work or gigabytes of memory. */
	if (kf->opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	    kf->opslimit > 4 * crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    kf->memlimit < crypto_pwhash_MEMLIMIT_MIN ||
	    kf->memlimit > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return bad_key_file(kf, err);
	p = end + 1;
	salt_end = strchr(p, ':');
	if (salt_end == NULL ||
	    decode_b64(p, salt_end, kf->salt, sizeof(kf->salt), 1, NULL) != 0)
		return bad_key_file(kf, err);
	header_end = salt_end;
	if ((size_t)(header_end - line) >= sizeof(kf->header) ||
	    decode_b64(salt_end + 1, NULL, kf->wrapped, sizeof(kf->wrapped), 1,
	    NULL) != 0)
		return bad_key_file(kf, err);
	memcpy(kf->header, line, (size_t)(header_end - line));
	kf->header[header_end - line] = '\0';
	kf->protected = 1;
	return COS_OK;
}

static int
parse_key_file(struct key_file *kf, char *text, struct cos_error *err)
{
	size_t len = strlen(text);

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (strncmp(text, KEY_MAGIC "plain:", strlen(KEY_MAGIC "plain:")) ==
	    0) {
		if ((kf->key = cos_secret_alloc(COS_MASTER_KEY_BYTES)) == NULL)
			return cos_error_set(err, COS_ERR_OTHER,
			    "out of memory");
		if (decode_b64(text + strlen(KEY_MAGIC "plain:"), NULL, kf->key,
		    COS_MASTER_KEY_BYTES, 1, NULL) != 0)
			return bad_key_file(kf, err);
		return COS_OK;
	}
	if (strncmp(text, KEY_MAGIC "argon2id:",
	    strlen(KEY_MAGIC "argon2id:")) == 0)
		return parse_protected(kf, text, err);
	return bad_key_file(kf, err);
}

static int
key_file_load(struct cos_ctx *ctx, struct key_file *kf, struct cos_error *err)
{
	char *text = NULL;
	size_t len;
	int status;

	memset(kf, 0, sizeof(*kf));
	if ((kf->path = cos_path_join(cos_ctx_config_dir(ctx), KEY_FILE)) ==
	    NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	status = cos_file_read(kf->path, 1, &text, &len, err);
	if (status != COS_OK || text == NULL)
		return status;
	kf->exists = 1;
	status = parse_key_file(kf, text, err);
	cos_secret_free(text);
	return status;
}

int
cos_master_key_exists(struct cos_ctx *ctx)
{
	char *path = cos_path_join(cos_ctx_config_dir(ctx), KEY_FILE);
	int exists = path != NULL && access(path, F_OK) == 0;

	free(path);
	return exists;
}

/* Reads the first line of the file that the environment variable env
 * names into new secret memory. */
static int
passphrase_from_file(const char *env, const char *path, char **out,
    struct cos_error *err)
{
	char *buf = NULL, *nl;
	size_t len = 0;
	ssize_t n;
	int fd, status;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cos_error_set(err, COS_ERR_OTHER,
		    "cannot open the passphrase file '%s' (from %s): %s", path,
		    env, strerror(errno));
	if ((buf = cos_secret_alloc(COS_PASSPHRASE_MAX + 2)) == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	while (len < COS_PASSPHRASE_MAX + 1 &&
	    (n = read(fd, buf + len, COS_PASSPHRASE_MAX + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "cannot read the passphrase file '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	buf[len] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	else if (len > COS_PASSPHRASE_MAX) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "the first line of the passphrase file '%s' is longer "
		    "than %d bytes", path, COS_PASSPHRASE_MAX);
		goto out;
	}
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "the passphrase file '%s' (from %s) has an empty first "
		    "line", path, env);
		goto out;
	}
	*out = buf;
	buf = NULL;
	status = COS_OK;
out:
	cos_secret_free(buf);
	close(fd);
	return status;
}

/* Gets a passphrase from the file named by env, else from the context's
 * callback; *from_file is set when the file was used. */
static int
passphrase_get(struct cos_ctx *ctx, const char *env, const char *prompt,
    char **out, int *from_file, struct cos_error *err)
{
	const char *path = env != NULL ? cos_getenv(env) : NULL;
	char *buf;
	int status;

	*from_file = path != NULL;
	if (path != NULL)
		return passphrase_from_file(env, path, out, err);
	if (ctx->passphrase_fn == NULL) {
		cos_error_set(err, COS_ERR_OTHER,
		    "the master key is protected by a passphrase, and there is "
		    "no way to ask for it here");
		cos_error_hint(err, "Set COS_PASSPHRASE_FILE to a file whose "
		    "first line is the passphrase.");
		return COS_ERR_OTHER;
	}
	if ((buf = cos_secret_alloc(COS_PASSPHRASE_MAX + 1)) == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	status = ctx->passphrase_fn(ctx->passphrase_userdata, prompt, buf,
	    COS_PASSPHRASE_MAX + 1, err);
	if (status != COS_OK) {
		cos_secret_free(buf);
		return status;
	}
	buf[COS_PASSPHRASE_MAX] = '\0';
	*out = buf;
	return COS_OK;
}

/* Asks for a new passphrase: from the file named by env, or from the
 * callback twice. */
static int
passphrase_new(struct cos_ctx *ctx, const char *env, char **out,
    struct cos_error *err)
{
	char *first = NULL, *again = NULL;
	int from_file, status;

	status = passphrase_get(ctx, env, "New passphrase for the master key",
	    &first, &from_file, err);
	if (status != COS_OK)
		return status;
	if (first[0] == '\0') {
		status = cos_error_set(err, COS_ERR_USAGE,
		    "the passphrase is empty; nothing was changed");
		goto out;
	}
	if (!from_file) {
		status = passphrase_get(ctx, NULL, "Repeat the new passphrase",
		    &again, &from_file, err);
		if (status != COS_OK)
			goto out;
		if (strcmp(first, again) != 0) {
			status = cos_error_set(err, COS_ERR_USAGE,
			    "the two passphrases differ; nothing was changed");
			goto out;
		}
	}
	*out = first;
	first = NULL;
	status = COS_OK;
out:
	cos_secret_free(first);
	cos_secret_free(again);
	return status;
}

static int
derive_key(const char *passphrase, const unsigned char *salt,
    unsigned long long opslimit, size_t memlimit, unsigned char *out,
    struct cos_error *err)
{
	if (crypto_pwhash(out, COS_MASTER_KEY_BYTES, passphrase,
	    strlen(passphrase), salt, opslimit, memlimit,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return cos_error_set(err, COS_ERR_OTHER, "not enough memory "
		    "for Argon2id (%zu bytes)", memlimit);
	return COS_OK;
}

/* Unwraps the key of a protected key file into kf->key with a passphrase
 * from COS_PASSPHRASE_FILE or the callback. */
static int
key_file_unlock(struct cos_ctx *ctx, struct key_file *kf,
    struct cos_error *err)
{
	unsigned char *kek = NULL;
	char *passphrase = NULL, prompt[1200];
	int from_file, status;

	snprintf(prompt, sizeof(prompt), "Passphrase for %s", kf->path);
	status = passphrase_get(ctx, "COS_PASSPHRASE_FILE", prompt,
	    &passphrase, &from_file, err);
	if (status != COS_OK)
		return status;
	kek = cos_secret_alloc(COS_MASTER_KEY_BYTES);
	kf->key = cos_secret_alloc(COS_MASTER_KEY_BYTES);
	if (kek == NULL || kf->key == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	status = derive_key(passphrase, kf->salt, kf->opslimit, kf->memlimit,
	    kek, err);
	if (status != COS_OK)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(kf->key, NULL, NULL,
	    kf->wrapped + NONCE_BYTES, sizeof(kf->wrapped) - NONCE_BYTES,
	    (const unsigned char *)kf->header, strlen(kf->header),
	    kf->wrapped, kek) != 0) {
		status = cos_error_set(err, COS_ERR_PASSPHRASE,
		    "wrong passphrase for '%s'", kf->path);
		cos_error_hint(err, from_file ? "Check the first line of the "
		    "file that COS_PASSPHRASE_FILE names." :
		    "Run the command again and type the passphrase again.");
		goto out;
	}
	status = COS_OK;
out:
	if (status != COS_OK) {
		cos_secret_free(kf->key);
		kf->key = NULL;
	}
	cos_secret_free(kek);
	cos_secret_free(passphrase);
	return status;
}

/* Writes key to path, wrapped with passphrase when it is not NULL. */
static int
key_file_write(const char *path, const unsigned char *key,
    const char *passphrase, struct cos_error *err)
{
	unsigned char salt[crypto_pwhash_SALTBYTES];
	unsigned char wrapped[WRAPPED_BYTES];
	unsigned char *kek = NULL;
	struct cos_buf buf;
	char *b64 = NULL;
	int status;

	cos_buf_init(&buf, 1, 0);
	if (passphrase == NULL) {
		b64 = encode_b64("", key, COS_MASTER_KEY_BYTES);
		if (b64 != NULL)
			cos_buf_printf(&buf, KEY_MAGIC "plain:%s\n", b64);
	} else {
		randombytes_buf(salt, sizeof(salt));
		if ((b64 = encode_b64("", salt, sizeof(salt))) == NULL) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "out of memory");
			goto out;
		}
		cos_buf_printf(&buf, KEY_MAGIC "argon2id:%llu:%zu:%s",
		    (unsigned long long)crypto_pwhash_OPSLIMIT_INTERACTIVE,
		    (size_t)crypto_pwhash_MEMLIMIT_INTERACTIVE, b64);
		free(b64);
		b64 = NULL;
		if ((kek = cos_secret_alloc(COS_MASTER_KEY_BYTES)) == NULL) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "out of memory");
			goto out;
		}
		status = derive_key(passphrase, salt,
		    crypto_pwhash_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_MEMLIMIT_INTERACTIVE, kek, err);
		if (status != COS_OK)
			goto out;
		if (buf.failed) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "out of memory");
			goto out;
		}
		/* The header written so far is the associated data. */
		randombytes_buf(wrapped, NONCE_BYTES);
		crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped +
		    NONCE_BYTES, NULL, key, COS_MASTER_KEY_BYTES,
		    (const unsigned char *)buf.data, buf.len, NULL, wrapped,
		    kek);
		b64 = encode_b64("", wrapped, sizeof(wrapped));
		if (b64 != NULL)
			cos_buf_printf(&buf, ":%s\n", b64);
	}
	if (b64 == NULL || buf.failed) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	status = cos_file_replace(path, buf.data, buf.len, err);
out:
	if (b64 != NULL) {
		cos_wipe(b64, strlen(b64));
		free(b64);
	}
	cos_secret_free(kek);
	cos_buf_free(&buf);
	return status;
}

static void
cache_key(struct cos_ctx *ctx, unsigned char **key)
{
	cos_ctx_forget_key(ctx);
	ctx->master_key = *key;
	ctx->master_key_used = cos_now();
	*key = NULL;
}

int
cos_master_key_load(struct cos_ctx *ctx, int create, struct cos_error *err)
{
	struct key_file kf;
	unsigned char *key = NULL;
	int status;

	if (ctx->master_key != NULL) {
		ctx->master_key_used = cos_now();
		return COS_OK;
	}
	if ((status = key_file_load(ctx, &kf, err)) != COS_OK)
		goto out;
	if (!kf.exists) {
		if (!create) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "the master key '%s' is missing", kf.path);
			cos_error_hint(err, "Restore it from a backup, or set "
			    "the secrets again with 'cos configure set'.");
			goto out;
		}
		if ((key = cos_secret_alloc(COS_MASTER_KEY_BYTES)) == NULL) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "out of memory");
			goto out;
		}
		randombytes_buf(key, COS_MASTER_KEY_BYTES);
		status = key_file_write(kf.path, key, NULL, err);
		if (status != COS_OK)
			goto out;
		cache_key(ctx, &key);
		goto out;
	}
	if (kf.protected && (status = key_file_unlock(ctx, &kf, err)) != COS_OK)
		goto out;
	cache_key(ctx, &kf.key);
	status = COS_OK;
out:
	cos_secret_free(key);
	key_file_free(&kf);
	return status;
}

int
cos_master_passphrase_set(struct cos_ctx *ctx, struct cos_error *err)
{
	struct key_file kf;
	char *passphrase = NULL;
	int status;

	if ((status = key_file_load(ctx, &kf, err)) != COS_OK)
		goto out;
	if (kf.protected) {
		status = cos_error_set(err, COS_ERR_USAGE,
		    "'%s' already has a passphrase", kf.path);
		cos_error_hint(err, "Use 'cos configure passphrase change' to "
		    "replace it.");
		goto out;
	}
	if (!kf.exists) {
		kf.key = cos_secret_alloc(COS_MASTER_KEY_BYTES);
		if (kf.key == NULL) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "out of memory");
			goto out;
		}
		randombytes_buf(kf.key, COS_MASTER_KEY_BYTES);
	}
	status = passphrase_new(ctx, "COS_PASSPHRASE_FILE", &passphrase, err);
	if (status != COS_OK)
		goto out;
	status = key_file_write(kf.path, kf.key, passphrase, err);
	if (status == COS_OK)
		cache_key(ctx, &kf.key);
out:
	cos_secret_free(passphrase);
	key_file_free(&kf);
	return status;
}

/* Loads a protected key file and unlocks it, for change and remove. */
static int
load_protected(struct cos_ctx *ctx, struct key_file *kf,
    struct cos_error *err)
{
	int status;

	if ((status = key_file_load(ctx, kf, err)) != COS_OK)
		return status;
	if (!kf->protected) {
		cos_error_set(err, COS_ERR_USAGE, "'%s' has no passphrase%s",
		    kf->path, kf->exists ? "" : " (it does not exist yet)");
		cos_error_hint(err, "Use 'cos configure passphrase set' to "
		    "add one.");
		return COS_ERR_USAGE;
	}
	return key_file_unlock(ctx, kf, err);
}

int
cos_master_passphrase_change(struct cos_ctx *ctx, struct cos_error *err)
{
	struct key_file kf;
	char *passphrase = NULL;
	int status;

	if ((status = load_protected(ctx, &kf, err)) != COS_OK)
		goto out;
	status = passphrase_new(ctx, "COS_NEW_PASSPHRASE_FILE", &passphrase,
	    err);
	if (status != COS_OK)
		goto out;
	status = key_file_write(kf.path, kf.key, passphrase, err);
	if (status == COS_OK)
		cache_key(ctx, &kf.key);
out:
	cos_secret_free(passphrase);
	key_file_free(&kf);
	return status;
}

int
cos_master_passphrase_remove(struct cos_ctx *ctx, struct cos_error *err)
{
	struct key_file kf;
	int status;

	if ((status = load_protected(ctx, &kf, err)) != COS_OK)
		goto out;
	status = key_file_write(kf.path, kf.key, NULL, err);
	if (status == COS_OK)
		cache_key(ctx, &kf.key);
out:
	key_file_free(&kf);
	return status;
}
