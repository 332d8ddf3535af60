/*
 * tty.c - the passphrase prompt of the `cos_token` bash builtin.
 *
 * The core's cos_tty_read_secret() keeps terminal echo on whenever a
 * signal can act: interactive bash and a trap see their signal after the
 * prompt ends (the builtin then returns 130), and a script without a trap
 * ends as it would have without the prompt.
 */
#define _GNU_SOURCE
#include <config.h>

#include <stddef.h>

#include "loadables.h"

#include "cos.h"
#include "bash_builtin.h"

int
ask_passphrase(void *userdata, const char *prompt, char *buf, size_t size,
    struct cos_error *err)
{
	(void)userdata;
	return cos_tty_read_secret(prompt, buf, size, shell_interrupted, NULL,
	    "Set COS_PASSPHRASE_FILE, or run cos_token from a terminal.",
	    err);
}
