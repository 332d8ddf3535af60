/*
 * main.c - `cos`: global options, then dispatch to a command.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "banned.h"

/* Longer than any one command can take, including a passphrase prompt. */
#define CLI_KEY_TTL_SECONDS 3600

const struct cli_command cli_commands[] = {
	{ "token", cmd_token, "Get temporary credentials from STS AssumeRole",
	  "cos token [OPTIONS]", cli_token_options },
	{ "configure", cmd_configure, "Set up profiles: keys, role, region; "
	  "seal secrets",
	  "cos configure [--profile NAME]\n"
	  "       cos configure set KEY VALUE|- [--prompt] [--profile NAME]\n"
	  "       cos configure get KEY [--profile NAME]\n"
	  "       cos configure list [--profile NAME]\n"
	  "       cos configure import-token (--tmp-secret-id ID "
	  "--tmp-secret-key KEY --token TOKEN | --from-env | --json FILE) "
	  "[--profile NAME]\n"
	  "       cos configure list-profiles\n"
	  "       cos configure remove --profile NAME\n"
	  "       cos configure seal\n"
	  "       cos configure passphrase set|change|remove\n"
	  "       cos configure clear-cache [--profile NAME]",
	  cli_configure_options },
	{ "whoami", cmd_whoami, "Show the identity behind the credentials in "
	  "use", "cos whoami [OPTIONS]", cli_whoami_options },
	{ "exec", cmd_exec, "Run a command with temporary credentials in its "
	  "environment", "cos exec [OPTIONS] -- COMMAND [ARGS...]",
	  cli_exec_options },
	{ NULL, NULL, NULL, NULL, NULL }
};

static const char global_help[] =
    "Usage: cos [-v | --debug] COMMAND [OPTIONS]\n"
    "\n"
    "Turns a permanent Tencent Cloud key and a CAM role into short-lived\n"
    "STS credentials for COS.\n"
    "\n"
    "Global options:\n"
    "  -v, --verbose   log requests, retries and timings to stderr\n"
    "      --debug     also log headers (credentials redacted)\n"
    "  -h, --help      show this help\n"
    "      --version   print the version\n"
    "\n"
    "Exit status:\n"
    "  0 success, 1 other failure, 2 usage error, 3 rejected by the service,\n"
    "  4 network, TLS or timeout failure, 5 wrong passphrase, 130 interrupted;\n"
    "  cos exec: COMMAND's own status, 126 COMMAND cannot be executed,\n"
    "  127 COMMAND not found\n"
    "\n"
    "Run 'cos COMMAND --help' for the options of a command.\n";

static void
print_global_help(void)
{
	const struct cli_command *cmd;

	fputs(global_help, stdout);
	fputs("\nCommands:\n", stdout);
	for (cmd = cli_commands; cmd->name != NULL; cmd++)
		printf("  %-10s  %s\n", cmd->name, cmd->summary);
}

/* Prints every command's options, one per line, tab-separated:
 * command, long name, short name, argument, values.  Used by the tests
 * that keep --help, the man pages and the completions in agreement. */
static int
dump_options(void)
{
	const struct cli_command *cmd;
	const struct cli_option *o;

	for (cmd = cli_commands; cmd->name != NULL; cmd++) {
		for (o = cmd->options; o->long_name != NULL; o++) {
			printf("%s\t--%s\t%s\t%s\t%s\n", cmd->name, o->long_name,
			    o->short_name != 0 ? (char[]){ '-',
			    (char)o->short_name, '\0' } : "",
			    o->arg != NULL ? o->arg : "",
			    o->values != NULL ? o->values : "");
		}
	}
	return 0;
}

void
cli_restore_process(const struct cli *cli)
{
	setrlimit(RLIMIT_CORE, &cli->core_limit);
	sigaction(SIGXFSZ, &cli->xfsz, NULL);
}

const struct cli_command *
cli_find_command(const char *name)
{
	const struct cli_command *cmd;

	for (cmd = cli_commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct cli_command *cmd;
	struct cos_error err;
	struct cli cli;
	struct rlimit no_core;
	struct sigaction ignore;
	int i, status;

	memset(&cli, 0, sizeof(cli));
	/* Credentials pass through this process: never leave them in a core
	 * dump.  The hard limit stays, so that cos exec can give COMMAND the
	 * user's own limit back. */
	if (getrlimit(RLIMIT_CORE, &cli.core_limit) != 0)
		cli.core_limit.rlim_cur = cli.core_limit.rlim_max = 0;
	no_core = cli.core_limit;
	no_core.rlim_cur = 0;
	setrlimit(RLIMIT_CORE, &no_core);
	/* Past the file size limit (ulimit -f), write() then fails with EFBIG
	 * and the store reports it and keeps the old file, where SIGXFSZ
	 * would kill cos and leave a temporary file behind. */
	ignore.sa_handler = SIG_IGN;
	sigemptyset(&ignore.sa_mask);
	ignore.sa_flags = 0;
	sigaction(SIGXFSZ, &ignore, &cli.xfsz);

	cli.progname = "cos";
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0 ||
		    strcmp(argv[i], "--verbose") == 0) {
			if (cli.verbose < 1)
				cli.verbose = 1;
		} else if (strcmp(argv[i], "--debug") == 0) {
			cli.verbose = 2;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			print_global_help();
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("cos %s\n", COS_VERSION);
			return 0;
		} else {
			return cli_usage_error(NULL, "unknown option '%s'",
			    argv[i]);
		}
	}
	if (i == argc) {
		fputs(global_help, stderr);
		return COS_ERR_USAGE;
	}
	if (strcmp(argv[i], "__options") == 0)
		return dump_options();
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 < argc && (cmd = cli_find_command(argv[i + 1])) != NULL) {
			cli_print_command_help(cmd);
			return 0;
		}
		print_global_help();
		return 0;
	}
	cmd = cli_find_command(argv[i]);
	if (cmd == NULL)
		return cli_usage_error(NULL, "unknown command '%s'", argv[i]);

	cos_error_clear(&err);
	if (cos_global_init(&err) != COS_OK)
		return cli_report(&err);
	if (cos_ctx_new(&cli.ctx, NULL, &err) != COS_OK)
		return cli_report(&err);
	cos_ctx_set_log(cli.ctx, cli_log, &cli, cli.verbose >= 2 ?
	    COS_LOG_DEBUG : cli.verbose == 1 ? COS_LOG_INFO : COS_LOG_WARN);
	cos_ctx_set_passphrase(cli.ctx, cli_passphrase, &cli);
	/* A cos process runs one command, so the unlocked master key may
	 * stay for the whole run: Argon2id then runs once per process, and
	 * cos_ctx_free() wipes the key at the end. */
	cos_ctx_set_key_ttl(cli.ctx, CLI_KEY_TTL_SECONDS);

	status = cmd->run(&cli, argc - i, argv + i);

	cos_ctx_free(cli.ctx);
	cos_global_cleanup();
	if (fflush(stdout) != 0 && status == 0)
		status = cli_fail(COS_ERR_OTHER, "cannot write to stdout");
	return status;
}
