#include "gobuild.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The header's layout is cmd/link's and debug/buildinfo's: 14 bytes of
 * magic, the pointer size, a flags byte, 16 bytes of pointers (zero from
 * Go 1.18 on), then (flag bit 2, Go >= 1.18) two varint-prefixed strings:
 * the Go version and the module info. */
static const char magic[] = "\xff Go buildinf:";
#define MAGIC_LEN 14
#define HEADER_LEN 32
#define FLAG_VERSION_INLINE 0x2
#define MAX_SECTION (1u << 20)

static bool read_varint(const unsigned char **p, const unsigned char *end, uint64_t *value)
{
	uint64_t v = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*value = v;
			return true;
		}
	}
	return false;
}

static bool read_string(const unsigned char **p, const unsigned char *end, const char **s,
			size_t *len)
{
	uint64_t n;
	if (!read_varint(p, end, &n) || n > (uint64_t)(end - *p))
		return false;
	*s = (const char *)*p;
	*len = (size_t)n;
	*p += n;
	return true;
}

static void copy_field(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* The module info is "path\tP\nmod\tM\tV\tH\n..." wrapped in 16-byte
 * sentinels; only the first two lines are wanted. */
static void parse_modinfo(const char *info, size_t len, struct go_build *out)
{
	if (len >= 33 && info[len - 17] == '\n') {
		info += 16;
		len -= 32;
	}
	const char *end = info + len;
	for (const char *line = info; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end;
		const char *tab = memchr(line, '\t', (size_t)(stop - line));
		if (tab) {
			size_t key = (size_t)(tab - line);
			const char *val = tab + 1;
			const char *val_end = memchr(val, '\t', (size_t)(stop - val));
			if (!val_end)
				val_end = stop;
			if (key == 4 && memcmp(line, "path", 4) == 0)
				copy_field(out->path, sizeof out->path, val, (size_t)(val_end - val));
			else if (key == 3 && memcmp(line, "mod", 3) == 0)
				copy_field(out->module, sizeof out->module, val,
					   (size_t)(val_end - val));
		}
		line = stop + 1;
	}
}

enum gobuild_result gobuild_parse(const unsigned char *data, size_t len, struct go_build *out)
{
	memset(out, 0, sizeof *out);
	if (len < HEADER_LEN || memcmp(data, magic, MAGIC_LEN) != 0)
		return GOBUILD_NOT_GO;
	if (!(data[15] & FLAG_VERSION_INLINE))
		return GOBUILD_OLD_FORMAT;
	const unsigned char *p = data + HEADER_LEN, *end = data + len;
	const char *version, *info;
	size_t version_len, info_len;
	if (!read_string(&p, end, &version, &version_len) ||
	    !read_string(&p, end, &info, &info_len))
		return GOBUILD_NOT_GO;
	copy_field(out->version, sizeof out->version, version, version_len);
	parse_modinfo(info, info_len, out);
	return out->version[0] ? GOBUILD_FOUND : GOBUILD_NOT_GO;
}

static bool pread_all(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/* Offset and size of .go.buildinfo from the section headers; false when
 * the file has none or no such section (stripped with --strip-sections). */
static bool find_section(int fd, const Elf64_Ehdr *eh, off_t *off, size_t *size)
{
	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 ||
	    eh->e_shstrndx >= eh->e_shnum || eh->e_shnum > 4096)
		return false;
	Elf64_Shdr *sh = calloc(eh->e_shnum, sizeof *sh);
	if (!sh)
		return false;
	bool found = false;
	char *names = NULL;
	if (!pread_all(fd, sh, eh->e_shnum * sizeof *sh, (off_t)eh->e_shoff))
		goto out;
	const Elf64_Shdr *strtab = &sh[eh->e_shstrndx];
	if (strtab->sh_size == 0 || strtab->sh_size > MAX_SECTION)
		goto out;
	names = malloc(strtab->sh_size + 1);
	if (!names || !pread_all(fd, names, strtab->sh_size, (off_t)strtab->sh_offset))
		goto out;
	names[strtab->sh_size] = '\0';
	for (unsigned i = 0; i < eh->e_shnum && !found; i++) {
		if (sh[i].sh_name < strtab->sh_size &&
		    strcmp(names + sh[i].sh_name, ".go.buildinfo") == 0 && sh[i].sh_type != SHT_NOBITS) {
			*off = (off_t)sh[i].sh_offset;
			*size = sh[i].sh_size < MAX_SECTION ? sh[i].sh_size : MAX_SECTION;
			found = true;
		}
	}
out:
	free(names);
	free(sh);
	return found;
}

/* Without section headers: the header sits 16-byte aligned in the data,
 * so scan the file in 1 MiB blocks (a few MB for a typical Go binary). */
static enum gobuild_result scan_for_magic(int fd, struct go_build *out)
{
	enum { BLOCK = 1 << 20, KEEP = 4096 };
	unsigned char *buf = malloc(BLOCK + KEEP);
	if (!buf)
		return GOBUILD_UNREADABLE;
	enum gobuild_result r = GOBUILD_NOT_GO;
	for (off_t off = 0;; off += BLOCK) {
		ssize_t n = pread(fd, buf, BLOCK + KEEP, off);
		if (n < HEADER_LEN)
			break;
		for (size_t i = 0; i + HEADER_LEN <= (size_t)n && i < BLOCK; i += 16) {
			if (buf[i] == 0xff && memcmp(buf + i, magic, MAGIC_LEN) == 0) {
				r = gobuild_parse(buf + i, (size_t)n - i, out);
				goto done;
			}
		}
	}
done:
	free(buf);
	return r;
}

enum gobuild_result gobuild_read(const char *path, struct go_build *out)
{
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return GOBUILD_UNREADABLE;
	enum gobuild_result r = GOBUILD_UNREADABLE;
	Elf64_Ehdr eh;
	if (!pread_all(fd, &eh, sizeof eh, 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
		errno = ENOEXEC;
		goto out;
	}
	off_t off;
	size_t size;
	if (eh.e_ident[EI_CLASS] == ELFCLASS64 && find_section(fd, &eh, &off, &size)) {
		unsigned char *data = malloc(size);
		if (data && pread_all(fd, data, size, off))
			r = gobuild_parse(data, size, out);
		free(data);
	} else {
		r = scan_for_magic(fd, out);
	}
out:
	if (r == GOBUILD_UNREADABLE) {
		int saved = errno;
		close(fd);
		errno = saved;
	} else {
		close(fd);
	}
	return r;
}

enum go_splice go_version_splice(const char *version)
{
	unsigned major, minor, patch = 0;
	int used = 0;
	if (sscanf(version, "go%u.%u%n", &major, &minor, &used) != 2)
		return GO_SPLICE_UNKNOWN;
	const char *rest = version + used;
	/* Go commit be27fcfd2b (golang/go#59041) dropped SPLICE_F_NONBLOCK
	 * during the 1.21 cycle, so its pre-releases carry it too; 8ae493b5b8
	 * (golang/go#63801) put it back in 1.21.5, 40cdf69fc9 in 1.22.0. */
	if (major != 1 || minor != 21)
		return GO_SPLICE_NOT_AFFECTED;
	if (strncmp(rest, "rc", 2) == 0 || *rest == '\0' || *rest == ' ')
		return GO_SPLICE_AFFECTED;
	if (sscanf(rest, ".%u", &patch) != 1)
		return GO_SPLICE_UNKNOWN;
	return patch <= 4 ? GO_SPLICE_AFFECTED : GO_SPLICE_NOT_AFFECTED;
}
