/*
 * policy.h - the CAM policy that scopes a token to a bucket and prefix.
 */
#ifndef COS_POLICY_H
#define COS_POLICY_H

#include "internal.h"

/* Builds the policy JSON for the scoping options of opts (bucket, prefix,
 * read_only, actions, appid) in region.  *out is NULL when opts requests
 * no scoping, else a malloc'ed string.  COS_ERR_USAGE on bad options. */
int cos_policy_build(const struct cos_token_options *opts,
    const char *region, char **out, struct cos_error *err);

/* Returns nonzero when opts has any scoping option. */
int cos_policy_wanted(const struct cos_token_options *opts);

#endif /* COS_POLICY_H */
