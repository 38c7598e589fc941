/* ratelimit.c - a token bucket per terminal [S]. One busy or broken kiosk
 * must not take the service away from the others: each key earns `rate`
 * tokens a second up to `burst`, and a request costs one. */
#include <math.h>

#include "server_internal.h"

/* Buckets untouched this long are full again anyway: forgetting them keeps
 * the table as small as the set of active terminals. */
#define IDLE_FORGET_US (10 * G_USEC_PER_SEC)
#define SWEEP_EVERY 4096

typedef struct bucket {
  double tokens;
  gint64 at_us;
} bucket;

struct ps_ratelimit {
  double rate;
  double burst;
  GMutex lock;
  GHashTable *buckets;         /* key -> bucket */
  unsigned since_sweep;
};

ps_ratelimit *ps_ratelimit_new(double rate, double burst)
{
  ps_ratelimit *rl = g_new0(ps_ratelimit, 1);
  rl->rate = rate;
  rl->burst = burst < 1 ? 1 : burst;
  g_mutex_init(&rl->lock);
  rl->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return rl;
}

void ps_ratelimit_free(ps_ratelimit *rl)
{
  if(!rl)
    return;
  g_hash_table_unref(rl->buckets);
  g_mutex_clear(&rl->lock);
  g_free(rl);
}

static gboolean is_idle(gpointer key, gpointer value, gpointer user)
{
  const bucket *b = value;
  gint64 now = *(const gint64 *)user;
  return now - b->at_us > IDLE_FORGET_US;
}

bool ps_ratelimit_take(ps_ratelimit *rl, const char *key, gint64 now_us,
                       unsigned *retry_after)
{
  *retry_after = 0;
  if(!rl || rl->rate <= 0)
    return true;
  g_mutex_lock(&rl->lock);
  if(++rl->since_sweep >= SWEEP_EVERY) {
    rl->since_sweep = 0;
    g_hash_table_foreach_remove(rl->buckets, is_idle, &now_us);
  }
  bucket *b = g_hash_table_lookup(rl->buckets, key);
  if(!b) {
    b = g_new0(bucket, 1);
    b->tokens = rl->burst;
    b->at_us = now_us;
    g_hash_table_insert(rl->buckets, g_strdup(key), b);
  }
  if(now_us > b->at_us) {
    b->tokens += rl->rate * (double)(now_us - b->at_us) / G_USEC_PER_SEC;
    if(b->tokens > rl->burst)
      b->tokens = rl->burst;
    b->at_us = now_us;
  }
  bool ok = b->tokens >= 1.0;
  if(ok)
    b->tokens -= 1.0;
  else {
    /* Retry-After counts whole seconds (RFC 9110): round up, at least 1. */
    double wait = (1.0 - b->tokens) / rl->rate;
    double secs = ceil(wait);
    *retry_after = secs < 1 ? 1 : (unsigned)secs;
  }
  g_mutex_unlock(&rl->lock);
  return ok;
}
