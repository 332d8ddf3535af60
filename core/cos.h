/*
 * cos.h - the cos core library: TC3 signing, the STS client, the sealed
 * profile store, credential precedence and output formats.
 *
 * The library runs inside the user's bash and zsh (through the builtins), so
 * it never prints, never reads stdin and never exits.  Every fallible call
 * returns an enum cos_status and, on failure, fills a struct cos_error that
 * the caller owns.  Out-parameters are written only on success.
 *
 * Secrets (secret keys, tokens, passphrases, master keys) live in memory from
 * cos_secret_alloc() and are released with cos_secret_free(), which wipes
 * them.  No secret is ever copied into a struct cos_error.
 */
#ifndef COS_H
#define COS_H

#include <stddef.h>
#include <stdint.h>

#define COS_VERSION "0.1.0"

/* Status codes; they double as the exit codes of `cos` and the return
 * status of the `cos_token` builtin. */
enum cos_status {
	COS_OK = 0,
	COS_ERR_OTHER = 1,        /* anything not listed below */
	COS_ERR_USAGE = 2,        /* bad option, argument or value */
	COS_ERR_SERVICE = 3,      /* the service rejected the request or key */
	COS_ERR_NETWORK = 4,      /* network, TLS or timeout failure */
	COS_ERR_PASSPHRASE = 5,   /* wrong passphrase for the master key */
	COS_ERR_INTERRUPTED = 130 /* interrupted by the user (128 + SIGINT) */
};

/* A failure report.  message describes what failed and on which value, and
 * hint gives the next step.  Both are single lines of printable text with
 * control characters (newlines too) replaced by '?', never a secret. */
struct cos_error {
	int status;
	char message[768];
	char hint[512];
	char code[128];       /* service error code, e.g. AuthFailure.SignatureFailure */
	char request_id[128]; /* service RequestId, when the service responded */
};

/* Clears *err.  Front ends call it before reusing a struct cos_error. */
void cos_error_clear(struct cos_error *err);
/* Fills err (status, message) and returns status.  The message is cleaned
 * of control characters.  err may be NULL. */
int cos_error_set(struct cos_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copies src into dst (size bytes), replacing control characters and
 * invalid UTF-8 with '?', so that text from a server or a file is safe on
 * a terminal.  Always NUL-terminates when size > 0. */
void cos_clean_text(char *dst, size_t size, const char *src, size_t len);

/* Sets the "what to do next" line of err. */
void cos_error_hint(struct cos_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* Process-wide setup                                                  */

/* Initializes libsodium and libcurl.  Call once per process (the builtins
 * call it from their load hook).  Not thread-safe, like curl_global_init. */
int cos_global_init(struct cos_error *err);
/* Releases what cos_global_init() acquired. */
void cos_global_cleanup(void);

/* ------------------------------------------------------------------ */
/* Secret memory                                                       */

/* Allocates size bytes of guarded, locked, zero-filled memory (libsodium
 * sodium_malloc).  Returns NULL when out of memory. */
void *cos_secret_alloc(size_t size);
/* Copies len bytes of src into new secret memory and adds a NUL. */
char *cos_secret_strndup(const char *src, size_t len);
char *cos_secret_strdup(const char *src);
/* Wipes and frees memory from cos_secret_alloc(); NULL is accepted. */
void cos_secret_free(void *ptr);
/* Wipes len bytes at ptr (a wipe the compiler cannot drop). */
void cos_wipe(void *ptr, size_t len);

/* ------------------------------------------------------------------ */
/* Context: configuration directory, callbacks, the unlocked master key */

struct cos_ctx;

enum cos_log_level {
	COS_LOG_WARN = 0,  /* always shown: plaintext secret on disk, and the like */
	COS_LOG_INFO = 1,  /* -v: request line, retries, timings */
	COS_LOG_DEBUG = 2  /* --debug: headers (Authorization redacted) */
};

/* Receives one line of text with no trailing newline.  The text never contains
 * a secret.  The front end decides where it goes (stderr for the CLI). */
typedef void (*cos_log_fn)(void *userdata, enum cos_log_level level,
    const char *line);

/* Returns nonzero when the user asked to stop (Ctrl-C).  Polled at least
 * once a second during network I/O; must not block or longjmp. */
typedef int (*cos_interrupt_fn)(void *userdata);

/* Reads a passphrase into buf (size bytes, NUL-terminated on success)
 * after showing prompt.  Returns COS_OK, or a status with err filled. */
typedef int (*cos_passphrase_fn)(void *userdata, const char *prompt,
    char *buf, size_t size, struct cos_error *err);

/* Creates a context.  config_dir NULL means $COS_CONFIG_DIR, else ~/.cos.
 * The directory need not exist yet. */
int cos_ctx_new(struct cos_ctx **out, const char *config_dir,
    struct cos_error *err);
/* Frees the context and wipes any cached master key; NULL is accepted. */
void cos_ctx_free(struct cos_ctx *ctx);

void cos_ctx_set_log(struct cos_ctx *ctx, cos_log_fn fn, void *userdata,
    enum cos_log_level max_level);
void cos_ctx_set_interrupt(struct cos_ctx *ctx, cos_interrupt_fn fn,
    void *userdata);
void cos_ctx_set_passphrase(struct cos_ctx *ctx, cos_passphrase_fn fn,
    void *userdata);
/* How long an unlocked master key stays cached in the context after its
 * last use, in seconds.  0 (the default) wipes it after every operation. */
void cos_ctx_set_key_ttl(struct cos_ctx *ctx, long seconds);
/* Wipes the cached master key now. */
void cos_ctx_forget_key(struct cos_ctx *ctx);
/* Returns the configuration directory in use (owned by the context). */
const char *cos_ctx_config_dir(const struct cos_ctx *ctx);
/* Current time in Unix seconds.  Test builds honour COS_TEST_NOW. */
int64_t cos_now(void);

/* Internal to the core, exposed for its modules: logs one formatted line
 * through the context's log callback when level is enabled. */
void cos_log(struct cos_ctx *ctx, enum cos_log_level level, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* Internal: returns nonzero when the context's interrupt callback fires. */
int cos_ctx_interrupted(struct cos_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Credentials                                                         */

enum cos_source {
	COS_SOURCE_NONE = 0,
	COS_SOURCE_ENV_TOKEN,      /* COS_SECRET_ID/KEY/TOKEN in the environment */
	COS_SOURCE_IMPORTED_TOKEN, /* a token imported into the profile */
	COS_SOURCE_ASSUME_ROLE,    /* fresh from STS AssumeRole */
	COS_SOURCE_CACHE,          /* a cached AssumeRole session */
	COS_SOURCE_PERMANENT_KEY   /* the profile's or environment's permanent key */
};

/* Returns a short English name for a source, e.g. "assume role". */
const char *cos_source_name(enum cos_source source);

struct cos_credentials {
	char *secret_id;          /* secret memory */
	char *secret_key;         /* secret memory */
	char *token;              /* secret memory; NULL for a permanent key */
	int64_t expired_time;     /* Unix seconds from the service; 0 = unknown */
	int64_t requested_time;   /* Unix seconds when they were requested */
	long duration;            /* requested lifetime in seconds; 0 = unknown */
	enum cos_source source;
	char request_id[128];
};

/* Allocates an empty credentials struct; NULL when out of memory. */
struct cos_credentials *cos_credentials_new(void);
/* Wipes and frees; NULL is accepted. */
void cos_credentials_free(struct cos_credentials *creds);

/* ------------------------------------------------------------------ */
/* Token requests                                                      */

#define COS_DURATION_MIN 1800
#define COS_DURATION_MAX 43200
#define COS_DURATION_DEFAULT 7200
#define COS_DEFAULT_REGION "ap-shanghai"
#define COS_DEFAULT_ENDPOINT "https://sts.tencentcloudapi.com"

struct cos_token_options {
	const char *profile;      /* NULL: $COS_PROFILE, else "default" */
	const char *region;       /* NULL: $COS_REGION, profile, COS_DEFAULT_REGION */
	long duration;            /* 0: COS_DURATION_DEFAULT */
	const char *session_name; /* NULL: profile's session_name, else user name */
	const char *bucket;       /* scoping: "name-appid" or "cos://bucket/prefix" */
	const char *prefix;
	const char *appid;
	int read_only;
	const char *const *actions; /* "GetObject" or "name/cos:GetObject" */
	size_t action_count;
	int use_cache;            /* reuse a cached session when one fits */
	long min_left;            /* with use_cache: the minimum seconds a
				   * reused session must have left (the
				   * cache margin when that is larger) */
};

/* Checks the options without any I/O: duration range, names, scoping.
 * Returns COS_ERR_USAGE with a message such as "Duration must be at least
 * 1800 seconds". */
int cos_token_options_validate(const struct cos_token_options *opts,
    struct cos_error *err);

/* Gets temporary credentials through STS AssumeRole with the permanent key
 * and role that the settings resolve to (precedence steps 3 and 4: an
 * environment token or an imported token is never used to sign).  On
 * success *out owns new credentials. */
int cos_assume_role(struct cos_ctx *ctx, const struct cos_token_options *opts,
    struct cos_credentials **out, struct cos_error *err);

/* Picks credentials by the precedence rules: 1. COS_TOKEN in the
 * environment, 2. a token imported into the profile, 3. AssumeRole with the
 * profile's role (cached when opts->use_cache), 4. the permanent key. */
int cos_resolve_credentials(struct cos_ctx *ctx,
    const struct cos_token_options *opts, struct cos_credentials **out,
    struct cos_error *err);

struct cos_identity {
	char account_id[64];
	char arn[512];
	char user_id[256];
	char principal_id[128];
	char type[64];
	char request_id[128];
};

/* Calls STS GetCallerIdentity with creds (signed with X-TC-Token when
 * creds->token is set). */
int cos_get_caller_identity(struct cos_ctx *ctx,
    const struct cos_token_options *opts, const struct cos_credentials *creds,
    struct cos_identity *out, struct cos_error *err);

/* ------------------------------------------------------------------ */
/* Settings: resolved values with where each came from                 */

enum cos_origin {
	COS_ORIGIN_UNSET = 0,
	COS_ORIGIN_DEFAULT,
	COS_ORIGIN_ENV,
	COS_ORIGIN_CONFIG,       /* ~/.cos/config */
	COS_ORIGIN_CREDENTIALS,  /* ~/.cos/credentials */
	COS_ORIGIN_OPTION        /* a command-line option */
};

const char *cos_origin_name(enum cos_origin origin);

/* Profile keys that `cos configure set` accepts, NULL-terminated. */
extern const char *const cos_profile_keys[];
/* Returns nonzero when key names a secret (secret_id, secret_key, token). */
int cos_key_is_secret(const char *key);

/* Returns the environment variable that overrides a profile key
 * (secret_id -> COS_SECRET_ID, region -> COS_REGION, ...), or NULL for a
 * key that no variable overrides. */
const char *cos_key_env_name(const char *key);

/* Works out, without any network request, which credential source
 * cos_resolve_credentials() would use for profile (NULL: the default
 * profile).  COS_SOURCE_NONE when nothing usable is configured. */
int cos_resolve_source(struct cos_ctx *ctx, const char *profile,
    enum cos_source *out, struct cos_error *err);

/* Checks a profile name: letters, digits, '-', '_', '.', 1-64 bytes. */
int cos_profile_name_validate(const char *name, struct cos_error *err);
/* Returns the profile to use: name if not NULL, else $COS_PROFILE, else
 * "default".  The result is owned by the caller's storage or the
 * environment; do not free it. */
const char *cos_profile_choose(const char *name);

/* ------------------------------------------------------------------ */
/* Profile store (~/.cos/config and ~/.cos/credentials)                 */

/* Reads KEY of PROFILE from the files (not the environment).  On success
 * *value is NULL when the key is absent, else a NUL-terminated string in
 * secret memory (free with cos_secret_free), and *origin names the file
 * that contained it.  Sealed values are opened here (which may ask for the
 * passphrase through the context). */
int cos_store_get(struct cos_ctx *ctx, const char *profile, const char *key,
    char **value, enum cos_origin *origin, struct cos_error *err);

/* Writes KEY = VALUE into PROFILE, sealing secrets, atomically and under
 * the store lock.  VALUE NULL removes the key. */
int cos_store_set(struct cos_ctx *ctx, const char *profile, const char *key,
    const char *value, struct cos_error *err);

/* Lists profile names found in either file.  *names is a NULL-terminated
 * array that cos_strv_free() releases. */
int cos_store_list_profiles(struct cos_ctx *ctx, char ***names,
    struct cos_error *err);
void cos_strv_free(char **strv);

/* Removes PROFILE from both files. */
int cos_store_remove_profile(struct cos_ctx *ctx, const char *profile,
    struct cos_error *err);

/* Stores temporary credentials (secret_id, secret_key, token and, when
 * known, token_expiration) into PROFILE in one atomic write. */
int cos_store_import_token(struct cos_ctx *ctx, const char *profile,
    const struct cos_credentials *creds, struct cos_error *err);

/* Seals every plaintext secret in the credentials file in place. */
int cos_store_seal(struct cos_ctx *ctx, struct cos_error *err);

/* Master-key passphrase: set (none yet), change, remove. */
int cos_store_passphrase_set(struct cos_ctx *ctx, struct cos_error *err);
int cos_store_passphrase_change(struct cos_ctx *ctx, struct cos_error *err);
int cos_store_passphrase_remove(struct cos_ctx *ctx, struct cos_error *err);

/* ------------------------------------------------------------------ */
/* Output formats                                                      */

enum cos_format {
	COS_FORMAT_TABLE,
	COS_FORMAT_ENV,
	COS_FORMAT_JSON,
	COS_FORMAT_FISH,
	COS_FORMAT_POWERSHELL,
	COS_FORMAT_DOTENV
};

/* Parses a format name ("table", "env", ...).  COS_ERR_USAGE on others. */
int cos_format_parse(const char *name, enum cos_format *out,
    struct cos_error *err);
/* Names of all formats, NULL-terminated, in help order. */
extern const char *const cos_format_names[];

/* Renders creds in format into a new NUL-terminated string in secret
 * memory (*out, free with cos_secret_free) of *out_len bytes.  utf8 selects
 * box-drawing characters for the table.  Fails (COS_ERR_OTHER) when a value
 * cannot be represented, e.g. a newline in dotenv. */
int cos_format_credentials(const struct cos_credentials *creds,
    enum cos_format format, int utf8, char **out, size_t *out_len,
    struct cos_error *err);


/* ------------------------------------------------------------------ */
/* Terminal input for the front ends                                   */

/* Reads a secret line from /dev/tty with echo off, after writing prompt
 * and ": " there.  SIGINT, SIGHUP, SIGQUIT and SIGTERM end the prompt with
 * COS_ERR_INTERRUPTED: each is caught while echo is off and sent again
 * once the terminal is restored.  interrupted (NULL allowed) is polled
 * for an interrupt that the caller's shell has already noted.  Without a
 * terminal it fails with COS_ERR_USAGE and no_terminal_hint as the hint.
 * buf is wiped on failure. */
int cos_tty_read_secret(const char *prompt, char *buf, size_t size,
    cos_interrupt_fn interrupted, void *userdata,
    const char *no_terminal_hint, struct cos_error *err);
/* The same with echo left on when echo is nonzero, for values that are
 * not secret. */
int cos_tty_read_line(const char *prompt, int echo, char *buf, size_t size,
    cos_interrupt_fn interrupted, void *userdata,
    const char *no_terminal_hint, struct cos_error *err);

/* ------------------------------------------------------------------ */
/* Support shared by the bash builtin and the zsh module               */

/* Writes a masked form of a secret (first 4 and last 4 characters around
 * "****", or "****" alone for values shorter than 12) into out. */
void cos_mask_secret(const char *value, char *out, size_t size);

#define COS_BUILTIN_MAX_ACTIONS 32

/* The arguments of `cos_token`, parsed once for both shells. */
struct cos_builtin_args {
	struct cos_token_options token;
	const char *actions[COS_BUILTIN_MAX_ACTIONS];
	int unset;               /* -u, --unset */
	int status;              /* -s, --status */
	long refresh_within;     /* --refresh-within SECONDS; -1 when absent */
	int help;                /* -h, --help */
};

/* Parses the words after the builtin's name: -d/--duration SECONDS,
 * --profile NAME, -r/--region REGION, -b/--bucket BUCKET, -p/--prefix
 * PREFIX, --read-only, --session-name NAME, --action ACTION (repeatable),
 * --appid APPID, -u/--unset, -s/--status, --refresh-within SECONDS,
 * -h/--help.  Pointers in *args point into argv.  Returns COS_ERR_USAGE
 * with a message naming the bad word. */
int cos_builtin_parse_args(int argc, char *const argv[],
    struct cos_builtin_args *args, struct cos_error *err);

/* Returns nonzero when --refresh-within must fetch new credentials: when
 * any of the three credential variables is unset (all_set == 0), or the
 * expiration (ISO-8601 UTC, NULL when unset) is missing, unparsable or
 * at most within seconds after now.  Does no I/O. */
int cos_builtin_needs_refresh(int all_set, const char *expiration,
    long within, int64_t now);

/* Writes the --status report into out: whether credentials are set, the
 * masked secret id and the time left.  Never a secret. */
void cos_builtin_status(const char *secret_id, const char *token,
    const char *expiration, int64_t now, char *out, size_t size);

/* How long the builtins keep an unlocked master key after its last use,
 * by default and at most (COS_KEY_CACHE_SECONDS), in seconds. */
#define COS_BUILTIN_KEY_TTL_DEFAULT 900L
#define COS_BUILTIN_KEY_TTL_MAX 86400L

/* Parses a COS_KEY_CACHE_SECONDS value into *out: NULL or empty gives
 * COS_BUILTIN_KEY_TTL_DEFAULT.  COS_ERR_USAGE for anything but a whole
 * number of seconds from 0 to COS_BUILTIN_KEY_TTL_MAX. */
int cos_builtin_key_ttl(const char *text, long *out, struct cos_error *err);

/* Returns nonzero when COS_CONFIG_DIR, else HOME, now names another
 * configuration directory than the one ctx was made for (by the rule of
 * cos_ctx_new).  A long-lived front end then makes a new context, because
 * a cached master key belongs to one store.  An unset HOME changes
 * nothing. */
int cos_ctx_config_dir_changed(const struct cos_ctx *ctx);

/* The long help of the builtin, NULL-terminated lines without newlines. */
extern const char *const cos_builtin_help[];

/* ------------------------------------------------------------------ */
/* Session cache (DIR/cache): AssumeRole sessions reused while they last */

/* Seconds of a cached session's lifetime that must be left for reuse,
 * unless COS_CACHE_MARGIN or the profile key cache_margin sets another. */
#define COS_CACHE_MARGIN_DEFAULT 300

/* Works out the reuse margin for profile (NULL: the default profile):
 * $COS_CACHE_MARGIN, else the profile's cache_margin, else
 * COS_CACHE_MARGIN_DEFAULT.  COS_ERR_USAGE when the value is not a whole
 * number of seconds from 0 to COS_DURATION_MAX. */
int cos_cache_margin(struct cos_ctx *ctx, const char *profile, long *out,
    struct cos_error *err);

/* Removes cached sessions: every one when profile is NULL, else those of
 * profile.  Each entry is removed under its lock.  *removed (NULL
 * allowed) gets the number of sessions removed.  A missing cache
 * directory is not an error. */
int cos_cache_clear(struct cos_ctx *ctx, const char *profile,
    size_t *removed, struct cos_error *err);

#endif /* COS_H */
