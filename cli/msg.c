/*
 * msg.c - the reporting module of `cos`: every message for the user goes
 * to stderr through these functions, with fixed prefixes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

/* Prints one message line.  Arguments often come from the command line,
 * so the text is cut to a bounded length and cleaned of control
 * characters (an escape sequence in argv must not reach the terminal). */
static void
vreport(const char *prefix, const char *fmt, va_list ap)
{
	char raw[1024], clean[1024];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	cos_clean_text(clean, sizeof(clean), raw, strlen(raw));
	fflush(stdout);
	fprintf(stderr, "%s%s\n", prefix, clean);
}

int
cli_report(const struct cos_error *err)
{
	fflush(stdout);
	fprintf(stderr, "Error: %s\n", err->message[0] != '\0' ?
	    err->message : "unknown failure");
	if (err->code[0] != '\0' || err->request_id[0] != '\0')
		fprintf(stderr, "  Code: %s\n  RequestId: %s\n",
		    err->code[0] != '\0' ? err->code : "-",
		    err->request_id[0] != '\0' ? err->request_id : "-");
	if (err->hint[0] != '\0')
		fprintf(stderr, "%s\n", err->hint);
	return err->status != 0 ? err->status : COS_ERR_OTHER;
}

int
cli_fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("Error: ", fmt, ap);
	va_end(ap);
	return status;
}

int
cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("Error: ", fmt, ap);
	va_end(ap);
	if (command != NULL)
		fprintf(stderr, "Try 'cos %s --help'.\n", command);
	else
		fputs("Try 'cos --help'.\n", stderr);
	return COS_ERR_USAGE;
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("Warning: ", fmt, ap);
	va_end(ap);
}

void
cli_log(void *userdata, enum cos_log_level level, const char *line)
{
	(void)userdata;
	if (level == COS_LOG_WARN)
		fprintf(stderr, "Warning: %s\n", line);
	else
		fprintf(stderr, "cos: %s\n", line);
}

int
cli_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cli_read_secret_tty(const char *prompt, char *buf, size_t size,
    const char *no_terminal_hint, struct cos_error *err)
{
	return cos_tty_read_secret(prompt, buf, size, NULL, NULL,
	    no_terminal_hint, err);
}

int
cli_passphrase(void *userdata, const char *prompt, char *buf, size_t size,
    struct cos_error *err)
{
	(void)userdata;
	return cli_read_secret_tty(prompt, buf, size, "Set COS_PASSPHRASE_FILE "
	    "to a file whose first line is the passphrase.", err);
}
