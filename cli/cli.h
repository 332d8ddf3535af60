/*
 * cli.h - shared declarations of the `cos` command: the command table, the
 * option tables that feed parsing, --help and the completion checks, and
 * the reporting module.
 */
#ifndef COS_CLI_H
#define COS_CLI_H

#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>

#include "cos.h"

/* State shared by every command. */
struct cli {
	struct cos_ctx *ctx;
	int verbose;          /* 0 quiet, 1 -v, 2 --debug */
	const char *progname; /* "cos" */
	struct rlimit core_limit; /* RLIMIT_CORE as cos found it */
	struct sigaction xfsz;    /* SIGXFSZ action as cos found it */
};

/* Gives back what main() changed for the whole process (the core dump
 * limit and SIGXFSZ), so that `cos exec` starts COMMAND as the user's
 * shell would have. */
void cli_restore_process(const struct cli *cli);

/* One option of a command.  Options are declared once, here, and feed
 * getopt_long, --help and `cos __options` (which the completion and man
 * page drift test reads). */
struct cli_option {
	const char *long_name; /* without "--" */
	int short_name;        /* 0 when none */
	const char *arg;       /* argument name for help, NULL for a flag */
	const char *help;      /* one line */
	const char *values;    /* space-separated completion values, or NULL */
	int id;                /* returned by cli_next_option() */
};

struct cli_command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;              /* one line for `cos --help` */
	const char *usage;                /* "cos token [OPTIONS]" */
	const struct cli_option *options; /* terminated by a zero entry */
};

extern const struct cli_command cli_commands[];

/* Option parsing over getopt_long.  Call cli_parse_begin() once, then
 * cli_next_option() until it returns -1.  Returns the option's id, or
 * '?' after it has reported a usage error (the caller returns 2). */
struct cli_parser {
	int argc;
	char **argv;
	const char *command;
	const struct cli_option *options;
	const char *optarg;
	int optind;
	void *state; /* getopt_long tables */
};

void cli_parse_begin(struct cli_parser *p, const char *command, int argc,
    char **argv, const struct cli_option *options);
int cli_next_option(struct cli_parser *p);
void cli_parse_end(struct cli_parser *p);

/* Prints the help of a command (usage line, options) to stdout. */
void cli_print_command_help(const struct cli_command *cmd);
/* Finds a command by name; NULL when unknown. */
const struct cli_command *cli_find_command(const char *name);

/* Parses a whole number in [min, max] for option name.  Reports a usage
 * error and returns 2 when it is not one. */
int cli_parse_long(const char *command, const char *name, const char *text,
    long min, long max, long *out);

/* ------------------------------------------------------------------ */
/* Reporting: everything for the user goes to stderr through here.      */

/* Prints "Error: <message>", then the service code and request id when
 * present, then the hint.  Returns err->status. */
int cli_report(const struct cos_error *err);
/* Prints "Error: <formatted>" and returns status. */
int cli_fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints "Error: <formatted>" and "Try 'cos COMMAND --help'." and
 * returns COS_ERR_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints "Warning: <formatted>". */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log callback for the core: prints warnings always and info or debug
 * lines when enabled, prefixed "cos: ". */
void cli_log(void *userdata, enum cos_log_level level, const char *line);

/* Writes all of data to fd, retrying on EINTR.  Returns 0 or -1. */
int cli_write_all(int fd, const void *data, size_t len);

/* Reads a line from /dev/tty with echo off after writing prompt to
 * /dev/tty.  Fails with a clear error when there is no terminal. */
int cli_read_secret_tty(const char *prompt, char *buf, size_t size,
    const char *no_terminal_hint, struct cos_error *err);
/* Passphrase callback for the core: COS_PASSPHRASE_FILE is handled in the
 * core; this prompts on the terminal. */
int cli_passphrase(void *userdata, const char *prompt, char *buf,
    size_t size, struct cos_error *err);

/* ------------------------------------------------------------------ */
/* Options that shape an AssumeRole session, shared by token and exec.  */

/* Option ids of the shared options.  A command numbers its own options
 * from CLI_OPT_OWN. */
enum cli_session_option {
	CLI_OPT_DURATION = 1, CLI_OPT_PROFILE, CLI_OPT_REGION,
	CLI_OPT_SESSION_NAME, CLI_OPT_BUCKET, CLI_OPT_PREFIX, CLI_OPT_READ_ONLY,
	CLI_OPT_ACTION, CLI_OPT_APPID, CLI_OPT_OWN
};

#define CLI_REGIONS "ap-beijing ap-chengdu ap-chongqing ap-guangzhou " \
	"ap-hongkong ap-nanjing ap-shanghai ap-singapore ap-tokyo " \
	"eu-frankfurt na-ashburn na-siliconvalley"

#define CLI_OPTION_PROFILE \
	{ "profile", 0, "NAME", "profile to use (default $COS_PROFILE, else " \
	  "default)", NULL, CLI_OPT_PROFILE }
#define CLI_OPTION_REGION \
	{ "region", 'r', "REGION", "region sent as X-TC-Region (default " \
	  "$COS_REGION, the profile's region, else ap-shanghai)", CLI_REGIONS, \
	  CLI_OPT_REGION }

/* The entries of an option table for every session option. */
#define CLI_SESSION_OPTIONS \
	{ "duration", 'd', "SECONDS", "lifetime of the credentials, 1800 " \
	  "to 43200 seconds (default 7200)", "1800 3600 7200 43200", \
	  CLI_OPT_DURATION }, \
	CLI_OPTION_PROFILE, \
	CLI_OPTION_REGION, \
	{ "session-name", 0, "NAME", "RoleSessionName, 2 to 128 of " \
	  "[A-Za-z0-9_+=,.@-] (default cos-<user>)", NULL, \
	  CLI_OPT_SESSION_NAME }, \
	{ "bucket", 'b', "BUCKET", "scope the credentials to a bucket " \
	  "(name-APPID, or cos://name-APPID/prefix)", NULL, CLI_OPT_BUCKET }, \
	{ "prefix", 'p', "PREFIX", "scope the credentials to keys under " \
	  "PREFIX (needs --bucket)", NULL, CLI_OPT_PREFIX }, \
	{ "read-only", 0, NULL, "allow only reading actions", NULL, \
	  CLI_OPT_READ_ONLY }, \
	{ "action", 0, "ACTION", "allow this COS action, such as GetObject " \
	  "(repeatable; replaces the default list)", "GetObject HeadObject " \
	  "GetBucket PutObject DeleteObject", CLI_OPT_ACTION }, \
	{ "appid", 0, "APPID", "APPID for the policy (default: the " \
	  "bucket's numeric suffix)", NULL, CLI_OPT_APPID }

#define CLI_MAX_ACTIONS 32

/* The session options of one command line.  opts.actions points into
 * this struct, so it must not be copied. */
struct cli_session_args {
	struct cos_token_options opts;
	const char *actions[CLI_MAX_ACTIONS];
	const char *duration_text;
	const char *shaping_option; /* first option given that shapes the
				     * session itself, e.g. "--read-only" */
};

void cli_session_args_init(struct cli_session_args *args);
/* Applies option id with its argument.  Returns 0 when applied,
 * COS_ERR_USAGE after reporting a usage error, or -1 when id is not a
 * session option. */
int cli_session_args_apply(const char *command, struct cli_session_args *args,
    int id, const char *arg);
/* Checks what needs the whole command line (the duration) and fills
 * args->opts.  Returns 0, or COS_ERR_USAGE after reporting. */
int cli_session_args_finish(const char *command,
    struct cli_session_args *args);

/* Stores the value of an option that may be given once: 0, or
 * COS_ERR_USAGE after reporting a duplicate. */
int cli_set_once(const char *command, const char **slot, const char *value,
    const char *name);

/* Commands. */
int cmd_token(struct cli *cli, int argc, char **argv);
int cmd_configure(struct cli *cli, int argc, char **argv);
int cmd_whoami(struct cli *cli, int argc, char **argv);
int cmd_exec(struct cli *cli, int argc, char **argv);

/* Option tables, defined next to each command. */
extern const struct cli_option cli_token_options[];
extern const struct cli_option cli_configure_options[];
extern const struct cli_option cli_whoami_options[];
extern const struct cli_option cli_exec_options[];

#endif /* COS_CLI_H */
