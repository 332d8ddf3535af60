/*
 * ctx.c - the context a front end keeps: configuration directory,
 * callbacks and the cached master key.
 */
#define _GNU_SOURCE
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static char *
default_config_dir(void)
{
	const char *home = cos_getenv("HOME");
	struct passwd *pw;
	char *dir;

	if (home == NULL) {
		pw = getpwuid(getuid());
		if (pw == NULL || pw->pw_dir == NULL)
			return NULL;
		home = pw->pw_dir;
	}
	if (asprintf(&dir, "%s/.cos", home) < 0)
		return NULL;
	return dir;
}

int
cos_ctx_new(struct cos_ctx **out, const char *config_dir,
    struct cos_error *err)
{
	struct cos_ctx *ctx;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return cos_error_set(err, COS_ERR_OTHER, "out of memory");
	if (config_dir == NULL)
		config_dir = cos_getenv("COS_CONFIG_DIR");
	ctx->config_dir = config_dir != NULL ? strdup(config_dir) :
	    default_config_dir();
	if (ctx->config_dir == NULL) {
		free(ctx);
		return cos_error_set(err, COS_ERR_OTHER,
		    "cannot find the home directory for the configuration");
	}
	ctx->log_level = COS_LOG_WARN;
	*out = ctx;
	return COS_OK;
}

void
cos_ctx_free(struct cos_ctx *ctx)
{
	if (ctx == NULL)
		return;
	cos_ctx_forget_key(ctx);
	free(ctx->config_dir);
	free(ctx);
}

void
cos_ctx_set_log(struct cos_ctx *ctx, cos_log_fn fn, void *userdata,
    enum cos_log_level max_level)
{
	ctx->log_fn = fn;
	ctx->log_userdata = userdata;
	ctx->log_level = max_level;
}

void
cos_ctx_set_interrupt(struct cos_ctx *ctx, cos_interrupt_fn fn,
    void *userdata)
{
	ctx->interrupt_fn = fn;
	ctx->interrupt_userdata = userdata;
}

void
cos_ctx_set_passphrase(struct cos_ctx *ctx, cos_passphrase_fn fn,
    void *userdata)
{
	ctx->passphrase_fn = fn;
	ctx->passphrase_userdata = userdata;
}

void
cos_ctx_set_key_ttl(struct cos_ctx *ctx, long seconds)
{
	ctx->key_ttl = seconds < 0 ? 0 : seconds;
	if (ctx->key_ttl == 0)
		cos_ctx_forget_key(ctx);
}

void
cos_ctx_forget_key(struct cos_ctx *ctx)
{
	cos_secret_free(ctx->master_key);
	ctx->master_key = NULL;
	ctx->master_key_used = 0;
}

const char *
cos_ctx_config_dir(const struct cos_ctx *ctx)
{
	return ctx->config_dir;
}

void
cos_log(struct cos_ctx *ctx, enum cos_log_level level, const char *fmt, ...)
{
	char raw[2048], clean[2048];
	va_list ap;

	if (ctx == NULL || ctx->log_fn == NULL || level > ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	cos_clean_text(clean, sizeof(clean), raw, strlen(raw));
	ctx->log_fn(ctx->log_userdata, level, clean);
}

int
cos_ctx_interrupted(struct cos_ctx *ctx)
{
	return ctx != NULL && ctx->interrupt_fn != NULL &&
	    ctx->interrupt_fn(ctx->interrupt_userdata);
}

int
cos_ctx_config_dir_changed(const struct cos_ctx *ctx)
{
	const char *dir = cos_getenv("COS_CONFIG_DIR");
	const char *home;
	size_t len;

	if (dir != NULL)
		return strcmp(dir, ctx->config_dir) != 0;
	home = cos_getenv("HOME");
	if (home == NULL)
		return 0;
	len = strlen(home);
	return strncmp(ctx->config_dir, home, len) != 0 ||
	    strcmp(ctx->config_dir + len, "/.cos") != 0;
}
