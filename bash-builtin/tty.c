/*
 * tty.c - the passphrase prompt of the `cos_token` bash builtin.
 *
 * The prompt turns terminal echo off, so a signal must never end the shell
 * while echo is off.  Interactive bash and a trap install handlers that
 * only set flags and do not restart read(), so the read returns EINTR and
 * the prompt ends with status 130.  Where a signal still has its default
 * action (a script without a trap), the prompt catches it, restores the
 * terminal, and then raises it again, so the shell ends as it would have
 * without the prompt.
 */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "loadables.h"

#include "cos.h"
#include "internal.h"
#include "bash_builtin.h"

/* How long the prompt waits for input between checks for a signal. */
#define PROMPT_POLL_MS 200

static const int prompt_signals[] = { SIGINT, SIGHUP, SIGQUIT, SIGTERM };
#define PROMPT_SIGNAL_COUNT \
	(sizeof(prompt_signals) / sizeof(prompt_signals[0]))

/* The default-action signal caught during the prompt, else 0. */
static volatile sig_atomic_t caught_signal;

static void
catch_signal(int sig)
{
	caught_signal = sig;
}

/* Installs catch_signal() for each prompt signal whose action is the
 * default one.  replaced[i] records which ones. */
static void
catch_default_signals(struct sigaction saved[PROMPT_SIGNAL_COUNT],
    int replaced[PROMPT_SIGNAL_COUNT])
{
	struct sigaction sa;
	size_t i;

	caught_signal = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = catch_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART, so read() returns EINTR */
	for (i = 0; i < PROMPT_SIGNAL_COUNT; i++) {
		replaced[i] = 0;
		if (sigaction(prompt_signals[i], NULL, &saved[i]) != 0)
			continue;
		if (!(saved[i].sa_flags & SA_SIGINFO) &&
		    saved[i].sa_handler == SIG_DFL &&
		    sigaction(prompt_signals[i], &sa, NULL) == 0)
			replaced[i] = 1;
	}
}

static void
restore_signals(const struct sigaction saved[PROMPT_SIGNAL_COUNT],
    const int replaced[PROMPT_SIGNAL_COUNT])
{
	size_t i;

	for (i = 0; i < PROMPT_SIGNAL_COUNT; i++)
		if (replaced[i])
			sigaction(prompt_signals[i], &saved[i], NULL);
}

static void
write_tty(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

/* Reads one line from fd into buf.  Returns COS_OK, COS_ERR_INTERRUPTED
 * when a signal stopped the prompt, or COS_ERR_USAGE when the line does not
 * fit. */
static int
read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	int status = COS_OK;
	char c;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int ready;

		/* A signal that lands just before read() would not interrupt
		 * it, so wait in short polls and check the flags each time. */
		if (caught_signal != 0 || shell_interrupted(NULL)) {
			status = COS_ERR_INTERRUPTED;
			break;
		}
		ready = poll(&pfd, 1, PROMPT_POLL_MS);
		if (ready == 0 || (ready < 0 && errno == EINTR))
			continue;
		if (ready < 0)
			break;
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (len + 1 < size)
			buf[len++] = c;
		else
			status = COS_ERR_USAGE;
	}
	c = '\0';
	buf[len] = '\0';
	return status;
}

int
ask_passphrase(void *userdata, const char *prompt, char *buf, size_t size,
    struct cos_error *err)
{
	struct sigaction saved_actions[PROMPT_SIGNAL_COUNT];
	int replaced[PROMPT_SIGNAL_COUNT];
	struct termios saved, quiet;
	int fd, echo_off = 0, status, sig;

	(void)userdata;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		cos_error_set(err, COS_ERR_USAGE, "cannot read the passphrase: "
		    "no terminal is available");
		cos_error_hint(err, "Set COS_PASSPHRASE_FILE, or run "
		    "cos_token from a terminal.");
		return COS_ERR_USAGE;
	}
	catch_default_signals(saved_actions, replaced);
	if (tcgetattr(fd, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			echo_off = 1;
	}
	write_tty(fd, prompt);
	write_tty(fd, ": ");
	status = read_line(fd, buf, size);
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &saved);
	write_tty(fd, "\n");
	close(fd);
	restore_signals(saved_actions, replaced);

	if (status != COS_OK)
		cos_wipe(buf, size);
	sig = caught_signal;
	caught_signal = 0;
	if (sig != 0) {
		/* The default action again, now that echo is back on. */
		raise(sig);
	}
	if (status == COS_ERR_INTERRUPTED)
		return cos_error_set(err, status, "interrupted while reading "
		    "the passphrase");
	if (status != COS_OK)
		return cos_error_set(err, status, "the passphrase is longer "
		    "than %zu bytes", size - 1);
	return COS_OK;
}
