/*
 * msg.c - the reporting module of `cos`: every message for the user goes
 * to stderr through these functions, with fixed prefixes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

static void
vreport(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
    struct cos_error *err)
{
	struct termios saved, quiet;
	size_t len = 0;
	int fd, echo_off = 0, status = COS_OK;
	char c;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		cos_error_clear(err);
		err->status = COS_ERR_USAGE;
		snprintf(err->message, sizeof(err->message),
		    "no terminal to ask for %s on", prompt);
		snprintf(err->hint, sizeof(err->hint),
		    "Set COS_PASSPHRASE_FILE, or pass the value on stdin.");
		return COS_ERR_USAGE;
	}
	if (tcgetattr(fd, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			echo_off = 1;
	}
	cli_write_all(fd, prompt, strlen(prompt));
	cli_write_all(fd, ": ", 2);
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR) {
			status = COS_ERR_INTERRUPTED;
			break;
		}
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (len + 1 < size)
			buf[len++] = c;
		else
			status = COS_ERR_USAGE;
	}
	c = 0;
	buf[len] = '\0';
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &saved);
	cli_write_all(fd, "\n", 1);
	close(fd);
	if (status != COS_OK) {
		cos_wipe(buf, size);
		cos_error_clear(err);
		err->status = status;
		snprintf(err->message, sizeof(err->message), status ==
		    COS_ERR_INTERRUPTED ? "interrupted while reading %s" :
		    "%s is longer than %zu bytes", prompt, size - 1);
	}
	return status;
}

int
cli_passphrase(void *userdata, const char *prompt, char *buf, size_t size,
    struct cos_error *err)
{
	(void)userdata;
	return cli_read_secret_tty(prompt, buf, size, err);
}
