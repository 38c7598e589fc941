/* nfc_cancel CONNSTRING - a kiosk cancelling "place your card": one thread
 * polls for a card (for up to 60 s) while another cancels it. Exits 0 when
 * the poll ends with MYNA_E_CANCELLED, printing how long the cancel took;
 * 1 otherwise. Used by tests/integration/test_nfc_faults.py with no card in
 * the field. */
#include <glib.h>
#include <stdatomic.h>
#include <stdio.h>

#include "mynacard/mynacard.h"
#include "mynanfc/nfc.h"

typedef struct poll_job {
  myna_nfc *nfc;
  atomic_bool cancel;
  const char *connstring;
  GMutex lock;
  GCond cond;
  bool started, done;
  myna_rv rv;
} poll_job;

static gpointer poll_thread(gpointer data)
{
  poll_job *j = data;
  g_mutex_lock(&j->lock);
  j->started = true;
  g_cond_signal(&j->cond);
  g_mutex_unlock(&j->lock);
  myna_nfc_options opt = { .poll_ms = 60000, .cancel = &j->cancel };
  myna_transport t;
  myna_rv rv = myna_nfc_connect(j->nfc, j->connstring, &opt, &t);
  if(rv == MYNA_OK)
    t.ops->destroy(t.ctx);
  g_mutex_lock(&j->lock);
  j->rv = rv;
  j->done = true;
  g_cond_signal(&j->cond);
  g_mutex_unlock(&j->lock);
  return NULL;
}

int main(int argc, char **argv)
{
  if(argc != 2) {
    fprintf(stderr, "usage: nfc_cancel CONNSTRING\n");
    return 2;
  }
  poll_job j = { .connstring = argv[1] };
  g_mutex_init(&j.lock);
  g_cond_init(&j.cond);
  if(myna_nfc_new(&j.nfc))
    return 1;
  GThread *th = g_thread_new("poll", poll_thread, &j);
  g_mutex_lock(&j.lock);
  while(!j.started)
    g_cond_wait(&j.cond, &j.lock);
  /* The thread may not have entered connect yet: the flag, set first, is
   * seen whenever it does; myna_nfc_cancel ends a round in progress. */
  gint64 first = g_get_monotonic_time();
  g_mutex_unlock(&j.lock);
  atomic_store(&j.cancel, true);
  myna_nfc_cancel(j.nfc);
  g_mutex_lock(&j.lock);
  gint64 until = first + 30 * G_TIME_SPAN_SECOND;
  while(!j.done && g_cond_wait_until(&j.cond, &j.lock, until))
    ;
  bool done = j.done;
  myna_rv rv = j.rv;
  g_mutex_unlock(&j.lock);
  if(!done) {
    fprintf(stderr, "nfc_cancel: the poll did not end within 30 s of the cancel\n");
    return 1;
  }
  g_thread_join(th);
  double ms = (double)(g_get_monotonic_time() - first) / 1000.0;
  printf("%s after %.1f ms\n", myna_rv_name(rv), ms);
  myna_nfc_free(j.nfc);
  return rv == MYNA_E_CANCELLED ? 0 : 1;
}
