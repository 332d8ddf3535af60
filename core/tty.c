/*
 * tty.c - reads a line, usually a secret with echo off, from /dev/tty for the front ends
 * (the cos command, the bash builtin and the zsh module).  The core itself
 * never calls it: it requests a passphrase through the context's callback.
 *
 * Echo must be back on before any signal ends the process or the shell.
 * So the prompt signals are blocked, caught, and let through only inside
 * ppoll().  Once the terminal is restored, a caught signal is sent again
 * to its previous handler: the shell's own, or the default action that
 * ends a script.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"

static const int prompt_signals[] = { SIGINT, SIGHUP, SIGQUIT, SIGTERM };
#define PROMPT_SIGNAL_COUNT \
	(sizeof(prompt_signals) / sizeof(prompt_signals[0]))

static volatile sig_atomic_t caught_signal;

static void
catch_signal(int sig)
{
	caught_signal = sig;
}

struct saved_signals {
	struct sigaction actions[PROMPT_SIGNAL_COUNT];
	sigset_t mask;
};

/* Blocks the prompt signals and catches each one that is not ignored.
 * They stay blocked except inside ppoll(), so a signal can never land
 * between the check of caught_signal and the wait. */
static void
catch_prompt_signals(struct saved_signals *saved)
{
	struct sigaction sa;
	sigset_t block;
	size_t i;

	sigemptyset(&block);
	for (i = 0; i < PROMPT_SIGNAL_COUNT; i++)
		sigaddset(&block, prompt_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &saved->mask);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = catch_signal;
	sigemptyset(&sa.sa_mask);
	caught_signal = 0;
	for (i = 0; i < PROMPT_SIGNAL_COUNT; i++) {
		sigaction(prompt_signals[i], NULL, &saved->actions[i]);
		if (saved->actions[i].sa_handler != SIG_IGN)
			sigaction(prompt_signals[i], &sa, NULL);
	}
}

static void
restore_prompt_signals(const struct saved_signals *saved)
{
	size_t i;

	for (i = 0; i < PROMPT_SIGNAL_COUNT; i++)
		if (saved->actions[i].sa_handler != SIG_IGN)
			sigaction(prompt_signals[i], &saved->actions[i], NULL);
	sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

static void
write_tty(int fd, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;

	while (len > 0) {
		n = write(fd, text, len);
		if (n < 0 && errno == EINTR && caught_signal == 0)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

/* Reads one line into buf, waiting in ppoll() with wait_mask so that a
 * prompt signal ends the wait.  Returns COS_OK, COS_ERR_INTERRUPTED, or
 * COS_ERR_USAGE when the line does not fit. */
static int
read_line(int fd, char *buf, size_t size, const sigset_t *wait_mask,
    cos_interrupt_fn interrupted, void *userdata)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	int status = COS_OK;
	ssize_t n;
	char c;

	for (;;) {
		if (caught_signal != 0 ||
		    (interrupted != NULL && interrupted(userdata))) {
			status = COS_ERR_INTERRUPTED;
			break;
		}
		if (ppoll(&pfd, 1, NULL, wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
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
cos_tty_read_secret(const char *prompt, char *buf, size_t size,
    cos_interrupt_fn interrupted, void *userdata,
    const char *no_terminal_hint, struct cos_error *err)
{
	return cos_tty_read_line(prompt, 0, buf, size, interrupted, userdata,
	    no_terminal_hint, err);
}

int
cos_tty_read_line(const char *prompt, int echo, char *buf, size_t size,
    cos_interrupt_fn interrupted, void *userdata,
    const char *no_terminal_hint, struct cos_error *err)
{
	struct saved_signals saved;
	struct termios old_mode, quiet_mode;
	int fd, echo_off = 0, status, sig;

	if (size == 0)
		return cos_error_set(err, COS_ERR_OTHER, "no room for %s",
		    prompt);
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		cos_error_clear(err);
		cos_error_set(err, COS_ERR_USAGE, "no terminal (/dev/tty) to "
		    "show the prompt '%s' on", prompt);
		if (no_terminal_hint != NULL)
			cos_error_hint(err, "%s", no_terminal_hint);
		return COS_ERR_USAGE;
	}

	catch_prompt_signals(&saved);
	if (!echo && tcgetattr(fd, &old_mode) == 0) {
		quiet_mode = old_mode;
		quiet_mode.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet_mode.c_lflag |= ICANON | ISIG;
		if (tcsetattr(fd, TCSAFLUSH, &quiet_mode) == 0)
			echo_off = 1;
	}
	write_tty(fd, prompt);
	write_tty(fd, ": ");
	status = read_line(fd, buf, size, &saved.mask, interrupted, userdata);
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old_mode);
	/* With echo on, the terminal has shown the user's Enter already. */
	if (echo_off || status != COS_OK)
		write_tty(fd, "\n");
	close(fd);
	sig = caught_signal;
	restore_prompt_signals(&saved);

	/* Echo is on again: let the previous handler see the signal. */
	if (sig != 0)
		kill(getpid(), sig);
	if (status == COS_OK)
		return COS_OK;
	cos_wipe(buf, size);
	cos_error_clear(err);
	if (status == COS_ERR_INTERRUPTED)
		return cos_error_set(err, status, "interrupted while reading %s",
		    prompt);
	return cos_error_set(err, status, "%s is longer than %zu bytes",
	    prompt, size - 1);
}
