/* fuzz_common.h - what the libFuzzer targets share: the length-prefixed chunk
 * format of the multi-message targets, a way to make the sanitizers look at
 * every byte an API hands back, and a check that aborts (a finding) when a
 * property of the library does not hold. Header-only so that every target
 * stays one C file. */
#ifndef MYNA_FUZZ_COMMON_H
#define MYNA_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A property the library promises does not hold: report and abort, which
 * libFuzzer records as a crash with the input that caused it. */
#define FUZZ_CHECK(cond)                                                      \
  do {                                                                        \
    if(!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__,   \
              #cond);                                                         \
      abort();                                                                \
    }                                                                         \
  } while(0)

/* Read every byte of p[0 .. n): out-of-bounds or freed memory handed back by
 * the library is then seen by ASan, uninitialised memory by MSan. */
static inline void fuzz_touch(const void *p, size_t n)
{
  volatile uint8_t sink = 0;
  const uint8_t *b = p;
  for(size_t i = 0; i < n; i++)
    sink ^= b[i];
  (void)sink;
}

/* The input of the multi-message targets: a sequence of chunks, each a
 * 2-byte big-endian length and that many bytes. A length beyond what is left
 * takes what is left. */
typedef struct fuzz_chunks {
  const uint8_t *p;
  size_t n;
  size_t pos;
} fuzz_chunks;

/* Next chunk into *chunk / *len. false at the end of the input. *code is the
 * raw 16-bit length field. A length of special_min or more (0: none is
 * special) is a code for the target to interpret: it takes no bytes and
 * *len is 0. */
static inline bool fuzz_next_chunk(fuzz_chunks *c, const uint8_t **chunk,
                                   size_t *len, unsigned *code,
                                   unsigned special_min)
{
  if(c->n - c->pos < 2)
    return false;
  unsigned l = (unsigned)c->p[c->pos] << 8 | c->p[c->pos + 1];
  c->pos += 2;
  if(code)
    *code = l;
  if(special_min && l >= special_min) {
    *chunk = c->p + c->pos;
    *len = 0;
    return true;
  }
  size_t take = l;
  if(take > c->n - c->pos)
    take = c->n - c->pos;
  *chunk = c->p + c->pos;
  *len = take;
  c->pos += take;
  return true;
}

#endif
