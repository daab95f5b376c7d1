/* An output file appears whole or not at all: written to a temporary file
 * in the same folder, flushed, then renamed over the final name. */
#include "analyze.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary files not yet renamed, for the signal handler: an
 * interrupted run leaves neither a half-written output nor a temporary. */
#define MAX_OPEN 8
static struct outfile *volatile open_files[MAX_OPEN];

static void on_signal(int sig)
{
	for (int i = 0; i < MAX_OPEN; i++)
		if (open_files[i])
			unlink(open_files[i]->tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void track(struct outfile *out, bool on)
{
	static bool handlers;
	if (!handlers) {
		handlers = true;
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
	}
	for (int i = 0; i < MAX_OPEN; i++) {
		if (on && !open_files[i]) {
			open_files[i] = out;
			return;
		}
		if (!on && open_files[i] == out)
			open_files[i] = NULL;
	}
}

int out_open(struct outfile *out, const char *path)
{
	memset(out, 0, sizeof *out);
	snprintf(out->path, sizeof out->path, "%s", path);
	const char *slash = strrchr(path, '/');
	if (slash)
		snprintf(out->tmp, sizeof out->tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path,
			 slash + 1);
	else
		snprintf(out->tmp, sizeof out->tmp, ".%s.XXXXXX", path);
	int fd = mkstemp(out->tmp);
	if (fd < 0) {
		fprintf(stderr, "splicelab-analyze: cannot create '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	fchmod(fd, 0644);
	out->file = fdopen(fd, "w");
	if (!out->file) {
		close(fd);
		unlink(out->tmp);
		return -1;
	}
	track(out, true);
	return 0;
}

int out_commit(struct outfile *out)
{
	int rc = ferror(out->file) ? -1 : 0;
	if (fflush(out->file) != 0 || fsync(fileno(out->file)) != 0)
		rc = -1;
	if (fclose(out->file) != 0)
		rc = -1;
	out->file = NULL;
	if (rc == 0 && rename(out->tmp, out->path) < 0)
		rc = -1;
	track(out, false);
	if (rc < 0) {
		fprintf(stderr, "splicelab-analyze: writing '%s' failed: %s\n", out->path,
			strerror(errno));
		unlink(out->tmp);
	}
	return rc;
}

void out_abort(struct outfile *out)
{
	if (out->file)
		fclose(out->file);
	out->file = NULL;
	unlink(out->tmp);
	track(out, false);
}
