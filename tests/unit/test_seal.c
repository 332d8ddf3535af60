/*
 * test_seal.c - sealed values (round trip, tampering, associated data) and
 * the master key file with its passphrase.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "internal.h"
#include "seal.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static unsigned char key_a[32], key_b[32];

static void
test_round_trip(void)
{
	struct cos_error err;
	char *sealed = NULL, *plain = NULL;

	cos_error_clear(&err);
	tap_int(cos_seal_value(key_a, "default", "secret_key", "s3cr3t-value",
	    &sealed, &err), COS_OK, "seal succeeds");
	tap_ok(strncmp(sealed, "cos:v1:", 7) == 0, "sealed value has prefix");
	tap_ok(strstr(sealed, "s3cr3t") == NULL, "sealed value hides secret");
	tap_ok(cos_seal_is_sealed(sealed), "sealed value recognized");
	tap_ok(!cos_seal_is_sealed("AKIDplain"), "plaintext not sealed");
	tap_int(cos_unseal_value(key_a, "default", "secret_key", sealed,
	    &plain), 0, "open succeeds");
	tap_str(plain, "s3cr3t-value", "open returns the value");
	cos_secret_free(plain);
	plain = NULL;

	tap_int(cos_unseal_value(key_a, "other", "secret_key", sealed, &plain),
	    -1, "other profile fails");
	tap_int(cos_unseal_value(key_a, "default", "secret_id", sealed, &plain),
	    -1, "other key fails");
	tap_int(cos_unseal_value(key_a, "defaults", "ecret_key", sealed,
	    &plain), -1, "shifted profile and key boundary fails");
	tap_int(cos_unseal_value(key_b, "default", "secret_key", sealed,
	    &plain), -1, "other master key fails");
	tap_int(cos_unseal_value(key_a, "default", "secret_key", "AKIDplain",
	    &plain), -1, "plaintext fails to open");
	tap_int(cos_unseal_value(key_a, "default", "secret_key", "cos:v1:@@",
	    &plain), -1, "bad base64 fails");
	tap_int(cos_unseal_value(key_a, "default", "secret_key", "cos:v1:AAAA",
	    &plain), -1, "short value fails");
	tap_ok(plain == NULL, "failed open leaves output alone");
	free(sealed);
}

/* Flips one bit of each decoded byte in turn and checks that every
 * changed value fails to open. */
static void
test_tamper(void)
{
	unsigned char blob[256];
	char *sealed = NULL, *plain = NULL, text[512];
	size_t len, i;
	int opened = 0;
	struct cos_error err;

	cos_error_clear(&err);
	cos_seal_value(key_a, "p", "token", "tok", &sealed, &err);
	tap_int(sodium_base642bin(blob, sizeof(blob), sealed + 7,
	    strlen(sealed + 7), NULL, &len, NULL, B64), 0, "sealed value decodes");
	tap_int((long long)len, 24 + 3 + 16, "nonce, ciphertext and tag");
	for (i = 0; i < len; i++) {
		blob[i] ^= 0x01;
		memcpy(text, "cos:v1:", 7);
		sodium_bin2base64(text + 7, sizeof(text) - 7, blob, len, B64);
		if (cos_unseal_value(key_a, "p", "token", text, &plain) == 0) {
			opened++;
			cos_secret_free(plain);
			plain = NULL;
		}
		blob[i] ^= 0x01;
	}
	tap_int(opened, 0, "every flipped byte is detected");
	memcpy(text, "cos:v1:", 7);
	sodium_bin2base64(text + 7, sizeof(text) - 7, blob, len, B64);
	tap_int(cos_unseal_value(key_a, "p", "token", text, &plain), 0,
	    "unchanged value still opens");
	cos_secret_free(plain);
	free(sealed);
}

static char dir[] = "/tmp/cos-test-seal-XXXXXX";

static void
write_text(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int
read_text(const char *name, char *out, size_t size)
{
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	return 0;
}

static void
test_master_key(void)
{
	struct cos_error err;
	struct cos_ctx *ctx = NULL;
	unsigned char first[32];
	char path[256], before[512], after[512], pass[256];
	struct stat st;

	cos_error_clear(&err);
	cos_ctx_new(&ctx, dir, &err);
	tap_ok(!cos_master_key_exists(ctx), "no master key at first");
	tap_int(cos_master_key_load(ctx, 0, &err), COS_ERR_OTHER,
	    "missing master key without create fails");
	tap_ok(strstr(err.message, "master.key") != NULL,
	    "missing master key named");
	cos_error_clear(&err);
	tap_int(cos_master_key_load(ctx, 1, &err), COS_OK, "master key created");
	memcpy(first, ctx->master_key, 32);
	snprintf(path, sizeof(path), "%s/master.key", dir);
	tap_int(stat(path, &st), 0, "master key file exists");
	tap_int(st.st_mode & 0777, 0600, "master key file mode 0600");
	read_text("master.key", before, sizeof(before));
	tap_ok(strncmp(before, "cos-master-key:v1:plain:", 24) == 0,
	    "plain master key format");

	cos_ctx_forget_key(ctx);
	tap_int(cos_master_key_load(ctx, 0, &err), COS_OK, "master key reloads");
	tap_ok(memcmp(first, ctx->master_key, 32) == 0, "same key reloaded");

	/* Passphrase from COS_PASSPHRASE_FILE. */
	snprintf(pass, sizeof(pass), "%s/pass", dir);
	write_text("pass", "correct horse\n");
	setenv("COS_PASSPHRASE_FILE", pass, 1);
	tap_int(cos_master_passphrase_set(ctx, &err), COS_OK, "passphrase set");
	read_text("master.key", after, sizeof(after));
	tap_ok(strncmp(after, "cos-master-key:v1:argon2id:", 27) == 0,
	    "protected master key format");
	tap_ok(strstr(after, before + 24) == NULL, "key no longer in clear");
	cos_ctx_forget_key(ctx);
	tap_int(cos_master_key_load(ctx, 0, &err), COS_OK,
	    "unlock with the right passphrase");
	tap_ok(ctx->master_key != NULL && memcmp(first, ctx->master_key, 32) ==
	    0, "unlocked key is the same key");

	cos_ctx_forget_key(ctx);
	write_text("pass", "wrong horse\n");
	cos_error_clear(&err);
	tap_int(cos_master_key_load(ctx, 0, &err), COS_ERR_PASSPHRASE,
	    "wrong passphrase fails");
	tap_ok(strstr(err.message, "wrong passphrase") != NULL,
	    "wrong passphrase message");
	tap_ok(ctx->master_key == NULL, "no key cached after failure");
	tap_int(cos_master_passphrase_remove(ctx, &err), COS_ERR_PASSPHRASE,
	    "remove with wrong passphrase fails");
	read_text("master.key", before, sizeof(before));
	tap_str(before, after, "wrong passphrase changes nothing");

	/* Change, then remove. */
	write_text("pass", "correct horse");
	write_text("newpass", "battery staple\r\n");
	snprintf(path, sizeof(path), "%s/newpass", dir);
	setenv("COS_NEW_PASSPHRASE_FILE", path, 1);
	cos_error_clear(&err);
	tap_int(cos_master_passphrase_change(ctx, &err), COS_OK,
	    "passphrase changed");
	cos_ctx_forget_key(ctx);
	tap_int(cos_master_key_load(ctx, 0, &err), COS_ERR_PASSPHRASE,
	    "old passphrase no longer works");
	write_text("pass", "battery staple\n");
	cos_error_clear(&err);
	tap_int(cos_master_key_load(ctx, 0, &err), COS_OK,
	    "new passphrase works (CR trimmed)");
	tap_int(cos_master_passphrase_set(ctx, &err), COS_ERR_USAGE,
	    "set twice fails");
	cos_error_clear(&err);
	tap_int(cos_master_passphrase_remove(ctx, &err), COS_OK,
	    "passphrase removed");
	read_text("master.key", after, sizeof(after));
	tap_ok(strncmp(after, "cos-master-key:v1:plain:", 24) == 0,
	    "plain again after remove");
	unsetenv("COS_PASSPHRASE_FILE");
	cos_ctx_forget_key(ctx);
	tap_int(cos_master_key_load(ctx, 0, &err), COS_OK,
	    "plain key loads without a passphrase");
	tap_ok(memcmp(first, ctx->master_key, 32) == 0,
	    "key survives set, change and remove");

	/* Damaged and group-readable files. */
	cos_ctx_forget_key(ctx);
	snprintf(path, sizeof(path), "%s/master.key", dir);
	chmod(path, 0640);
	cos_error_clear(&err);
	tap_int(cos_master_key_load(ctx, 0, &err), COS_ERR_OTHER,
	    "group-readable master key rejected");
	tap_ok(strstr(err.hint, "chmod 600 ") != NULL, "chmod hint given");
	chmod(path, 0600);
	write_text("master.key", "cos-master-key:v9:plain:AAAA\n");
	cos_error_clear(&err);
	tap_int(cos_master_key_load(ctx, 0, &err), COS_ERR_OTHER,
	    "unknown format rejected");
	cos_ctx_free(ctx);
}

/* The unlocked key stays cached while it was used less than key_ttl
 * seconds ago, and with a TTL of 0 only for one store call. */
static void
test_key_ttl(void)
{
	struct cos_error err;
	struct cos_ctx *ctx = NULL;
	char ttl_dir[300], pass[320], *value = NULL;
	enum cos_origin origin;

	snprintf(ttl_dir, sizeof(ttl_dir), "%s/ttl", dir);
	snprintf(pass, sizeof(pass), "%s/ttl-pass", dir);
	write_text("ttl-pass", "ttl passphrase\n");
	setenv("COS_PASSPHRASE_FILE", pass, 1);
	setenv("COS_TEST_NOW", "1000000", 1);
	cos_error_clear(&err);
	cos_ctx_new(&ctx, ttl_dir, &err);
	tap_int(cos_store_set(ctx, "default", "secret_key", "ttlSecret123456",
	    &err), COS_OK, "ttl: secret stored");
	tap_int(cos_store_passphrase_set(ctx, &err), COS_OK,
	    "ttl: passphrase set");
	tap_ok(ctx->master_key == NULL, "ttl 0: key wiped after the call");

	cos_ctx_set_key_ttl(ctx, 900);
	tap_int(cos_store_get(ctx, "default", "secret_key", &value, &origin,
	    &err), COS_OK, "ttl 900: get unlocks");
	cos_secret_free(value);
	value = NULL;
	tap_ok(ctx->master_key != NULL, "ttl 900: key cached");

	/* A wrong passphrase does not matter while the key is cached. */
	write_text("ttl-pass", "wrong\n");
	setenv("COS_TEST_NOW", "1000899", 1);
	tap_int(cos_store_get(ctx, "default", "secret_key", &value, &origin,
	    &err), COS_OK, "ttl 900: cached key used within the TTL");
	cos_secret_free(value);
	value = NULL;

	/* The last use moved to 1000899; 900 seconds later it expires. */
	setenv("COS_TEST_NOW", "1001800", 1);
	tap_int(cos_store_get(ctx, "default", "secret_key", &value, &origin,
	    &err), COS_ERR_PASSPHRASE, "ttl 900: key expires after the TTL");
	tap_ok(value == NULL && ctx->master_key == NULL,
	    "ttl 900: nothing cached after expiry");

	write_text("ttl-pass", "ttl passphrase\n");
	cos_ctx_set_key_ttl(ctx, 0);
	cos_error_clear(&err);
	tap_int(cos_store_get(ctx, "default", "secret_key", &value, &origin,
	    &err), COS_OK, "ttl 0: get unlocks");
	tap_str(value, "ttlSecret123456", "ttl 0: value opened");
	tap_ok(ctx->master_key == NULL, "ttl 0: key wiped after get");
	cos_secret_free(value);
	unsetenv("COS_TEST_NOW");
	unsetenv("COS_PASSPHRASE_FILE");
	cos_ctx_free(ctx);
}

int
main(void)
{
	struct cos_error err;
	char cmd[128];

	cos_error_clear(&err);
	if (cos_global_init(&err) != COS_OK || mkdtemp(dir) == NULL)
		return 1;
	umask(077);
	randombytes_buf(key_a, sizeof(key_a));
	randombytes_buf(key_b, sizeof(key_b));
	test_round_trip();
	test_tamper();
	test_master_key();
	test_key_ttl();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
