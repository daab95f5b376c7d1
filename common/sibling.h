/* The tools are installed side by side (build/, build/static/, a guest's
 * /bin, PREFIX/bin): one finds another beside its own binary first. */
#ifndef SPLICELAB_SIBLING_H
#define SPLICELAB_SIBLING_H

#include <stddef.h>

/* path = the directory of /proc/self/exe + "/" + name. Returns 0 when that
 * is an executable file, else -1 (path then holds name alone, for a
 * lookup on PATH). */
int sibling_tool(const char *name, char *path, size_t size);

#endif
