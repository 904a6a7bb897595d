/* range.h: the byte-range headers of the API, one parser each (fuzzed). */
#pragma once

#include <stdint.h>

/* Content-Range of an upload chunk: "START-END" as Distribution and the
 * OCI spec write it, or the RFC 9110 form "bytes START-END/LEN|*".
 * Inclusive bounds, START <= END. 0, or -1 if malformed. */
int content_range_parse(const char *s, uint64_t *start, uint64_t *end);

enum range_result {
  RANGE_NONE = 0,       /* no header, or one to ignore: serve everything */
  RANGE_OK,             /* serve [*off, *off + *len) with 206 */
  RANGE_UNSATISFIABLE,  /* 416 */
};

/* Range of a blob GET: a single "bytes=A-B", "bytes=A-" or "bytes=-N"
 * against an entity of `size` bytes. Malformed headers, other units and
 * multiple ranges are ignored (RFC 9110 allows serving the whole). */
enum range_result range_parse(const char *s, uint64_t size, uint64_t *off,
                              uint64_t *len);
