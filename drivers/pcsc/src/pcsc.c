/* pcsc.c - card readers through pcsc-lite: one context that heals itself when
 * pcscd goes and comes back, the reader list, the choice of a reader, and the
 * transport the card layer runs on. */
#include "pcsc_internal.h"

#include <string.h>

#include <reader.h>

/* The largest command that crosses pcsc-lite (extended header, 65535 bytes,
 * extended Le) and the largest answer of an extended APDU (with SW). */
#define PCSC_MAX_COMMAND (4 + 3 + 65535 + 2)
#define PCSC_MAX_RESPONSE 65536
#define PCSC_RESP_BUF (PCSC_MAX_RESPONSE + 2)
/* Short APDUs: case 4 with 255 bytes of data and Le, 256 bytes back. */
#define SHORT_MAX_COMMAND 261
#define SHORT_MAX_RESPONSE 256
/* The smallest command buffer in which an extended APDU carries more than a
 * short one can: header, 3-byte Lc, 256 bytes, 2-byte Le. */
#define EXTENDED_MIN_INPUT (4 + 3 + 256 + 2)
/* How long a failed exchange waits for pcscd's word on the card: pcscd
 * polls presence every 400 ms, so a card pulled a moment before the command
 * is reported within one poll and a half. */
#define SETTLE_MS 1000

struct myna_pcsc {
  gint refs;             /* the owner and each transport made from it */
  GMutex lock;           /* ctx, have_ctx, generation */
  SCARDCONTEXT ctx;
  bool have_ctx;
  guint generation;      /* counts released contexts: a transport made on an
                            older one is dead */
};

typedef struct pcsc_transport {
  myna_pcsc *p;
  SCARDHANDLE card;
  guint generation;
  DWORD share;           /* SCARD_SHARE_SHARED or SCARD_SHARE_EXCLUSIVE */
  DWORD protocol;        /* SCARD_PROTOCOL_T0 or SCARD_PROTOCOL_T1 */
  bool dead;             /* pcscd went away under it: every call fails */
  bool fresh;            /* reset by us, no APDU since: nothing to forget */
  char *reader;
  uint8_t *scratch;      /* for callers whose buffer is below an extended answer */
} pcsc_transport;

/* How a failed call on the card handle is taken. */
#define TAKE_RESET 1u    /* reconnect after another program's reset */
#define SETTLE 2u        /* an exchange failed: ask pcscd whether the card left */

bool Myna_pcsc_service_lost(LONG rv)
{
  /* SCARD_F_COMM_ERROR is what pcsc-lite's client says when its socket to
   * pcscd breaks; the daemon itself reports card and reader trouble with
   * other codes. */
  return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
         rv == SCARD_E_INVALID_HANDLE || rv == SCARD_F_COMM_ERROR;
}

myna_rv myna_pcsc_rv(long scard_result)
{
  LONG rv = (LONG)scard_result;
  if(rv == SCARD_S_SUCCESS)
    return MYNA_OK;
  if(Myna_pcsc_service_lost(rv))
    return MYNA_E_NO_SERVICE;
  switch(rv) {
  case SCARD_E_NO_READERS_AVAILABLE:
  case SCARD_E_UNKNOWN_READER:
    return MYNA_E_NO_READER;
  case SCARD_E_READER_UNAVAILABLE:
    return MYNA_E_READER_REMOVED;
  case SCARD_E_NO_SMARTCARD:
    return MYNA_E_NO_CARD;
  case SCARD_W_REMOVED_CARD:
    return MYNA_E_CARD_REMOVED;
  case SCARD_W_RESET_CARD:
    return MYNA_E_CARD_RESET;
  case SCARD_E_SHARING_VIOLATION:
    return MYNA_E_READER_BUSY;
  case SCARD_E_TIMEOUT:
    return MYNA_E_TIMEOUT;
  case SCARD_E_NO_MEMORY:
    return MYNA_E_NO_MEMORY;
  case SCARD_E_CANCELLED:
    return MYNA_E_CANCELLED;
  case SCARD_E_INSUFFICIENT_BUFFER:
    return MYNA_E_BUFFER_TOO_SMALL;
  case SCARD_E_INVALID_PARAMETER:
  case SCARD_E_INVALID_VALUE:
    return MYNA_E_INVALID_ARGUMENT;
  case SCARD_E_UNSUPPORTED_FEATURE: /* the same value as SCARD_E_UNEXPECTED */
    return MYNA_E_NOT_SUPPORTED;
  default:
    return MYNA_E_IO;
  }
}

bool myna_pcsc_atr_is_contactless(const uint8_t *atr, size_t len)
{
  /* PC/SC part 3: TS 3B, T0 8k (only TD1, k historical bytes), TD1 80
   * (TD2, T=0), TD2 01 (T=1, nothing more), the k bytes, TCK. */
  if(!atr || len < 5)
    return false;
  if(atr[0] != 0x3B || (atr[1] & 0xF0) != 0x80 || atr[2] != 0x80 ||
     atr[3] != 0x01)
    return false;
  return len == 4 + (size_t)(atr[1] & 0x0F) + 1;
}

/* ---- the context ---- */

myna_rv myna_pcsc_new(myna_pcsc **out)
{
  if(!out)
    return MYNA_E_INVALID_ARGUMENT;
  myna_pcsc *p = g_new0(myna_pcsc, 1);
  p->refs = 1;
  g_mutex_init(&p->lock);
  *out = p;
  return MYNA_OK;
}

static myna_pcsc *pcsc_ref(myna_pcsc *p)
{
  g_atomic_int_inc(&p->refs);
  return p;
}

/* Under p->lock. */
static void context_drop(myna_pcsc *p)
{
  if(!p->have_ctx)
    return;
  (void)SCardReleaseContext(p->ctx);
  p->have_ctx = false;
  p->generation++;
}

static void pcsc_unref(myna_pcsc *p)
{
  if(!g_atomic_int_dec_and_test(&p->refs))
    return;
  g_mutex_lock(&p->lock);
  context_drop(p);
  g_mutex_unlock(&p->lock);
  g_mutex_clear(&p->lock);
  g_free(p);
}

void myna_pcsc_free(myna_pcsc *p)
{
  if(p)
    pcsc_unref(p);
}

/* Under p->lock. */
static LONG context_ensure(myna_pcsc *p)
{
  if(p->have_ctx)
    return SCARD_S_SUCCESS;
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
  if(rv == SCARD_S_SUCCESS)
    p->have_ctx = true;
  return rv;
}

typedef LONG (*context_op)(myna_pcsc *p, void *arg);

/* Run op on the context. A context that outlived pcscd fails once with a
 * service error: it is released and op runs again on a new one, so that the
 * first call after pcscd came back works. Only for ops that send no APDU. */
static LONG with_context(myna_pcsc *p, context_op op, void *arg)
{
  LONG rv = SCARD_E_NO_SERVICE;
  g_mutex_lock(&p->lock);
  for(int attempt = 0; attempt < 2; attempt++) {
    rv = context_ensure(p);
    if(rv != SCARD_S_SUCCESS)
      break;
    rv = op(p, arg);
    if(!Myna_pcsc_service_lost(rv))
      break;
    context_drop(p);
  }
  g_mutex_unlock(&p->lock);
  return rv;
}

/* ---- readers ---- */

LONG Myna_pcsc_list_names(SCARDCONTEXT ctx, char ***names)
{
  char *multi = NULL;
  DWORD len = SCARD_AUTOALLOCATE;
  *names = NULL;
  LONG rv = SCardListReaders(ctx, NULL, (LPSTR)&multi, &len);
  if(rv == SCARD_E_NO_READERS_AVAILABLE) {
    *names = g_new0(char *, 1);
    return SCARD_S_SUCCESS;
  }
  if(rv != SCARD_S_SUCCESS)
    return rv;
  GPtrArray *a = g_ptr_array_new();
  for(const char *s = multi; s < multi + len && *s; s += strlen(s) + 1)
    g_ptr_array_add(a, g_strdup(s));
  g_ptr_array_add(a, NULL);
  (void)SCardFreeMemory(ctx, multi);
  *names = (char **)g_ptr_array_free(a, FALSE);
  return SCARD_S_SUCCESS;
}

typedef struct list_job {
  myna_pcsc_reader *readers;
  size_t n;
} list_job;

static LONG list_op(myna_pcsc *p, void *arg)
{
  list_job *job = arg;
  char **names = NULL;
  SCARD_READERSTATE *st = NULL;
  LONG rv = Myna_pcsc_list_names(p->ctx, &names);
  if(rv != SCARD_S_SUCCESS)
    goto out;
  size_t n = g_strv_length(names);
  if(!n)
    goto out;
  st = g_new0(SCARD_READERSTATE, n);
  for(size_t i = 0; i < n; i++) {
    st[i].szReader = names[i];
    st[i].dwCurrentState = SCARD_STATE_UNAWARE;
  }
  /* Unaware of every reader: pcsc-lite answers at once with their state. */
  rv = SCardGetStatusChange(p->ctx, 0, st, (DWORD)n);
  if(rv != SCARD_S_SUCCESS)
    goto out;
  job->readers = g_new0(myna_pcsc_reader, n);
  for(size_t i = 0; i < n; i++) {
    DWORD ev = st[i].dwEventState;
    if(ev & SCARD_STATE_UNKNOWN)
      continue;  /* gone between the list and its state */
    myna_pcsc_reader *r = &job->readers[job->n++];
    r->name = g_strdup(names[i]);
    r->card_present = (ev & SCARD_STATE_PRESENT) != 0;
    r->exclusive_elsewhere = (ev & SCARD_STATE_EXCLUSIVE) != 0;
    if(r->card_present && st[i].cbAtr <= MYNA_PCSC_MAX_ATR) {
      memcpy(r->atr, st[i].rgbAtr, st[i].cbAtr);
      r->atr_len = st[i].cbAtr;
      r->contactless = myna_pcsc_atr_is_contactless(r->atr, r->atr_len);
    }
  }

out:
  g_free(st);
  g_strfreev(names);
  return rv;
}

myna_rv myna_pcsc_list(myna_pcsc *p, myna_pcsc_reader **readers, size_t *n)
{
  if(readers)
    *readers = NULL;
  if(n)
    *n = 0;
  if(!p || !readers || !n)
    return MYNA_E_INVALID_ARGUMENT;
  list_job job = { NULL, 0 };
  LONG rv = with_context(p, list_op, &job);
  if(rv != SCARD_S_SUCCESS) {
    myna_pcsc_readers_free(job.readers, job.n);
    return myna_pcsc_rv(rv);
  }
  *readers = job.readers;
  *n = job.n;
  return MYNA_OK;
}

void myna_pcsc_readers_free(myna_pcsc_reader *readers, size_t n)
{
  if(!readers)
    return;
  for(size_t i = 0; i < n; i++)
    g_free(readers[i].name);
  g_free(readers);
}

/* The rules of myna_pcsc_find_reader on a list. */
static myna_rv pick_reader(const myna_pcsc_reader *r, size_t n,
                           const char *match, size_t *at)
{
  if(!n)
    return MYNA_E_NO_READER;
  if(!match || !*match) {
    for(size_t i = 0; i < n; i++) {
      if(r[i].card_present) {
        *at = i;
        return MYNA_OK;
      }
    }
    if(n == 1) {
      *at = 0;
      return MYNA_OK;
    }
    /* Several readers and a card in none: what is missing is the card. */
    return MYNA_E_NO_CARD;
  }
  for(size_t i = 0; i < n; i++) {
    if(!strcmp(r[i].name, match)) {
      *at = i;
      return MYNA_OK;
    }
  }
  /* A reader often shows as several (a contact and a contactless slot, two
   * slots of one device): of several matches, the only one holding a card
   * is the one meant. */
  char *want = g_ascii_strdown(match, -1);
  size_t found = 0, with_card = 0, card_at = 0;
  for(size_t i = 0; i < n; i++) {
    char *have = g_ascii_strdown(r[i].name, -1);
    if(strstr(have, want)) {
      if(found++ == 0)
        *at = i;
      if(r[i].card_present && with_card++ == 0)
        card_at = i;
    }
    g_free(have);
  }
  g_free(want);
  if(found > 1 && with_card == 1) {
    *at = card_at;
    return MYNA_OK;
  }
  if(found > 1)
    return MYNA_E_READER_AMBIGUOUS;
  return found ? MYNA_OK : MYNA_E_NO_READER;
}

myna_rv myna_pcsc_find_reader(myna_pcsc *p, const char *match, char **name)
{
  if(name)
    *name = NULL;
  if(!p || !name)
    return MYNA_E_INVALID_ARGUMENT;
  myna_pcsc_reader *r = NULL;
  size_t n = 0;
  myna_rv rv = myna_pcsc_list(p, &r, &n);
  if(rv)
    return rv;
  size_t at = 0;
  rv = pick_reader(r, n, match, &at);
  if(!rv)
    *name = g_strdup(r[at].name);
  myna_pcsc_readers_free(r, n);
  return rv;
}

/* ---- the transport ---- */

/* Is the context the transport was made on still the live one? */
static bool transport_alive(pcsc_transport *t)
{
  if(t->dead)
    return false;
  g_mutex_lock(&t->p->lock);
  t->dead = !t->p->have_ctx || t->p->generation != t->generation;
  g_mutex_unlock(&t->p->lock);
  return !t->dead;
}

/* pcscd went away: this transport is done (the caller opens a new session),
 * and the context goes too so that the next list or connect makes a new
 * one. Under p->lock. */
static myna_rv service_gone_locked(pcsc_transport *t)
{
  t->dead = true;
  if(t->p->generation == t->generation)
    context_drop(t->p);
  return MYNA_E_NO_SERVICE;
}

static myna_rv service_gone(pcsc_transport *t)
{
  g_mutex_lock(&t->p->lock);
  myna_rv rv = service_gone_locked(t);
  g_mutex_unlock(&t->p->lock);
  return rv;
}

/* An exchange failed without saying why. Most often the card left the field
 * or was pulled a moment before pcscd noticed (it polls presence): wait,
 * briefly and on pcscd's events, for its word on the card so that the error
 * says what happened. */
static myna_rv failure_cause(pcsc_transport *t)
{
  myna_pcsc *p = t->p;
  SCARD_READERSTATE st;
  memset(&st, 0, sizeof(st));
  st.szReader = t->reader;
  st.dwCurrentState = SCARD_STATE_UNAWARE;
  gint64 deadline = g_get_monotonic_time() + SETTLE_MS * G_GINT64_CONSTANT(1000);
  DWORD first_count = 0;
  bool seen = false;
  myna_rv rv = MYNA_E_IO;
  g_mutex_lock(&p->lock);
  if(!p->have_ctx || p->generation != t->generation) {
    t->dead = true;
    rv = MYNA_E_NO_SERVICE;
    goto out;
  }
  for(;;) {
    /* The first call only reads the state (unaware: answered at once). */
    DWORD wait_ms = 0;
    if(seen) {
      gint64 left = (deadline - g_get_monotonic_time()) / 1000;
      if(left <= 0)
        break;
      wait_ms = (DWORD)left;
    }
    LONG sc = SCardGetStatusChange(p->ctx, wait_ms, &st, 1);
    if(sc == SCARD_E_TIMEOUT)
      break;
    if(sc != SCARD_S_SUCCESS) {
      if(Myna_pcsc_service_lost(sc))
        rv = service_gone_locked(t);
      else if(sc == SCARD_E_UNKNOWN_READER)
        rv = MYNA_E_READER_REMOVED;
      break;
    }
    DWORD ev = st.dwEventState;
    if(ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE)) {
      rv = MYNA_E_READER_REMOVED;
      break;
    }
    /* Gone, or gone and back (pcsc-lite counts card events in the upper
     * 16 bits). */
    if(!(ev & SCARD_STATE_PRESENT) || (seen && (ev >> 16) != first_count)) {
      rv = MYNA_E_CARD_REMOVED;
      break;
    }
    if(!seen) {
      first_count = ev >> 16;
      seen = true;
    }
    st.dwCurrentState = ev & ~(DWORD)SCARD_STATE_CHANGED;
  }

out:
  g_mutex_unlock(&p->lock);
  return rv;
}

static LONG reconnect(pcsc_transport *t, DWORD initialization)
{
  DWORD protocol = 0;
  LONG rv = SCardReconnect(t->card, t->share,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                           initialization, &protocol);
  if(rv == SCARD_S_SUCCESS)
    t->protocol = protocol;
  return rv;
}

/* What a failed call on the card handle means to the card layer. */
static myna_rv handle_failed(pcsc_transport *t, LONG rv, unsigned how)
{
  if(Myna_pcsc_service_lost(rv))
    return service_gone(t);
  switch(rv) {
  case SCARD_W_RESET_CARD:
    /* pcsc-lite keeps telling this handle of the reset until it
     * reconnects: only where the card layer learns of it may it be taken. */
    if(how & TAKE_RESET) {
      rv = reconnect(t, SCARD_LEAVE_CARD);
      if(rv != SCARD_S_SUCCESS)
        return handle_failed(t, rv, how & ~TAKE_RESET);
    }
    return MYNA_E_CARD_RESET;
  case SCARD_W_REMOVED_CARD:
  case SCARD_E_NO_SMARTCARD:
    return MYNA_E_CARD_REMOVED;
  case SCARD_E_READER_UNAVAILABLE:
  case SCARD_E_UNKNOWN_READER:
    return MYNA_E_READER_REMOVED;
  case SCARD_E_NOT_TRANSACTED:
  case SCARD_W_UNRESPONSIVE_CARD:
  case SCARD_W_UNPOWERED_CARD:
  case SCARD_E_COMM_DATA_LOST:
    if(how & SETTLE)
      return failure_cause(t);
    return MYNA_E_IO;
  default:
    return myna_pcsc_rv(rv);
  }
}

static myna_rv pcsc_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len,
                             uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
  pcsc_transport *t = ctx;
  if(!cmd || !cmd_len || !resp || !resp_len || cmd_len > PCSC_MAX_COMMAND)
    return MYNA_E_INVALID_ARGUMENT;
  if(!transport_alive(t))
    return MYNA_E_NO_SERVICE;
  /* pcsc-lite drops an answer that does not fit, after the card executed
   * the command: receive into a buffer that always fits. It also refuses a
   * receive length above its own maximum. */
  uint8_t *out = resp;
  DWORD cap = resp_cap > MAX_BUFFER_SIZE_EXTENDED ? MAX_BUFFER_SIZE_EXTENDED
                                                  : (DWORD)resp_cap;
  if(resp_cap < PCSC_RESP_BUF) {
    if(!t->scratch)
      t->scratch = g_malloc(PCSC_RESP_BUF);
    out = t->scratch;
    cap = PCSC_RESP_BUF;
  }
  const SCARD_IO_REQUEST *pci = t->protocol == SCARD_PROTOCOL_T0 ?
                                SCARD_PCI_T0 : SCARD_PCI_T1;
  DWORD n = cap;
  /* Never retried, whatever happens: the command may carry a PIN. */
  t->fresh = false;
  LONG rv = SCardTransmit(t->card, pci, cmd, (DWORD)cmd_len, NULL, out, &n);
  if(rv != SCARD_S_SUCCESS)
    return handle_failed(t, rv, TAKE_RESET | SETTLE);
  /* Success without even a status word: the reader lost the card's answer
   * (vpcd does this when the card leaves as it answers). Find out why. */
  if(n < 2) {
    explicit_bzero(out, n);
    return handle_failed(t, SCARD_E_NOT_TRANSACTED, SETTLE);
  }
  if(out != resp) {
    bool fits = n <= resp_cap;
    if(fits)
      memcpy(resp, out, n);
    explicit_bzero(out, n);
    if(!fits)
      return MYNA_E_BUFFER_TOO_SMALL;
  }
  *resp_len = n;
  return MYNA_OK;
}

static myna_rv pcsc_get_caps(void *ctx, myna_transport_caps *caps)
{
  pcsc_transport *t = ctx;
  if(!caps)
    return MYNA_E_INVALID_ARGUMENT;
  if(!transport_alive(t))
    return MYNA_E_NO_SERVICE;
  if(t->protocol == SCARD_PROTOCOL_T0) {
    *caps = (myna_transport_caps){ false, SHORT_MAX_COMMAND, SHORT_MAX_RESPONSE };
    return MYNA_OK;
  }
  *caps = (myna_transport_caps){ true, PCSC_MAX_COMMAND, PCSC_MAX_RESPONSE };
  uint8_t attr[8];
  DWORD len = sizeof(attr);
  LONG rv = SCardGetAttrib(t->card, SCARD_ATTR_MAXINPUT, attr, &len);
  if(rv != SCARD_S_SUCCESS) {
    switch(rv) {
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NO_SMARTCARD:
    case SCARD_E_READER_UNAVAILABLE:
    case SCARD_E_UNKNOWN_READER:
      return handle_failed(t, rv, 0);
    default:
      /* Not told (vpcd, many drivers): assume the path carries extended
       * APDUs; the card layer falls back to short reads on 6700 without
       * spending a PIN try. A reset is left for the next exchange. */
      return Myna_pcsc_service_lost(rv) ? service_gone(t) : MYNA_OK;
    }
  }
  uint32_t max_input = 0;
  if(len == sizeof(uint32_t)) {
    memcpy(&max_input, attr, sizeof(max_input));
  }
  else if(len == sizeof(uint16_t)) {
    uint16_t v;
    memcpy(&v, attr, sizeof(v));
    max_input = v;
  }
  else if(len == 1) {
    max_input = attr[0];
  }
  if(!max_input)
    return MYNA_OK;
  if(max_input < EXTENDED_MIN_INPUT) {
    caps->extended_apdu = false;
    caps->max_command = MIN(max_input, SHORT_MAX_COMMAND);
    caps->max_response = SHORT_MAX_RESPONSE;
    return MYNA_OK;
  }
  caps->max_command = MIN(max_input, PCSC_MAX_COMMAND);
  caps->max_response = MIN(max_input - 2, PCSC_MAX_RESPONSE);
  return MYNA_OK;
}

static myna_rv pcsc_reset(void *ctx)
{
  pcsc_transport *t = ctx;
  if(!transport_alive(t))
    return MYNA_E_NO_SERVICE;
  LONG rv = reconnect(t, SCARD_RESET_CARD);
  if(rv != SCARD_S_SUCCESS)
    return handle_failed(t, rv, SETTLE);
  t->fresh = true;
  return MYNA_OK;
}

static myna_rv pcsc_is_present(void *ctx, bool *present)
{
  pcsc_transport *t = ctx;
  if(!present)
    return MYNA_E_INVALID_ARGUMENT;
  *present = false;
  if(!transport_alive(t))
    return MYNA_E_NO_SERVICE;
  DWORD state = 0;
  LONG rv = SCardStatus(t->card, NULL, NULL, &state, NULL, NULL, NULL);
  switch(rv) {
  case SCARD_S_SUCCESS:
    *present = (state & SCARD_PRESENT) && !(state & SCARD_ABSENT);
    return MYNA_OK;
  case SCARD_W_RESET_CARD:
    /* Present; the reset is for the next exchange to report. */
    *present = true;
    return MYNA_OK;
  case SCARD_W_REMOVED_CARD:
  case SCARD_E_NO_SMARTCARD:
    return MYNA_OK;
  default:
    return handle_failed(t, rv, 0);
  }
}

static myna_rv pcsc_begin(void *ctx)
{
  pcsc_transport *t = ctx;
  if(!transport_alive(t))
    return MYNA_E_NO_SERVICE;
  LONG rv = SCardBeginTransaction(t->card);
  return rv == SCARD_S_SUCCESS ? MYNA_OK : handle_failed(t, rv, TAKE_RESET);
}

static myna_rv pcsc_end(void *ctx)
{
  pcsc_transport *t = ctx;
  if(!transport_alive(t))
    return MYNA_E_NO_SERVICE;
  /* The card layer does not look at this result: a reset seen here is left
   * for the next begin or exchange to take and report. */
  LONG rv = SCardEndTransaction(t->card, SCARD_LEAVE_CARD);
  return rv == SCARD_S_SUCCESS ? MYNA_OK : handle_failed(t, rv, 0);
}

static const char *pcsc_name(void *ctx)
{
  pcsc_transport *t = ctx;
  return t->reader;
}

static void pcsc_destroy(void *ctx)
{
  pcsc_transport *t = ctx;
  if(!t)
    return;
  /* End with a reset so that no verified PIN survives the session; the card
   * layer's own reset just before (after a VERIFY) already is one. */
  if(transport_alive(t))
    (void)SCardDisconnect(t->card, t->fresh ? SCARD_LEAVE_CARD : SCARD_RESET_CARD);
  if(t->scratch) {
    explicit_bzero(t->scratch, PCSC_RESP_BUF);
    g_free(t->scratch);
  }
  g_free(t->reader);
  pcsc_unref(t->p);
  g_free(t);
}

static const myna_transport_ops shared_ops = {
  .transmit = pcsc_transmit,
  .get_caps = pcsc_get_caps,
  .reset = pcsc_reset,
  .is_present = pcsc_is_present,
  .begin = pcsc_begin,
  .end = pcsc_end,
  .name = pcsc_name,
  .destroy = pcsc_destroy,
};

/* Nobody else can come between two commands of an exclusive handle: no
 * transaction, and no round trip to pcscd for one. */
static const myna_transport_ops exclusive_ops = {
  .transmit = pcsc_transmit,
  .get_caps = pcsc_get_caps,
  .reset = pcsc_reset,
  .is_present = pcsc_is_present,
  .name = pcsc_name,
  .destroy = pcsc_destroy,
};

typedef struct connect_job {
  const char *reader;
  DWORD share;
  SCARDHANDLE card;
  DWORD protocol;
  guint generation;
} connect_job;

static LONG connect_op(myna_pcsc *p, void *arg)
{
  connect_job *job = arg;
  job->generation = p->generation;
  return SCardConnect(p->ctx, job->reader, job->share,
                      SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &job->card,
                      &job->protocol);
}

static myna_rv connect_rv(LONG rv)
{
  switch(rv) {
  case SCARD_E_NO_SMARTCARD:
  case SCARD_W_REMOVED_CARD:
    return MYNA_E_NO_CARD;
  case SCARD_E_UNKNOWN_READER:
    return MYNA_E_NO_READER;
  default:
    return myna_pcsc_rv(rv);
  }
}

myna_rv myna_pcsc_connect(myna_pcsc *p, const char *match,
                          myna_pcsc_share share, myna_transport *out)
{
  if(out)
    *out = (myna_transport){ NULL, NULL };
  if(!p || !out || (share != MYNA_PCSC_SHARED && share != MYNA_PCSC_EXCLUSIVE))
    return MYNA_E_INVALID_ARGUMENT;
  char *reader = NULL;
  myna_rv rv = myna_pcsc_find_reader(p, match, &reader);
  if(rv)
    goto fail;
  connect_job job = { reader,
                      share == MYNA_PCSC_EXCLUSIVE ? SCARD_SHARE_EXCLUSIVE
                                                   : SCARD_SHARE_SHARED,
                      0, 0, 0 };
  LONG sc = with_context(p, connect_op, &job);
  if(sc != SCARD_S_SUCCESS) {
    rv = connect_rv(sc);
    goto fail;
  }
  if(job.protocol != SCARD_PROTOCOL_T0 && job.protocol != SCARD_PROTOCOL_T1) {
    /* Asked for T=0 or T=1 only: anything else is the reader's fault. */
    (void)SCardDisconnect(job.card, SCARD_RESET_CARD);
    rv = MYNA_E_IO;
    goto fail;
  }
  pcsc_transport *t = g_new0(pcsc_transport, 1);
  t->p = pcsc_ref(p);
  t->card = job.card;
  t->generation = job.generation;
  t->share = job.share;
  t->protocol = job.protocol;
  t->reader = reader;
  *out = (myna_transport){ share == MYNA_PCSC_EXCLUSIVE ? &exclusive_ops
                                                        : &shared_ops, t };
  return MYNA_OK;

fail:
  g_free(reader);
  return rv;
}

int myna_pcsc_transport_protocol(const myna_transport *t)
{
  if(!t || !t->ctx || (t->ops != &shared_ops && t->ops != &exclusive_ops))
    return -1;
  const pcsc_transport *pt = t->ctx;
  return pt->protocol == SCARD_PROTOCOL_T1 ? 1 : 0;
}
