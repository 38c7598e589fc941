/* monitor.c - reader and card events for a GLib main loop: a thread of its
 * own blocked in SCardGetStatusChange on a context of its own, each event
 * handed to the main context as an idle source. */
#include "pcsc_internal.h"

#include <string.h>

/* pcscd announces nothing when it starts: while it is away the monitor
 * knocks, at first soon (a restart takes milliseconds), then less often. */
#define BACKOFF_FIRST_US (20 * G_TIME_SPAN_MILLISECOND)
#define BACKOFF_MAX_US (500 * G_TIME_SPAN_MILLISECOND)

struct myna_pcsc_monitor {
  GMainContext *main_ctx;
  myna_pcsc_event_fn fn;
  void *user;
  gint *alive;           /* 1 until free; shared with the queued events */
  GThread *thread;
  GMutex lock;           /* stop, exited, ctx, have_ctx */
  GCond cond;
  bool stop;
  bool exited;
  SCARDCONTEXT ctx;      /* written by the thread only; read by free */
  bool have_ctx;
};

/* A reader as the thread last saw it. */
typedef struct watched {
  char *name;
  DWORD state;           /* last dwEventState, fed back as dwCurrentState */
  bool present;
  bool gone;
} watched;

/* An event on its way to the main context: a copy, since the thread moves
 * on at once. */
typedef struct queued_event {
  gint *alive;
  myna_pcsc_event_fn fn;
  void *user;
  myna_pcsc_event_kind kind;
  char *reader;
  uint8_t atr[MYNA_PCSC_MAX_ATR];
  size_t atr_len;
  bool contactless;
} queued_event;

const char *myna_pcsc_event_name(myna_pcsc_event_kind kind)
{
  switch(kind) {
  case MYNA_PCSC_READER_ADDED:
    return "reader-added";
  case MYNA_PCSC_READER_REMOVED:
    return "reader-removed";
  case MYNA_PCSC_CARD_INSERTED:
    return "card-inserted";
  case MYNA_PCSC_CARD_REMOVED:
    return "card-removed";
  case MYNA_PCSC_SERVICE_LOST:
    return "service-lost";
  case MYNA_PCSC_SERVICE_BACK:
    return "service-back";
  }
  return "unknown";
}

static gboolean deliver(gpointer data)
{
  queued_event *q = data;
  /* Free ran on this thread before us: the owner no longer wants calls. */
  if(g_atomic_int_get(q->alive)) {
    myna_pcsc_event ev = { q->kind, q->reader, q->atr_len ? q->atr : NULL,
                           q->atr_len, q->contactless };
    q->fn(&ev, q->user);
  }
  return G_SOURCE_REMOVE;
}

static void queued_free(gpointer data)
{
  queued_event *q = data;
  g_atomic_rc_box_release(q->alive);
  g_free(q->reader);
  g_free(q);
}

static void emit(myna_pcsc_monitor *m, myna_pcsc_event_kind kind,
                 const char *reader, const uint8_t *atr, size_t atr_len)
{
  queued_event *q = g_new0(queued_event, 1);
  q->alive = g_atomic_rc_box_acquire(m->alive);
  q->fn = m->fn;
  q->user = m->user;
  q->kind = kind;
  q->reader = g_strdup(reader);
  if(atr && atr_len <= sizeof(q->atr)) {
    memcpy(q->atr, atr, atr_len);
    q->atr_len = atr_len;
    q->contactless = myna_pcsc_atr_is_contactless(atr, atr_len);
  }
  /* An idle source, not g_main_context_invoke: invoke calls fn right here
   * when this thread can acquire the context, and fn belongs to the thread
   * that runs it. Sources of one priority run in the order attached. */
  GSource *s = g_idle_source_new();
  g_source_set_priority(s, G_PRIORITY_DEFAULT);
  g_source_set_callback(s, deliver, q, queued_free);
  g_source_attach(s, m->main_ctx);
  g_source_unref(s);
}

static void watched_free(gpointer data)
{
  watched *w = data;
  g_free(w->name);
  g_free(w);
}

static bool stopping(myna_pcsc_monitor *m)
{
  g_mutex_lock(&m->lock);
  bool stop = m->stop;
  g_mutex_unlock(&m->lock);
  return stop;
}

/* Wait up to us, or until free asks the thread to stop (then true). */
static bool wait_or_stop(myna_pcsc_monitor *m, gint64 us)
{
  gint64 end = g_get_monotonic_time() + us;
  g_mutex_lock(&m->lock);
  while(!m->stop && g_cond_wait_until(&m->cond, &m->lock, end))
    ;
  bool stop = m->stop;
  g_mutex_unlock(&m->lock);
  return stop;
}

static LONG context_open(myna_pcsc_monitor *m)
{
  SCARDCONTEXT ctx;
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
  if(rv != SCARD_S_SUCCESS)
    return rv;
  g_mutex_lock(&m->lock);
  m->ctx = ctx;
  m->have_ctx = true;
  g_mutex_unlock(&m->lock);
  return SCARD_S_SUCCESS;
}

static void context_close(myna_pcsc_monitor *m)
{
  g_mutex_lock(&m->lock);
  bool had = m->have_ctx;
  m->have_ctx = false;
  g_mutex_unlock(&m->lock);
  if(had)
    (void)SCardReleaseContext(m->ctx);
}

/* A reader went: its card with it. */
static void reader_gone(myna_pcsc_monitor *m, GPtrArray *readers, guint i)
{
  watched *w = readers->pdata[i];
  if(w->present)
    emit(m, MYNA_PCSC_CARD_REMOVED, w->name, NULL, 0);
  emit(m, MYNA_PCSC_READER_REMOVED, w->name, NULL, 0);
  g_ptr_array_remove_index(readers, i);
}

static watched *find_watched(GPtrArray *readers, const char *name)
{
  for(guint i = 0; i < readers->len; i++) {
    watched *w = readers->pdata[i];
    if(!strcmp(w->name, name))
      return w;
  }
  return NULL;
}

/* Bring the watched readers in line with pcscd's list. A new reader starts
 * unaware, so the next wait reports its card at once. */
static LONG relist(myna_pcsc_monitor *m, GPtrArray *readers)
{
  char **names = NULL;
  LONG rv = Myna_pcsc_list_names(m->ctx, &names);
  if(rv != SCARD_S_SUCCESS)
    return rv;
  for(guint i = 0; i < readers->len;) {
    watched *w = readers->pdata[i];
    if(!g_strv_contains((const char *const *)names, w->name))
      reader_gone(m, readers, i);
    else
      i++;
  }
  for(char **n = names; *n; n++) {
    if(find_watched(readers, *n))
      continue;
    watched *w = g_new0(watched, 1);
    w->name = g_strdup(*n);
    w->state = SCARD_STATE_UNAWARE;
    g_ptr_array_add(readers, w);
    emit(m, MYNA_PCSC_READER_ADDED, w->name, NULL, 0);
  }
  g_strfreev(names);
  return SCARD_S_SUCCESS;
}

static void card_changed(myna_pcsc_monitor *m, watched *w,
                         const SCARD_READERSTATE *s)
{
  DWORD ev = s->dwEventState;
  bool present = (ev & SCARD_STATE_PRESENT) != 0;
  /* pcsc-lite counts insertions and removals in the upper 16 bits: a card
   * swapped between two waits is present both times, with another count. */
  bool swapped = w->state != SCARD_STATE_UNAWARE && w->present && present &&
                 (w->state >> 16) != (ev >> 16);
  if(w->present && (!present || swapped))
    emit(m, MYNA_PCSC_CARD_REMOVED, w->name, NULL, 0);
  if(present && (!w->present || swapped))
    emit(m, MYNA_PCSC_CARD_INSERTED, w->name, s->rgbAtr, s->cbAtr);
  w->present = present;
  w->state = ev & ~(DWORD)SCARD_STATE_CHANGED;
}

/* pcscd went away: it took its readers with it. */
static void service_lost(myna_pcsc_monitor *m, GPtrArray *readers)
{
  emit(m, MYNA_PCSC_SERVICE_LOST, NULL, NULL, 0);
  while(readers->len)
    reader_gone(m, readers, 0);
  context_close(m);
}

static gpointer monitor_thread(gpointer data)
{
  myna_pcsc_monitor *m = data;
  GPtrArray *readers = g_ptr_array_new_with_free_func(watched_free);
  SCARD_READERSTATE *st = NULL;
  DWORD pnp_state = SCARD_STATE_UNAWARE;
  bool up = false;
  bool down_told = false;
  gint64 backoff = 0;

  while(!stopping(m)) {
    LONG rv;
    if(!up) {
      rv = context_open(m);
      if(rv != SCARD_S_SUCCESS) {
        if(!down_told) {
          emit(m, MYNA_PCSC_SERVICE_LOST, NULL, NULL, 0);
          down_told = true;
        }
        backoff = backoff ? MIN(backoff * 2, BACKOFF_MAX_US) : BACKOFF_FIRST_US;
        if(wait_or_stop(m, backoff))
          break;
        continue;
      }
      up = true;
      backoff = 0;
      pnp_state = SCARD_STATE_UNAWARE;
      if(down_told) {
        emit(m, MYNA_PCSC_SERVICE_BACK, NULL, NULL, 0);
        down_told = false;
      }
      rv = relist(m, readers);
      if(rv != SCARD_S_SUCCESS)
        goto failed;
    }

    /* Every reader, and the pseudo-reader for readers coming and going. */
    guint n = readers->len + 1;
    st = g_renew(SCARD_READERSTATE, st, n);
    memset(st, 0, n * sizeof(*st));
    for(guint i = 0; i + 1 < n; i++) {
      watched *w = readers->pdata[i];
      st[i].szReader = w->name;
      st[i].dwCurrentState = w->state;
    }
    st[n - 1].szReader = MYNA_PCSC_PNP_READER;
    st[n - 1].dwCurrentState = pnp_state;
    rv = SCardGetStatusChange(m->ctx, INFINITE, st, n);
    if(rv == SCARD_E_CANCELLED || rv == SCARD_E_TIMEOUT)
      continue;
    if(rv != SCARD_S_SUCCESS)
      goto failed;

    for(guint i = 0; i + 1 < n; i++) {
      watched *w = readers->pdata[i];
      if(!(st[i].dwEventState & SCARD_STATE_CHANGED))
        continue;
      if(st[i].dwEventState & SCARD_STATE_UNKNOWN)
        w->gone = true;
      else
        card_changed(m, w, &st[i]);
    }
    for(guint i = 0; i < readers->len;) {
      watched *w = readers->pdata[i];
      if(w->gone)
        reader_gone(m, readers, i);
      else
        i++;
    }
    if(st[n - 1].dwEventState & SCARD_STATE_CHANGED) {
      pnp_state = st[n - 1].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
      rv = relist(m, readers);
      if(rv != SCARD_S_SUCCESS)
        goto failed;
    }
    continue;

failed:
    if(Myna_pcsc_service_lost(rv)) {
      service_lost(m, readers);
      down_told = true;
      up = false;
      continue;
    }
    /* Anything else: start again on a new context after a pause (the
     * readers still there are not reported again, the others are). */
    context_close(m);
    up = false;
    if(wait_or_stop(m, BACKOFF_MAX_US))
      break;
  }

  context_close(m);
  g_free(st);
  g_ptr_array_free(readers, TRUE);
  g_mutex_lock(&m->lock);
  m->exited = true;
  g_cond_broadcast(&m->cond);
  g_mutex_unlock(&m->lock);
  return NULL;
}

myna_rv myna_pcsc_monitor_new(GMainContext *main_context, myna_pcsc_event_fn fn,
                              void *user, myna_pcsc_monitor **out)
{
  if(out)
    *out = NULL;
  if(!fn || !out)
    return MYNA_E_INVALID_ARGUMENT;
  myna_pcsc_monitor *m = g_new0(myna_pcsc_monitor, 1);
  m->main_ctx = g_main_context_ref(main_context ? main_context
                                                : g_main_context_default());
  m->fn = fn;
  m->user = user;
  m->alive = g_atomic_rc_box_new0(gint);
  g_atomic_int_set(m->alive, 1);
  g_mutex_init(&m->lock);
  g_cond_init(&m->cond);
  GError *err = NULL;
  m->thread = g_thread_try_new("myna-pcsc-monitor", monitor_thread, m, &err);
  if(!m->thread) {
    g_error_free(err);
    g_cond_clear(&m->cond);
    g_mutex_clear(&m->lock);
    g_atomic_rc_box_release(m->alive);
    g_main_context_unref(m->main_ctx);
    g_free(m);
    return MYNA_E_NO_MEMORY;
  }
  *out = m;
  return MYNA_OK;
}

void myna_pcsc_monitor_free(myna_pcsc_monitor *m)
{
  if(!m)
    return;
  g_atomic_int_set(m->alive, 0);
  g_mutex_lock(&m->lock);
  m->stop = true;
  g_cond_broadcast(&m->cond);
  /* SCardCancel interrupts only a wait already under way; one that starts
   * just after it would block for good: cancel until the thread is out. */
  while(!m->exited) {
    if(m->have_ctx)
      (void)SCardCancel(m->ctx);
    gint64 end = g_get_monotonic_time() + 50 * G_TIME_SPAN_MILLISECOND;
    while(!m->exited && g_cond_wait_until(&m->cond, &m->lock, end))
      ;
  }
  g_mutex_unlock(&m->lock);
  g_thread_join(m->thread);
  g_atomic_rc_box_release(m->alive);
  g_main_context_unref(m->main_ctx);
  g_cond_clear(&m->cond);
  g_mutex_clear(&m->lock);
  g_free(m);
}
