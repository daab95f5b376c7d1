/* Which types the object relocates against comes from its own .BTF.ext
 * (the CO-RE relocation records); each kernel struct or union of those
 * names is copied with every member at its own offset, the members'
 * types reduced to what libbpf compares for a field: ints keep size and
 * encoding, pointers point to void, named structs become empty ones of the
 * same name and size, anonymous ones (6.x's head/tail union) are copied
 * whole the same way, arrays keep their length. Anything else in the
 * records (enum values, non-struct roots, a field reached through a named
 * struct) makes the cut refuse, so libbpf falls back to the full file. */
#include "min_btf.h"

#include <bpf/btf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WANTED 32

/* .BTF.ext as the compiler writes it (include/uapi/linux/btf.h has no
 * definition; libbpf keeps its own private). */
struct btf_ext_header {
	__u16 magic;
	__u8 version;
	__u8 flags;
	__u32 hdr_len;
	__u32 func_info_off, func_info_len;
	__u32 line_info_off, line_info_len;
	__u32 core_relo_off, core_relo_len;
};

struct core_relo {
	__u32 insn_off, type_id, access_str_off, kind;
};

enum { RELO_FIELD_LAST = 5, RELO_TYPE_ID_LOCAL = 6, RELO_TYPE_EXISTS = 8, RELO_TYPE_SIZE = 9 };

struct wanted {
	char names[MAX_WANTED][128];
	int count;
};

/* libbpf's rule: "name___flavour" relocates as "name". */
static size_t essential_len(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = n >= 5 ? n - 5 + 1 : 0; i-- > 0;)
		if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' &&
		    name[i + 3] == '_' && name[i + 4] != '_')
			return i + 1;
	return n;
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

static int want(struct wanted *wanted, const char *name)
{
	size_t len = essential_len(name);
	if (len >= sizeof wanted->names[0])
		return -1;
	for (int i = 0; i < wanted->count; i++)
		if (strlen(wanted->names[i]) == len && strncmp(wanted->names[i], name, len) == 0)
			return 0;
	if (wanted->count == MAX_WANTED)
		return -1;
	memcpy(wanted->names[wanted->count], name, len);
	wanted->names[wanted->count++][len] = '\0';
	return 0;
}

/* A field relocation's access string ("0:3:1") may pass through anonymous
 * members only: a named struct on the way would be an empty copy. */
static int check_access(const struct btf *local, __u32 root, const char *access)
{
	const struct btf_type *t = skip_mods(local, &root);
	const char *p = strchr(access, ':');
	while (p) {
		unsigned long idx = strtoul(p + 1, NULL, 10);
		p = strchr(p + 1, ':');
		if (!t || !btf_is_composite(t) || idx >= btf_vlen(t))
			return -1;
		__u32 member = btf_members(t)[idx].type;
		const struct btf_type *next = skip_mods(local, &member);
		if (!p)
			return 0;
		if (!next || !btf_is_composite(next) || next->name_off)
			return -1;
		t = next;
	}
	return 0;
}

static int collect(const struct btf *local, const void *ext, size_t ext_size,
		   struct wanted *wanted)
{
	const struct btf_ext_header *hdr = ext;
	if (ext_size < sizeof *hdr || hdr->magic != 0xeB9F ||
	    hdr->hdr_len < sizeof *hdr || hdr->hdr_len > ext_size)
		return -1;
	const unsigned char *base = (const unsigned char *)ext + hdr->hdr_len;
	size_t avail = ext_size - hdr->hdr_len;
	if (hdr->core_relo_len < 4 || hdr->core_relo_off > avail ||
	    hdr->core_relo_len > avail - hdr->core_relo_off)
		return -1;
	const unsigned char *p = base + hdr->core_relo_off, *end = p + hdr->core_relo_len;
	__u32 rec_size;
	memcpy(&rec_size, p, 4);
	p += 4;
	if (rec_size < sizeof(struct core_relo))
		return -1;
	while (end - p >= 8) {
		__u32 sec[2];
		memcpy(sec, p, 8);
		p += 8;
		if ((size_t)(end - p) / rec_size < sec[1])
			return -1;
		for (__u32 i = 0; i < sec[1]; i++, p += rec_size) {
			struct core_relo relo;
			memcpy(&relo, p, sizeof relo);
			if (relo.kind == RELO_TYPE_ID_LOCAL)
				continue;
			__u32 id = relo.type_id;
			const struct btf_type *t = skip_mods(local, &id);
			const char *name = t ? btf__name_by_offset(local, t->name_off) : NULL;
			bool field = relo.kind <= RELO_FIELD_LAST;
			bool type = relo.kind == RELO_TYPE_EXISTS || relo.kind == RELO_TYPE_SIZE;
			if (!t || !btf_is_composite(t) || !name || !*name || !(field || type))
				return -1;
			if (field && check_access(local, relo.type_id,
						  btf__name_by_offset(local, relo.access_str_off)))
				return -1;
			if (want(wanted, name))
				return -1;
		}
	}
	return 0;
}

struct cut {
	const struct btf *kernel;
	struct btf *min;
	int *made; /* kernel type id -> its reduced copy in min (0: none yet) */
	int void_ptr, index_int;
};

static int copy_composite(struct cut *cut, __u32 id);

/* The reduced type of a member; < 0 when it cannot be modelled. */
static int reduced(struct cut *cut, __u32 id)
{
	const struct btf_type *t = skip_mods(cut->kernel, &id);
	if (!id)
		return 0;
	if (!t)
		return -1;
	if (cut->made[id] && !(btf_is_composite(t) && !t->name_off))
		return cut->made[id];
	const char *name = btf__name_by_offset(cut->kernel, t->name_off);
	int made;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		made = btf__add_int(cut->min, name, t->size, btf_int_encoding(t));
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		/* Field relocations compare only the kind family and size here. */
		made = btf__add_int(cut->min, "enum", t->size, BTF_INT_SIGNED);
		break;
	case BTF_KIND_FLOAT:
		made = btf__add_float(cut->min, name, t->size);
		break;
	case BTF_KIND_PTR:
		if (!cut->void_ptr)
			cut->void_ptr = btf__add_ptr(cut->min, 0);
		return cut->void_ptr;
	case BTF_KIND_FWD:
		made = btf__add_fwd(cut->min, name,
				    btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *array = btf_array(t);
		int elem = reduced(cut, array->type);
		if (elem < 0)
			return elem;
		if (!cut->index_int)
			cut->index_int = btf__add_int(cut->min, "unsigned int", 4, 0);
		made = btf__add_array(cut->min, cut->index_int, elem, array->nelems);
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (!t->name_off)
			return copy_composite(cut, id);
		made = btf_is_struct(t) ? btf__add_struct(cut->min, name, t->size)
					: btf__add_union(cut->min, name, t->size);
		break;
	default:
		return -1;
	}
	if (made > 0)
		cut->made[id] = made;
	return made;
}

/* btf__add_field appends to the type added last, so every member's type
 * is made first. */
static int copy_composite(struct cut *cut, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(cut->kernel, id);
	__u16 vlen = btf_vlen(t);
	int *types = calloc(vlen ? vlen : 1, sizeof *types);
	if (!types)
		return -1;
	const struct btf_member *m = btf_members(t);
	for (__u16 i = 0; i < vlen; i++)
		if ((types[i] = reduced(cut, m[i].type)) < 0) {
			int err = types[i];
			free(types);
			return err;
		}
	const char *name = t->name_off ? btf__name_by_offset(cut->kernel, t->name_off) : NULL;
	int made = btf_is_struct(t) ? btf__add_struct(cut->min, name, t->size)
				    : btf__add_union(cut->min, name, t->size);
	for (__u16 i = 0; made > 0 && i < vlen; i++) {
		const char *member = m[i].name_off ? btf__name_by_offset(cut->kernel, m[i].name_off)
						   : NULL;
		if (btf__add_field(cut->min, member, types[i], btf_member_bit_offset(t, i),
				   btf_member_bitfield_size(t, i)))
			made = -1;
	}
	free(types);
	return made;
}

static int object_sections(const void *object, size_t size, struct btf **local,
			   const void **ext, size_t *ext_size)
{
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)object, size);
	size_t names;
	int rc = -1;
	const void *btf_data = NULL;
	size_t btf_size = 0;
	if (!elf || elf_getshdrstrndx(elf, &names))
		goto out;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr shdr;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &shdr))
			goto out;
		const char *name = elf_strptr(elf, names, shdr.sh_name);
		if (!name || !(data = elf_getdata(scn, NULL)))
			continue;
		if (strcmp(name, ".BTF") == 0) {
			btf_data = data->d_buf;
			btf_size = data->d_size;
		} else if (strcmp(name, ".BTF.ext") == 0) {
			*ext = data->d_buf;
			*ext_size = data->d_size;
		}
	}
	if (btf_data && *ext) {
		*local = btf__new(btf_data, (__u32)btf_size);
		rc = *local ? 0 : -1;
	}
out:
	elf_end(elf);
	return rc;
}

int min_btf_make(const struct btf *kernel, const void *object, size_t object_size,
		 struct min_btf *out)
{
	struct wanted wanted = {0};
	struct btf *local = NULL;
	const void *ext = NULL;
	size_t ext_size = 0;
	struct cut cut = {.kernel = kernel};
	int rc = -1;

	out->fd = -1;
	out->types = 0;
	if (object_sections(object, object_size, &local, &ext, &ext_size) ||
	    collect(local, ext, ext_size, &wanted))
		goto out;
	__u32 count = btf__type_cnt(kernel);
	cut.made = calloc(count, sizeof *cut.made);
	cut.min = btf__new_empty();
	if (!cut.made || !cut.min)
		goto out;
	for (__u32 id = 1; id < count; id++) {
		const struct btf_type *t = btf__type_by_id(kernel, id);
		if (!btf_is_composite(t) || !t->name_off)
			continue;
		const char *name = btf__name_by_offset(kernel, t->name_off);
		size_t len = essential_len(name);
		for (int i = 0; i < wanted.count; i++)
			if (strlen(wanted.names[i]) == len && strncmp(wanted.names[i], name, len) == 0) {
				if (copy_composite(&cut, id) < 0)
					goto out;
				break;
			}
	}
	/* A kernel's BTF may hold hundreds of copies of one struct (CentOS 7's
	 * has ~600 task_structs); reduced, equal ones merge, and libbpf then
	 * compares each distinct layout once, as it would have anyway. */
	if (btf__dedup(cut.min, NULL))
		goto out;
	__u32 size;
	const void *raw = btf__raw_data(cut.min, &size);
	/* A file, not a memfd: 3.10 has no memfd_create. */
	const char *dir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/splicelab-btf.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = raw ? mkstemp(path) : -1;
	if (fd < 0)
		goto out;
	unlink(path);
	if (write(fd, raw, size) != (ssize_t)size) {
		close(fd);
		goto out;
	}
	out->fd = fd;
	out->types = btf__type_cnt(cut.min) - 1;
	snprintf(out->path, sizeof out->path, "/proc/self/fd/%d", fd);
	rc = 0;
out:
	btf__free(cut.min);
	btf__free(local);
	free(cut.made);
	return rc;
}

void min_btf_close(struct min_btf *min)
{
	if (min->fd >= 0)
		close(min->fd);
	min->fd = -1;
}
