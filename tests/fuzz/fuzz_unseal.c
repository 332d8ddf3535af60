/*
 * fuzz_unseal.c - libFuzzer target for the sealed-value decoder.
 *
 * The first input byte picks the mode.  Even: the rest is a value as it
 * would stand in the credentials file, opened with a fixed master key.
 * Odd: the rest is a plaintext, sealed and opened again, then opened
 * with another profile, another key name and with one character of the
 * sealed text changed.  Properties: a sealed value opens to its exact
 * plaintext, and only under its own profile and key name.  A changed
 * value fails to open, or opens to the same plaintext where base64
 * ignores the changed bits.  A broken property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"
#include "fileio.h"
#include "seal.h"

static unsigned char master_key[COS_MASTER_KEY_BYTES];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_unseal: %s\n", what);
	abort();
}

static void
open_any(const char *text)
{
	char *plain = NULL;

	if (cos_unseal_value(master_key, "default", "secret_key", text,
	    &plain) == 0) {
		if (plain == NULL)
			fail("open succeeded without a plaintext");
		cos_secret_free(plain);
	}
}

static void
round_trip(const char *plain, size_t mutate_at)
{
	struct cos_error err;
	char *sealed = NULL, *opened = NULL;
	size_t len, prefix = strlen(COS_SEAL_PREFIX);

	cos_error_clear(&err);
	if (cos_seal_value(master_key, "dev", "token", plain, &sealed,
	    &err) != COS_OK) {
		if (strlen(plain) <= COS_LINE_MAX)
			fail("sealing a value within the line bound failed");
		return;
	}
	if (!cos_seal_is_sealed(sealed))
		fail("a sealed value lacks the prefix");
	if (cos_unseal_value(master_key, "dev", "token", sealed, &opened) != 0 ||
	    strcmp(opened, plain) != 0)
		fail("a sealed value does not open to its plaintext");
	cos_secret_free(opened);
	opened = NULL;
	if (cos_unseal_value(master_key, "prod", "token", sealed, &opened) == 0)
		fail("a sealed value opened under another profile");
	if (cos_unseal_value(master_key, "dev", "secret_key", sealed,
	    &opened) == 0)
		fail("a sealed value opened under another key name");

	/* Change one base64 character to another base64 character. */
	len = strlen(sealed);
	if (len > prefix) {
		size_t at = prefix + mutate_at % (len - prefix);

		sealed[at] = sealed[at] == 'A' ? 'B' : 'A';
		if (cos_unseal_value(master_key, "dev", "token", sealed,
		    &opened) == 0) {
			if (strcmp(opened, plain) != 0)
				fail("a changed value opened to another "
				    "plaintext");
			cos_secret_free(opened);
		}
	}
	free(sealed);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	for (i = 0; i < sizeof(master_key); i++)
		master_key[i] = (unsigned char)(i * 7 + 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size == 0)
		return 0;
	if ((text = malloc(size)) == NULL)
		fail("out of memory");
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if ((data[0] & 1) == 0)
		open_any(text);
	else
		round_trip(text, (size_t)data[0] * 31 + size);
	free(text);
	return 0;
}
