/*
 * zcos.h - declarations shared by the files of the zsh module cos/token.
 *
 * Include <zsh/zsh.mdh> before this header.  Every function here has hidden
 * visibility (the build passes -fvisibility=hidden), so none of them can be
 * interposed by, or clash with, a symbol that the zsh binary exports.
 */
#ifndef ZCOS_H
#define ZCOS_H

#include <stddef.h>

#include "cos.h"

/* The four parameters that cos_token sets, in the order it sets them. */
enum zcos_param {
	ZCOS_SECRET_ID,
	ZCOS_SECRET_KEY,
	ZCOS_TOKEN,
	ZCOS_TOKEN_EXPIRATION,
	ZCOS_PARAM_COUNT
};

extern const char *const zcos_param_names[ZCOS_PARAM_COUNT];

/* The change a caller is about to make to the credential parameters. */
enum zcos_change {
	ZCOS_CHANGE_SET,   /* assign new values */
	ZCOS_CHANGE_UNSET  /* remove them */
};

/* Checks that all four parameters can take the change without zsh
 * evaluating or transforming a value, and without an error that would
 * abort the user's command list.  Returns COS_OK, or COS_ERR_OTHER with
 * err naming the first parameter that cannot. */
int zcos_params_check(enum zcos_change change, struct cos_error *err);

/* Assigns values[i] (unmetafied, NUL-terminated) to parameter i in the
 * current scope and exports it.  Call zcos_params_check() first, so that
 * no assignment can fail half way.  The values are copied into zsh's
 * memory; the caller still owns and wipes its own buffers. */
int zcos_params_set(const char *const values[ZCOS_PARAM_COUNT],
    struct cos_error *err);

/* Unsets the four parameters.  Call zcos_params_check() first. */
void zcos_params_unset(void);

/* Reads the four parameters into values[] as unmetafied copies on zsh's
 * heap.  An entry is NULL when its parameter is unset, empty or not a
 * scalar, or, with need_exported, not exported.  The caller passes the
 * copies to zcos_params_wipe() when done, because they contain secrets. */
void zcos_params_read(char *values[ZCOS_PARAM_COUNT], int need_exported);
void zcos_params_wipe(char *values[ZCOS_PARAM_COUNT]);

/* cos_interrupt_fn: returns nonzero when zsh has seen an interrupt
 * (ERRFLAG_INT) or has SIGINT, SIGHUP, SIGTERM or SIGQUIT in its signal
 * queue.  Reads flags only, so it is safe inside libcurl callbacks. */
int zcos_interrupted(void *userdata);

/* cos_passphrase_fn: shows prompt_text on /dev/tty and reads one line with
 * echo off.  A terminating signal during the read restores the terminal first
 * and is then delivered to the shell as usual. */
int zcos_read_passphrase(void *userdata, const char *prompt_text, char *buf,
    size_t size, struct cos_error *err);

#endif /* ZCOS_H */
