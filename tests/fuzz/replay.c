/*
 * replay.c - runs a fuzz target over saved inputs without libFuzzer, so
 * that `make check` (with any compiler, and under SANITIZE=1) replays the
 * seed corpus and every crash that became a regression input.
 *
 * Usage: replay_TARGET FILE|DIR...   Exits 0 after the last input; a
 * broken property or a sanitizer aborts the program.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replayed;

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t cap = 0, len = 0, n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if ((data = realloc(data, cap)) == NULL) {
				fclose(f);
				return -1;
			}
		}
		n = fread(data + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	/* Like libFuzzer, hand over a buffer of exactly len bytes. */
	{
		uint8_t *exact = malloc(len > 0 ? len : 1);

		if (exact == NULL) {
			free(data);
			return -1;
		}
		memcpy(exact, data, len);
		free(data);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	replayed++;
	return 0;
}

static int
replay_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	char *child;
	int i, n, rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		perror(path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && rc == 0) {
			if (asprintf(&child, "%s/%s", path, names[i]->d_name) < 0)
				rc = -1;
			else {
				rc = replay_path(child);
				free(child);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	int i;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i]) != 0)
			return 1;
	printf("replayed %d inputs\n", replayed);
	return 0;
}
