/* mynacard/secret.h - the one type that holds PINs, passwords and the My Number.
 *
 * A myna_secret is an opaque heap object whose buffer is locked in memory
 * where the system allows (mlock), excluded from core dumps (MADV_DONTDUMP)
 * and wiped on free. It is not a C string and cannot be passed to printf by
 * accident; the bytes are reachable only through myna_secret_bytes().
 */
#ifndef MYNACARD_SECRET_H
#define MYNACARD_SECRET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct myna_secret myna_secret;

/* Largest secret the type holds (bytes). */
#define MYNA_SECRET_MAX 64

/* New empty secret. Returns NULL when out of memory. */
myna_secret *myna_secret_new(void);

/* New secret holding a copy of n bytes of p (n <= MYNA_SECRET_MAX). The caller
 * remains responsible for wiping its own copy. NULL on error. */
myna_secret *myna_secret_from_bytes(const void *p, size_t n);

/* Append n bytes; MYNA_E_BUFFER_TOO_SMALL past MYNA_SECRET_MAX. */
myna_rv myna_secret_append(myna_secret *s, const void *p, size_t n);

/* Replace the content with n bytes of p. */
myna_rv myna_secret_set(myna_secret *s, const void *p, size_t n);

size_t myna_secret_len(const myna_secret *s);
const uint8_t *myna_secret_bytes(const myna_secret *s);

/* Constant-time comparison of content. */
int myna_secret_equal(const myna_secret *a, const myna_secret *b);

/* Wipe the content, keep the object. */
void myna_secret_clear(myna_secret *s);

/* Wipe and free. NULL is accepted. */
void myna_secret_free(myna_secret *s);

/* Read one line from file descriptor fd, one byte at a time so that nothing
 * beyond the newline is consumed and no stdio buffer ever holds the secret.
 * The newline (and a preceding CR) is not stored. MYNA_E_IO on end of file
 * before any byte; MYNA_E_PIN_FORMAT for a line longer than MYNA_SECRET_MAX
 * (the rest of that line is consumed and nothing is kept). */
myna_rv myna_secret_read_line_fd(int fd, myna_secret **out);

/* Prompt on the controlling terminal with echo off and read one line.
 * MYNA_E_IO when there is no terminal. */
myna_rv myna_secret_read_tty(const char *prompt, myna_secret **out);

#ifdef __cplusplus
}
#endif
#endif
