/*
 * tty.c - the passphrase prompt of the `cos_token` bash builtin.
 *
 * The core's cos_tty_read_secret() turns echo back on before any
 * signal can act.  Interactive bash and a trap then get their signal after
 * the prompt ends, and the builtin returns 130.  A script without a trap
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
