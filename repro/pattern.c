#include "pattern.h"

#include <string.h>

/* splitmix64 of the 8-byte word index: cheap, and no period a test could hit. */
static uint64_t pattern_word(uint64_t word_index)
{
	uint64_t z = word_index + 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint8_t pattern_byte(uint64_t offset)
{
	return (uint8_t)(pattern_word(offset >> 3) >> ((offset & 7) * 8));
}

void pattern_fill(uint8_t *buf, uint64_t offset, size_t len)
{
	size_t i = 0;
	while (i < len && ((offset + i) & 7))
		buf[i] = pattern_byte(offset + i), i++;
	for (; i + 8 <= len; i += 8) {
		uint64_t word = pattern_word((offset + i) >> 3);
		for (int b = 0; b < 8; b++)
			buf[i + (size_t)b] = (uint8_t)(word >> (b * 8));
	}
	for (; i < len; i++)
		buf[i] = pattern_byte(offset + i);
}

size_t pattern_check(const uint8_t *buf, uint64_t offset, size_t len)
{
	uint8_t expected[4096];
	for (size_t done = 0; done < len;) {
		size_t n = len - done;
		if (n > sizeof expected)
			n = sizeof expected;
		pattern_fill(expected, offset + done, n);
		if (memcmp(expected, buf + done, n) != 0) {
			for (size_t i = 0; i < n; i++)
				if (expected[i] != buf[done + i])
					return done + i;
		}
		done += n;
	}
	return len;
}
