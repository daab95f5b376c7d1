/* The deterministic byte stream the client sends and the sink checks: every
 * offset has its own value, so loss, duplication and corruption all show up
 * with the offset where they happen. */
#ifndef SPLICELAB_PATTERN_H
#define SPLICELAB_PATTERN_H

#include <stddef.h>
#include <stdint.h>

uint8_t pattern_byte(uint64_t offset);
/* Fills buf with the stream's bytes [offset, offset + len). */
void pattern_fill(uint8_t *buf, uint64_t offset, size_t len);
/* Returns the index in buf of the first byte that differs from the stream
 * at offset, or len when all match. */
size_t pattern_check(const uint8_t *buf, uint64_t offset, size_t len);

#endif
