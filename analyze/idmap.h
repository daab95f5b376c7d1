/* A map from cell id to a number (open addressing; the ids are not copied
 * and must outlive the map). */
#ifndef SPLICELAB_ANALYZE_IDMAP_H
#define SPLICELAB_ANALYZE_IDMAP_H

#include <stddef.h>

struct idmap {
	const char **keys;
	long *values;
	size_t cap, used;
};

int idmap_init(struct idmap *map, size_t expected);
/* Adds key -> value unless key is there: returns its value then, else -1
 * (-2: out of memory). */
long idmap_put(struct idmap *map, const char *key, long value);
/* The value of key, or -1. */
long idmap_get(const struct idmap *map, const char *key);
void idmap_free(struct idmap *map);

#endif
