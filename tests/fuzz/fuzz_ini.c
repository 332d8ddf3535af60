/*
 * fuzz_ini.c - libFuzzer target for the INI reader and editor.
 *
 * Input: a section name, a key and a value on the first three lines, then
 * the file text.  When the text parses, the key is looked up, set to the
 * value and removed again, and the section is removed.  Properties: a
 * value that was set reads back byte for byte, and every edit leaves text
 * that parses again.  A removed key or section is gone.  Lines outside
 * the edited section keep their bytes, and every other section and key
 * reads as before.  An edit may fail, but it never changes what it did not
 * edit.  A broken property aborts.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"
#include "ini.h"

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_ini: %s\n", what);
	abort();
}

/* Copies the line at *p (without its newline) into a new string and
 * moves *p past it.  Returns NULL when the input has no more lines. */
static char *
take_line(const uint8_t **p, size_t *left)
{
	const uint8_t *nl = memchr(*p, '\n', *left);
	size_t len = nl != NULL ? (size_t)(nl - *p) : *left;
	char *line;

	if (nl == NULL)
		return NULL;
	if ((line = malloc(len + 1)) == NULL)
		fail("out of memory");
	memcpy(line, *p, len);
	line[len] = '\0';
	*p += len + 1;
	*left -= len + 1;
	return line;
}

static void
reparse(const struct cos_ini *ini)
{
	struct cos_ini again;
	struct cos_error err;

	cos_error_clear(&err);
	if (cos_ini_parse(&again, ini->text, ini->len, "again", &err) !=
	    COS_OK) {
		fprintf(stderr, "%s\n", err.message);
		fail("an edit left text that does not parse");
	}
	cos_ini_free(&again);
}

/* Every line of before that is not in section must appear, in order and
 * with the same bytes, in after.  Edits only touch the edited section. */
static void
check_others_kept(const struct cos_ini *before, const struct cos_ini *after,
    const char *section)
{
	size_t i, from = 0, len = strlen(section);

	for (i = 0; i < before->count; i++) {
		const struct cos_ini_line *l = &before->lines[i];
		const char *text = before->text + l->off;
		const char *hit;
		int in_section = l->section != SIZE_MAX &&
		    before->lines[l->section].name_len == len &&
		    memcmp(before->text + before->lines[l->section].name_off,
		    section, len) == 0;

		if (in_section || l->len == 0 || l->kind == COS_INI_BLANK)
			continue;
		hit = memmem(after->text + from, after->len - from, text,
		    l->len);
		if (hit == NULL)
			fail("an edit changed a line outside its section");
		from = (size_t)(hit - after->text) + l->len;
	}
}

static char *
name_of(const struct cos_ini *ini, const struct cos_ini_line *l)
{
	char *name = malloc(l->name_len + 1);

	if (name == NULL)
		fail("out of memory");
	memcpy(name, ini->text + l->name_off, l->name_len);
	name[l->name_len] = '\0';
	return name;
}

/* Every section of before but skip still exists in after, and every key
 * outside skip reads the same value there. */
static void
check_meaning_kept(const struct cos_ini *before, const struct cos_ini *after,
    const char *skip)
{
	size_t i;

	for (i = 0; i < before->count; i++) {
		const struct cos_ini_line *l = &before->lines[i];
		char *section, *key, *old = NULL, *now = NULL;

		if (l->kind != COS_INI_SECTION && l->kind != COS_INI_KEY)
			continue;
		section = name_of(before, &before->lines[l->section]);
		if (strcmp(section, skip) == 0) {
			free(section);
			continue;
		}
		if (l->kind == COS_INI_SECTION) {
			if (!cos_ini_has_section(after, section))
				fail("an edit lost another section");
		} else {
			key = name_of(before, l);
			if (cos_ini_get_own(before, section, key, &old) != 1 ||
			    cos_ini_get_own(after, section, key, &now) != 1 ||
			    strcmp(old, now) != 0)
				fail("an edit changed a key in another section");
			cos_secret_free(old);
			cos_secret_free(now);
			free(key);
		}
		free(section);
	}
}

static int
copy_ini(struct cos_ini *dst, const struct cos_ini *src)
{
	struct cos_error err;

	return cos_ini_parse(dst, src->text, src->len, "copy", &err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *section = NULL, *key = NULL, *value = NULL, *got = NULL;
	struct cos_ini ini, before;
	struct cos_error err;

	memset(&ini, 0, sizeof(ini));
	memset(&before, 0, sizeof(before));
	cos_error_clear(&err);
	if ((section = take_line(&data, &size)) == NULL ||
	    (key = take_line(&data, &size)) == NULL ||
	    (value = take_line(&data, &size)) == NULL)
		goto out;
	if (cos_ini_parse(&ini, (const char *)data, size, "fuzz", &err) !=
	    COS_OK)
		goto out;
	if (copy_ini(&before, &ini) != COS_OK)
		fail("a parsed text does not parse again");

	if (cos_ini_get(&ini, section, key, &got) == 1)
		cos_secret_free(got);
	got = NULL;

	if (cos_ini_set(&ini, section, key, value, &err) == COS_OK) {
		if (cos_ini_get_own(&ini, section, key, &got) != 1 ||
		    strcmp(got, value) != 0)
			fail("a value that was set does not read back");
		cos_secret_free(got);
		got = NULL;
		if (!cos_ini_has_section(&ini, section))
			fail("set did not create the section");
		reparse(&ini);
		check_others_kept(&before, &ini, section);
		check_meaning_kept(&before, &ini, section);

		if (cos_ini_set(&ini, section, key, NULL, &err) != COS_OK)
			fail("removing a key that was just set failed");
		if (cos_ini_get_own(&ini, section, key, &got) != 0)
			fail("a removed key is still there");
		reparse(&ini);
		check_meaning_kept(&before, &ini, section);
	}
	if (cos_ini_remove_section(&ini, section, &err) == COS_OK) {
		if (cos_ini_has_section(&ini, section))
			fail("a removed section is still there");
		reparse(&ini);
		check_meaning_kept(&before, &ini, section);
	}
out:
	cos_secret_free(got);
	cos_ini_free(&ini);
	cos_ini_free(&before);
	free(section);
	free(key);
	free(value);
	return 0;
}
