/*
 * cos_token.c - the `cos_token` bash loadable builtin.  It gets temporary
 * credentials through the core and sets them as exported shell variables
 * in the calling shell: no subshell, no fork, no temporary file, no eval.
 *
 * The builtin runs inside the user's interactive shell, so it never exits,
 * aborts or longjmps (bash's QUIT), and it changes either all four
 * variables or none of them.
 */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "loadables.h"

#include "cos.h"
#include "internal.h"
#include "bash_builtin.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT extern struct builtin cos_token_struct;
EXPORT int cos_token_builtin_load(char *name);
EXPORT void cos_token_builtin_unload(char *name);

#define CREDENTIAL_VARS 4
static const char *const credential_names[CREDENTIAL_VARS] = {
	"COS_SECRET_ID", "COS_SECRET_KEY", "COS_TOKEN", "COS_TOKEN_EXPIRATION"
};
enum { VAR_SECRET_ID, VAR_SECRET_KEY, VAR_TOKEN, VAR_EXPIRATION };

/* The maximum number of words cos_token accepts; more is a usage error. */
#define MAX_WORDS 256

/* One context for the shell's lifetime, so that an unlocked master key can
 * be reused by later calls.  Created by the load hook, freed (and the key
 * wiped) by the unload hook. */
static struct cos_ctx *shell_ctx;

/* ------------------------------------------------------------------ */
/* Messages                                                            */

/* Prints err the way bash reports a builtin's error and returns the exit
 * status.  An interruption prints nothing, as bash's own builtins do. */
static int
report(const struct cos_error *err)
{
	int status = err->status != 0 ? err->status : COS_ERR_OTHER;

	if (status == COS_ERR_INTERRUPTED)
		return status;
	builtin_error("%s", err->message[0] != '\0' ? err->message :
	    "failed for an unknown reason");
	if (err->code[0] != '\0' || err->request_id[0] != '\0')
		fprintf(stderr, "  Code: %s\n  RequestId: %s\n",
		    err->code[0] != '\0' ? err->code : "-",
		    err->request_id[0] != '\0' ? err->request_id : "-");
	if (err->hint[0] != '\0')
		fprintf(stderr, "%s\n", err->hint);
	fflush(stderr);
	return status == COS_ERR_USAGE ? EX_USAGE : status;
}

/* Hashes of the warnings shown so far (FNV-1a), so that a warning such as
 * "secret stored in plaintext" shows once per loaded builtin and not on
 * every prompt of a PROMPT_COMMAND loop. */
#define SHOWN_WARNINGS_MAX 64
static uint32_t shown_warnings[SHOWN_WARNINGS_MAX];
static size_t shown_warning_count;

static uint32_t
hash_line(const char *line)
{
	uint32_t h = 2166136261u;

	for (; *line != '\0'; line++) {
		h ^= (unsigned char)*line;
		h *= 16777619u;
	}
	return h;
}

/* Log callback: prints each distinct warning once, through bash's
 * builtin_warning().  The context logs only warnings. */
static void
log_line(void *userdata, enum cos_log_level level, const char *line)
{
	uint32_t h = hash_line(line);
	size_t i;

	(void)userdata;
	(void)level;
	for (i = 0; i < shown_warning_count; i++)
		if (shown_warnings[i] == h)
			return;
	if (shown_warning_count < SHOWN_WARNINGS_MAX)
		shown_warnings[shown_warning_count++] = h;
	builtin_warning("%s", line);
}

/* ------------------------------------------------------------------ */
/* Interrupts                                                          */

/* Reads only flags that bash's signal handlers set (see bash_builtin.h). */
int
shell_interrupted(void *userdata)
{
	(void)userdata;
	return interrupt_state != 0 || terminating_signal != 0 ||
	    first_pending_trap() != -1;
}

/* ------------------------------------------------------------------ */
/* The context                                                         */

static int
make_ctx(struct cos_error *err)
{
	struct cos_ctx *ctx;
	int status;

	status = cos_ctx_new(&ctx, NULL, err);
	if (status != COS_OK)
		return status;
	cos_ctx_set_log(ctx, log_line, NULL, COS_LOG_WARN);
	cos_ctx_set_interrupt(ctx, shell_interrupted, NULL);
	cos_ctx_set_passphrase(ctx, ask_passphrase, NULL);
	cos_ctx_set_key_ttl(ctx, COS_BUILTIN_KEY_TTL_DEFAULT);
	shell_ctx = ctx;
	return COS_OK;
}

/* Makes the context ready for a request: a new one when the user changed
 * COS_CONFIG_DIR or HOME since the last call (which drops a key unlocked
 * for the old store), and the key idle time from the environment. */
static int
prepare_ctx(struct cos_error *err)
{
	long ttl;
	int status;

	status = cos_builtin_key_ttl(cos_getenv("COS_KEY_CACHE_SECONDS"), &ttl,
	    err);
	if (status != COS_OK)
		return status;
	if (shell_ctx != NULL && cos_ctx_config_dir_changed(shell_ctx)) {
		cos_ctx_free(shell_ctx);
		shell_ctx = NULL;
	}
	if (shell_ctx == NULL) {
		status = make_ctx(err);
		if (status != COS_OK)
			return status;
	}
	cos_ctx_set_key_ttl(shell_ctx, ttl);
	return COS_OK;
}

/* ------------------------------------------------------------------ */
/* Shell variables                                                     */

/* Returns the value of a plain, set, non-empty scalar variable, else
 * NULL.  Arrays and namerefs count as unset. */
static const char *
scalar_value(const char *name, int need_exported)
{
	SHELL_VAR *v = find_variable_noref(name);

	if (v == NULL || invisible_p(v) || !var_isset(v) || array_p(v) ||
	    assoc_p(v) || nameref_p(v))
		return NULL;
	if (need_exported && !exported_p(v))
		return NULL;
	if (value_cell(v)[0] == '\0')
		return NULL;
	return value_cell(v);
}

/* Attributes that make bash evaluate, transform or redirect what is
 * assigned.  Assigning a server-supplied value to an integer variable
 * runs arithmetic expansion on it, which can run commands. */
static const struct {
	int attribute;
	const char *description;
} unsafe_attributes[] = {
	{ att_nameref, "a nameref (declare -n)" },
	{ att_integer, "an integer variable (declare -i)" },
	{ att_uppercase, "an uppercasing variable (declare -u)" },
	{ att_lowercase, "a lowercasing variable (declare -l)" },
	{ att_capcase, "a capitalizing variable (declare -c)" },
	{ att_array, "an indexed array (declare -a)" },
	{ att_assoc, "an associative array (declare -A)" },
};

/* Checks that name can be changed safely.  With for_unset, only readonly
 * and namerefs are rejected, since unsetting transforms nothing. */
static int
check_variable(const char *name, int for_unset, struct cos_error *err)
{
	SHELL_VAR *v = find_variable_noref(name);
	const char *verb = for_unset ? "unset" : "set";
	size_t i;

	if (v == NULL)
		return COS_OK;
	if (readonly_p(v) || noassign_p(v)) {
		cos_error_set(err, COS_ERR_OTHER, "cannot %s %s: it is %s",
		    verb, name, readonly_p(v) ? "readonly" : "not assignable");
		cos_error_hint(err, "A readonly variable stays so for the "
		    "life of the shell. Start a new shell.");
		return COS_ERR_OTHER;
	}
	for (i = 0; i < sizeof(unsafe_attributes) /
	    sizeof(unsafe_attributes[0]); i++) {
		if (!(v->attributes & unsafe_attributes[i].attribute))
			continue;
		if (for_unset && unsafe_attributes[i].attribute != att_nameref)
			continue;
		cos_error_set(err, COS_ERR_OTHER, "cannot %s %s: it is %s",
		    verb, name, unsafe_attributes[i].description);
		cos_error_hint(err, "Remove it first with 'unset %s%s' in "
		    "the scope that declared it, then run cos_token again.",
		    unsafe_attributes[i].attribute == att_nameref ? "-n " : "",
		    name);
		return COS_ERR_OTHER;
	}
	return COS_OK;
}

static int
check_all_variables(int for_unset, struct cos_error *err)
{
	int i, status;

	for (i = 0; i < CREDENTIAL_VARS; i++) {
		status = check_variable(credential_names[i], for_unset, err);
		if (status != COS_OK)
			return status;
	}
	return COS_OK;
}

/* Sets and exports one variable.  bash copies value. */
static int
set_exported(const char *name, const char *value)
{
	SHELL_VAR *v = bind_variable(name, (char *)value, 0);

	if (v == NULL)
		return -1;
	VSETATTR(v, att_exported);
	/* Without this a child started next would miss a new variable. */
	array_needs_making = 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Modes                                                                */

static int
print_help(void)
{
	size_t i;

	printf("Usage: %s\n\n", cos_token_struct.short_doc);
	for (i = 0; cos_builtin_help[i] != NULL; i++)
		printf("%s\n", cos_builtin_help[i]);
	return sh_chkwrite(EXECUTION_SUCCESS);
}

static int
show_status(void)
{
	char out[1024];

	cos_builtin_status(scalar_value("COS_SECRET_ID", 0),
	    scalar_value("COS_TOKEN", 0),
	    scalar_value("COS_TOKEN_EXPIRATION", 0), cos_now(), out,
	    sizeof(out));
	fputs(out, stdout);
	if (scalar_value("COS_SECRET_ID", 0) != NULL &&
	    scalar_value("COS_SECRET_KEY", 0) == NULL)
		fputs("  secret key: not set (COS_SECRET_KEY)\n", stdout);
	return sh_chkwrite(EXECUTION_SUCCESS);
}

static int
unset_credentials(void)
{
	struct cos_error err;
	int i;

	cos_error_clear(&err);
	if (check_all_variables(1, &err) != COS_OK)
		return report(&err);
	for (i = 0; i < CREDENTIAL_VARS; i++)
		unbind_variable(credential_names[i]);
	array_needs_making = 1;
	return EXECUTION_SUCCESS;
}

/* Returns nonzero when --refresh-within must fetch: the four variables
 * are not all set and exported, or they expire within `within` seconds. */
static int
needs_refresh(long within)
{
	int all_set = scalar_value("COS_SECRET_ID", 1) != NULL &&
	    scalar_value("COS_SECRET_KEY", 1) != NULL &&
	    scalar_value("COS_TOKEN", 1) != NULL;

	return cos_builtin_needs_refresh(all_set,
	    scalar_value("COS_TOKEN_EXPIRATION", 1), within, cos_now());
}

/* Sets the four variables from creds.  Called only after every name
 * passed check_variable(), so bind_variable() is not expected to fail. */
static int
commit_credentials(const struct cos_credentials *creds,
    struct cos_error *err)
{
	char expiration[21];
	const char *values[CREDENTIAL_VARS];
	int i;

	cos_format_iso8601(creds->expired_time, expiration);
	values[VAR_SECRET_ID] = creds->secret_id;
	values[VAR_SECRET_KEY] = creds->secret_key;
	values[VAR_TOKEN] = creds->token;
	values[VAR_EXPIRATION] = expiration;
	for (i = 0; i < CREDENTIAL_VARS; i++) {
		/* NOTE: a failure after the first assignment leaves the
		 * earlier variables changed, because bash has no rollback. */
		if (set_exported(credential_names[i], values[i]) != 0)
			return cos_error_set(err, COS_ERR_OTHER,
			    "cannot set %s", credential_names[i]);
	}
	return COS_OK;
}

static int
fetch_credentials(const struct cos_builtin_args *args)
{
	struct cos_credentials *creds = NULL;
	struct cos_error err;
	int status;

	cos_error_clear(&err);
	status = cos_token_options_validate(&args->token, &err);
	if (status != COS_OK)
		goto done;
	status = check_all_variables(0, &err);
	if (status != COS_OK)
		goto done;
	status = prepare_ctx(&err);
	if (status != COS_OK)
		goto done;

	status = cos_assume_role(shell_ctx, &args->token, &creds, &err);
	if (status != COS_OK)
		goto done;
	if (creds->secret_id == NULL || creds->secret_key == NULL ||
	    creds->token == NULL || creds->expired_time <= 0) {
		status = cos_error_set(&err, COS_ERR_SERVICE, "the service "
		    "returned incomplete credentials");
		goto done;
	}
	/* Ctrl-C that arrived after the last transfer callback still wins:
	 * commit nothing. */
	if (shell_interrupted(NULL)) {
		status = cos_error_set(&err, COS_ERR_INTERRUPTED,
		    "interrupted");
		goto done;
	}
	status = commit_credentials(creds, &err);
done:
	/* bash has its own copies now, so wipe ours. */
	cos_credentials_free(creds);
	if (status != COS_OK)
		return report(&err);
	return EXECUTION_SUCCESS;
}

/* Copies the words into argv (pointers into the list, which outlives the
 * call). */
static int
collect_words(WORD_LIST *list, char **argv, int *argc, struct cos_error *err)
{
	int n = 0;

	for (; list != NULL; list = list->next) {
		if (n == MAX_WORDS) {
			cos_error_set(err, COS_ERR_USAGE, "too many arguments "
			    "(at most %d)", MAX_WORDS);
			cos_error_hint(err, "Try 'cos_token --help'.");
			return COS_ERR_USAGE;
		}
		argv[n++] = list->word->word;
	}
	argv[n] = NULL;
	*argc = n;
	return COS_OK;
}

static int
cos_token_builtin(WORD_LIST *list)
{
	char *argv[MAX_WORDS + 1];
	struct cos_builtin_args args;
	struct cos_error err;
	int argc;

	cos_error_clear(&err);
	if (collect_words(list, argv, &argc, &err) != COS_OK ||
	    cos_builtin_parse_args(argc, argv, &args, &err) != COS_OK)
		return report(&err);
	if (args.help)
		return print_help();
	if (args.status)
		return show_status();
	if (args.unset)
		return unset_credentials();
	if (args.refresh_within >= 0 && !needs_refresh(args.refresh_within))
		return EXECUTION_SUCCESS;
	return fetch_credentials(&args);
}

/* ------------------------------------------------------------------ */
/* Load and unload hooks, called by `enable -f` and `enable -d`        */

int
cos_token_builtin_load(char *name)
{
	struct cos_error err;

	(void)name;
	cos_error_clear(&err);
	if (cos_global_init(&err) != COS_OK) {
		report(&err);
		return 0;
	}
	if (make_ctx(&err) != COS_OK) {
		report(&err);
		cos_global_cleanup();
		return 0;
	}
	return 1;
}

void
cos_token_builtin_unload(char *name)
{
	(void)name;
	/* Frees the context, which wipes a cached master key. */
	cos_ctx_free(shell_ctx);
	shell_ctx = NULL;
	cos_global_cleanup();
}

struct builtin cos_token_struct = {
	.name = "cos_token",
	.function = cos_token_builtin,
	.flags = BUILTIN_ENABLED,
	/* bash prints these lines for `help cos_token` and never changes
	 * them, so dropping const here is safe. */
	.long_doc = (char *const *)cos_builtin_help,
	.short_doc = "cos_token [-d SECONDS] [--profile NAME] [-r REGION] "
	    "[-b BUCKET] [-p PREFIX] [--read-only] [--session-name NAME] "
	    "[--action ACTION]... [--appid APPID] [--refresh-within SECONDS] "
	    "| -u | -s",
	.handle = 0,
};
