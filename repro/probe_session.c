/* Placeholder until probes/ provides the real session: says plainly that
 * this build has no probes, so --probe degrades to mode "none". */
#include "probe_session.h"

struct probe_session *probe_session_start(const char *events_path, pid_t runner_pid,
					  json_t **env_probes)
{
	(void)events_path;
	(void)runner_pid;
	*env_probes = json_pack("{s:s, s:s}", "mode", "none", "reason",
				"this build of splicelab has no kernel probes");
	return NULL;
}

int probe_session_stop(struct probe_session *session, json_t *env_probes)
{
	(void)session;
	(void)env_probes;
	return 0;
}

int probe_session_join(const char *events_path, const struct probe_run *runs, size_t nruns,
		       json_t *cells)
{
	(void)events_path;
	(void)runs;
	(void)nruns;
	(void)cells;
	return 0;
}
