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

/* Returns why pm cannot take a new string value, or NULL when it can. */
static const char *
type_problem(int flags)
{
	switch (PM_TYPE(flags)) {
	case PM_SCALAR:
		break;
	case PM_INTEGER:
		return "it is an integer parameter (typeset -i), so zsh would "
		    "evaluate the value as arithmetic";
	case PM_EFLOAT:
	case PM_FFLOAT:
		return "it is a floating-point parameter (typeset -E or -F), "
		    "so zsh would evaluate the value as arithmetic";
	case PM_ARRAY:
		return "it is an array";
	case PM_HASHED:
		return "it is an associative array";
	default:
		return "it is not a plain scalar parameter";
	}
	if (flags & (PM_LOWER | PM_UPPER))
		return "it converts case (typeset -l or -u)";
	if (flags & (PM_LEFT | PM_RIGHT_B | PM_RIGHT_Z))
		return "it pads or truncates its value (typeset -L, -R or -Z)";
	if (flags & PM_TIED)
		return "it is tied to another parameter (typeset -T)";
	if (flags & (PM_SPECIAL | PM_AUTOLOAD))
		return "it is a special parameter";
	return NULL;
}

int
zcos_params_check(const char *nam, enum zcos_change change)
{
	const char *verb = change == ZCOS_CHANGE_SET ? "set" : "unset";
	const char *problem;
	Param pm;
	int i;

	for (i = 0; i < ZCOS_PARAM_COUNT; i++) {
		pm = (Param)paramtab->getnode(paramtab, zcos_param_names[i]);
		if (pm == NULL)
			continue;
		if (pm->node.flags & PM_READONLY) {
			zwarnnam(nam, "cannot %s %s: it is read-only; "
			    "nothing was changed", verb, zcos_param_names[i]);
			return COS_ERR_OTHER;
		}
		if (change == ZCOS_CHANGE_UNSET)
			continue;
		problem = type_problem(pm->node.flags);
		if (problem != NULL) {
			zwarnnam(nam, "cannot set %s: %s; nothing was changed",
			    zcos_param_names[i], problem);
			zwarnnam(nam, "run 'unset %s' first, then try again",
			    zcos_param_names[i]);
			return COS_ERR_OTHER;
		}
	}
	return COS_OK;
}

int
zcos_params_set(const char *nam,
    const char *const values[ZCOS_PARAM_COUNT])
{
	Param pm;
	int i;

	for (i = 0; i < ZCOS_PARAM_COUNT; i++) {
		/* assignsparam() takes ownership of a zalloc'd value, which
		 * metafy(..., META_DUP) returns; the name must be writable. */
		pm = assignsparam(dupstring(zcos_param_names[i]),
		    metafy((char *)values[i], -1, META_DUP), 0);
		if (pm == NULL) {
			zwarnnam(nam, "cannot set %s", zcos_param_names[i]);
			return COS_ERR_OTHER;
		}
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

void
zcos_params_read(char *values[ZCOS_PARAM_COUNT])
{
	char *value;
	int i;

	for (i = 0; i < ZCOS_PARAM_COUNT; i++) {
		value = getsparam((char *)zcos_param_names[i]);
		if (value == NULL || value[0] == '\0') {
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
