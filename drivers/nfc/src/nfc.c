/* nfc.c - My Number Cards through libnfc: the context, the device list, the
 * options, what libnfc's errors mean, and finding a Type B card in the field
 * in short, cancellable rounds. */
#include "nfc_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Defaults of myna_nfc_options. */
#define DEFAULT_POLL_MS 3000u
#define DEFAULT_APDU_TIMEOUT_MS 2000u
#define DEFAULT_SIGN_TIMEOUT_MS 6000u
/* A card may ask for waiting time extensions for seconds while it computes
 * RSA (FWI up to 13, about 2.5 s a frame). */
#define MIN_SIGN_TIMEOUT_MS 5000u
/* No round of polling starts sooner than this after the previous one began:
 * a device that answers "no card" at once is not asked twenty times a
 * millisecond. */
#define ROUND_MIN_MS 50u
/* How often a pause between rounds looks at the cancel counter. */
#define CANCEL_CHECK_MS 10u
/* Devices listed at most. */
#define LIST_MAX 32

/* ---- options and errors ---- */

static unsigned clamp_int(unsigned v)
{
  return v > (unsigned)INT_MAX ? (unsigned)INT_MAX : v;
}

void myna_nfc_options_resolve(const myna_nfc_options *options,
                              myna_nfc_options *out)
{
  if(!out)
    return;
  myna_nfc_options o = { 0, 0, 0, NULL };
  if(options)
    o = *options;
  if(!o.poll_ms)
    o.poll_ms = DEFAULT_POLL_MS;
  if(!o.apdu_timeout_ms)
    o.apdu_timeout_ms = DEFAULT_APDU_TIMEOUT_MS;
  if(!o.sign_timeout_ms)
    o.sign_timeout_ms = DEFAULT_SIGN_TIMEOUT_MS;
  if(o.sign_timeout_ms < MIN_SIGN_TIMEOUT_MS)
    o.sign_timeout_ms = MIN_SIGN_TIMEOUT_MS;
  o.poll_ms = clamp_int(o.poll_ms);
  o.apdu_timeout_ms = clamp_int(o.apdu_timeout_ms);
  o.sign_timeout_ms = clamp_int(o.sign_timeout_ms);
  /* The signature is never given less time than any other command. */
  if(o.sign_timeout_ms < o.apdu_timeout_ms)
    o.sign_timeout_ms = o.apdu_timeout_ms;
  *out = o;
}

unsigned myna_nfc_timeout_for(const myna_nfc_options *resolved,
                              const uint8_t *cmd, size_t cmd_len)
{
  myna_nfc_options o;
  myna_nfc_options_resolve(resolved, &o);
  /* The JPKI signature (COMPUTE DIGITAL SIGNATURE, 80 2A 00 80) and its ISO
   * form (PERFORM SECURITY OPERATION, 00 2A) are where the card computes
   * RSA. Secure messaging and logical channel bits of the class do not
   * matter. */
  if(cmd && cmd_len >= 4 && cmd[1] == 0x2A &&
     ((cmd[0] & 0xF0) == 0x80 || (cmd[0] & 0xF0) == 0x00))
    return o.sign_timeout_ms;
  return o.apdu_timeout_ms;
}

static bool device_gone(int nfc_error)
{
  return nfc_error == NFC_EIO || nfc_error == NFC_ENOTSUCHDEV;
}

myna_rv myna_nfc_rv(int exchange, int presence)
{
  if(exchange >= 0)
    return MYNA_OK;
  switch(presence) {
  case NFC_SUCCESS:
    /* The device sees the card: the card was slow, or a frame was lost. */
    return exchange == NFC_ETIMEOUT ? MYNA_E_TIMEOUT : MYNA_E_IO;
  case NFC_EIO:
  case NFC_ENOTSUCHDEV:
    return MYNA_E_READER_REMOVED;
  case NFC_ETGRELEASED:
  case NFC_ERFTRANS:
    return MYNA_E_CARD_REMOVED;
  default:
    /* The device could not tell (it did not answer in time, or it cannot
     * check presence for this target). */
    if(exchange == NFC_ETIMEOUT)
      return MYNA_E_TIMEOUT;
    if(device_gone(exchange))
      return MYNA_E_READER_REMOVED;
    return MYNA_E_IO;
  }
}

uint64_t Myna_nfc_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
  struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };
  while(nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* ---- the context ---- */

myna_rv myna_nfc_new(myna_nfc **out)
{
  if(!out)
    return MYNA_E_INVALID_ARGUMENT;
  *out = NULL;
  myna_nfc *n = calloc(1, sizeof(*n));
  if(!n)
    return MYNA_E_NO_MEMORY;
  nfc_init(&n->ctx);
  if(!n->ctx) {
    free(n);
    return MYNA_E_IO;
  }
  if(pthread_mutex_init(&n->lock, NULL)) {
    nfc_exit(n->ctx);
    free(n);
    return MYNA_E_NO_MEMORY;
  }
  atomic_init(&n->refs, 1);
  atomic_init(&n->cancels, 0u);
  *out = n;
  return MYNA_OK;
}

myna_nfc *Myna_nfc_ref(myna_nfc *n)
{
  atomic_fetch_add(&n->refs, 1);
  return n;
}

void Myna_nfc_unref(myna_nfc *n)
{
  if(atomic_fetch_sub(&n->refs, 1) != 1)
    return;
  nfc_exit(n->ctx);
  pthread_mutex_destroy(&n->lock);
  free(n);
}

void myna_nfc_free(myna_nfc *n)
{
  if(n)
    Myna_nfc_unref(n);
}

/* ---- devices ---- */

static bool listed(const myna_nfc_device *d, size_t count, const char *cs)
{
  for(size_t i = 0; i < count; i++) {
    if(!strcmp(d[i].connstring, cs))
      return true;
  }
  return false;
}

static myna_rv add_device(myna_nfc_device *d, size_t *count, const char *cs)
{
  if(!cs || !*cs || listed(d, *count, cs))
    return MYNA_OK;
  char *connstring = strdup(cs);
  char *name = strdup(cs);
  if(!connstring || !name) {
    free(connstring);
    free(name);
    return MYNA_E_NO_MEMORY;
  }
  d[*count].connstring = connstring;
  d[*count].name = name;
  (*count)++;
  return MYNA_OK;
}

myna_rv myna_nfc_list(myna_nfc *n, myna_nfc_device **devices, size_t *count)
{
  if(devices)
    *devices = NULL;
  if(count)
    *count = 0;
  if(!n || !devices || !count)
    return MYNA_E_INVALID_ARGUMENT;
  /* libnfc 1.8 lists the devices of its configuration and of LIBNFC_DEVICE
   * and LIBNFC_DEFAULT_DEVICE itself, without opening them, then those its
   * drivers find without intrusive scanning (USB). The variables are looked
   * at here too, for a libnfc built without them. */
  static const char *const vars[] = { "LIBNFC_DEFAULT_DEVICE", "LIBNFC_DEVICE" };
  nfc_connstring *cs = calloc(LIST_MAX, sizeof(nfc_connstring));
  myna_nfc_device *d = calloc(LIST_MAX + 2, sizeof(*d));
  if(!cs || !d) {
    free(cs);
    free(d);
    return MYNA_E_NO_MEMORY;
  }
  size_t found = nfc_list_devices(n->ctx, cs, LIST_MAX);
  size_t k = 0;
  myna_rv rv = MYNA_OK;
  for(size_t i = 0; i < found && i < LIST_MAX && !rv; i++) {
    cs[i][sizeof(nfc_connstring) - 1] = '\0';
    rv = add_device(d, &k, cs[i]);
  }
  for(size_t i = 0; i < sizeof(vars) / sizeof(vars[0]) && !rv; i++)
    rv = add_device(d, &k, getenv(vars[i]));
  free(cs);
  if(rv || !k) {
    myna_nfc_devices_free(d, k);
    return rv;
  }
  *devices = d;
  *count = k;
  return MYNA_OK;
}

void myna_nfc_devices_free(myna_nfc_device *devices, size_t count)
{
  if(!devices)
    return;
  for(size_t i = 0; i < count; i++) {
    free(devices[i].connstring);
    free(devices[i].name);
  }
  free(devices);
}

/* ---- finding the card ---- */

static bool cancelled(const nfc_polling *p)
{
  return p && (atomic_load(&p->n->cancels) != p->cancels ||
               (p->flag && atomic_load(p->flag)));
}

/* Wait until the monotonic clock reads until_ms, or the search is cancelled. */
static bool pause_until(uint64_t until_ms, const nfc_polling *p)
{
  for(;;) {
    if(cancelled(p))
      return false;
    uint64_t now = Myna_nfc_now_ms();
    if(now >= until_ms)
      return true;
    uint64_t left = until_ms - now;
    sleep_ms(left < CANCEL_CHECK_MS ? (unsigned)left : CANCEL_CHECK_MS);
  }
}

static void set_in_round(nfc_polling *p, bool in_round)
{
  if(!p)
    return;
  pthread_mutex_lock(&p->n->lock);
  p->in_round = in_round;
  pthread_mutex_unlock(&p->n->lock);
}

myna_rv Myna_nfc_find_card(nfc_device *dev, unsigned ms, nfc_polling *p,
                           nfc_target *target)
{
  const nfc_modulation nm = { .nmt = NMT_ISO14443B, .nbr = NBR_106 };
  /* REQB for every application family (AFI 00). */
  const uint8_t afi[] = { 0x00 };
  uint64_t deadline = Myna_nfc_now_ms() + ms;
  /* What to say if the time runs out: no card, unless the device itself
   * failed in the last round. */
  myna_rv idle = MYNA_E_NO_CARD;
  for(;;) {
    if(cancelled(p))
      return MYNA_E_CANCELLED;
    uint64_t start = Myna_nfc_now_ms();
    nfc_target t;
    memset(&t, 0, sizeof(t));
    /* With NP_INFINITE_SELECT off, libnfc 1.8 has the chip try a few times
     * and waits 300 ms at most for its answer; NP_AUTO_ISO14443_4 (on since
     * nfc_initiator_init) has the chip send ATTRIB. */
    set_in_round(p, true);
    int r = nfc_initiator_select_passive_target(dev, nm, afi, sizeof(afi), &t);
    set_in_round(p, false);
    if(cancelled(p))
      return MYNA_E_CANCELLED;  /* whatever an aborted round says */
    if(r > 0) {
      *target = t;
      return MYNA_OK;
    }
    switch(r) {
    case 0:
      idle = MYNA_E_NO_CARD;
      break;
    case NFC_EIO:
    case NFC_ENOTSUCHDEV:
      return MYNA_E_READER_REMOVED;
    case NFC_EDEVNOTSUPP:
    case NFC_ENOTIMPL:
      return MYNA_E_NOT_SUPPORTED;
    case NFC_ERFTRANS:
    case NFC_ETGRELEASED:
      /* RF trouble: a card at the edge of the field, or two at once. */
      idle = MYNA_E_NO_CARD;
      break;
    default:
      /* NFC_ETIMEOUT, NFC_ECHIP, NFC_EINVARG (the chip refused): the
       * device did not answer as it should; it may in the next round. */
      idle = MYNA_E_IO;
      break;
    }
    uint64_t now = Myna_nfc_now_ms();
    if(now >= deadline)
      return idle;
    uint64_t next = start + ROUND_MIN_MS;
    if(!pause_until(next < deadline ? next : deadline, p))
      return MYNA_E_CANCELLED;
  }
}

/* ---- connecting ---- */

static bool supports_type_b(nfc_device *dev)
{
  const nfc_modulation_type *mt = NULL;
  if(nfc_device_get_supported_modulation(dev, N_INITIATOR, &mt) < 0 || !mt)
    return false;
  bool b = false;
  for(size_t i = 0; mt[i]; i++) {
    if(mt[i] == NMT_ISO14443B)
      b = true;
  }
  if(!b)
    return false;
  const nfc_baud_rate *br = NULL;
  if(nfc_device_get_supported_baud_rate(dev, NMT_ISO14443B, &br) < 0 || !br)
    return false;
  for(size_t i = 0; br[i]; i++) {
    if(br[i] == NBR_106)
      return true;
  }
  return false;
}

static void polling_add(myna_nfc *n, nfc_polling *p)
{
  pthread_mutex_lock(&n->lock);
  p->next = n->polling;
  n->polling = p;
  pthread_mutex_unlock(&n->lock);
}

/* After this returns myna_nfc_cancel no longer touches p->dev. */
static void polling_remove(myna_nfc *n, nfc_polling *p)
{
  pthread_mutex_lock(&n->lock);
  for(nfc_polling **at = &n->polling; *at; at = &(*at)->next) {
    if(*at == p) {
      *at = p->next;
      break;
    }
  }
  pthread_mutex_unlock(&n->lock);
}

void myna_nfc_cancel(myna_nfc *n)
{
  if(!n)
    return;
  pthread_mutex_lock(&n->lock);
  atomic_fetch_add(&n->cancels, 1u);
  /* nfc_abort_command ends a wait for the chip's answer at once (pn532_uart:
   * a pipe the receiving select also watches; the driver then sends the
   * chip an ACK, which aborts its command). Only for a device inside a
   * round: libnfc 1.8's pn532_uart leaks a descriptor of that pipe for
   * every abort that finds no wait to end. A search between rounds sees the
   * counter within CANCEL_CHECK_MS; an abort that comes while the command
   * is still being sent is lost, and that round ends by itself (300 ms at
   * most). */
  for(nfc_polling *p = n->polling; p; p = p->next) {
    if(p->in_round)
      (void)nfc_abort_command(p->dev);
  }
  pthread_mutex_unlock(&n->lock);
}

/* What a failed set-up command means. */
static myna_rv setup_rv(int r)
{
  if(device_gone(r))
    return MYNA_E_READER_REMOVED;
  if(r == NFC_EDEVNOTSUPP || r == NFC_ENOTIMPL)
    return MYNA_E_NOT_SUPPORTED;
  return MYNA_E_IO;
}

myna_rv myna_nfc_connect(myna_nfc *n, const char *connstring,
                         const myna_nfc_options *options, myna_transport *out)
{
  if(out)
    *out = (myna_transport){ NULL, NULL };
  if(!n || !out)
    return MYNA_E_INVALID_ARGUMENT;
  if(connstring && strlen(connstring) >= sizeof(nfc_connstring))
    return MYNA_E_INVALID_ARGUMENT;
  myna_nfc_options o;
  myna_nfc_options_resolve(options, &o);
  unsigned cancels = atomic_load(&n->cancels);

  /* libnfc takes NULL, not "", for its first device. */
  nfc_device *dev = nfc_open(n->ctx, connstring && *connstring ? connstring : NULL);
  if(!dev)
    return MYNA_E_NO_READER;
  nfc_polling p = { n, dev, cancels, o.cancel, false, NULL };
  polling_add(n, &p);
  myna_rv rv = MYNA_OK;
  nfc_target target;
  memset(&target, 0, sizeof(target));
  int r = nfc_initiator_init(dev);
  if(r >= 0) {
    /* nfc_initiator_init turns infinite select on: a select would then wait
     * for a card for ever. */
    r = nfc_device_set_property_bool(dev, NP_INFINITE_SELECT, false);
  }
  if(cancelled(&p))
    rv = MYNA_E_CANCELLED;
  else if(r < 0)
    rv = setup_rv(r);
  else if(!supports_type_b(dev))
    rv = MYNA_E_NOT_SUPPORTED;
  else
    rv = Myna_nfc_find_card(dev, o.poll_ms, &p, &target);
  polling_remove(n, &p);
  if(rv) {
    nfc_close(dev);
    return rv;
  }
  return Myna_nfc_transport_new(n, dev, &target, &o, out);
}
