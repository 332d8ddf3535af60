/*
 * fuzz_quote.c - libFuzzer target for the output formats.
 *
 * The input, whole, becomes the secret id, the secret key and the token.
 * Every format is rendered, and each shell format is parsed back here by
 * the quoting rules of its shell: POSIX sh for env, fish for fish and
 * PowerShell for powershell.  The property is that parsing gives back the
 * input byte for byte, and that no byte outside a quoted string could
 * start an expansion.  JSON is parsed back with json-c, dotenv (when it
 * renders at all) must be one plain NAME=value line per variable, and the
 * table must not contain control characters.  A broken property aborts.
 *
 * The parsers follow the shells' documented rules for single-quoted
 * words.  tests/hostile.bats runs the quoting seeds through the real cos
 * and real bash, zsh and dash to check the same property.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "internal.h"

#define NVARS 4

static const char *const names[NVARS] = {
	"COS_SECRET_ID", "COS_SECRET_KEY", "COS_TOKEN", "COS_TOKEN_EXPIRATION"
};

/* What a parser found: the value of each variable, or NULL. */
struct parsed {
	char *values[NVARS];
	size_t lens[NVARS];
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_quote: %s\n", what);
	abort();
}

static void
parsed_free(struct parsed *p)
{
	size_t i;

	for (i = 0; i < NVARS; i++)
		free(p->values[i]);
	memset(p, 0, sizeof(*p));
}

static void
parsed_set(struct parsed *p, const char *name, size_t name_len,
    const char *value, size_t len)
{
	size_t i;

	for (i = 0; i < NVARS; i++) {
		if (strlen(names[i]) != name_len ||
		    memcmp(names[i], name, name_len) != 0)
			continue;
		if (p->values[i] != NULL)
			fail("a variable is assigned twice");
		if ((p->values[i] = malloc(len + 1)) == NULL)
			fail("out of memory");
		memcpy(p->values[i], value, len);
		p->values[i][len] = '\0';
		p->lens[i] = len;
		return;
	}
	fail("an assignment to an unexpected name");
}

/* Growable byte string for the parsers. */
struct word {
	char *data;
	size_t len, cap;
};

static void
word_add(struct word *w, char c)
{
	if (w->len == w->cap) {
		w->cap = w->cap == 0 ? 64 : w->cap * 2;
		if ((w->data = realloc(w->data, w->cap)) == NULL)
			fail("out of memory");
	}
	w->data[w->len++] = c;
}

/* Bytes that may stand outside quotes without any shell giving them a
 * meaning in these positions. */
static int
plain_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '=';
}

/* ------------------------------------------------------------------ */
/* POSIX sh: `export NAME='...'` with '\'' for a quote (XCU 2.2.2).     */

/* Reads one word at *pos (single quotes, backslash escapes and plain
 * characters); the word ends at a blank, newline or ';'. */
static void
posix_word(const char *s, size_t n, size_t *pos, struct word *w)
{
	size_t i = *pos;

	while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
	    s[i] != ';') {
		if (s[i] == '\'') {
			for (i++; i < n && s[i] != '\''; i++)
				word_add(w, s[i]);
			if (i == n)
				fail("sh: unterminated single quote");
			i++;
		} else if (s[i] == '\\') {
			if (i + 1 == n)
				fail("sh: backslash at the end");
			if (s[i + 1] != '\'')
				fail("sh: unexpected backslash escape");
			word_add(w, '\'');
			i += 2;
		} else if (plain_char(s[i])) {
			word_add(w, s[i++]);
		} else {
			fail("sh: a special character outside quotes");
		}
	}
	*pos = i;
}

static void
parse_posix(const char *s, size_t n, struct parsed *p)
{
	struct word words[2];
	size_t i = 0, count;

	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] == '#') {
			while (i < n && s[i] != '\n')
				i++;
		}
		if (i < n && s[i] == '\n') {
			i++;
			continue;
		}
		if (i == n)
			break;
		memset(words, 0, sizeof(words));
		for (count = 0; i < n && s[i] != '\n'; count++) {
			if (count == 2)
				fail("sh: more than two words in a command");
			posix_word(s, n, &i, &words[count]);
			while (i < n && (s[i] == ' ' || s[i] == '\t'))
				i++;
		}
		if (count != 2 || words[0].len != 6 ||
		    memcmp(words[0].data, "export", 6) != 0)
			fail("sh: a command other than export NAME=VALUE");
		{
			char *eq = memchr(words[1].data, '=', words[1].len);
			size_t name_len;

			if (eq == NULL)
				fail("sh: export without '='");
			name_len = (size_t)(eq - words[1].data);
			/* Everything after '=' came from inside quotes or
			 * escapes, so no expansion can happen there. */
			parsed_set(p, words[1].data, name_len, eq + 1,
			    words[1].len - name_len - 1);
		}
		free(words[0].data);
		free(words[1].data);
	}
}

/* ------------------------------------------------------------------ */
/* fish: `set -gx NAME '...';` where only \\ and \' are escapes inside
 * single quotes (fish-doc "Quotes"). */

static void
fish_word(const char *s, size_t n, size_t *pos, struct word *w)
{
	size_t i = *pos;

	while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
	    s[i] != ';') {
		if (s[i] == '\'') {
			for (i++; i < n && s[i] != '\''; i++) {
				if (s[i] == '\\' && i + 1 < n &&
				    (s[i + 1] == '\\' || s[i + 1] == '\''))
					i++;
				word_add(w, s[i]);
			}
			if (i == n)
				fail("fish: unterminated single quote");
			i++;
		} else if (plain_char(s[i])) {
			word_add(w, s[i++]);
		} else {
			fail("fish: a special character outside quotes");
		}
	}
	*pos = i;
}

static void
parse_fish(const char *s, size_t n, struct parsed *p)
{
	struct word words[4];
	size_t i = 0, count, k;

	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] == '#') {
			while (i < n && s[i] != '\n')
				i++;
		}
		if (i < n && (s[i] == '\n' || s[i] == ';')) {
			i++;
			continue;
		}
		if (i == n)
			break;
		memset(words, 0, sizeof(words));
		for (count = 0; i < n && s[i] != '\n' && s[i] != ';'; count++) {
			if (count == 4)
				fail("fish: more than four words in a command");
			fish_word(s, n, &i, &words[count]);
			while (i < n && (s[i] == ' ' || s[i] == '\t'))
				i++;
		}
		if (count != 4 || words[0].len != 3 ||
		    memcmp(words[0].data, "set", 3) != 0 || words[1].len != 3 ||
		    memcmp(words[1].data, "-gx", 3) != 0)
			fail("fish: a command other than set -gx NAME VALUE");
		parsed_set(p, words[2].data, words[2].len,
		    words[3].data != NULL ? words[3].data : "", words[3].len);
		for (k = 0; k < count; k++)
			free(words[k].data);
	}
}

/* ------------------------------------------------------------------ */
/* PowerShell: `$Env:NAME = '...'`.  In a verbatim string, U+2018..U+201B
 * count as single quotes too, and two quote characters in a row stand for
 * the second one (about_Quoting_Rules). */

static size_t
ps_quote_len(const unsigned char *u, size_t left)
{
	if (left >= 1 && u[0] == '\'')
		return 1;
	if (left >= 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 &&
	    u[2] <= 0x9b)
		return 3;
	return 0;
}

static void
parse_powershell(const char *s, size_t n, struct parsed *p)
{
	const unsigned char *u = (const unsigned char *)s;
	static const char prefix[] = "$Env:";
	size_t i = 0, name, name_len, q, q2;
	struct word w;

	while (i < n) {
		if (s[i] == '\n') {
			i++;
			continue;
		}
		if (s[i] == '#') {
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		if (n - i < sizeof(prefix) - 1 ||
		    memcmp(s + i, prefix, sizeof(prefix) - 1) != 0)
			fail("powershell: a line other than $Env:NAME = '...'");
		name = i += sizeof(prefix) - 1;
		while (i < n && plain_char(s[i]) && s[i] != '=')
			i++;
		name_len = i - name;
		if (n - i < 3 || memcmp(s + i, " = ", 3) != 0)
			fail("powershell: no ' = ' after the name");
		i += 3;
		if ((q = ps_quote_len(u + i, n - i)) == 0)
			fail("powershell: the value is not quoted");
		i += q;
		memset(&w, 0, sizeof(w));
		for (;;) {
			if (i == n)
				fail("powershell: unterminated string");
			if ((q = ps_quote_len(u + i, n - i)) == 0) {
				word_add(&w, s[i++]);
				continue;
			}
			q2 = ps_quote_len(u + i + q, n - i - q);
			if (q2 == 0) {
				i += q;
				break;
			}
			for (size_t k = 0; k < q2; k++)
				word_add(&w, s[i + q + k]);
			i += q + q2;
		}
		if (i < n && s[i] != '\n')
			fail("powershell: text after the closing quote");
		parsed_set(p, s + name, name_len, w.data != NULL ? w.data : "",
		    w.len);
		free(w.data);
	}
}

/* ------------------------------------------------------------------ */

static void
expect_values(const struct parsed *p, const uint8_t *data, size_t size,
    const char *expiration, const char *format)
{
	size_t i;

	for (i = 0; i < NVARS; i++) {
		const char *want = i < 3 ? (const char *)data : expiration;
		size_t want_len = i < 3 ? size : strlen(expiration);

		if (p->values[i] == NULL) {
			fprintf(stderr, "%s: %s missing\n", format, names[i]);
			fail("a variable is missing");
		}
		if (p->lens[i] != want_len ||
		    memcmp(p->values[i], want, want_len) != 0) {
			fprintf(stderr, "%s: %s differs\n", format, names[i]);
			fail("a value does not read back byte for byte");
		}
	}
}

static char *
render(const struct cos_credentials *c, enum cos_format f, size_t *len)
{
	struct cos_error err;
	char *out = NULL;

	cos_error_clear(&err);
	if (cos_format_credentials(c, f, 1, &out, len, &err) != COS_OK)
		return NULL;
	if (strlen(out) != *len)
		fail("the reported length differs from the text");
	return out;
}

static void
check_shell(const struct cos_credentials *c, enum cos_format f,
    void (*parse)(const char *, size_t, struct parsed *), const char *name,
    const uint8_t *data, size_t size, const char *expiration)
{
	struct parsed p;
	size_t len;
	char *out = render(c, f, &len);

	if (out == NULL)
		fail("a shell format failed to render");
	memset(&p, 0, sizeof(p));
	parse(out, len, &p);
	expect_values(&p, data, size, expiration, name);
	parsed_free(&p);
	cos_secret_free(out);
}

static void
check_json(const struct cos_credentials *c, const uint8_t *data,
    size_t size)
{
	static const char *const keys[] = { "TmpSecretId", "TmpSecretKey",
	    "Token" };
	struct json_object *root, *creds, *v;
	size_t len, i;
	char *out = render(c, COS_FORMAT_JSON, &len);

	if (out == NULL)
		fail("json failed to render");
	root = json_tokener_parse(out);
	if (root == NULL || !json_object_object_get_ex(root, "Credentials",
	    &creds))
		fail("json output does not parse");
	for (i = 0; i < 3; i++) {
		if (!json_object_object_get_ex(creds, keys[i], &v) ||
		    (size_t)json_object_get_string_len(v) != size ||
		    memcmp(json_object_get_string(v), data, size) != 0)
			fail("a json value does not read back byte for byte");
	}
	json_object_put(root);
	cos_secret_free(out);
}

/* dotenv renders only values that docker and systemd read alike: then
 * each line is NAME=value with the value as it is. */
static void
check_dotenv(const struct cos_credentials *c, const uint8_t *data,
    size_t size)
{
	size_t len, i = 0, found = 0;
	char *out = render(c, COS_FORMAT_DOTENV, &len);

	if (out == NULL)
		return;
	if (memchr(data, '\n', size) != NULL || memchr(data, '\r', size) ||
	    memchr(data, '\'', size) || memchr(data, '"', size) ||
	    memchr(data, '\\', size))
		fail("dotenv rendered a value it cannot represent");
	while (i < len) {
		const char *line = out + i, *nl = memchr(line, '\n', len - i);
		size_t line_len = nl != NULL ? (size_t)(nl - line) : len - i;
		const char *eq = memchr(line, '=', line_len);

		i += line_len + 1;
		if (line[0] == '#')
			continue;
		if (eq == NULL)
			fail("dotenv: a line without '='");
		if (strncmp(line, "COS_TOKEN_EXPIRATION=", 21) == 0)
			continue;
		if ((size_t)(line + line_len - eq - 1) != size ||
		    memcmp(eq + 1, data, size) != 0)
			fail("dotenv: a value does not read back");
		found++;
	}
	if (found != 3)
		fail("dotenv: not three credential lines");
	cos_secret_free(out);
}

static void
check_table(const struct cos_credentials *c)
{
	size_t len, i;
	char *out = render(c, COS_FORMAT_TABLE, &len);

	if (out == NULL)
		fail("table failed to render");
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)out[i];

		if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
			fail("table output contains a control character");
	}
	cos_secret_free(out);
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
	struct cos_credentials *c;
	char expiration[21];

	/* No shell variable can hold a NUL, and the core rejects one before
	 * any value reaches a format. */
	if (size == 0 || memchr(data, '\0', size) != NULL)
		return 0;
	if ((c = cos_credentials_new()) == NULL)
		fail("out of memory");
	c->secret_id = cos_secret_strndup((const char *)data, size);
	c->secret_key = cos_secret_strndup((const char *)data, size);
	c->token = cos_secret_strndup((const char *)data, size);
	c->requested_time = 1700000000;
	c->expired_time = 1700007200;
	c->duration = 7200;
	if (c->secret_id == NULL || c->secret_key == NULL || c->token == NULL)
		fail("out of memory");
	cos_format_iso8601(c->expired_time, expiration);

	check_shell(c, COS_FORMAT_ENV, parse_posix, "env", data, size,
	    expiration);
	check_shell(c, COS_FORMAT_FISH, parse_fish, "fish", data, size,
	    expiration);
	check_shell(c, COS_FORMAT_POWERSHELL, parse_powershell, "powershell",
	    data, size, expiration);
	check_json(c, data, size);
	check_dotenv(c, data, size);
	check_table(c);
	cos_credentials_free(c);
	return 0;
}
