/*
 * ini.c - configparser-compatible INI reading and byte-preserving edits.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "fileio.h"
#include "ini.h"

#define NONE SIZE_MAX

/* The characters Python's str.strip() removes, within ASCII (the line
 * terminator is handled apart). */
static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
	    (c >= 0x1c && c <= 0x1f);
}

void
cos_ini_free(struct cos_ini *ini)
{
	cos_secret_free(ini->text);
	free(ini->lines);
	ini->text = NULL;
	ini->lines = NULL;
	ini->len = ini->count = 0;
}

/* Parser state: configparser's cursect, optname and indent_level. */
struct parse_state {
	struct cos_ini *ini;
	struct cos_error *err;
	size_t section;
	size_t key;
	size_t indent_level;
};

static int
line_error(struct parse_state *ps, size_t index, const char *what)
{
	return cos_error_set(ps->err, COS_ERR_OTHER, "%s, line %zu: %s",
	    ps->ini->path, index + 1, what);
}

static int
same_name(const struct cos_ini *ini, const struct cos_ini_line *l,
    const char *name, size_t len, int fold_case)
{
	if (l->name_len != len)
		return 0;
	if (fold_case)
		return strncasecmp(ini->text + l->name_off, name, len) == 0;
	return memcmp(ini->text + l->name_off, name, len) == 0;
}

static int
parse_section(struct parse_state *ps, size_t i, size_t first, size_t last)
{
	struct cos_ini *ini = ps->ini;
	struct cos_ini_line *l = &ini->lines[i];
	size_t j;

	l->kind = COS_INI_SECTION;
	l->name_off = first + 1;
	l->name_len = last - first - 1;
	for (j = 0; j < i; j++)
		if (ini->lines[j].kind == COS_INI_SECTION &&
		    same_name(ini, &ini->lines[j], ini->text + l->name_off,
		    l->name_len, 0))
			return line_error(ps, i, "this section already appeared "
			    "earlier in the file");
	l->section = i;
	ps->section = i;
	ps->key = NONE;
	return COS_OK;
}

static int
parse_key(struct parse_state *ps, size_t i, size_t first, size_t stop)
{
	struct cos_ini *ini = ps->ini;
	struct cos_ini_line *l = &ini->lines[i];
	size_t delim, name_end, j;

	if (ini->text[first] == '[')
		return line_error(ps, i, "a [section] line without its "
		    "closing ']'");
	if (ps->section == NONE)
		return line_error(ps, i, "a 'key = value' line before any "
		    "[section] line");
	for (delim = first; delim < stop; delim++)
		if (ini->text[delim] == '=' || ini->text[delim] == ':')
			break;
	if (delim == stop)
		return line_error(ps, i, "expected a [section], 'key = value' "
		    "or a comment");
	name_end = delim;
	while (name_end > first && is_space((unsigned char)ini->text[name_end - 1]))
		name_end--;
	if (name_end == first)
		return line_error(ps, i, "a key name is missing before the "
		    "'=' or ':'");
	l->kind = COS_INI_KEY;
	l->name_off = first;
	l->name_len = name_end - first;
	l->value_off = delim + 1;
	while (l->value_off < stop &&
	    is_space((unsigned char)ini->text[l->value_off]))
		l->value_off++;
	l->value_len = stop - l->value_off;
	for (j = ps->section + 1; j < i; j++)
		if (ini->lines[j].kind == COS_INI_KEY &&
		    same_name(ini, &ini->lines[j], ini->text + l->name_off,
		    l->name_len, 1))
			return line_error(ps, i, "this key already appeared "
			    "earlier in the section");
	ps->key = i;
	return COS_OK;
}

/* Classifies line i, whose content is [l->off, l->end). */
static int
parse_line(struct parse_state *ps, size_t i)
{
	struct cos_ini *ini = ps->ini;
	struct cos_ini_line *l = &ini->lines[i];
	size_t first = l->off, stop = l->end, last;

	/* Editors such as Notepad start a UTF-8 file with a byte order mark.
	 * It stays in the text, so a rewrite keeps it, but is no content. */
	if (i == 0 && stop - first >= 3 &&
	    memcmp(ini->text + first, "\xef\xbb\xbf", 3) == 0)
		first += 3;
	while (first < stop && is_space((unsigned char)ini->text[first]))
		first++;
	while (stop > first && is_space((unsigned char)ini->text[stop - 1]))
		stop--;
	l->section = ps->section;
	l->owner = NONE;
	if (first == stop) {
		l->kind = COS_INI_BLANK;
		return COS_OK;
	}
	if (ini->text[first] == '#' || ini->text[first] == ';') {
		l->kind = COS_INI_COMMENT;
		return COS_OK;
	}
	if (ps->key != NONE && first - l->off > ps->indent_level) {
		l->kind = COS_INI_CONTINUATION;
		l->owner = ps->key;
		l->value_off = first;
		l->value_len = stop - first;
		return COS_OK;
	}
	ps->indent_level = first - l->off;
	/* configparser's section pattern is "\[(.+)\]" matched at the start
	 * of the trimmed line: the name runs to the last ']'. */
	if (ini->text[first] == '[') {
		for (last = stop - 1; last > first + 1; last--)
			if (ini->text[last] == ']')
				return parse_section(ps, i, first, last);
	}
	return parse_key(ps, i, first, stop);
}

static int
split_lines(struct cos_ini *ini, struct cos_error *err)
{
	size_t pos = 0, n = 0, cap = 0;
	struct cos_ini_line *lines = NULL, *grown;

	while (pos < ini->len) {
		const char *nl = memchr(ini->text + pos, '\n', ini->len - pos);
		size_t next = nl != NULL ? (size_t)(nl - ini->text) + 1 :
		    ini->len;
		size_t end = nl != NULL ? next - 1 : next;

		if (end > pos && ini->text[end - 1] == '\r')
			end--;
		if (end - pos > COS_LINE_MAX) {
			free(lines);
			return cos_error_set(err, COS_ERR_OTHER,
			    "%s, line %zu: longer than %d bytes", ini->path,
			    n + 1, COS_LINE_MAX);
		}
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			grown = realloc(lines, cap * sizeof(*lines));
			if (grown == NULL) {
				free(lines);
				return cos_error_set(err, COS_ERR_OTHER,
				    "out of memory");
			}
			lines = grown;
		}
		memset(&lines[n], 0, sizeof(lines[n]));
		lines[n].off = pos;
		lines[n].len = next - pos;
		lines[n].end = end;
		n++;
		pos = next;
	}
	ini->lines = lines;
	ini->count = n;
	return COS_OK;
}

int
cos_ini_parse(struct cos_ini *ini, const char *data, size_t len,
    const char *path, struct cos_error *err)
{
	struct cos_ini parsed;
	struct parse_state ps;
	size_t i;
	int status;

	memset(ini, 0, sizeof(*ini));
	memset(&parsed, 0, sizeof(parsed));
	parsed.path = path;
	if (len > COS_FILE_MAX)
		return cos_error_set(err, COS_ERR_OTHER,
		    "%s is larger than %d bytes", path, COS_FILE_MAX);
	if (memchr(data, '\0', len) != NULL)
		return cos_error_set(err, COS_ERR_OTHER,
		    "%s contains a NUL byte; it is not a text file", path);
	if ((parsed.text = cos_secret_strndup(data, len)) == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	parsed.len = len;
	if ((status = split_lines(&parsed, err)) != COS_OK)
		goto fail;
	ps.ini = &parsed;
	ps.err = err;
	ps.section = NONE;
	ps.key = NONE;
	ps.indent_level = 0;
	for (i = 0; i < parsed.count; i++)
		if ((status = parse_line(&ps, i)) != COS_OK)
			goto fail;
	*ini = parsed;
	return COS_OK;
fail:
	cos_ini_free(&parsed);
	return status;
}

static size_t
find_section(const struct cos_ini *ini, const char *section)
{
	size_t i, len = strlen(section);

	for (i = 0; i < ini->count; i++)
		if (ini->lines[i].kind == COS_INI_SECTION &&
		    same_name(ini, &ini->lines[i], section, len, 0))
			return i;
	return NONE;
}

static size_t
find_key(const struct cos_ini *ini, size_t section, const char *key)
{
	size_t i, len = strlen(key);

	for (i = section + 1; i < ini->count; i++) {
		if (ini->lines[i].kind == COS_INI_SECTION)
			break;
		if (ini->lines[i].kind == COS_INI_KEY &&
		    same_name(ini, &ini->lines[i], key, len, 1))
			return i;
	}
	return NONE;
}

int
cos_ini_has_section(const struct cos_ini *ini, const char *section)
{
	return find_section(ini, section) != NONE;
}

/* Joins the value of key line k with its continuation lines the way
 * configparser does: one '\n' between lines, and one more for each blank
 * line between them. */
static char *
join_value(const struct cos_ini *ini, size_t k)
{
	const struct cos_ini_line *l = &ini->lines[k];
	struct cos_buf buf;
	size_t i, blanks = 0;

	cos_buf_init(&buf, 1, 0);
	cos_buf_append(&buf, ini->text + l->value_off, l->value_len);
	for (i = k + 1; i < ini->count; i++) {
		l = &ini->lines[i];
		if (l->kind == COS_INI_BLANK) {
			blanks++;
		} else if (l->kind == COS_INI_CONTINUATION) {
			for (; blanks > 0; blanks--)
				cos_buf_append(&buf, "\n", 1);
			cos_buf_append(&buf, "\n", 1);
			cos_buf_append(&buf, ini->text + l->value_off,
			    l->value_len);
		} else if (l->kind != COS_INI_COMMENT) {
			break;
		}
	}
	return cos_buf_take(&buf, NULL);
}

static int
lookup(const struct cos_ini *ini, const char *section, const char *key,
    int fallback, char **value)
{
	size_t s, k;
	char *joined;

	if ((s = find_section(ini, section)) == NONE)
		return 0;
	k = find_key(ini, s, key);
	if (k == NONE && fallback && strcmp(section, "DEFAULT") != 0 &&
	    (s = find_section(ini, "DEFAULT")) != NONE)
		k = find_key(ini, s, key);
	if (k == NONE)
		return 0;
	if ((joined = join_value(ini, k)) == NULL)
		return -1;
	*value = joined;
	return 1;
}

int
cos_ini_get(const struct cos_ini *ini, const char *section, const char *key,
    char **value)
{
	return lookup(ini, section, key, 1, value);
}

int
cos_ini_get_own(const struct cos_ini *ini, const char *section,
    const char *key, char **value)
{
	return lookup(ini, section, key, 0, value);
}

/* One edit of the line list: lines flagged in drop go away, and text is
 * put in place of line at (replace set), after it, or at the end of the
 * file (at == NONE).  text NULL inserts nothing.  The result is parsed again and replaces *ini. */
struct ini_edit {
	const unsigned char *drop;
	size_t at;
	int replace;
	const char *text;
	size_t text_len;
};

/* Returns the first line of old that the edit kept but that next reads as
 * another kind (a section or key turned continuation, or the reverse),
 * or NONE.  moved[i] is where old line i starts in next, NONE when the
 * edit dropped or replaced it.  Indentation decides what continues a
 * value, so a line put or removed above an indented line can change it. */
static size_t
changed_line(const struct cos_ini *old, const struct cos_ini *next,
    const size_t *moved)
{
	size_t i, j = 0;

	for (i = 0; i < old->count; i++) {
		if (moved[i] == NONE)
			continue;
		while (j < next->count && next->lines[j].off < moved[i])
			j++;
		if (j == next->count || next->lines[j].off != moved[i] ||
		    next->lines[j].kind != old->lines[i].kind)
			return i;
	}
	return NONE;
}

static int
apply_edit(struct cos_ini *ini, const struct ini_edit *e,
    struct cos_error *err)
{
	struct cos_buf buf;
	struct cos_ini next;
	size_t i, *moved;
	int status;

	if ((moved = calloc(ini->count + 1, sizeof(*moved))) == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	cos_buf_init(&buf, 1, COS_FILE_MAX);
	for (i = 0; i < ini->count; i++) {
		const struct cos_ini_line *l = &ini->lines[i];

		moved[i] = NONE;
		if (i == e->at && e->replace) {
			cos_buf_append(&buf, e->text, e->text_len);
		} else if (e->drop == NULL || !e->drop[i]) {
			moved[i] = buf.len;
			cos_buf_append(&buf, ini->text + l->off, l->len);
		}
		if (i == e->at && !e->replace)
			cos_buf_append(&buf, e->text, e->text_len);
	}
	if (e->at == NONE && e->text != NULL)
		cos_buf_append(&buf, e->text, e->text_len);
	if (buf.failed) {
		cos_buf_free(&buf);
		free(moved);
		return cos_error_set(err, COS_ERR_OTHER,
		    "%s would grow past %d bytes; nothing was changed",
		    ini->path, COS_FILE_MAX);
	}
	status = cos_ini_parse(&next, buf.data != NULL ? buf.data : "",
	    buf.len, ini->path, err);
	cos_buf_free(&buf);
	if (status == COS_OK && (i = changed_line(ini, &next, moved)) != NONE) {
		cos_ini_free(&next);
		status = cos_error_set(err, COS_ERR_OTHER, "cannot edit %s: "
		    "because of its indentation, line %zu would then be read "
		    "differently; nothing was changed", ini->path, i + 1);
		cos_error_hint(err, "Remove the indentation in front of line "
		    "%zu, then run the command again.", i + 1);
	}
	free(moved);
	if (status != COS_OK)
		return status;
	cos_ini_free(ini);
	*ini = next;
	return COS_OK;
}

static const char *
line_terminator(const struct cos_ini *ini, size_t i, size_t *len)
{
	const struct cos_ini_line *l = &ini->lines[i];

	*len = l->off + l->len - l->end;
	return ini->text + l->end;
}

/* Rewrites key line k with a new value, keeping everything around the
 * value: indentation, key spelling, delimiter and spacing. */
static int
replace_value(struct cos_ini *ini, size_t k, const char *value,
    struct cos_error *err)
{
	const struct cos_ini_line *l = &ini->lines[k];
	unsigned char *drop;
	struct cos_buf buf;
	struct ini_edit e;
	const char *eol;
	size_t i, eol_len;
	int status;

	if ((drop = calloc(ini->count, 1)) == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	for (i = k + 1; i < ini->count; i++)
		if (ini->lines[i].kind == COS_INI_CONTINUATION &&
		    ini->lines[i].owner == k)
			drop[i] = 1;
	cos_buf_init(&buf, 1, 0);
	if (l->value_len == 0) {
		/* "key =" or "key = ": the content ends at the delimiter. */
		eol = line_terminator(ini, k, &eol_len);
		for (i = l->end; i > l->off &&
		    is_space((unsigned char)ini->text[i - 1]); i--)
			;
		cos_buf_append(&buf, ini->text + l->off, i - l->off);
		cos_buf_append(&buf, " ", 1);
		cos_buf_puts(&buf, value);
		cos_buf_append(&buf, eol, eol_len);
	} else {
		cos_buf_append(&buf, ini->text + l->off, l->value_off - l->off);
		cos_buf_puts(&buf, value);
		i = l->value_off + l->value_len;
		cos_buf_append(&buf, ini->text + i, l->off + l->len - i);
	}
	if (buf.failed) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	memset(&e, 0, sizeof(e));
	e.drop = drop;
	e.at = k;
	e.replace = 1;
	e.text = buf.data;
	e.text_len = buf.len;
	status = apply_edit(ini, &e, err);
out:
	cos_buf_free(&buf);
	free(drop);
	return status;
}

static int
remove_key(struct cos_ini *ini, size_t k, struct cos_error *err)
{
	unsigned char *drop;
	struct ini_edit e;
	size_t i;
	int status;

	if ((drop = calloc(ini->count, 1)) == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	drop[k] = 1;
	for (i = k + 1; i < ini->count; i++)
		if (ini->lines[i].kind == COS_INI_CONTINUATION &&
		    ini->lines[i].owner == k)
			drop[i] = 1;
	memset(&e, 0, sizeof(e));
	e.drop = drop;
	e.at = NONE;
	status = apply_edit(ini, &e, err);
	free(drop);
	return status;
}

/* Adds "key = value" after the last key of section s. */
static int
add_key(struct cos_ini *ini, size_t s, const char *key, const char *value,
    struct cos_error *err)
{
	struct cos_buf buf;
	struct ini_edit e;
	const char *eol;
	size_t i, after = s, eol_len;
	int status;

	for (i = s + 1; i < ini->count; i++) {
		if (ini->lines[i].kind == COS_INI_SECTION)
			break;
		if (ini->lines[i].kind == COS_INI_KEY ||
		    ini->lines[i].kind == COS_INI_CONTINUATION)
			after = i;
	}
	eol = line_terminator(ini, after, &eol_len);
	cos_buf_init(&buf, 1, 0);
	if (eol_len == 0 || eol[eol_len - 1] != '\n') {
		/* The last line of the file has no newline yet (a lone
		 * '\r' at the end does not end a line). */
		cos_buf_append(&buf, "\n", 1);
		eol = "\n";
		eol_len = 1;
	}
	/* Indent the new key like the next line that is not blank or a
	 * comment: indented deeper, that line would continue the new value,
	 * and it is never indented deeper than the key above (it would be a
	 * continuation of that key then). */
	for (i = after + 1; i < ini->count; i++) {
		const struct cos_ini_line *l = &ini->lines[i];
		size_t first = l->off;

		if (l->kind == COS_INI_BLANK || l->kind == COS_INI_COMMENT)
			continue;
		while (first < l->end && is_space((unsigned char)ini->text[first]))
			first++;
		cos_buf_append(&buf, ini->text + l->off, first - l->off);
		break;
	}
	cos_buf_printf(&buf, "%s = %s", key, value);
	cos_buf_append(&buf, eol, eol_len);
	if (buf.failed) {
		cos_buf_free(&buf);
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	}
	memset(&e, 0, sizeof(e));
	e.at = after;
	e.text = buf.data;
	e.text_len = buf.len;
	status = apply_edit(ini, &e, err);
	cos_buf_free(&buf);
	return status;
}

/* Appends "[section]" with one key at the end, after a blank line. */
static int
add_section(struct cos_ini *ini, const char *section, const char *key,
    const char *value, struct cos_error *err)
{
	struct cos_buf buf;
	struct ini_edit e;
	int status;

	cos_buf_init(&buf, 1, 0);
	if (ini->len > 0 && ini->text[ini->len - 1] != '\n')
		cos_buf_append(&buf, "\n", 1);
	if (ini->count > 0 && ini->lines[ini->count - 1].kind != COS_INI_BLANK)
		cos_buf_append(&buf, "\n", 1);
	cos_buf_printf(&buf, "[%s]\n%s = %s\n", section, key, value);
	if (buf.failed) {
		cos_buf_free(&buf);
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	}
	memset(&e, 0, sizeof(e));
	e.at = NONE;
	e.text = buf.data;
	e.text_len = buf.len;
	status = apply_edit(ini, &e, err);
	cos_buf_free(&buf);
	return status;
}

static int
check_one_line(const char *what, const char *s, int edges,
    struct cos_error *err)
{
	size_t len = strlen(s);

	if (strpbrk(s, "\r\n") != NULL)
		return cos_error_set(err, COS_ERR_USAGE,
		    "the %s must be a single line", what);
	if (edges && len > 0 && (is_space((unsigned char)s[0]) ||
	    is_space((unsigned char)s[len - 1])))
		return cos_error_set(err, COS_ERR_USAGE,
		    "the %s must not begin or end with white space", what);
	return COS_OK;
}

int
cos_ini_set(struct cos_ini *ini, const char *section, const char *key,
    const char *value, struct cos_error *err)
{
	size_t s, k;
	int status;

	if ((status = check_one_line("section name", section, 1, err)) != 0 ||
	    (status = check_one_line("key name", key, 1, err)) != 0)
		return status;
	if (key[0] == '\0' || strpbrk(key, "=:[#;") != NULL)
		return cos_error_set(err, COS_ERR_USAGE,
		    "invalid key name '%s'", key);
	if (value != NULL &&
	    (status = check_one_line("value", value, 1, err)) != COS_OK)
		return status;
	s = find_section(ini, section);
	k = s != NONE ? find_key(ini, s, key) : NONE;
	if (value == NULL)
		return k != NONE ? remove_key(ini, k, err) : COS_OK;
	if (k != NONE)
		return replace_value(ini, k, value, err);
	if (s != NONE)
		return add_key(ini, s, key, value, err);
	return add_section(ini, section, key, value, err);
}

int
cos_ini_remove_section(struct cos_ini *ini, const char *section,
    struct cos_error *err)
{
	unsigned char *drop;
	struct ini_edit e;
	size_t s, i, first, last;
	int status;

	if ((s = find_section(ini, section)) == NONE)
		return COS_OK;
	last = s;
	for (i = s + 1; i < ini->count; i++) {
		if (ini->lines[i].kind == COS_INI_SECTION)
			break;
		if (ini->lines[i].kind == COS_INI_KEY ||
		    ini->lines[i].kind == COS_INI_CONTINUATION)
			last = i;
	}
	while (last + 1 < ini->count &&
	    ini->lines[last + 1].kind == COS_INI_BLANK)
		last++;
	first = s;
	if (last + 1 == ini->count)
		/* The section ended the file: drop the blank lines that
		 * separated it from the one before. */
		while (first > 0 && ini->lines[first - 1].kind == COS_INI_BLANK)
			first--;
	if ((drop = calloc(ini->count, 1)) == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	for (i = first; i <= last; i++)
		drop[i] = 1;
	memset(&e, 0, sizeof(e));
	e.drop = drop;
	e.at = NONE;
	status = apply_edit(ini, &e, err);
	free(drop);
	return status;
}
