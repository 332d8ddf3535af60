/*
 * bash_builtin.h - declarations shared by the source files of the
 * `cos_token` bash builtin.  Include it after bash's "loadables.h".
 */
#ifndef COS_BASH_BUILTIN_H
#define COS_BASH_BUILTIN_H

#include <stddef.h>

#include "cos.h"

/* bash exports this function but installs no header that declares it. */
extern int first_pending_trap(void);

/* Interrupt callback for the core: returns nonzero when the shell has a
 * pending Ctrl-C, a terminating signal, or a trapped signal waiting for
 * its trap.  It only reads flags, so libcurl may call it at any time. */
int shell_interrupted(void *userdata);

/* Passphrase callback for the core: reads the passphrase from /dev/tty
 * with echo off.  See tty.c for how signals during the prompt are
 * handled. */
int ask_passphrase(void *userdata, const char *prompt, char *buf,
    size_t size, struct cos_error *err);

#endif /* COS_BASH_BUILTIN_H */
