/* The doctor's pure parsers: Go build information, which Go versions
 * splice without SPLICE_F_NONBLOCK, and /proc/net/tcp lines. */
#include "cmocka_prelude.h"

#include <string.h>

#include "ends.h"
#include "gobuild.h"

/* A .go.buildinfo section as Go >= 1.18 writes it: header, then the
 * version and the module info (in its 16-byte sentinels), varint-prefixed. */
static size_t make_section(unsigned char *buf, const char *version, const char *info, int flags)
{
	memset(buf, 0, 32);
	static const unsigned char magic[14] = {0xff, ' ', 'G', 'o', ' ', 'b', 'u', 'i',
						'l', 'd', 'i', 'n', 'f', ':'};
	memcpy(buf, magic, sizeof magic);
	buf[14] = 8;
	buf[15] = (unsigned char)flags;
	size_t used = 32;
	const char *strings[] = {version, info};
	for (int i = 0; i < 2; i++) {
		size_t n = strlen(strings[i]);
		/* Two-byte varints for lengths >= 128, to cover the continuation bit. */
		if (n >= 128) {
			buf[used++] = (unsigned char)(0x80 | (n & 0x7f));
			buf[used++] = (unsigned char)(n >> 7);
		} else {
			buf[used++] = (unsigned char)n;
		}
		memcpy(buf + used, strings[i], n);
		used += n;
	}
	return used;
}

static const char sentinel_info[] = "0123456789abcdef"
				    "path\texample.com/goproxy\n"
				    "mod\texample.com/goproxy\t(devel)\t\n"
				    "build\t-trimpath=true\n"
				    "build\tCGO_ENABLED=0\n"
				    "build\tGOARCH=amd64\n"
				    "build\tGOOS=linux\n"
				    "build\tGOAMD64=v1\n"
				    "fedcba9876543210";

static void test_parse_inline(void **state)
{
	(void)state;
	unsigned char buf[1024];
	size_t n = make_section(buf, "go1.21.1", sentinel_info, 2);
	struct go_build b;
	assert_int_equal(gobuild_parse(buf, n, &b), GOBUILD_FOUND);
	assert_string_equal(b.version, "go1.21.1");
	assert_string_equal(b.path, "example.com/goproxy");
	assert_string_equal(b.module, "example.com/goproxy");
}

static void test_parse_refusals(void **state)
{
	(void)state;
	unsigned char buf[1024];
	struct go_build b;
	size_t n = make_section(buf, "go1.17.13", sentinel_info, 0);
	assert_int_equal(gobuild_parse(buf, n, &b), GOBUILD_OLD_FORMAT);
	n = make_section(buf, "go1.21.1", sentinel_info, 2);
	/* Cut inside the module info: the length overruns the section. */
	assert_int_equal(gobuild_parse(buf, 32 + 1 + 8 + 4, &b), GOBUILD_NOT_GO);
	buf[1] = 'X';
	assert_int_equal(gobuild_parse(buf, n, &b), GOBUILD_NOT_GO);
	assert_int_equal(gobuild_parse(buf, 10, &b), GOBUILD_NOT_GO);
}

static void test_go_versions(void **state)
{
	(void)state;
	static const struct {
		const char *version;
		enum go_splice want;
	} cases[] = {
		{"go1.19.8", GO_SPLICE_NOT_AFFECTED},  {"go1.20.14", GO_SPLICE_NOT_AFFECTED},
		{"go1.21rc2", GO_SPLICE_AFFECTED},     {"go1.21.0", GO_SPLICE_AFFECTED},
		{"go1.21.1", GO_SPLICE_AFFECTED},      {"go1.21.4", GO_SPLICE_AFFECTED},
		{"go1.21.5", GO_SPLICE_NOT_AFFECTED},  {"go1.21.13", GO_SPLICE_NOT_AFFECTED},
		{"go1.22.0", GO_SPLICE_NOT_AFFECTED},  {"go1.21.3 X:boringcrypto", GO_SPLICE_AFFECTED},
		{"devel go1.22-abc", GO_SPLICE_UNKNOWN}, {"go1.21.x", GO_SPLICE_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (go_version_splice(cases[i].version) != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].version,
				 go_version_splice(cases[i].version), cases[i].want);
	}
}

static void test_tcp_lines(void **state)
{
	(void)state;
	struct tcp_sock s;
	/* Lines as 3.10 and 6.x print them. */
	assert_true(tcp_line_parse("   3: 0100007F:4E20 0100007F:D5E2 01 00000000:000E6B5E 00:00000000 "
				   "00000000  1000        0 19845 1 ffff880 20 4 30 10 -1",
				   &s));
	assert_string_equal(s.local, "127.0.0.1:20000");
	assert_string_equal(s.remote, "127.0.0.1:54754");
	assert_int_equal(s.state, 1);
	assert_int_equal(s.rx_queue, 0xE6B5E);
	assert_int_equal(s.tx_queue, 0);
	assert_int_equal(s.inode, 19845);
	assert_true(tcp_line_parse("   0: 00000000000000000000000001000000:1F90 "
				   "00000000000000000000000000000000:0000 0A 00000010:00000002 "
				   "00:00000000 00000000     0        0 4242 1 0000 100 0 0 10 0",
				   &s));
	assert_string_equal(s.local, "[::1]:8080");
	assert_int_equal(s.state, 0x0A);
	assert_int_equal(s.tx_queue, 16);
	assert_int_equal(s.rx_queue, 2);
	assert_false(tcp_line_parse("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
				    "retrnsmt   uid  timeout inode",
				    &s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_inline),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_go_versions),
		cmocka_unit_test(test_tcp_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
