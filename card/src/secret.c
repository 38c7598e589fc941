/* secret.c - the one type for PINs, passwords and the My Number.
 *
 * Each secret lives on its own anonymous page so that it can be locked
 * (never swapped), excluded from core dumps and unlocked on free without
 * affecting any other allocation sharing the page. */
#include "mynacard/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "card_internal.h"

struct myna_secret {
  size_t len;
  size_t map_len;
  bool locked;
  uint8_t buf[MYNA_SECRET_MAX];
};

void Myna_wipe(void *p, size_t n)
{
  if(p && n)
    explicit_bzero(p, n);
}

void Myna_free_wiped(void *p, size_t n)
{
  if(!p)
    return;
  Myna_wipe(p, n);
  free(p);
}

myna_secret *myna_secret_new(void)
{
  long page = sysconf(_SC_PAGESIZE);
  size_t map_len = page > 0 ? (size_t)page : 4096;
  if(map_len < sizeof(myna_secret))
    map_len = sizeof(myna_secret);
  void *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if(p == MAP_FAILED)
    return NULL;
  /* Both are best effort: RLIMIT_MEMLOCK may be small for ordinary users,
   * and the secret is still wiped on free. */
  myna_secret *s = p;
  s->locked = mlock(p, map_len) == 0;
  (void)madvise(p, map_len, MADV_DONTDUMP);
  s->map_len = map_len;
  s->len = 0;
  return s;
}

myna_secret *myna_secret_from_bytes(const void *p, size_t n)
{
  myna_secret *s = myna_secret_new();
  if(!s)
    return NULL;
  if(myna_secret_set(s, p, n)) {
    myna_secret_free(s);
    return NULL;
  }
  return s;
}

myna_rv myna_secret_append(myna_secret *s, const void *p, size_t n)
{
  if(!s || (!p && n))
    return MYNA_E_INVALID_ARGUMENT;
  if(n > MYNA_SECRET_MAX - s->len)
    return MYNA_E_BUFFER_TOO_SMALL;
  if(n)
    memcpy(s->buf + s->len, p, n);
  s->len += n;
  return MYNA_OK;
}

myna_rv myna_secret_set(myna_secret *s, const void *p, size_t n)
{
  if(!s)
    return MYNA_E_INVALID_ARGUMENT;
  myna_secret_clear(s);
  return myna_secret_append(s, p, n);
}

size_t myna_secret_len(const myna_secret *s)
{
  return s ? s->len : 0;
}

const uint8_t *myna_secret_bytes(const myna_secret *s)
{
  return s ? s->buf : NULL;
}

int myna_secret_equal(const myna_secret *a, const myna_secret *b)
{
  if(!a || !b || a->len != b->len)
    return 0;
  uint8_t diff = 0;
  for(size_t i = 0; i < a->len; i++)
    diff |= a->buf[i] ^ b->buf[i];
  return diff == 0;
}

void myna_secret_clear(myna_secret *s)
{
  if(!s)
    return;
  Myna_wipe(s->buf, sizeof(s->buf));
  s->len = 0;
}

void myna_secret_free(myna_secret *s)
{
  if(!s)
    return;
  size_t map_len = s->map_len;
  bool locked = s->locked;
  Myna_wipe(s, sizeof(*s));
  if(locked)
    munlock(s, map_len);
  munmap(s, map_len);
}

myna_rv myna_secret_read_line_fd(int fd, myna_secret **out)
{
  *out = NULL;
  myna_secret *s = myna_secret_new();
  if(!s)
    return MYNA_E_NO_MEMORY;
  bool any = false;
  for(;;) {
    uint8_t c;
    ssize_t r = read(fd, &c, 1);
    if(r < 0 && errno == EINTR)
      continue;
    if(r <= 0)
      break;
    any = true;
    if(c == '\n')
      break;
    myna_rv rv = myna_secret_append(s, &c, 1);
    c = 0;
    if(rv) {
      /* Drain the rest of the over-long line so that the next read starts
       * at the next secret. */
      while(read(fd, &c, 1) == 1 && c != '\n')
        ;
      myna_secret_free(s);
      return MYNA_E_PIN_FORMAT;
    }
  }
  if(!any) {
    myna_secret_free(s);
    return MYNA_E_IO;
  }
  if(s->len && s->buf[s->len - 1] == '\r') {
    s->buf[--s->len] = 0;
  }
  *out = s;
  return MYNA_OK;
}

myna_rv myna_secret_read_tty(const char *prompt, myna_secret **out)
{
  *out = NULL;
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if(fd < 0)
    return MYNA_E_IO;
  struct termios old, quiet;
  if(tcgetattr(fd, &old)) {
    close(fd);
    return MYNA_E_IO;
  }
  quiet = old;
  quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
  quiet.c_lflag |= ICANON;
  if(prompt && write(fd, prompt, strlen(prompt)) < 0) {
    close(fd);
    return MYNA_E_IO;
  }
  if(tcsetattr(fd, TCSAFLUSH, &quiet)) {
    close(fd);
    return MYNA_E_IO;
  }
  myna_rv rv = myna_secret_read_line_fd(fd, out);
  tcsetattr(fd, TCSAFLUSH, &old);
  if(write(fd, "\n", 1) < 0) {
    /* The newline only tidies the terminal. */
  }
  close(fd);
  return rv;
}
