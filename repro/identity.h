/* Running a cell as another user (--as-user): the name or uid resolved from
 * /etc/passwd (read directly: the static build has no NSS), and the switch
 * itself in the forked cell. */
#ifndef SPLICELAB_IDENTITY_H
#define SPLICELAB_IDENTITY_H

#include <stdint.h>

#include "params.h"

/* NAME or a decimal UID -> user. A uid without a passwd entry gets the gid
 * of the same number and the name "uid<N>". Returns -1 when NAME is not in
 * /etc/passwd (or not a uid). */
int identity_lookup(const char *text, struct cell_user *user);

/* In the cell, before anything is opened: raises RLIMIT_NOFILE to
 * fds_needed (as far as the hard limit allows, higher when root), then
 * drops to the user. Returns 0, or -1 with errno set and *call naming the
 * step that failed. */
int identity_become(const struct cell_user *user, uint64_t fds_needed, const char **call);

#endif
