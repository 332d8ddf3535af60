/*
 * fileio.c - private files of the profile store: directory, lock, bounded
 * reads, atomic replacement.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"
#include "fileio.h"

#define TEMP_INFIX ".tmp."

char *
cos_path_join(const char *dir, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	return path;
}

void
cos_shell_quote(const char *path, char *out, size_t size)
{
	struct cos_buf buf;
	const char *p;
	char *text;
	int plain = path[0] != '\0';

	for (p = path; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789/._-+:@,%=", *p) == NULL)
			plain = 0;
	if (plain) {
		snprintf(out, size, "%s", path);
		return;
	}
	cos_buf_init(&buf, 0, 0);
	cos_buf_puts(&buf, "'");
	for (p = path; *p != '\0'; p++) {
		if (*p == '\'')
			cos_buf_puts(&buf, "'\\''");
		else
			cos_buf_append(&buf, p, 1);
	}
	cos_buf_puts(&buf, "'");
	text = cos_buf_take(&buf, NULL);
	snprintf(out, size, "%s", text != NULL ? text : "'?'");
	free(text);
}

int
cos_dir_ensure(const char *dir, struct cos_error *err)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		/* mkdir() applies the umask, which may have removed bits we
		 * need ourselves; set the mode explicitly. */
		if (chmod(dir, 0700) != 0)
			return cos_error_set(err, COS_ERR_OTHER,
			    "cannot set the mode of '%s': %s", dir,
			    strerror(errno));
		return COS_OK;
	}
	if (errno != EEXIST)
		return cos_error_set(err, COS_ERR_OTHER,
		    "cannot create the configuration directory '%s': %s", dir,
		    strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return cos_error_set(err, COS_ERR_OTHER,
		    "'%s' exists but is not a directory", dir);
	return COS_OK;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
cos_lock_acquire(struct cos_ctx *ctx, int exclusive, struct cos_lock *lock,
    struct cos_error *err)
{
	const char *dir = cos_ctx_config_dir(ctx);
	char *path = NULL;
	long waited_ms = 0, step_ms = 2;
	int fd = -1, status;
	struct stat st;

	lock->fd = -1;
	if (exclusive) {
		if ((status = cos_dir_ensure(dir, err)) != COS_OK)
			return status;
	} else if (stat(dir, &st) != 0 && errno == ENOENT) {
		return COS_OK;
	}
	if ((path = cos_path_join(dir, ".lock")) == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	/* A reader opens the lock file read-only and never creates it, so
	 * that reading the store writes nothing.  Without the file, or in a
	 * directory it cannot read, it still reads whole files, because
	 * writers replace them by rename. */
	if (exclusive)
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY, 0600);
	else
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && !exclusive && (errno == ENOENT || errno == EACCES ||
	    errno == EROFS)) {
		free(path);
		return COS_OK;
	}
	if (fd < 0) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "cannot open the lock file '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	while (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "cannot lock '%s': %s", path, strerror(errno));
			goto out;
		}
		if (cos_ctx_interrupted(ctx)) {
			status = cos_error_set(err, COS_ERR_INTERRUPTED,
			    "interrupted while waiting for the lock '%s'",
			    path);
			goto out;
		}
		if (waited_ms >= COS_LOCK_TIMEOUT_SECONDS * 1000L) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "timed out after %d seconds waiting for the lock "
			    "'%s'", COS_LOCK_TIMEOUT_SECONDS, path);
			cos_error_hint(err, "Another cos process holds it; "
			    "retry when it has finished.");
			goto out;
		}
		sleep_ms(step_ms);
		waited_ms += step_ms;
		if (step_ms < 50)
			step_ms *= 2;
	}
	lock->fd = fd;
	fd = -1;
	status = COS_OK;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return status;
}

void
cos_lock_release(struct cos_lock *lock)
{
	if (lock->fd >= 0) {
		flock(lock->fd, LOCK_UN);
		close(lock->fd);
	}
	lock->fd = -1;
}

static int
check_private(const char *path, const struct stat *st, struct cos_error *err)
{
	char quoted[1024];

	if (st->st_uid != geteuid())
		return cos_error_set(err, COS_ERR_OTHER,
		    "'%s' belongs to another user (uid %lu)", path,
		    (unsigned long)st->st_uid);
	if ((st->st_mode & 077) == 0)
		return COS_OK;
	cos_shell_quote(path, quoted, sizeof(quoted));
	cos_error_set(err, COS_ERR_OTHER,
	    "'%s' is accessible by other users (mode %04o); refusing to use it",
	    path, (unsigned)(st->st_mode & 07777));
	cos_error_hint(err, "Fix it with: chmod 600 %s", quoted);
	return COS_ERR_OTHER;
}

/* Every file in the configuration directory steers cos: config names the
 * STS endpoint and the CA to trust.  So no file there, and not the
 * directory itself, may belong to another user or be writable by one. */
static int
check_trusted(const char *path, const struct stat *st, const char *what,
    struct cos_error *err)
{
	char quoted[1024];

	if (st->st_uid != geteuid())
		return cos_error_set(err, COS_ERR_OTHER,
		    "%s '%s' belongs to another user (uid %lu); refusing to "
		    "use it", what, path, (unsigned long)st->st_uid);
	if ((st->st_mode & 022) == 0)
		return COS_OK;
	cos_shell_quote(path, quoted, sizeof(quoted));
	cos_error_set(err, COS_ERR_OTHER, "%s '%s' is writable by other users "
	    "(mode %04o); refusing to use it", what, path,
	    (unsigned)(st->st_mode & 07777));
	cos_error_hint(err, "Fix it with: chmod go-w %s", quoted);
	return COS_ERR_OTHER;
}

static int
check_parent_directory(const char *path, struct cos_error *err)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;
	size_t len;

	if (slash == NULL)
		return COS_OK;
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof(dir))
		return cos_error_set(err, COS_ERR_OTHER, "path '%s' is too long",
		    path);
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (stat(dir, &st) != 0)
		return cos_error_set(err, COS_ERR_OTHER, "cannot read '%s': %s",
		    dir, strerror(errno));
	return check_trusted(dir, &st, "directory", err);
}

int
cos_file_read(const char *path, int private_file, char **data, size_t *len,
    struct cos_error *err)
{
	struct cos_buf buf;
	struct stat st;
	char chunk[4096];
	int fd, status;
	ssize_t n;

	cos_buf_init(&buf, 1, COS_FILE_MAX);
	/* O_NONBLOCK: opening a FIFO put in place of the file would otherwise
	 * wait for a writer forever.  It changes nothing for the regular
	 * files that the check below lets through. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		*data = NULL;
		*len = 0;
		return COS_OK;
	}
	if (fd < 0) {
		if (errno == ELOOP)
			return cos_error_set(err, COS_ERR_OTHER,
			    "'%s' is a symbolic link; cos reads only regular "
			    "files there", path);
		return cos_error_set(err, COS_ERR_OTHER, "cannot open '%s': %s",
		    path, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "'%s' is not a regular file", path);
		goto out;
	}
	if (private_file && (status = check_private(path, &st, err)) != COS_OK)
		goto out;
	if ((status = check_trusted(path, &st, "file", err)) != COS_OK ||
	    (status = check_parent_directory(path, err)) != COS_OK)
		goto out;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		cos_buf_append(&buf, chunk, (size_t)n);
		if (buf.failed) {
			status = cos_error_set(err, COS_ERR_OTHER,
			    "'%s' is larger than %d bytes", path, COS_FILE_MAX);
			goto out;
		}
	}
	if ((*data = cos_buf_take(&buf, len)) == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	status = COS_OK;
out:
	cos_wipe(chunk, sizeof(chunk));
	cos_buf_free(&buf);
	close(fd);
	return status;
}

/* Test builds only: COS_TEST_SLOW_WRITE=SECONDS waits between writing the
 * temporary file and renaming it, so that a test can kill the writer
 * there. */
static void
test_hook_slow_write(void)
{
#ifdef COS_TEST_HOOKS
	const char *seconds = getenv("COS_TEST_SLOW_WRITE");

	if (seconds != NULL && seconds[0] != '\0')
		sleep_ms(atol(seconds) * 1000L);
#endif
}

static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
sync_dir(const char *dir)
{
	int fd, rc;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Splits path into its directory (new heap string) and the position of
 * its last component. */
static char *
dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*base = path;
		return strdup(".");
	}
	*base = slash + 1;
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int
cos_file_replace(const char *path, const char *data, size_t len,
    struct cos_error *err)
{
	unsigned char rnd[8];
	char hex[sizeof(rnd) * 2 + 1];
	const char *base;
	char *dir = NULL, *temp = NULL;
	int fd = -1, status;

	if ((dir = dir_of(path, &base)) == NULL) {
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	if (asprintf(&temp, "%s/.%s%s%s", dir, base, TEMP_INFIX, hex) < 0) {
		temp = NULL;
		status = cos_error_set(err, COS_ERR_OTHER, "out of memory");
		goto out;
	}
	fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, 0600);
	if (fd < 0) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "cannot create a temporary file in '%s': %s", dir,
		    strerror(errno));
		goto out;
	}
	/* The umask may have removed bits from 0600. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "cannot write '%s': %s; the file was not changed", path,
		    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		status = cos_error_set(err, COS_ERR_OTHER,
		    "cannot write '%s': %s; the file was not changed", path,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	test_hook_slow_write();
	if (rename(temp, path) != 0) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "cannot replace '%s': %s", path, strerror(errno));
		goto out;
	}
	free(temp);
	temp = NULL;
	if (sync_dir(dir) != 0) {
		status = cos_error_set(err, COS_ERR_OTHER,
		    "cannot sync the directory '%s': %s", dir, strerror(errno));
		goto out;
	}
	status = COS_OK;
out:
	if (fd >= 0)
		close(fd);
	if (temp != NULL) {
		unlink(temp);
		free(temp);
	}
	free(dir);
	return status;
}

void
cos_file_remove_stale(const char *path)
{
	const char *base;
	char *dir, *prefix = NULL, *stale;
	struct dirent *ent;
	DIR *d = NULL;

	if ((dir = dir_of(path, &base)) == NULL)
		return;
	if (asprintf(&prefix, ".%s%s", base, TEMP_INFIX) < 0) {
		prefix = NULL;
		goto out;
	}
	if ((d = opendir(dir)) == NULL)
		goto out;
	while ((ent = readdir(d)) != NULL) {
		if (strncmp(ent->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if ((stale = cos_path_join(dir, ent->d_name)) != NULL) {
			unlink(stale);
			free(stale);
		}
	}
out:
	if (d != NULL)
		closedir(d);
	free(prefix);
	free(dir);
}
