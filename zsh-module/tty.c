/*
 * tty.c - reads the store passphrase from /dev/tty with echo off, and
 * reports to the core when zsh has been interrupted.
 */
#define _GNU_SOURCE
#include <zsh/zsh.mdh>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "zcos.h"
#include "internal.h"

/* Signals that end a passphrase prompt.  Each one is caught while echo is
 * off, so that the terminal is restored before the shell handles it. */
static const int prompt_signals[] = { SIGINT, SIGHUP, SIGQUIT, SIGTERM };
#define PROMPT_SIGNAL_COUNT \
	(sizeof(prompt_signals) / sizeof(prompt_signals[0]))

static volatile sig_atomic_t caught_signal;

static int
is_stop_signal(int sig)
{
	return sig == SIGINT || sig == SIGHUP || sig == SIGTERM ||
	    sig == SIGQUIT;
}

int
zcos_interrupted(void *userdata)
{
	int i;

	(void)userdata;
	if (errflag & ERRFLAG_INT)
		return 1;
	/* Under queue_signals(), zhandler() only appends to this ring.  A
	 * queued SIGCHLD from a background job is no reason to stop. */
	for (i = queue_front; i != queue_rear;) {
		i = (i + 1) % MAX_QUEUE_SIZE;
		if (is_stop_signal(signal_queue[i]))
			return 1;
	}
	return 0;
}

static void
catch_signal(int sig)
{
	caught_signal = sig;
}

/* Signal state saved while the prompt is up. */
struct prompt_signals_state {
	struct sigaction actions[PROMPT_SIGNAL_COUNT];
	sigset_t old_mask;
};

/* Blocks the prompt signals and installs catch_signal() for each one that
 * is not ignored.  They stay blocked except inside ppoll(), so a signal
 * can never land between the check of caught_signal and the wait. */
static void
catch_prompt_signals(struct prompt_signals_state *saved)
{
	struct sigaction sa;
	sigset_t block;
	size_t i;

	sigemptyset(&block);
	for (i = 0; i < PROMPT_SIGNAL_COUNT; i++)
		sigaddset(&block, prompt_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &saved->old_mask);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = catch_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	caught_signal = 0;
	for (i = 0; i < PROMPT_SIGNAL_COUNT; i++) {
		sigaction(prompt_signals[i], NULL, &saved->actions[i]);
		if (saved->actions[i].sa_handler != SIG_IGN)
			sigaction(prompt_signals[i], &sa, NULL);
	}
}

static void
restore_prompt_signals(const struct prompt_signals_state *saved)
{
	size_t i;

	for (i = 0; i < PROMPT_SIGNAL_COUNT; i++)
		if (saved->actions[i].sa_handler != SIG_IGN)
			sigaction(prompt_signals[i], &saved->actions[i], NULL);
	sigprocmask(SIG_SETMASK, &saved->old_mask, NULL);
}

static void
write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR && caught_signal == 0)
			continue;
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

/* Reads one line from fd into buf, waiting in ppoll() with wait_mask so
 * that a prompt signal ends the wait.  Returns COS_OK, COS_ERR_INTERRUPTED
 * when a prompt signal arrived, or COS_ERR_USAGE when the line does not
 * fit. */
static int
read_line(int fd, char *buf, size_t size, const sigset_t *wait_mask)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	int status = COS_OK;
	ssize_t n;
	char c;

	for (;;) {
		if (caught_signal != 0 || zcos_interrupted(NULL)) {
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

static int
no_terminal(const char *prompt_text, struct cos_error *err)
{
	cos_error_clear(err);
	cos_error_set(err, COS_ERR_USAGE, "no terminal to ask for %s on",
	    prompt_text);
	cos_error_hint(err, "Set COS_PASSPHRASE_FILE, or run cos_token from "
	    "a terminal.");
	return COS_ERR_USAGE;
}

int
zcos_read_passphrase(void *userdata, const char *prompt_text, char *buf,
    size_t size, struct cos_error *err)
{
	struct prompt_signals_state saved;
	struct termios old_mode, quiet_mode;
	int fd, echo_off = 0, status, sig;

	(void)userdata;
	if (size == 0)
		return cos_error_set(err, COS_ERR_OTHER,
		    "no room for the passphrase");
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return no_terminal(prompt_text, err);

	catch_prompt_signals(&saved);
	if (tcgetattr(fd, &old_mode) == 0) {
		quiet_mode = old_mode;
		quiet_mode.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet_mode.c_lflag |= ICANON | ISIG;
		if (tcsetattr(fd, TCSAFLUSH, &quiet_mode) == 0)
			echo_off = 1;
	}
	write_all(fd, prompt_text, strlen(prompt_text));
	write_all(fd, ": ", 2);
	status = read_line(fd, buf, size, &saved.old_mask);
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old_mode);
	write_all(fd, "\n", 1);
	close(fd);
	sig = caught_signal;
	restore_prompt_signals(&saved);

	/* Send the signal again to the previous handler.  zsh queues it, and
	 * zcos_interrupted() then reports it.  With the default action the
	 * shell ends as it would have without the prompt. */
	if (sig != 0)
		kill(getpid(), sig);
	if (status == COS_OK)
		return COS_OK;
	cos_wipe(buf, size);
	cos_error_clear(err);
	if (status == COS_ERR_INTERRUPTED)
		return cos_error_set(err, status,
		    "interrupted while reading %s", prompt_text);
	return cos_error_set(err, status, "%s is longer than %zu bytes",
	    prompt_text, size - 1);
}
