/*
 * params.c - checks, sets, exports, reads and unsets the four credential
 * parameters of the current zsh.
 *
 * zsh treats some parameters as more than a string.  Assigning to an
 * integer or float parameter evaluates the value as arithmetic, and a
 * subscript in that text can run a command, so a value from the network
 * must never reach one.  Assigning to a readonly parameter calls zerr(),
 * which sets errflag and aborts the rest of the user's command list.  So
 * every name is checked before anything is assigned, and either all four
 * parameters change or none does.
 */
#define _GNU_SOURCE
#include <zsh/zsh.mdh>

#include <string.h>

#include "zcos.h"
#include "internal.h"

const char *const zcos_param_names[ZCOS_PARAM_COUNT] = {
	[ZCOS_SECRET_ID] = "COS_SECRET_ID",
	[ZCOS_SECRET_KEY] = "COS_SECRET_KEY",
	[ZCOS_TOKEN] = "COS_TOKEN",
	[ZCOS_TOKEN_EXPIRATION] = "COS_TOKEN_EXPIRATION",
};

/* Returns why a parameter with these flags cannot take a new string value,
 * or NULL when it can. */
static const char *
type_problem(int flags)
{
	switch (PM_TYPE(flags)) {
	case PM_SCALAR:
		break;
	case PM_INTEGER:
		return "an integer parameter (typeset -i)";
	case PM_EFLOAT:
	case PM_FFLOAT:
		return "a floating-point parameter (typeset -E or -F)";
	case PM_ARRAY:
		return "an array (typeset -a)";
	case PM_HASHED:
		return "an associative array (typeset -A)";
	default:
		return "not a plain scalar parameter";
	}
	if (flags & PM_UPPER)
		return "an uppercasing parameter (typeset -u)";
	if (flags & PM_LOWER)
		return "a lowercasing parameter (typeset -l)";
	if (flags & (PM_LEFT | PM_RIGHT_B | PM_RIGHT_Z))
		return "a padded parameter (typeset -L, -R or -Z)";
	if (flags & PM_TIED)
		return "a tied parameter (typeset -T)";
	if (flags & (PM_SPECIAL | PM_AUTOLOAD))
		return "a special parameter";
	return NULL;
}

int
zcos_params_check(enum zcos_change change, struct cos_error *err)
{
	const char *verb = change == ZCOS_CHANGE_SET ? "set" : "unset";
	const char *name, *problem;
	Param pm;
	int i;

	for (i = 0; i < ZCOS_PARAM_COUNT; i++) {
		name = zcos_param_names[i];
		pm = (Param)paramtab->getnode(paramtab, name);
		if (pm == NULL)
			continue;
		if (pm->node.flags & PM_READONLY) {
			cos_error_set(err, COS_ERR_OTHER,
			    "cannot %s %s: it is readonly", verb, name);
			cos_error_hint(err, "A readonly parameter stays so for "
			    "the life of the shell. Start a new shell.");
			return COS_ERR_OTHER;
		}
		if (change == ZCOS_CHANGE_UNSET)
			continue;
		problem = type_problem(pm->node.flags);
		if (problem != NULL) {
			cos_error_set(err, COS_ERR_OTHER,
			    "cannot set %s: it is %s", name, problem);
			cos_error_hint(err, "Remove it first with 'unset %s' in "
			    "the scope that declared it, then run cos_token "
			    "again.", name);
			return COS_ERR_OTHER;
		}
	}
	return COS_OK;
}

int
zcos_params_set(const char *const values[ZCOS_PARAM_COUNT],
    struct cos_error *err)
{
	Param pm;
	int i;

	for (i = 0; i < ZCOS_PARAM_COUNT; i++) {
		/* assignsparam() takes ownership of a zalloc'd value, which
		 * metafy(..., META_DUP) returns; the name must be writable. */
		pm = assignsparam(dupstring(zcos_param_names[i]),
		    metafy((char *)values[i], -1, META_DUP), 0);
		/* NOTE: after the checks this is not expected to fail, but
		 * a failure here would leave the earlier parameters set. */
		if (pm == NULL)
			return cos_error_set(err, COS_ERR_OTHER,
			    "cannot set %s", zcos_param_names[i]);
		/* Once exported, later assignments update the environment by
		 * themselves; a new export needs export_param() once. */
		if (!(pm->node.flags & PM_EXPORTED)) {
			pm->node.flags |= PM_EXPORTED;
			export_param(pm);
		}
	}
	return COS_OK;
}

void
zcos_params_unset(void)
{
	int i;

	for (i = 0; i < ZCOS_PARAM_COUNT; i++)
		unsetparam(dupstring(zcos_param_names[i]));
}

/* Returns the metafied value of a set, non-empty scalar parameter, else
 * NULL.  With need_exported, a parameter that is not exported counts as
 * unset. */
static const char *
scalar_value(const char *name, int need_exported)
{
	Param pm = (Param)paramtab->getnode(paramtab, name);
	const char *value;

	if (pm == NULL || (pm->node.flags & PM_UNSET) ||
	    PM_TYPE(pm->node.flags) != PM_SCALAR)
		return NULL;
	if (need_exported && !(pm->node.flags & PM_EXPORTED))
		return NULL;
	value = getsparam((char *)name);
	return value != NULL && value[0] != '\0' ? value : NULL;
}

void
zcos_params_read(char *values[ZCOS_PARAM_COUNT], int need_exported)
{
	const char *value;
	int i;

	for (i = 0; i < ZCOS_PARAM_COUNT; i++) {
		value = scalar_value(zcos_param_names[i], need_exported);
		if (value == NULL) {
			values[i] = NULL;
			continue;
		}
		values[i] = unmetafy(dupstring(value), NULL);
	}
}

void
zcos_params_wipe(char *values[ZCOS_PARAM_COUNT])
{
	int i;

	for (i = 0; i < ZCOS_PARAM_COUNT; i++) {
		if (values[i] != NULL)
			cos_wipe(values[i], strlen(values[i]));
		values[i] = NULL;
	}
}
