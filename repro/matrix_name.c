#include "matrix_name.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "options.h"

/* The sum of each id's FNV-1a: stable across runs and machines, and the
 * same for the same cells in any order (-n 4K,64K and -n 64K,4K). */
struct id_hash {
	uint64_t value;
	size_t count;
};

static void hash_id(struct id_hash *hash, const char *id)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	hash->value += h;
	hash->count++;
}

static struct id_hash hash_cells(const struct cell_params *cells, size_t ncells)
{
	struct id_hash hash = {0, 0};
	char id[512];
	for (size_t i = 0; i < ncells; i++) {
		cell_id(&cells[i], id, sizeof id);
		hash_id(&hash, id);
	}
	return hash;
}

/* The name for a hash: a preset's when it has exactly that preset's cells. */
static void name_hash(struct id_hash hash, char *buf, size_t len)
{
	static const enum preset presets[] = {PRESET_DEFAULT, PRESET_QUICK, PRESET_PROFILES,
					      PRESET_THROUGHPUT};
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
		struct matrix_spec spec;
		memset(&spec, 0, sizeof spec);
		spec.preset = presets[i];
		spec.preset_given = true;
		spec.head_start = (uint64_t)256 * 1024; /* the option's default */
		spec.corrupt_at = -1;
		size_t n = 0;
		struct cell_params *cells = grid_expand(&spec, &n);
		struct id_hash preset = hash_cells(cells, n);
		free(cells);
		if (cells && preset.count == hash.count && preset.value == hash.value) {
			snprintf(buf, len, "%s", preset_names[presets[i]]);
			return;
		}
	}
	snprintf(buf, len, "grid-%08x", (unsigned int)(hash.value ^ (hash.value >> 32)));
}

void matrix_name(const struct cell_params *cells, size_t ncells, char *buf, size_t len)
{
	name_hash(hash_cells(cells, ncells), buf, len);
}

void matrix_name_of_doc(const json_t *doc, char *buf, size_t len)
{
	const json_t *params = json_object_get(doc, "params");
	const char *recorded = json_string_value(json_object_get(params, "matrix"));
	if (recorded) {
		snprintf(buf, len, "%s", recorded);
		return;
	}
	struct id_hash hash = {0, 0};
	size_t index;
	const json_t *cell;
	json_array_foreach(json_object_get(doc, "cells"), index, cell)
	{
		const char *id = json_string_value(json_object_get(cell, "id"));
		hash_id(&hash, id ? id : "");
	}
	name_hash(hash, buf, len);
	const char *preset = json_string_value(json_object_get(params, "preset"));
	if (strncmp(buf, "grid-", 5) == 0 && preset && strcmp(preset, "default") == 0)
		snprintf(buf, len, "default");
}
