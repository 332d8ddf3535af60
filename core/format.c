/*
 * format.c - credentials as a table, shell exports, dotenv lines or JSON.
 *
 * Every shell format quotes values so that evaluating the output yields
 * exactly the bytes STS returned, whatever they contain.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

const char *const cos_format_names[] = {
	"table", "env", "json", "fish", "powershell", "dotenv", NULL
};

int
cos_format_parse(const char *name, enum cos_format *out,
    struct cos_error *err)
{
	static const enum cos_format formats[] = {
		COS_FORMAT_TABLE, COS_FORMAT_ENV, COS_FORMAT_JSON,
		COS_FORMAT_FISH, COS_FORMAT_POWERSHELL, COS_FORMAT_DOTENV
	};
	size_t i;

	for (i = 0; cos_format_names[i] != NULL; i++) {
		if (strcmp(name, cos_format_names[i]) == 0) {
			*out = formats[i];
			return COS_OK;
		}
	}
	cos_error_set(err, COS_ERR_USAGE, "unknown output format '%s'", name);
	cos_error_hint(err, "Use one of: table, env, json, fish, powershell, "
	    "dotenv.");
	return COS_ERR_USAGE;
}

/* POSIX shells: inside single quotes every byte is literal, so only the
 * quote itself needs the '\'' dance. */
static void
quote_posix(struct cos_buf *b, const char *v)
{
	cos_buf_puts(b, "'");
	for (; *v != '\0'; v++) {
		if (*v == '\'')
			cos_buf_puts(b, "'\\''");
		else
			cos_buf_append(b, v, 1);
	}
	cos_buf_puts(b, "'");
}

/* fish: inside single quotes only \\ and \' are escapes. */
static void
quote_fish(struct cos_buf *b, const char *v)
{
	cos_buf_puts(b, "'");
	for (; *v != '\0'; v++) {
		if (*v == '\'' || *v == '\\')
			cos_buf_puts(b, "\\");
		cos_buf_append(b, v, 1);
	}
	cos_buf_puts(b, "'");
}

/* PowerShell: a single-quoted string doubles its quotes, and PowerShell
 * also takes U+2018..U+201B as single quotes. */
static void
quote_powershell(struct cos_buf *b, const char *v)
{
	const unsigned char *u = (const unsigned char *)v;

	cos_buf_puts(b, "'");
	while (*u != '\0') {
		if (*u == '\'') {
			cos_buf_puts(b, "''");
			u++;
		} else if (u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 &&
		    u[2] <= 0x9b) {
			cos_buf_append(b, u, 3);
			cos_buf_append(b, u, 3);
			u += 3;
		} else {
			cos_buf_append(b, u, 1);
			u++;
		}
	}
	cos_buf_puts(b, "'");
}

static void
quote_json(struct cos_buf *b, const char *v)
{
	cos_buf_puts(b, "\"");
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			cos_buf_append(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			cos_buf_printf(b, "\\u%04x", c);
		} else {
			cos_buf_append(b, v, 1);
		}
	}
	cos_buf_puts(b, "\"");
}

/* docker --env-file takes the rest of the line literally, while systemd's
 * EnvironmentFile strips quotes and backslashes: only values that both
 * read the same way can be written. */
static int
check_dotenv(const char *name, const char *v, struct cos_error *err)
{
	size_t len = strlen(v), bad = strcspn(v, "\n\r'\"\\");

	if (bad < len) {
		cos_error_set(err, COS_ERR_OTHER, "cannot write %s as a dotenv "
		    "line: its value contains a %s at position %zu", name,
		    v[bad] == '\n' || v[bad] == '\r' ? "line break" :
		    v[bad] == '\\' ? "backslash" : "quote", bad + 1);
		cos_error_hint(err, "docker --env-file and systemd read such "
		    "values differently; use -o env or -o json instead.");
		return COS_ERR_OTHER;
	}
	if (len > 0 && (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' ||
	    v[len - 1] == '\t')) {
		cos_error_set(err, COS_ERR_OTHER, "cannot write %s as a dotenv "
		    "line: its value starts or ends with white space", name);
		cos_error_hint(err, "Use -o env or -o json instead.");
		return COS_ERR_OTHER;
	}
	return COS_OK;
}

static void
local_time(int64_t t, char out[20])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, 20, "unknown");
}

struct variable {
	const char *name;
	const char *value;
};

static int
render_assignments(struct cos_buf *b, enum cos_format format,
    const struct variable *vars, size_t n, const char *until,
    struct cos_error *err)
{
	size_t i;
	int status;

	switch (format) {
	case COS_FORMAT_ENV:
		cos_buf_puts(b, "# Temporary COS credentials from 'cos token'\n");
		for (i = 0; i < n; i++) {
			cos_buf_printf(b, "export %s=", vars[i].name);
			quote_posix(b, vars[i].value);
			cos_buf_puts(b, "\n");
		}
		break;
	case COS_FORMAT_FISH:
		cos_buf_puts(b, "# Temporary COS credentials from 'cos token'\n");
		for (i = 0; i < n; i++) {
			cos_buf_printf(b, "set -gx %s ", vars[i].name);
			quote_fish(b, vars[i].value);
			cos_buf_puts(b, ";\n");
		}
		break;
	case COS_FORMAT_POWERSHELL:
		cos_buf_puts(b, "# Temporary COS credentials from 'cos token'\n");
		for (i = 0; i < n; i++) {
			cos_buf_printf(b, "$Env:%s = ", vars[i].name);
			quote_powershell(b, vars[i].value);
			cos_buf_puts(b, "\n");
		}
		break;
	case COS_FORMAT_DOTENV:
		for (i = 0; i < n; i++)
			if ((status = check_dotenv(vars[i].name, vars[i].value,
			    err)) != COS_OK)
				return status;
		cos_buf_puts(b, "# Temporary COS credentials from 'cos token'\n");
		for (i = 0; i < n; i++)
			cos_buf_printf(b, "%s=%s\n", vars[i].name, vars[i].value);
		break;
	default:
		return cos_error_set(err, COS_ERR_OTHER, "not a shell format");
	}
	cos_buf_printf(b, "# Valid until: %s\n", until);
	return COS_OK;
}

static void
render_json(struct cos_buf *b, const struct cos_credentials *c,
    const char *expiration)
{
	char requested[21];

	cos_format_iso8601(c->requested_time, requested);
	cos_buf_puts(b, "{\n  \"Version\": 1,\n  \"Credentials\": {\n"
	    "    \"TmpSecretId\": ");
	quote_json(b, c->secret_id);
	cos_buf_puts(b, ",\n    \"TmpSecretKey\": ");
	quote_json(b, c->secret_key);
	cos_buf_puts(b, ",\n    \"Token\": ");
	quote_json(b, c->token);
	cos_buf_printf(b, ",\n    \"Expiration\": \"%s\"\n  },\n"
	    "  \"ExpiredTime\": %lld,\n  \"ExpiresIn\": %lld,\n"
	    "  \"RequestedTime\": \"%s\"\n}\n", expiration,
	    (long long)c->expired_time,
	    (long long)(c->expired_time - c->requested_time), requested);
}

/* Copies at most max characters of v, cleaned for the terminal, adding
 * "..." when it was cut; returns the width in characters. */
static size_t
table_cell(char *out, size_t size, const char *v, size_t max)
{
	char clean[2048];
	size_t i = 0, chars = 0;
	int cut;

	cos_clean_text(clean, sizeof(clean), v, strlen(v));
	while (clean[i] != '\0' && chars < max) {
		i++;
		while ((clean[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	cut = clean[i] != '\0';
	snprintf(out, size, "%.*s%s", (int)i, clean, cut ? "..." : "");
	cos_wipe(clean, sizeof(clean));
	return chars + (cut ? 3 : 0);
}

static void
table_rule(struct cos_buf *b, int utf8, const char *l, const char *m,
    const char *r, size_t w1, size_t w2)
{
	size_t i;

	cos_buf_puts(b, utf8 ? l : "+");
	for (i = 0; i < w1 + 2; i++)
		cos_buf_puts(b, utf8 ? "\xe2\x94\x80" : "-");
	cos_buf_puts(b, utf8 ? m : "+");
	for (i = 0; i < w2 + 2; i++)
		cos_buf_puts(b, utf8 ? "\xe2\x94\x80" : "-");
	cos_buf_puts(b, utf8 ? r : "+");
	cos_buf_puts(b, "\n");
}

static void
render_table(struct cos_buf *b, const struct cos_credentials *c,
    const char *until, int utf8)
{
	const char *bar = utf8 ? "\xe2\x94\x82" : "|";
	const char *keys[] = { "Key", "TmpSecretId", "TmpSecretKey", "Token",
		"Duration", "Expires At" };
	char cells[6][256];
	size_t widths[6], w1 = 0, w2 = 0, i;
	long duration = c->duration > 0 ? c->duration :
	    (long)(c->expired_time - c->requested_time);

	widths[0] = table_cell(cells[0], sizeof(cells[0]), "Value", 64);
	/* The table is for reading, not for copying: the id may show as
	 * much as the Python COS CLI shows, the key and token only enough to
	 * tell two sets apart. */
	widths[1] = table_cell(cells[1], sizeof(cells[1]), c->secret_id, 20);
	widths[2] = table_cell(cells[2], sizeof(cells[2]), c->secret_key, 4);
	widths[3] = table_cell(cells[3], sizeof(cells[3]), c->token, 16);
	snprintf(cells[4], sizeof(cells[4]), "%lds (%ldh %ldm)", duration,
	    duration / 3600, duration % 3600 / 60);
	widths[4] = strlen(cells[4]);
	snprintf(cells[5], sizeof(cells[5]), "%s", until);
	widths[5] = strlen(cells[5]);
	for (i = 0; i < 6; i++) {
		if (strlen(keys[i]) > w1)
			w1 = strlen(keys[i]);
		if (widths[i] > w2)
			w2 = widths[i];
	}

	table_rule(b, utf8, "\xe2\x94\x8c", "\xe2\x94\xac", "\xe2\x94\x90",
	    w1, w2);
	for (i = 0; i < 6; i++) {
		cos_buf_printf(b, "%s %-*s %s %s%*s %s\n", bar, (int)w1, keys[i],
		    bar, cells[i], (int)(w2 - widths[i]), "", bar);
		if (i == 0)
			table_rule(b, utf8, "\xe2\x94\x9c", "\xe2\x94\xbc",
			    "\xe2\x94\xa4", w1, w2);
	}
	table_rule(b, utf8, "\xe2\x94\x94", "\xe2\x94\xb4", "\xe2\x94\x98",
	    w1, w2);
	for (i = 0; i < 6; i++)
		cos_wipe(cells[i], sizeof(cells[i]));
}

int
cos_format_credentials(const struct cos_credentials *creds,
    enum cos_format format, int utf8, char **out, size_t *out_len,
    struct cos_error *err)
{
	struct cos_buf b;
	char expiration[21], until[20];
	int status = COS_OK;

	if (creds->secret_id == NULL || creds->secret_key == NULL ||
	    creds->token == NULL)
		return cos_error_set(err, COS_ERR_OTHER,
		    "only temporary credentials can be printed");
	cos_format_iso8601(creds->expired_time, expiration);
	local_time(creds->expired_time, until);
	cos_buf_init(&b, 1, 0);

	if (format == COS_FORMAT_JSON) {
		render_json(&b, creds, expiration);
	} else if (format == COS_FORMAT_TABLE) {
		render_table(&b, creds, until, utf8);
	} else {
		const struct variable vars[] = {
			{ "COS_SECRET_ID", creds->secret_id },
			{ "COS_SECRET_KEY", creds->secret_key },
			{ "COS_TOKEN", creds->token },
			{ "COS_TOKEN_EXPIRATION", expiration },
		};

		status = render_assignments(&b, format, vars, 4, until, err);
	}
	if (status != COS_OK) {
		cos_buf_free(&b);
		return status;
	}
	*out = cos_buf_take(&b, out_len);
	if (*out == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	return COS_OK;
}
