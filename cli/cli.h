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
    struct cos_error *err);
/* Passphrase callback for the core: COS_PASSPHRASE_FILE is handled in the
 * core; this prompts on the terminal. */
int cli_passphrase(void *userdata, const char *prompt, char *buf,
    size_t size, struct cos_error *err);

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
