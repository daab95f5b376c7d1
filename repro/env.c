#include "env.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* One integer from a /proc/sys file, or JSON null when the file is absent
 * (pipe-user-pages-* appeared with pipe accounting; CentOS 7 has them). */
static json_t *proc_sys_integer(const char *path)
{
	FILE *file = fopen(path, "r");
	if (!file)
		return json_null();
	long long value;
	int matched = fscanf(file, "%lld", &value);
	fclose(file);
	return matched == 1 ? json_integer(value) : json_null();
}

/* KEY=value or KEY="value" from /etc/os-release. */
static void os_release_field(const char *key, char *buf, size_t len)
{
	buf[0] = '\0';
	FILE *file = fopen("/etc/os-release", "r");
	if (!file)
		file = fopen("/usr/lib/os-release", "r");
	if (!file)
		return;
	char line[512];
	size_t key_len = strlen(key);
	while (fgets(line, sizeof line, file)) {
		if (strncmp(line, key, key_len) != 0 || line[key_len] != '=')
			continue;
		char *value = line + key_len + 1;
		value[strcspn(value, "\n")] = '\0';
		size_t n = strlen(value);
		if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0]) {
			value[n - 1] = '\0';
			value++;
		}
		snprintf(buf, len, "%s", value);
		break;
	}
	fclose(file);
}

static bool stack_readable(void)
{
	FILE *file = fopen("/proc/self/stack", "r");
	if (!file)
		return false;
	char line[128];
	bool any = fgets(line, sizeof line, file) != NULL;
	fclose(file);
	return any;
}

json_t *env_capture(const char *virt)
{
	struct utsname uts;
	if (uname(&uts) < 0)
		memset(&uts, 0, sizeof uts);
	char pretty[256], id[64], version_id[64];
	os_release_field("PRETTY_NAME", pretty, sizeof pretty);
	os_release_field("ID", id, sizeof id);
	os_release_field("VERSION_ID", version_id, sizeof version_id);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:o, s:o, s:o, s:i, s:b, s:s}",
			 "kernel_release", uts.release, "kernel_version", uts.version, "machine",
			 uts.machine, "os", pretty[0] ? pretty : "unknown", "os_id", id,
			 "os_version_id", version_id, "page_size", (int)sysconf(_SC_PAGESIZE),
			 "nproc", (int)(cpus > 0 ? cpus : 1), "pipe_max_size",
			 proc_sys_integer("/proc/sys/fs/pipe-max-size"), "pipe_user_pages_soft",
			 proc_sys_integer("/proc/sys/fs/pipe-user-pages-soft"),
			 "pipe_user_pages_hard",
			 proc_sys_integer("/proc/sys/fs/pipe-user-pages-hard"), "uid",
			 (int)geteuid(), "proc_stack_readable", stack_readable(), "virt", virt);
}

void env_default_label(const json_t *env, char *buf, size_t len)
{
	const char *id = json_string_value(json_object_get(env, "os_id"));
	const char *version = json_string_value(json_object_get(env, "os_version_id"));
	const char *release = json_string_value(json_object_get(env, "kernel_release"));
	char major[16] = "";
	/* "12" for Debian, "7" for CentOS "7": the major version is enough. */
	if (version)
		snprintf(major, sizeof major, "%.*s", (int)strcspn(version, "."), version);
	snprintf(buf, len, "%s%s-%s", id && *id ? id : "linux", major,
		 release && *release ? release : "unknown");
	for (char *p = buf; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
}
