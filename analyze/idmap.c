#include "idmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *key)
{
	/* FNV-1a, 64 bits. */
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

int idmap_init(struct idmap *map, size_t expected)
{
	size_t cap = 16;
	while (cap < expected * 2)
		cap *= 2;
	map->keys = calloc(cap, sizeof *map->keys);
	map->values = calloc(cap, sizeof *map->values);
	map->cap = cap;
	map->used = 0;
	if (!map->keys || !map->values) {
		idmap_free(map);
		return -1;
	}
	return 0;
}

static size_t slot_of(const struct idmap *map, const char *key)
{
	size_t i = (size_t)hash(key) & (map->cap - 1);
	while (map->keys[i] && strcmp(map->keys[i], key) != 0)
		i = (i + 1) & (map->cap - 1);
	return i;
}

static int grow(struct idmap *map)
{
	struct idmap bigger;
	if (idmap_init(&bigger, map->cap) < 0)
		return -1;
	for (size_t i = 0; i < map->cap; i++)
		if (map->keys[i])
			idmap_put(&bigger, map->keys[i], map->values[i]);
	idmap_free(map);
	*map = bigger;
	return 0;
}

long idmap_put(struct idmap *map, const char *key, long value)
{
	if ((map->used + 1) * 2 > map->cap && grow(map) < 0)
		return -2;
	size_t i = slot_of(map, key);
	if (map->keys[i])
		return map->values[i];
	map->keys[i] = key;
	map->values[i] = value;
	map->used++;
	return -1;
}

long idmap_get(const struct idmap *map, const char *key)
{
	if (!map->cap)
		return -1;
	size_t i = slot_of(map, key);
	return map->keys[i] ? map->values[i] : -1;
}

void idmap_free(struct idmap *map)
{
	free(map->keys);
	free(map->values);
	map->keys = NULL;
	map->values = NULL;
	map->cap = map->used = 0;
}
