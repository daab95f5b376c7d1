#include "identity.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int parse_uid(const char *text, unsigned long *uid)
{
	char *end;
	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	*uid = strtoul(text, &end, 10);
	return errno || *end || *uid > 0x7fffffffUL ? -1 : 0;
}

int identity_lookup(const char *text, struct cell_user *user)
{
	unsigned long want_uid = 0;
	bool by_uid = parse_uid(text, &want_uid) == 0;
	if (!by_uid && (!*text || strlen(text) >= sizeof user->name))
		return -1;
	memset(user, 0, sizeof *user);
	FILE *file = fopen("/etc/passwd", "r");
	char line[512];
	while (file && fgets(line, sizeof line, file)) {
		/* name:password:uid:gid:... */
		char *save = NULL;
		char *name = strtok_r(line, ":", &save);
		char *password = name ? strtok_r(NULL, ":", &save) : NULL;
		char *uid_text = password ? strtok_r(NULL, ":", &save) : NULL;
		char *gid_text = uid_text ? strtok_r(NULL, ":", &save) : NULL;
		unsigned long uid, gid;
		if (!gid_text || parse_uid(uid_text, &uid) < 0 || parse_uid(gid_text, &gid) < 0)
			continue;
		if (by_uid ? uid != want_uid : strcmp(name, text) != 0)
			continue;
		user->set = true;
		user->uid = (uid_t)uid;
		user->gid = (gid_t)gid;
		snprintf(user->name, sizeof user->name, "%s", name);
		break;
	}
	if (file)
		fclose(file);
	if (!user->set && by_uid) {
		user->set = true;
		user->uid = (uid_t)want_uid;
		user->gid = (gid_t)want_uid;
		snprintf(user->name, sizeof user->name, "uid%lu", want_uid);
	}
	return user->set ? 0 : -1;
}

int identity_become(const struct cell_user *user, uint64_t fds_needed, const char **call)
{
	struct rlimit limit;
	*call = "getrlimit(RLIMIT_NOFILE)";
	if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
		return -1;
	if (fds_needed > limit.rlim_cur) {
		/* Root may lift the hard limit (up to fs.nr_open); others only
		 * the soft one. Too few is found later, at the call that needs
		 * the fd, and recorded as that call's EMFILE. */
		struct rlimit wanted = {.rlim_cur = fds_needed,
					.rlim_max = fds_needed > limit.rlim_max ? fds_needed
										: limit.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &wanted) < 0) {
			wanted.rlim_max = limit.rlim_max;
			wanted.rlim_cur = fds_needed < limit.rlim_max ? fds_needed : limit.rlim_max;
			setrlimit(RLIMIT_NOFILE, &wanted);
		}
	}
	if (!user->set || (user->uid == geteuid() && user->gid == getegid()))
		return 0;
	/* Groups first, then the gid, then the uid: each later step gives up
	 * the right the earlier ones need. */
	*call = "setgroups";
	if (setgroups(1, &user->gid) < 0)
		return -1;
	*call = "setgid";
	if (setgid(user->gid) < 0)
		return -1;
	*call = "setuid";
	if (setuid(user->uid) < 0)
		return -1;
	return 0;
}
