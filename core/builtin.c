/*
 * builtin.c - the parts of the `cos_token` shell builtin that bash and zsh
 * share: argument parsing, the --refresh-within decision, the --status
 * report and the long help.  Nothing here touches a shell or does I/O.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum builtin_opt {
	OPT_DURATION,
	OPT_PROFILE,
	OPT_REGION,
	OPT_BUCKET,
	OPT_PREFIX,
	OPT_READ_ONLY,
	OPT_SESSION_NAME,
	OPT_ACTION,
	OPT_APPID,
	OPT_UNSET,
	OPT_STATUS,
	OPT_REFRESH_WITHIN,
	OPT_HELP,
	OPT_COUNT
};

struct builtin_option {
	const char *long_name; /* without "--" */
	char short_name;       /* '\0' when none */
	int takes_value;
	int fetch;             /* only meaningful when fetching credentials */
};

static const struct builtin_option builtin_options[OPT_COUNT] = {
	[OPT_DURATION] = { "duration", 'd', 1, 1 },
	[OPT_PROFILE] = { "profile", '\0', 1, 1 },
	[OPT_REGION] = { "region", 'r', 1, 1 },
	[OPT_BUCKET] = { "bucket", 'b', 1, 1 },
	[OPT_PREFIX] = { "prefix", 'p', 1, 1 },
	[OPT_READ_ONLY] = { "read-only", '\0', 0, 1 },
	[OPT_SESSION_NAME] = { "session-name", '\0', 1, 1 },
	[OPT_ACTION] = { "action", '\0', 1, 1 },
	[OPT_APPID] = { "appid", '\0', 1, 1 },
	[OPT_UNSET] = { "unset", 'u', 0, 0 },
	[OPT_STATUS] = { "status", 's', 0, 0 },
	[OPT_REFRESH_WITHIN] = { "refresh-within", '\0', 1, 0 },
	[OPT_HELP] = { "help", 'h', 0, 0 },
};

const char *const cos_builtin_help[] = {
	"Get temporary Tencent Cloud credentials into the current shell.",
	"",
	"Requests credentials from STS AssumeRole with the permanent key and",
	"role of a cos profile, as `cos token` does, then sets and exports",
	"COS_SECRET_ID, COS_SECRET_KEY, COS_TOKEN and COS_TOKEN_EXPIRATION",
	"(ISO-8601 UTC).  Either all four variables change or none does.  A",
	"variable that is readonly, integer, case-converting, an array or a",
	"nameref is rejected.  Variables declared local in a calling function",
	"are set there, as `read` does.",
	"",
	"Options:",
	"  -d, --duration SECONDS   lifetime, 1800 to 43200 (default 7200)",
	"      --profile NAME       profile (default: $COS_PROFILE, else default)",
	"  -r, --region REGION      STS region (default: the profile's)",
	"  -b, --bucket BUCKET      allow only this bucket",
	"  -p, --prefix PREFIX      allow only object keys under PREFIX",
	"      --read-only          allow only read actions",
	"      --session-name NAME  role session name",
	"      --action ACTION      allow this action; repeat for more (max 32)",
	"      --appid APPID        account APPID used in the bucket's resource",
	"  -u, --unset              unset the four variables",
	"  -s, --status             show whether credentials are set, the masked",
	"                           secret ID and the time left",
	"      --refresh-within SECONDS",
	"                           fetch only when the variables are unset or",
	"                           expire within SECONDS, else return at once",
	"  -h, --help               show this help",
	"",
	"Exit status: 0 success, 1 other failure, 2 usage error, 3 rejected by",
	"the service, 4 network, TLS or timeout failure, 5 wrong passphrase,",
	"130 interrupted.",
	NULL
};

/* The state of one parse, copied to the caller's struct on success. */
struct parse {
	struct cos_builtin_args args;
	int seen[OPT_COUNT];
	int mode;       /* OPT_UNSET or OPT_STATUS when given, else -1 */
	int first_fetch; /* first fetch option given, else -1 */
	struct cos_error *err;
};

static int
usage_error(struct cos_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(struct cos_error *err, const char *fmt, ...)
{
	char message[sizeof(err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	cos_error_clear(err);
	cos_error_set(err, COS_ERR_USAGE, "%s", message);
	cos_error_hint(err, "Try 'cos_token --help'.");
	return COS_ERR_USAGE;
}

/* Parses a whole number of seconds written as plain decimal digits. */
static int
parse_seconds(const char *text, long *out)
{
	char *end;
	long v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtol(text, &end, 10);
	if (*end != '\0' || errno != 0)
		return -1;
	*out = v;
	return 0;
}

static int
apply_number(struct parse *p, enum builtin_opt id, const char *word,
    const char *value)
{
	long v;

	if (parse_seconds(value, &v) != 0)
		return usage_error(p->err,
		    "invalid value '%s' for option '%s': expected a whole "
		    "number of seconds", value, word);
	if (id == OPT_DURATION) {
		/* The core reads 0 as "the default", so reject it here.  The
		 * core checks the rest of the range. */
		if (v < COS_DURATION_MIN)
			return usage_error(p->err,
			    "Duration must be at least %d seconds, not '%s'",
			    COS_DURATION_MIN, value);
		p->args.token.duration = v;
		return COS_OK;
	}
	if (v > COS_DURATION_MAX)
		return usage_error(p->err,
		    "invalid value '%s' for option '%s': expected 0 to %d "
		    "seconds", value, word, COS_DURATION_MAX);
	p->args.refresh_within = v;
	/* A refresh may reuse a cached session, but only one that outlives
	 * the window, or every prompt would get the same expiring one. */
	p->args.token.use_cache = 1;
	p->args.token.min_left = v;
	return COS_OK;
}

static int
apply_string(struct parse *p, enum builtin_opt id, const char *word,
    const char *value)
{
	struct cos_builtin_args *a = &p->args;

	if (value[0] == '\0')
		return usage_error(p->err, "missing value for option '%s'",
		    word);
	switch (id) {
	case OPT_PROFILE:
		a->token.profile = value;
		break;
	case OPT_REGION:
		a->token.region = value;
		break;
	case OPT_BUCKET:
		a->token.bucket = value;
		break;
	case OPT_PREFIX:
		a->token.prefix = value;
		break;
	case OPT_SESSION_NAME:
		a->token.session_name = value;
		break;
	case OPT_APPID:
		a->token.appid = value;
		break;
	case OPT_ACTION:
		if (a->token.action_count == COS_BUILTIN_MAX_ACTIONS)
			return usage_error(p->err,
			    "too many '--action' options (at most %d)",
			    COS_BUILTIN_MAX_ACTIONS);
		a->actions[a->token.action_count++] = value;
		break;
	default:
		break;
	}
	return COS_OK;
}

/* Records one option.  word is the option as typed, for messages, and
 * value is NULL for a flag. */
static int
apply_option(struct parse *p, enum builtin_opt id, const char *word,
    const char *value)
{
	const struct builtin_option *o = &builtin_options[id];

	if (p->seen[id] && id != OPT_ACTION)
		return usage_error(p->err, "duplicate option '--%s'",
		    o->long_name);
	p->seen[id] = 1;
	if (o->fetch && p->first_fetch < 0)
		p->first_fetch = (int)id;
	switch (id) {
	case OPT_DURATION:
	case OPT_REFRESH_WITHIN:
		return apply_number(p, id, word, value);
	case OPT_READ_ONLY:
		p->args.token.read_only = 1;
		return COS_OK;
	case OPT_UNSET:
	case OPT_STATUS:
		if (p->mode >= 0)
			return usage_error(p->err,
			    "options '--unset' and '--status' cannot be used "
			    "together");
		p->mode = (int)id;
		if (id == OPT_UNSET)
			p->args.unset = 1;
		else
			p->args.status = 1;
		return COS_OK;
	case OPT_HELP:
		p->args.help = 1;
		return COS_OK;
	default:
		return apply_string(p, id, word, value);
	}
}

static int
find_long(const char *name, size_t len)
{
	int i;

	for (i = 0; i < OPT_COUNT; i++)
		if (strlen(builtin_options[i].long_name) == len &&
		    memcmp(builtin_options[i].long_name, name, len) == 0)
			return i;
	return -1;
}

static int
find_short(char c)
{
	int i;

	for (i = 0; i < OPT_COUNT; i++)
		if (builtin_options[i].short_name == c)
			return i;
	return -1;
}

/* Parses "--name", "--name=value" or "--name value" at argv[*i]. */
static int
parse_long(struct parse *p, int argc, char *const argv[], int *i)
{
	const char *word = argv[*i], *name = word + 2, *eq, *value = NULL;
	char shown[32];
	size_t len;
	int id;

	eq = strchr(name, '=');
	len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	id = find_long(name, len);
	if (id < 0)
		return usage_error(p->err, "unknown option '%.*s'",
		    (int)(len + 2), word);
	if (!builtin_options[id].takes_value) {
		if (eq != NULL)
			return usage_error(p->err,
			    "option '--%s' takes no value",
			    builtin_options[id].long_name);
	} else if (eq != NULL) {
		value = eq + 1;
	} else if (*i + 1 < argc) {
		value = argv[++*i];
	} else {
		return usage_error(p->err, "missing value for option '%s'",
		    word);
	}
	snprintf(shown, sizeof(shown), "--%s", builtin_options[id].long_name);
	return apply_option(p, (enum builtin_opt)id, shown, value);
}

/* Parses a cluster of short options ("-sh", "-d3600", "-d 3600"). */
static int
parse_short(struct parse *p, int argc, char *const argv[], int *i)
{
	const char *word = argv[*i], *value;
	char shown[3] = { '-', '\0', '\0' };
	size_t j;
	int id, status;

	for (j = 1; word[j] != '\0'; j++) {
		shown[1] = word[j];
		id = find_short(word[j]);
		if (id < 0)
			return usage_error(p->err, "unknown option '%s'", shown);
		value = NULL;
		if (builtin_options[id].takes_value) {
			if (word[j + 1] != '\0')
				value = word + j + 1;
			else if (*i + 1 < argc)
				value = argv[++*i];
			else
				return usage_error(p->err,
				    "missing value for option '%s'", shown);
		}
		status = apply_option(p, (enum builtin_opt)id, shown, value);
		if (status != COS_OK || value != NULL || p->args.help)
			return status;
	}
	return COS_OK;
}

/* Rejects combinations that cannot mean anything. */
static int
check_combination(struct parse *p)
{
	const char *mode;

	if (p->mode < 0)
		return COS_OK;
	mode = builtin_options[p->mode].long_name;
	if (p->first_fetch >= 0)
		return usage_error(p->err,
		    "option '--%s' cannot be used with '--%s'", mode,
		    builtin_options[p->first_fetch].long_name);
	if (p->seen[OPT_REFRESH_WITHIN])
		return usage_error(p->err,
		    "option '--%s' cannot be used with '--refresh-within'",
		    mode);
	return COS_OK;
}

int
cos_builtin_parse_args(int argc, char *const argv[],
    struct cos_builtin_args *args, struct cos_error *err)
{
	struct parse p;
	int i, status = COS_OK;

	memset(&p, 0, sizeof(p));
	p.args.refresh_within = -1;
	p.mode = -1;
	p.first_fetch = -1;
	p.err = err;
	for (i = 0; i < argc && status == COS_OK && !p.args.help; i++) {
		const char *word = argv[i];

		if (strcmp(word, "--") == 0) {
			i++;
			break;
		}
		if (word[0] == '-' && word[1] == '-')
			status = parse_long(&p, argc, argv, &i);
		else if (word[0] == '-' && word[1] != '\0')
			status = parse_short(&p, argc, argv, &i);
		else
			status = usage_error(err, "unexpected argument '%s'",
			    word);
	}
	if (status != COS_OK)
		return status;
	if (p.args.help)
		goto done;
	if (i < argc)
		return usage_error(err, "unexpected argument '%s'", argv[i]);
	status = check_combination(&p);
	if (status != COS_OK)
		return status;
done:
	*args = p.args;
	args->token.actions = args->actions;
	return COS_OK;
}

/* Reads n decimal digits at s into *out. */
static int
read_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Returns the number of days from 1970-01-01 to y-m-d in the proleptic
 * Gregorian calendar (Howard Hinnant's days_from_civil algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Parses exactly YYYY-MM-DDTHH:MM:SSZ into Unix seconds.  glibc's
 * timegm() opens /etc/localtime on first use, but this does no I/O, so the
 * --refresh-within fast path touches no file. */
static int
parse_utc(const char *s, int64_t *out)
{
	static const int month_days[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	int year, month, day, hour, minute, second;

	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (read_digits(s, 4, &year) != 0 ||
	    read_digits(s + 5, 2, &month) != 0 ||
	    read_digits(s + 8, 2, &day) != 0 ||
	    read_digits(s + 11, 2, &hour) != 0 ||
	    read_digits(s + 14, 2, &minute) != 0 ||
	    read_digits(s + 17, 2, &second) != 0)
		return -1;
	if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
	    hour > 23 || minute > 59 || second > 60)
		return -1;
	if (month == 2 && day == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return -1;
	*out = days_from_civil(year, month, day) * 86400 + hour * 3600 +
	    minute * 60 + second;
	return 0;
}

int
cos_builtin_needs_refresh(int all_set, const char *expiration, long within,
    int64_t now)
{
	int64_t expires;

	if (!all_set || expiration == NULL)
		return 1;
	if (parse_utc(expiration, &expires) != 0)
		return 1;
	if (within < 0)
		within = 0;
	/* Credentials that expire exactly `within` seconds from now are
	 * already due, so a 0 window still refreshes expired ones. */
	return expires - now <= (int64_t)within;
}

/* Writes a duration as "2h 5m", "4m 10s" or "42s". */
static void
format_span(int64_t seconds, char *out, size_t size)
{
	if (seconds >= 3600)
		snprintf(out, size, "%lldh %lldm", (long long)(seconds / 3600),
		    (long long)(seconds % 3600 / 60));
	else if (seconds >= 60)
		snprintf(out, size, "%lldm %llds", (long long)(seconds / 60),
		    (long long)(seconds % 60));
	else
		snprintf(out, size, "%llds", (long long)seconds);
}

/* Appends the "expires:" line to buf. */
static void
status_expiry(struct cos_buf *buf, const char *expiration, int64_t now,
    int *expired)
{
	char shown[64], span[48];
	int64_t expires;

	*expired = 0;
	if (expiration == NULL) {
		cos_buf_puts(buf, "  expires:   unknown "
		    "(COS_TOKEN_EXPIRATION is not set)\n");
		return;
	}
	/* The variable is the user's to set, so clean it for the terminal. */
	cos_clean_text(shown, sizeof(shown), expiration, strlen(expiration));
	if (parse_utc(expiration, &expires) != 0) {
		cos_buf_printf(buf, "  expires:   unknown (COS_TOKEN_EXPIRATION "
		    "'%s' is not a YYYY-MM-DDTHH:MM:SSZ time)\n", shown);
		return;
	}
	if (expires > now) {
		format_span(expires - now, span, sizeof(span));
		cos_buf_printf(buf, "  expires:   %s (in %s)\n", shown, span);
	} else {
		*expired = 1;
		format_span(now - expires, span, sizeof(span));
		cos_buf_printf(buf, "  expires:   %s (expired %s ago)\n", shown,
		    span);
	}
}

void
cos_builtin_status(const char *secret_id, const char *token,
    const char *expiration, int64_t now, char *out, size_t size)
{
	struct cos_buf buf;
	char masked[64], shown[64];
	const char *state;
	char *text;
	int expired = 0;

	if (size == 0)
		return;
	cos_buf_init(&buf, 0, 0);
	if (secret_id == NULL && token == NULL && expiration == NULL) {
		snprintf(out, size, "COS credentials: not set\n");
		return;
	}
	if (secret_id != NULL) {
		cos_mask_secret(secret_id, masked, sizeof(masked));
		cos_clean_text(shown, sizeof(shown), masked, strlen(masked));
		cos_buf_printf(&buf, "  secret ID: %s\n", shown);
	} else {
		cos_buf_puts(&buf, "  secret ID: not set (COS_SECRET_ID)\n");
	}
	if (token == NULL)
		cos_buf_puts(&buf, "  token:     not set (COS_TOKEN)\n");
	status_expiry(&buf, expiration, now, &expired);

	if (secret_id == NULL || token == NULL)
		state = "incomplete";
	else if (expired)
		state = "expired";
	else
		state = "set";
	text = cos_buf_take(&buf, NULL);
	snprintf(out, size, "COS credentials: %s\n%s", state,
	    text != NULL ? text : "");
	free(text);
}

int
cos_builtin_key_ttl(const char *text, long *out, struct cos_error *err)
{
	char *end;
	long v;

	if (text == NULL || text[0] == '\0') {
		*out = COS_BUILTIN_KEY_TTL_DEFAULT;
		return COS_OK;
	}
	errno = 0;
	v = strtol(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
	    v > COS_BUILTIN_KEY_TTL_MAX) {
		cos_error_set(err, COS_ERR_USAGE, "invalid COS_KEY_CACHE_SECONDS "
		    "'%s': expected a whole number of seconds from 0 to %ld",
		    text, COS_BUILTIN_KEY_TTL_MAX);
		cos_error_hint(err, "Set it to 0 to never keep the unlocked "
		    "key, or unset it for the default of %ld.",
		    COS_BUILTIN_KEY_TTL_DEFAULT);
		return COS_ERR_USAGE;
	}
	*out = v;
	return COS_OK;
}
