/*
 * test_cache.c - the session cache without the network.  A fake fetch
 * replaces AssumeRole, and COS_TEST_NOW moves the clock to the edges of
 * the reuse margin.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cos.h"
#include "cache.h"
#include "tap.h"

/* Behaviour and call count of the fake fetch. */
struct fake {
	int calls;
	int fail;          /* return COS_ERR_SERVICE instead */
	int no_token;      /* return a permanent key */
	long duration;
	char id[64];
};

static int
fake_fetch(void *arg, struct cos_credentials **out, struct cos_error *err)
{
	struct fake *f = arg;
	struct cos_credentials *c;

	f->calls++;
	if (f->fail)
		return cos_error_set(err, COS_ERR_SERVICE, "rejected");
	snprintf(f->id, sizeof(f->id), "AKIDfake%d", f->calls);
	c = cos_credentials_new();
	c->secret_id = cos_secret_strdup(f->id);
	c->secret_key = cos_secret_strdup("fakeKey");
	c->token = f->no_token ? NULL : cos_secret_strdup("fakeToken");
	c->expired_time = cos_now() + f->duration;
	c->requested_time = cos_now();
	c->duration = f->duration;
	c->source = COS_SOURCE_ASSUME_ROLE;
	snprintf(c->request_id, sizeof(c->request_id), "req-%d", f->calls);
	*out = c;
	return COS_OK;
}

static const struct cos_cache_key base_key = {
	.profile = "default", .secret_id = "AKIDpermanent",
	.role = "qcs::cam::uin/1:roleName/r", .region = "ap-shanghai",
	.duration = 7200, .policy = NULL, .session_name = "cos-test",
	.endpoint = "https://127.0.0.1:1",
};

/* Runs cos_cache_get for key; returns the status and, on success, the
 * source and secret id through the out-parameters. */
static int
get(struct cos_ctx *ctx, const struct cos_cache_key *key, struct fake *f,
    enum cos_source *source, char *id, size_t id_size)
{
	struct cos_credentials *c = NULL;
	struct cos_error err;
	int status;

	cos_error_clear(&err);
	status = cos_cache_get(ctx, key, fake_fetch, f, &c, &err);
	if (status == COS_OK) {
		*source = c->source;
		snprintf(id, id_size, "%s", c->secret_id);
		cos_credentials_free(c);
	}
	return status;
}

static void
set_now(long long t)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld", t);
	setenv("COS_TEST_NOW", text, 1);
}

static void
test_reuse(struct cos_ctx *ctx)
{
	struct fake f = { .duration = 7200 };
	enum cos_source source = COS_SOURCE_NONE;
	char id[64] = "";

	set_now(1700000000);
	tap_int(get(ctx, &base_key, &f, &source, id, sizeof(id)), COS_OK,
	    "miss: status");
	tap_int(f.calls, 1, "miss: fetch runs once");
	tap_int(source, COS_SOURCE_ASSUME_ROLE, "miss: source of the fetch");

	tap_int(get(ctx, &base_key, &f, &source, id, sizeof(id)), COS_OK,
	    "hit: status");
	tap_int(f.calls, 1, "hit: no fetch");
	tap_int(source, COS_SOURCE_CACHE, "hit: cached source");
	tap_str(id, "AKIDfake1", "hit: the cached secret id");

	/* The session ends at 1700007200; the default margin is 300. */
	set_now(1700007200 - 301);
	get(ctx, &base_key, &f, &source, id, sizeof(id));
	tap_int(f.calls, 1, "301 s left: reused");
	set_now(1700007200 - 300);
	get(ctx, &base_key, &f, &source, id, sizeof(id));
	tap_int(f.calls, 2, "300 s left: refreshed");
	tap_str(id, "AKIDfake2", "refreshed: new secret id");
	get(ctx, &base_key, &f, &source, id, sizeof(id));
	tap_int(f.calls, 2, "refreshed session: reused");

	setenv("COS_CACHE_MARGIN", "7000", 1);
	set_now(1700007200 - 300 + 199);
	get(ctx, &base_key, &f, &source, id, sizeof(id));
	tap_int(f.calls, 2, "COS_CACHE_MARGIN 7000, 7001 s left: reused");
	set_now(1700007200 - 300 + 200);
	get(ctx, &base_key, &f, &source, id, sizeof(id));
	tap_int(f.calls, 3, "COS_CACHE_MARGIN 7000, 7000 s left: refreshed");
	unsetenv("COS_CACHE_MARGIN");
}

/* Changing any field of the key must pick another entry. */
static void
test_key_fields(struct cos_ctx *ctx)
{
	static const char *const names[] = {
		"profile", "secret_id", "role", "region", "duration",
		"policy", "session_name", "endpoint"
	};
	enum cos_source source;
	char id[64], name[96];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct cos_cache_key key = base_key;
		struct fake f = { .duration = 7200 };

		switch (i) {
		case 0: key.profile = "other"; break;
		case 1: key.secret_id = "AKIDother"; break;
		case 2: key.role = "qcs::cam::uin/1:roleName/s"; break;
		case 3: key.region = "ap-beijing"; break;
		case 4: key.duration = 3600; f.duration = 3600; break;
		case 5: key.policy = "{}"; break;
		case 6: key.session_name = "cos-other"; break;
		case 7: key.endpoint = "https://127.0.0.1:2"; break;
		}
		get(ctx, &key, &f, &source, id, sizeof(id));
		snprintf(name, sizeof(name), "another %s: new entry", names[i]);
		tap_int(f.calls, 1, name);
		get(ctx, &key, &f, &source, id, sizeof(id));
		snprintf(name, sizeof(name), "another %s: reused", names[i]);
		tap_int(f.calls, 1, name);
	}
	{
		/* An empty policy is not the same as no policy. */
		struct cos_cache_key key = base_key;
		struct fake f = { .duration = 7200 };

		key.policy = "";
		get(ctx, &key, &f, &source, id, sizeof(id));
		tap_int(f.calls, 1, "empty policy: new entry");
	}
}

static void
test_failures(struct cos_ctx *ctx)
{
	struct cos_cache_key key = base_key;
	struct fake f = { .duration = 7200, .fail = 1 };
	enum cos_source source;
	char id[64];

	key.session_name = "cos-failing";
	tap_int(get(ctx, &key, &f, &source, id, sizeof(id)), COS_ERR_SERVICE,
	    "fetch error: returned");
	f.fail = 0;
	get(ctx, &key, &f, &source, id, sizeof(id));
	tap_int(f.calls, 2, "fetch error: nothing cached");

	key.session_name = "cos-no-token";
	f.calls = 0;
	f.no_token = 1;
	get(ctx, &key, &f, &source, id, sizeof(id));
	get(ctx, &key, &f, &source, id, sizeof(id));
	tap_int(f.calls, 2, "no token: not cached");
}

static void
test_clear(struct cos_ctx *ctx)
{
	struct cos_cache_key other = base_key;
	struct fake f = { .duration = 7200 };
	struct cos_error err;
	enum cos_source source;
	size_t removed = 99;
	char id[64];

	cos_error_clear(&err);
	other.profile = "clear-me";
	get(ctx, &other, &f, &source, id, sizeof(id));
	tap_int(cos_cache_clear(ctx, "clear-me", &removed, &err), COS_OK,
	    "clear one profile: status");
	tap_int((long long)removed, 1, "clear one profile: one removed");
	get(ctx, &other, &f, &source, id, sizeof(id));
	tap_int(f.calls, 2, "clear one profile: refetched");

	f.calls = 0;
	get(ctx, &base_key, &f, &source, id, sizeof(id));
	tap_int(f.calls, 0, "clear one profile: others kept");

	tap_int(cos_cache_clear(ctx, NULL, &removed, &err), COS_OK,
	    "clear all: status");
	tap_ok(removed > 5, "clear all: every entry removed");
	get(ctx, &base_key, &f, &source, id, sizeof(id));
	tap_int(f.calls, 1, "clear all: refetched");

	tap_int(cos_cache_clear(ctx, "bad name", NULL, &err), COS_ERR_USAGE,
	    "clear: invalid profile name");
}

static void
test_margin_values(struct cos_ctx *ctx)
{
	static const struct {
		const char *text;
		int status;
		long margin;
	} cases[] = {
		{ "0", COS_OK, 0 },
		{ "300", COS_OK, 300 },
		{ "43200", COS_OK, 43200 },
		{ "43201", COS_ERR_USAGE, 0 },
		{ "-1", COS_ERR_USAGE, 0 },
		{ "5m", COS_ERR_USAGE, 0 },
		{ " 5", COS_ERR_USAGE, 0 },
		{ "1e3", COS_ERR_USAGE, 0 },
		{ "99999999999999999999", COS_ERR_USAGE, 0 },
	};
	struct cos_error err;
	char name[96];
	long margin;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cos_error_clear(&err);
		margin = -1;
		setenv("COS_CACHE_MARGIN", cases[i].text, 1);
		snprintf(name, sizeof(name), "margin '%s'", cases[i].text);
		tap_int(cos_cache_margin(ctx, NULL, &margin, &err),
		    cases[i].status, name);
		if (cases[i].status == COS_OK)
			tap_int(margin, cases[i].margin, name);
	}
	unsetenv("COS_CACHE_MARGIN");
	tap_int(cos_cache_margin(ctx, NULL, &margin, &err), COS_OK,
	    "margin unset: status");
	tap_int(margin, COS_CACHE_MARGIN_DEFAULT, "margin unset: default");
}

int
main(void)
{
	char dir[] = "/tmp/cos-test-cache.XXXXXX";
	char command[128];
	struct cos_ctx *ctx = NULL;
	struct cos_error err;

	cos_error_clear(&err);
	if (mkdtemp(dir) == NULL || cos_global_init(&err) != COS_OK ||
	    cos_ctx_new(&ctx, dir, &err) != COS_OK) {
		printf("Bail out! setup failed: %s\n", err.message);
		return 1;
	}
	unsetenv("COS_CACHE_MARGIN");
	unsetenv("COS_PASSPHRASE_FILE");

	test_reuse(ctx);
	test_key_fields(ctx);
	test_failures(ctx);
	test_clear(ctx);
	test_margin_values(ctx);

	cos_ctx_free(ctx);
	cos_global_cleanup();
	snprintf(command, sizeof(command), "rm -rf '%s'", dir);
	if (system(command) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
