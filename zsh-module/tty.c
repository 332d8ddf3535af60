/*
 * tty.c - reports to the core when zsh has been interrupted, and reads
 * the store passphrase through the core's terminal prompt, which sends a
 * caught signal again once echo is back on: zsh queues it, and
 * zcos_interrupted() then reports it.
 */
#define _GNU_SOURCE
#include <zsh/zsh.mdh>

#include <signal.h>

#include "zcos.h"
#include "internal.h"

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

int
zcos_read_passphrase(void *userdata, const char *prompt_text, char *buf,
    size_t size, struct cos_error *err)
{
	(void)userdata;
	return cos_tty_read_secret(prompt_text, buf, size, zcos_interrupted,
	    NULL, "Set COS_PASSPHRASE_FILE, or run cos_token from a terminal.",
	    err);
}
