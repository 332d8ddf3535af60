/*
 * test_ini.c - INI reading as configparser does it, and byte-preserving
 * rewrites.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "cos.h"
#include "ini.h"
#include "fileio.h"

struct get_case {
	const char *name;
	const char *text;
	const char *section;
	const char *key;
	const char *want; /* NULL: absent */
};

static const struct get_case get_cases[] = {
	{ "equals delimiter", "[default]\nregion = ap-beijing\n",
	  "default", "region", "ap-beijing" },
	{ "colon delimiter", "[default]\nregion: ap-beijing\n",
	  "default", "region", "ap-beijing" },
	{ "no spaces", "[default]\nregion=ap-beijing\n",
	  "default", "region", "ap-beijing" },
	{ "key case folded", "[default]\nSecret_ID = AKIDx\n",
	  "default", "secret_id", "AKIDx" },
	{ "whitespace trimmed", "[default]\n   region   =   ap-x  \t\n",
	  "default", "region", "ap-x" },
	{ "first delimiter wins", "[default]\na: b=c\n", "default", "a",
	  "b=c" },
	{ "equals before colon", "[default]\nx=y: z\n", "default", "x",
	  "y: z" },
	{ "no inline comments", "[default]\na = b # c ; d\n", "default", "a",
	  "b # c ; d" },
	{ "hash comment", "[default]\n# a = 1\na = 2\n", "default", "a",
	  "2" },
	{ "semicolon comment", "[default]\n;a = 1\n", "default", "a", NULL },
	{ "indented comment", "[default]\n  # a = 1\n", "default", "a",
	  NULL },
	{ "continuation", "[default]\na = 1\n  2\n\t3\nb = 4\n", "default",
	  "a", "1\n2\n3" },
	{ "blank inside continuation", "[default]\na = 1\n\n  2\n\n\n",
	  "default", "a", "1\n\n2" },
	{ "comment inside continuation", "[default]\na = 1\n# x\n  2\n",
	  "default", "a", "1\n2" },
	{ "key after continuation", "[default]\na = 1\n  2\nb = 4\n",
	  "default", "b", "4" },
	{ "empty first line", "[default]\na =\n  x\n", "default", "a",
	  "\nx" },
	{ "empty value", "[default]\na =\n", "default", "a", "" },
	{ "section name to last bracket", "[profile a]b]\nk = v\n",
	  "profile a]b", "k", "v" },
	{ "section case sensitive", "[Default]\nk = v\n", "default", "k",
	  NULL },
	{ "profile section", "[default]\nk = 1\n[profile dev]\nk = 2\n",
	  "profile dev", "k", "2" },
	{ "DEFAULT fallback", "[DEFAULT]\nregion = ap-x\n[default]\nk = v\n",
	  "default", "region", "ap-x" },
	{ "no fallback without section", "[DEFAULT]\nregion = ap-x\n",
	  "default", "region", NULL },
	{ "crlf", "[default]\r\nregion = ap-x\r\n", "default", "region",
	  "ap-x" },
	{ "no final newline", "[default]\nregion = ap-x", "default",
	  "region", "ap-x" },
	{ "missing section", "[default]\nk = v\n", "profile x", "k", NULL },
	{ "indented header is continuation", "[a]\nk = v\n  [b]\n", "a", "k",
	  "v\n[b]" },
	{ NULL, NULL, NULL, NULL, NULL }
};

static void
test_get(void)
{
	const struct get_case *c;
	struct cos_error err;
	struct cos_ini ini;
	char *value;
	int found;

	for (c = get_cases; c->name != NULL; c++) {
		cos_error_clear(&err);
		if (cos_ini_parse(&ini, c->text, strlen(c->text), "test", &err) !=
		    COS_OK) {
			tap_ok(0, c->name);
			printf("#   parse failed: %s\n", err.message);
			continue;
		}
		value = NULL;
		found = cos_ini_get(&ini, c->section, c->key, &value);
		if (c->want == NULL)
			tap_int(found, 0, c->name);
		else
			tap_str(found == 1 ? value : "(absent)", c->want, c->name);
		cos_secret_free(value);
		cos_ini_free(&ini);
	}
}

struct error_case {
	const char *name;
	const char *text;
	const char *want; /* expected part of the message */
};

static const struct error_case error_cases[] = {
	{ "key before section", "k = v\n[default]\n", "line 1" },
	{ "no delimiter", "[default]\njust words\n", "line 2" },
	{ "empty key", "[default]\n= v\n", "key name is missing" },
	{ "duplicate section", "[a]\n[b]\n[a]\n", "line 3" },
	{ "duplicate key", "[a]\nk = 1\nK = 2\n", "line 3" },
	{ "empty brackets", "[]\n", "line 1" },
	{ NULL, NULL, NULL }
};

static void
test_errors(void)
{
	const struct error_case *c;
	struct cos_error err;
	struct cos_ini ini;
	char *big;
	size_t len;
	int status;

	for (c = error_cases; c->name != NULL; c++) {
		cos_error_clear(&err);
		status = cos_ini_parse(&ini, c->text, strlen(c->text), "f.ini",
		    &err);
		tap_int(status, COS_ERR_OTHER, c->name);
		tap_ok(strstr(err.message, c->want) != NULL &&
		    strstr(err.message, "f.ini") != NULL, c->name);
		if (status == COS_OK)
			cos_ini_free(&ini);
	}

	cos_error_clear(&err);
	status = cos_ini_parse(&ini, "[a]\nk = \0v\n", 11, "f", &err);
	tap_int(status, COS_ERR_OTHER, "NUL byte rejected");

	len = COS_LINE_MAX + 20;
	big = malloc(len + 1);
	memcpy(big, "[a]\nk = ", 8);
	memset(big + 8, 'x', len - 9);
	big[len - 1] = '\n';
	big[len] = '\0';
	cos_error_clear(&err);
	status = cos_ini_parse(&ini, big, len, "f", &err);
	tap_int(status, COS_ERR_OTHER, "long line rejected");
	tap_ok(strstr(err.message, "line 2") != NULL, "long line named");
	free(big);
}

struct edit_case {
	const char *name;
	const char *before;
	const char *section;
	const char *key;
	const char *value; /* NULL: remove */
	const char *after;
};

static const struct edit_case edit_cases[] = {
	{ "replace keeps other bytes",
	  "# top comment\n[default]\n; note\nregion = ap-a  \nfoo=bar\n\n"
	  "[profile x]\nregion: ap-b\n",
	  "default", "region", "ap-c",
	  "# top comment\n[default]\n; note\nregion = ap-c  \nfoo=bar\n\n"
	  "[profile x]\nregion: ap-b\n" },
	{ "replace keeps spelling and delimiter",
	  "[default]\n  Region:ap-a\n", "default", "region", "ap-c",
	  "[default]\n  Region:ap-c\n" },
	{ "replace empty value",
	  "[default]\nregion =  \n", "default", "region", "ap-c",
	  "[default]\nregion = ap-c\n" },
	{ "replace drops continuation",
	  "[default]\na = 1\n  2\n# c\n  3\nb = 4\n", "default", "a", "x",
	  "[default]\na = x\n# c\nb = 4\n" },
	{ "add after last key",
	  "[default]\na = 1\n\n# about x\n[profile x]\nb = 2\n",
	  "default", "c", "3",
	  "[default]\na = 1\nc = 3\n\n# about x\n[profile x]\nb = 2\n" },
	{ "add to empty section",
	  "[default]\n\n[profile x]\n", "default", "c", "3",
	  "[default]\nc = 3\n\n[profile x]\n" },
	{ "add without final newline",
	  "[default]\na = 1", "default", "b", "2",
	  "[default]\na = 1\nb = 2\n" },
	{ "add keeps crlf",
	  "[default]\r\na = 1\r\n", "default", "b", "2",
	  "[default]\r\na = 1\r\nb = 2\r\n" },
	{ "new section at end",
	  "[default]\na = 1\n", "profile x", "b", "2",
	  "[default]\na = 1\n\n[profile x]\nb = 2\n" },
	{ "new section after blank line",
	  "[default]\na = 1\n\n", "profile x", "b", "2",
	  "[default]\na = 1\n\n[profile x]\nb = 2\n" },
	{ "new section without final newline",
	  "[default]\na = 1", "profile x", "b", "2",
	  "[default]\na = 1\n\n[profile x]\nb = 2\n" },
	{ "new section in empty file", "", "default", "b", "2",
	  "[default]\nb = 2\n" },
	{ "remove key and continuation",
	  "[default]\na = 1\n  2\nb = 3\n", "default", "a", NULL,
	  "[default]\nb = 3\n" },
	{ "remove absent key", "[default]\nb = 3\n", "default", "a", NULL,
	  "[default]\nb = 3\n" },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

static void
test_edits(void)
{
	const struct edit_case *c;
	struct cos_error err;
	struct cos_ini ini;

	for (c = edit_cases; c->name != NULL; c++) {
		cos_error_clear(&err);
		if (cos_ini_parse(&ini, c->before, strlen(c->before), "t",
		    &err) != COS_OK ||
		    cos_ini_set(&ini, c->section, c->key, c->value, &err) !=
		    COS_OK) {
			tap_ok(0, c->name);
			printf("#   %s\n", err.message);
			continue;
		}
		tap_str(ini.text, c->after, c->name);
		cos_ini_free(&ini);
	}
}

struct remove_case {
	const char *name;
	const char *before;
	const char *section;
	const char *after;
};

static const struct remove_case remove_cases[] = {
	{ "remove middle section",
	  "[default]\na = 1\n\n[profile x]\nb = 2\n# x note\n\n"
	  "# about y\n[profile y]\nc = 3\n",
	  "profile x",
	  "[default]\na = 1\n\n# x note\n\n# about y\n[profile y]\nc = 3\n" },
	{ "remove last section",
	  "[default]\na = 1\n\n[profile x]\nb = 2\n\n", "profile x",
	  "[default]\na = 1\n" },
	{ "remove first section",
	  "[default]\na = 1\n\n[profile x]\nb = 2\n", "default",
	  "[profile x]\nb = 2\n" },
	{ "remove absent section", "[default]\na = 1\n", "profile z",
	  "[default]\na = 1\n" },
	{ NULL, NULL, NULL, NULL }
};

static void
test_remove_section(void)
{
	const struct remove_case *c;
	struct cos_error err;
	struct cos_ini ini;

	for (c = remove_cases; c->name != NULL; c++) {
		cos_error_clear(&err);
		if (cos_ini_parse(&ini, c->before, strlen(c->before), "t",
		    &err) != COS_OK ||
		    cos_ini_remove_section(&ini, c->section, &err) != COS_OK) {
			tap_ok(0, c->name);
			printf("#   %s\n", err.message);
			continue;
		}
		tap_str(ini.text, c->after, c->name);
		cos_ini_free(&ini);
	}
}

static void
test_set_rejects(void)
{
	struct cos_error err;
	struct cos_ini ini;
	char *value = NULL;

	cos_error_clear(&err);
	cos_ini_parse(&ini, "[default]\na = 1\n", 16, "t", &err);
	tap_int(cos_ini_set(&ini, "default", "a", "x\ny", &err), COS_ERR_USAGE,
	    "multi-line value rejected");
	tap_int(cos_ini_set(&ini, "default", "a", " x", &err), COS_ERR_USAGE,
	    "leading space rejected");
	tap_int(cos_ini_set(&ini, "default", "a=b", "x", &err), COS_ERR_USAGE,
	    "delimiter in key rejected");
	tap_str(ini.text, "[default]\na = 1\n", "rejected edits change nothing");
	tap_int(cos_ini_set(&ini, "default", "A", "2", &err), COS_OK,
	    "set with other case");
	tap_int(cos_ini_get(&ini, "default", "a", &value), 1, "get after set");
	tap_str(value, "2", "value after set");
	tap_str(ini.text, "[default]\na = 2\n", "existing key reused");
	cos_secret_free(value);
	cos_ini_free(&ini);
}

int
main(void)
{
	struct cos_error err;

	cos_error_clear(&err);
	if (cos_global_init(&err) != COS_OK)
		return 1;
	test_get();
	test_errors();
	test_edits();
	test_remove_section();
	test_set_rejects();
	return tap_done();
}
