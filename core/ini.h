/*
 * ini.h - INI files read the way Python's configparser reads them, and
 * rewritten so that every line an edit does not touch keeps its bytes.
 *
 * Reading follows configparser's defaults (ConfigParser(), strict):
 *   - "key = value" or "key: value", split at the first '=' or ':'; keys
 *     are compared case-insensitively, whitespace around keys and values
 *     is trimmed;
 *   - lines whose first non-blank character is '#' or ';' are comments
 *     (there are no inline comments: "a = b # c" has the value "b # c");
 *   - a line indented deeper than its key line continues the value, joined
 *     with '\n', and blank lines inside such a value are kept;
 *   - "[name]" starts a section (section names are case-sensitive); keys
 *     missing from a section are looked up in a "[DEFAULT]" section;
 *   - a key outside any section, a line that is not "key = value", and a
 *     repeated section or key are errors.
 * configparser's "%(name)s" interpolation is not applied; values are taken
 * literally.
 *
 * The text is kept in secret memory, because a credentials file may hold
 * plaintext keys.
 */
#ifndef COS_INI_H
#define COS_INI_H

#include <stddef.h>

#include "cos.h"

enum cos_ini_kind {
	COS_INI_BLANK,
	COS_INI_COMMENT,
	COS_INI_SECTION,
	COS_INI_KEY,
	COS_INI_CONTINUATION
};

struct cos_ini_line {
	size_t off, len;           /* raw bytes, terminator included */
	size_t end;                /* end of the content, before "\n" or "\r\n" */
	enum cos_ini_kind kind;
	size_t name_off, name_len; /* section name, or key as written */
	size_t value_off, value_len; /* value on this line, trimmed */
	size_t owner;              /* continuation: index of its key line */
	size_t section;            /* index of the section line; SIZE_MAX: none */
};

struct cos_ini {
	char *text;                /* secret memory, NUL-terminated */
	size_t len;
	struct cos_ini_line *lines;
	size_t count;
	const char *path;          /* for error messages; not owned */
};

/* Parses len bytes of data (a copy is kept) into *ini.  path names the
 * file in error messages, which give line numbers but never line content.
 * On failure *ini is left empty. */
int cos_ini_parse(struct cos_ini *ini, const char *data, size_t len,
    const char *path, struct cos_error *err);

/* Frees and wipes what cos_ini_parse() allocated; an empty or zeroed ini is
 * accepted. */
void cos_ini_free(struct cos_ini *ini);

/* Looks key up in section (then in "[DEFAULT]" when the section exists).
 * Returns 1 and a new secret string in *value when found, 0 when absent,
 * -1 when out of memory. */
int cos_ini_get(const struct cos_ini *ini, const char *section,
    const char *key, char **value);

/* Like cos_ini_get(), without the "[DEFAULT]" fallback: only a key
 * written in section itself is found. */
int cos_ini_get_own(const struct cos_ini *ini, const char *section,
    const char *key, char **value);

/* Returns nonzero when the file has a "[section]" line. */
int cos_ini_has_section(const struct cos_ini *ini, const char *section);

/* Sets key in section to value, or removes the key when value is NULL.  An
 * existing key keeps its line and spelling and only the value changes.
 * Its continuation lines are dropped.  A new key goes after the section's
 * last key, and a new section goes at the end.  value must be one line.  Every other
 * line keeps its bytes. */
int cos_ini_set(struct cos_ini *ini, const char *section, const char *key,
    const char *value, struct cos_error *err);

/* Removes section with its keys, and the blank lines after it.  Comment
 * lines after its last key are kept, because they usually introduce the
 * next section.  Returns COS_OK also when the section does not exist. */
int cos_ini_remove_section(struct cos_ini *ini, const char *section,
    struct cos_error *err);

#endif /* COS_INI_H */
