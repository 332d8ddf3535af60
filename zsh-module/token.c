/*
 * token.c - the zsh module cos/token and its builtin cos_token, which puts
 * temporary STS credentials into the parameters of the running shell with
 * no fork, no exec and no temporary file.
 *
 *   module_path+=(/path/to/build/zsh); zmodload cos/token; cos_token
 *
 * Status codes: 0 success, 1 other failure, 2 usage error, 3 rejected by
 * the service, 4 network, TLS or timeout failure, 5 wrong passphrase,
 * 130 interrupted.
 *
 * The module keeps one core context while it is loaded, so an unlocked
 * master key can stay cached between calls for COS_KEY_CACHE_SECONDS
 * (default 900, 0 disables).  Unloading wipes it.
 */
#define _GNU_SOURCE
#include <zsh/zsh.mdh>
#include <zsh/version.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zcos.h"
#include "internal.h"

/* The zsh version whose headers this module was compiled against.  Struct
 * layouts in those headers may change between zsh versions, so the module
 * fails to load into any other version.  Tests build a variant with a
 * fake version through COS_ZSH_TEST_BUILT_FOR. */
#ifdef COS_ZSH_TEST_BUILT_FOR
#define ZCOS_BUILT_FOR COS_ZSH_TEST_BUILT_FOR
#else
#define ZCOS_BUILT_FOR ZSH_VERSION
#endif

#define ZCOS_MODULE_NAME "cos/token"
#define ZCOS_USAGE "cos_token [-d SECONDS] [--profile NAME] [-r REGION] " \
	"[-b BUCKET] [-p PREFIX] [--read-only] [--session-name NAME] " \
	"[--action ACTION]... [--appid APPID] [--refresh-within SECONDS] " \
	"| -u | -s"

#define ZCOS_ENTRY __attribute__((visibility("default")))

ZCOS_ENTRY int setup_(Module m);
ZCOS_ENTRY int features_(Module m, char ***features);
ZCOS_ENTRY int enables_(Module m, int **enables);
ZCOS_ENTRY int boot_(Module m);
ZCOS_ENTRY int cleanup_(Module m);
ZCOS_ENTRY int finish_(Module m);

/* State kept between calls.  finish_() runs even after a failed setup_()
 * or boot_(), so each field records how far setup got. */
static struct {
	int global_init_done;
	struct cos_ctx *ctx;
} module_state;

/* ------------------------------------------------------------------ */
/* Reporting                                                           */

/* Prints one line as "NAM: text".  zwarnnam() expects metafied text and
 * shows unprintable characters in a visible form. */
static void
warn_text(const char *nam, const char *text)
{
	zwarnnam(nam, "%s", metafy((char *)text, -1, META_HEAPDUP));
}

/* Prints err as "NAM: message", then the service's error code and request
 * ID and the hint on lines of their own, and returns the status.  An
 * interruption prints nothing, as zsh's own builtins do. */
static int
report_error(const char *nam, const struct cos_error *err)
{
	int status = err->status != 0 ? err->status : COS_ERR_OTHER;

	if (status == COS_ERR_INTERRUPTED)
		return status;
	warn_text(nam, err->message[0] != '\0' ? err->message :
	    "failed for an unknown reason");
	if (err->code[0] != '\0' || err->request_id[0] != '\0')
		fprintf(stderr, "  Code: %s\n  RequestId: %s\n",
		    err->code[0] != '\0' ? err->code : "-",
		    err->request_id[0] != '\0' ? err->request_id : "-");
	if (err->hint[0] != '\0')
		fprintf(stderr, "%s\n", err->hint);
	fflush(stderr);
	return status;
}

static void
log_line(void *userdata, enum cos_log_level level, const char *line)
{
	(void)userdata;
	(void)level;
	zwarnnam("cos_token", "warning: %s",
	    metafy((char *)line, -1, META_HEAPDUP));
}

/* ------------------------------------------------------------------ */
/* The core context                                                    */

static int
new_ctx(struct cos_ctx **out, struct cos_error *err)
{
	struct cos_ctx *ctx;
	int status;

	status = cos_ctx_new(&ctx, NULL, err);
	if (status != COS_OK)
		return status;
	cos_ctx_set_log(ctx, log_line, NULL, COS_LOG_WARN);
	cos_ctx_set_interrupt(ctx, zcos_interrupted, NULL);
	cos_ctx_set_passphrase(ctx, zcos_read_passphrase, NULL);
	*out = ctx;
	return COS_OK;
}

/* Returns the module's context, ready for one request. */
static int
prepare_ctx(struct cos_ctx **out, struct cos_error *err)
{
	long ttl;
	int status;

	/* Read as a shell parameter, so that it need not be exported:
	 * zsh does not export a new parameter assigned in front of a
	 * builtin, as in `COS_KEY_CACHE_SECONDS=0 cos_token`. */
	status = cos_builtin_key_ttl(getsparam("COS_KEY_CACHE_SECONDS"), &ttl,
	    err);
	if (status != COS_OK)
		return status;
	if (module_state.ctx != NULL &&
	    cos_ctx_config_dir_changed(module_state.ctx)) {
		cos_ctx_free(module_state.ctx);
		module_state.ctx = NULL;
	}
	if (module_state.ctx == NULL) {
		status = new_ctx(&module_state.ctx, err);
		if (status != COS_OK)
			return status;
	}
	cos_ctx_set_key_ttl(module_state.ctx, ttl);
	*out = module_state.ctx;
	return COS_OK;
}

/* ------------------------------------------------------------------ */
/* The builtin                                                         */

/* Assigns the credentials to the four parameters, or none of them. */
static int
commit_credentials(const struct cos_credentials *creds,
    struct cos_error *err)
{
	const char *values[ZCOS_PARAM_COUNT];
	char expiration[21];

	if (creds->secret_id == NULL || creds->secret_key == NULL ||
	    creds->token == NULL || creds->expired_time <= 0)
		return cos_error_set(err, COS_ERR_SERVICE, "the service "
		    "returned incomplete credentials");
	cos_format_iso8601(creds->expired_time, expiration);
	values[ZCOS_SECRET_ID] = creds->secret_id;
	values[ZCOS_SECRET_KEY] = creds->secret_key;
	values[ZCOS_TOKEN] = creds->token;
	values[ZCOS_TOKEN_EXPIRATION] = expiration;
	return zcos_params_set(values, err);
}

/* Gets new credentials and sets the parameters.  The request runs with
 * zsh's signals queued: a trap then cannot run inside the signal handler
 * in the middle of libcurl, and zcos_interrupted() can see a queued
 * SIGINT.  The queue is released only after everything is cleaned up. */
static int
fetch_credentials(const char *nam, const struct cos_builtin_args *args)
{
	struct cos_credentials *creds = NULL;
	struct cos_ctx *ctx;
	struct cos_error err;
	int status;

	cos_error_clear(&err);
	status = cos_token_options_validate(&args->token, &err);
	if (status == COS_OK)
		status = zcos_params_check(ZCOS_CHANGE_SET, &err);
	if (status == COS_OK)
		status = prepare_ctx(&ctx, &err);
	if (status != COS_OK)
		return report_error(nam, &err);

	queue_signals();
	status = cos_assume_role(ctx, &args->token, &creds, &err);
	/* A signal may arrive after the last interrupt check inside the
	 * request, so check again: after Ctrl-C nothing is committed. */
	if (zcos_interrupted(NULL))
		status = cos_error_set(&err, COS_ERR_INTERRUPTED, "interrupted");
	if (status == COS_OK)
		status = commit_credentials(creds, &err);
	/* zsh has its own copies now, so wipe ours. */
	cos_credentials_free(creds);
	unqueue_signals();

	if (status != COS_OK)
		return report_error(nam, &err);
	return COS_OK;
}

static int
show_status(void)
{
	char *values[ZCOS_PARAM_COUNT];
	char report[1024];

	zcos_params_read(values, 0);
	cos_builtin_status(values[ZCOS_SECRET_ID], values[ZCOS_TOKEN],
	    values[ZCOS_TOKEN_EXPIRATION], cos_now(), report, sizeof(report));
	fputs(report, stdout);
	if (values[ZCOS_SECRET_ID] != NULL && values[ZCOS_SECRET_KEY] == NULL)
		fputs("  secret key: not set (COS_SECRET_KEY)\n", stdout);
	zcos_params_wipe(values);
	fflush(stdout);
	return COS_OK;
}

/* Returns nonzero when --refresh-within SECONDS requires new credentials:
 * the four parameters are not all set and exported, or they expire within
 * SECONDS.  Reads parameters only, with no I/O. */
static int
needs_refresh(long within)
{
	char *values[ZCOS_PARAM_COUNT];
	int all_set, refresh;

	zcos_params_read(values, 1);
	all_set = values[ZCOS_SECRET_ID] != NULL &&
	    values[ZCOS_SECRET_KEY] != NULL && values[ZCOS_TOKEN] != NULL;
	refresh = cos_builtin_needs_refresh(all_set,
	    values[ZCOS_TOKEN_EXPIRATION], within, cos_now());
	zcos_params_wipe(values);
	return refresh;
}

static void
show_help(void)
{
	const char *const *line;

	printf("Usage: %s\n\n", ZCOS_USAGE);
	for (line = cos_builtin_help; *line != NULL; line++)
		printf("%s\n", *line);
	fflush(stdout);
}

/* Returns argv unmetafied, as copies on zsh's heap. */
static char **
plain_words(char **argv, int *count)
{
	int n = arrlen(argv), i;
	char **words = zhalloc((size_t)(n + 1) * sizeof(char *));

	for (i = 0; i < n; i++)
		words[i] = unmetafy(dupstring(argv[i]), NULL);
	words[n] = NULL;
	*count = n;
	return words;
}

/* The handler of cos_token.  zsh parses no options for it (the builtin
 * table gives no option string), so that bash and zsh accept the same
 * long options through cos_builtin_parse_args(). */
static int
bin_cos_token(char *nam, char **argv, UNUSED(Options ops), UNUSED(int func))
{
	struct cos_builtin_args args;
	struct cos_error err;
	char **words;
	int count, status;

	cos_error_clear(&err);
	words = plain_words(argv, &count);
	status = cos_builtin_parse_args(count, words, &args, &err);
	if (status != COS_OK)
		return report_error(nam, &err);
	if (args.help) {
		show_help();
		return COS_OK;
	}
	if (args.status)
		return show_status();
	if (args.unset) {
		if (zcos_params_check(ZCOS_CHANGE_UNSET, &err) != COS_OK)
			return report_error(nam, &err);
		zcos_params_unset();
		return COS_OK;
	}
	if (args.refresh_within >= 0 && !needs_refresh(args.refresh_within))
		return COS_OK;
	return fetch_credentials(nam, &args);
}

/* ------------------------------------------------------------------ */
/* Module entry points                                                 */

static struct builtin bintab[] = {
	BUILTIN("cos_token", 0, bin_cos_token, 0, -1, 0, NULL, NULL),
};

static struct features module_features = {
	bintab, sizeof(bintab) / sizeof(*bintab),
	NULL, 0,
	NULL, 0,
	NULL, 0,
	0
};

/* Rejects a zsh other than the one the module was built for, because the
 * structs that zsh passes in would not match. */
static int
check_zsh_version(void)
{
	const char *running = getsparam("ZSH_VERSION");

	if (running != NULL && strcmp(running, ZCOS_BUILT_FOR) == 0)
		return 0;
	zwarnnam("zmodload", "%s was built for zsh %s, but this shell is "
	    "zsh %s; rebuild it with make for this zsh", ZCOS_MODULE_NAME,
	    ZCOS_BUILT_FOR, running != NULL ? running : "(unknown version)");
	return 1;
}

int
setup_(UNUSED(Module m))
{
	struct cos_error err;

	if (check_zsh_version() != 0)
		return 1;
	cos_error_clear(&err);
	if (cos_global_init(&err) != COS_OK) {
		report_error("zmodload", &err);
		return 1;
	}
	module_state.global_init_done = 1;
	return 0;
}

int
features_(Module m, char ***features)
{
	*features = featuresarray(m, &module_features);
	return 0;
}

int
enables_(Module m, int **enables)
{
	return handlefeatures(m, &module_features, enables);
}

int
boot_(UNUSED(Module m))
{
	struct cos_error err;

	cos_error_clear(&err);
	if (new_ctx(&module_state.ctx, &err) != COS_OK) {
		report_error("zmodload", &err);
		return 1;
	}
	return 0;
}

int
cleanup_(Module m)
{
	return setfeatureenables(m, &module_features, NULL);
}

int
finish_(UNUSED(Module m))
{
	/* cos_ctx_free() wipes a cached master key. */
	cos_ctx_free(module_state.ctx);
	module_state.ctx = NULL;
	if (module_state.global_init_done)
		cos_global_cleanup();
	module_state.global_init_done = 0;
	return 0;
}
