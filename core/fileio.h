/*
 * fileio.h - private files of the profile store: the 0700 directory, the
 * advisory lock, bounded reads with permission checks, and atomic
 * replacement (temporary file, fsync, rename, fsync of the directory).
 */
#ifndef COS_FILEIO_H
#define COS_FILEIO_H

#include <stddef.h>

#include "cos.h"

/* Maximum size of a file in the configuration directory, and of one line
 * in it. */
#define COS_FILE_MAX (1024 * 1024)
#define COS_LINE_MAX (64 * 1024)

/* How long a store operation waits for another process's lock. */
#define COS_LOCK_TIMEOUT_SECONDS 60

struct cos_lock {
	int fd; /* -1 when not held */
};

/* Returns dir + "/" + name in new heap memory, or NULL when out of
 * memory. */
char *cos_path_join(const char *dir, const char *name);

/* Creates dir with mode 0700 when it does not exist (its parent must
 * exist).  An existing directory is left as it is. */
int cos_dir_ensure(const char *dir, struct cos_error *err);

/* Takes the store lock DIR/.lock: exclusive for writers (which create the
 * directory first), shared for readers.  A reader whose directory does not
 * exist gets a released lock and COS_OK, because there is nothing to read.
 * Polls, so that the context's interrupt callback can stop the wait. */
int cos_lock_acquire(struct cos_ctx *ctx, int exclusive, struct cos_lock *lock,
    struct cos_error *err);
/* Releases the lock; a released lock is accepted. */
void cos_lock_release(struct cos_lock *lock);

/* Reads the whole regular file at path into new secret memory (*data,
 * NUL-terminated, *len bytes).  A missing file gives COS_OK with *data
 * NULL.  Symbolic links and files over COS_FILE_MAX are rejected.  With
 * private_file set, a file that group or others may access, or that another
 * user owns, is rejected with the chmod that fixes it in the hint. */
int cos_file_read(const char *path, int private_file, char **data,
    size_t *len, struct cos_error *err);

/* Replaces path with len bytes of data, mode 0600 whatever the umask: the
 * data goes to a new temporary file in the same directory (O_EXCL,
 * O_NOFOLLOW), which is synced, renamed over path, and the directory is
 * synced.  A failure leaves the old file in place.  Call it under the
 * exclusive store lock. */
int cos_file_replace(const char *path, const char *data, size_t len,
    struct cos_error *err);

/* Removes temporary files that an interrupted cos_file_replace() of path
 * left behind.  Safe only under the exclusive store lock. */
void cos_file_remove_stale(const char *path);

/* Writes path quoted for a POSIX shell into out (size bytes): as it is
 * when it holds only safe characters, else in single quotes. */
void cos_shell_quote(const char *path, char *out, size_t size);

#endif /* COS_FILEIO_H */
