/* main.c - portal-sim: the local stand-in for the portal backend, the
 * municipality side and the JPKI certificate authority (docs/portal-sim.md).
 *
 *   portal-sim --data DIR [--listen ADDR:PORT] [--dev] [--pki DIR] ...
 *
 * Start-up either completes (one "listening" line on stdout) or stops with
 * one line on stderr that names the file and what to do, exit status 2.
 * SIGTERM/SIGINT: no new connections, the requests under way finish, the
 * database is closed, exit 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server_internal.h"
#ifdef PS_HAVE_PKI
#include "pki.h"
#endif
#ifdef PS_HAVE_CATALOG
#include "catalog.h"
#endif

#ifndef PS_DEFAULT_PKI_DIR
#define PS_DEFAULT_PKI_DIR "pki"
#endif
#ifndef PS_SEED_DIR
#define PS_SEED_DIR "seed"
#endif
#ifndef PS_CATALOG_SEED_DIR
#define PS_CATALOG_SEED_DIR ""
#endif

#define EXIT_START_FAILED 2
#define STOP_GRACE_MS 10000

typedef struct options {
  char *data;
  char *listen;
  gboolean dev;
  char *pki;
  char *seed;
  char *catalog_seed;
  int threads;
  int max_connections;
  int per_ip;
  int timeout;
  double rate;
  double burst;
  char **faults;
} options;

static void options_clear(options *o)
{
  g_free(o->data);
  g_free(o->listen);
  g_free(o->pki);
  g_free(o->seed);
  g_free(o->catalog_seed);
  g_strfreev(o->faults);
}

static int start_failed(const char *msg)
{
  fprintf(stderr, "portal-sim: %s\n", msg);
  return EXIT_START_FAILED;
}

static bool parse_options(int argc, char **argv, options *o, GError **error)
{
  /* String defaults are set after parsing: GOption replaces a string
   * without freeing what was there. */
  o->threads = 4;
  o->max_connections = 256;
  o->per_ip = 0;
  o->timeout = 30;
  /* Generous [S]: a terminal never comes near it, a runaway loop does, and
   * tests and the benchmark are not throttled unless they lower it. */
  o->rate = 100000;
  o->burst = 100000;
  GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o->data,
      "Data directory (made from the test PKI when missing or empty)", "DIR" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &o->listen,
      "Address and port (0: a free port); default 127.0.0.1:8443", "ADDR:PORT" },
    { "dev", 0, 0, G_OPTION_ARG_NONE, &o->dev,
      "Enable the /_dev routes and --fault (tests only)", NULL },
    { "pki", 0, 0, G_OPTION_ARG_FILENAME, &o->pki,
      "Test PKI to make a new data directory from; default " PS_DEFAULT_PKI_DIR, "DIR" },
    { "seed", 0, 0, G_OPTION_ARG_FILENAME, &o->seed,
      "Seed content for a new data directory; default " PS_SEED_DIR, "DIR" },
    { "catalog-seed", 0, 0, G_OPTION_ARG_FILENAME, &o->catalog_seed,
      "Procedure catalogue copied into a new data directory", "DIR" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o->threads,
      "Worker threads (default 4)", "N" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &o->max_connections,
      "Connections at once (default 256)", "N" },
    { "per-ip-connections", 0, 0, G_OPTION_ARG_INT, &o->per_ip,
      "Connections at once from one address (default 0: no limit)", "N" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &o->timeout,
      "Idle connection time-out in seconds (default 30)", "S" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &o->rate,
      "Requests per second per terminal (default 100000; 0: no limit)", "R" },
    { "burst", 0, 0, G_OPTION_ARG_DOUBLE, &o->burst,
      "Requests at once per terminal (default 100000)", "N" },
    { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->faults,
      "With --dev: a fault rule, \"METHOD PATH-PREFIX KIND[=N] [times=N]\"", "RULE" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- local portal backend simulator");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if(!g_option_context_parse(ctx, &argc, &argv, error))
    return false;
  if(!o->listen)
    o->listen = g_strdup("127.0.0.1:8443");
  if(!o->pki)
    o->pki = g_strdup(PS_DEFAULT_PKI_DIR);
  if(!o->seed)
    o->seed = g_strdup(PS_SEED_DIR);
  if(!o->catalog_seed)
    o->catalog_seed = g_strdup(PS_CATALOG_SEED_DIR);
  const char *bad = NULL;
  if(argc > 1)
    bad = "unexpected arguments";
  else if(!o->data || !*o->data)
    bad = "--data DIR is required";
  else if(o->threads < 1 || o->threads > 64)
    bad = "--threads must be 1 to 64";
  else if(o->max_connections < 1 || o->max_connections > 100000)
    bad = "--max-connections must be 1 to 100000";
  else if(o->per_ip < 0)
    bad = "--per-ip-connections must be 0 or more";
  else if(o->timeout < 1 || o->timeout > 3600)
    bad = "--timeout must be 1 to 3600 seconds";
  else if(o->rate < 0 || o->burst < 1)
    bad = "--rate must be 0 or more and --burst 1 or more";
  else if(o->faults && !o->dev)
    bad = "--fault needs --dev";
  if(bad) {
    g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                "%s; see portal-sim --help", bad);
    return false;
  }
  return true;
}

static void portal_free(ps_portal *p)
{
  ps_db_close(p);
  if(p->server) {
    ps_residents_clear(p);
    g_clear_pointer(&p->server->muni_users, g_ptr_array_unref);
    ps_router_free(p->server->router);
    ps_ratelimit_free(p->server->ratelimit);
    ps_faults_free(p->server->faults);
    g_free(p->server);
  }
#ifdef PS_HAVE_PKI
  ps_pki_free(p->pki);
#endif
#ifdef PS_HAVE_CATALOG
  ps_catalog_free(p->catalog);
#endif
  g_mutex_clear(&p->db_lock);
  g_free(p->data_dir);
}

int main(int argc, char **argv)
{
  options o = { 0 };
  ps_portal p = { 0 };
  ps_http *http = NULL;
  g_autoptr(GError) err = NULL;
  g_autofree char *url = NULL;
  g_autofree char *residents = NULL, *munis = NULL, *dbpath = NULL;
  int rc = EXIT_START_FAILED;

  if(!parse_options(argc, argv, &o, &err)) {
    rc = start_failed(err->message);
    options_clear(&o);
    return rc;
  }

  /* The signals are taken by sigwait below; blocked here, before any
   * thread exists, so that no worker thread receives them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* Everything portal-sim writes (keys, residents, the database) is for
   * its own user only. */
  umask(077);
  g_mutex_init(&p.db_lock);
  p.data_dir = g_canonicalize_filename(o.data, NULL);
  p.dev = o.dev;
  p.server = g_new0(ps_server, 1);
  p.server->router = ps_router_new();
  p.server->ratelimit = ps_ratelimit_new(o.rate, o.burst);
  if(o.dev)
    p.server->faults = ps_faults_new();
  for(char **f = o.faults; f && *f; f++)
    if(!ps_faults_add_spec(p.server->faults, *f, &err))
      goto fail;

  ps_datadir_sources src = { o.pki, o.seed, o.catalog_seed };
  bool created = false;
  if(!ps_datadir_prepare(p.data_dir, &src, &created, &err))
    goto fail;
  if(created)
    fprintf(stderr, "portal-sim: made a new data directory %s from %s\n",
            p.data_dir, o.pki);

  residents = g_build_filename(p.data_dir, "residents.json", NULL);
  munis = g_build_filename(p.data_dir, "municipal-users.json", NULL);
  dbpath = g_build_filename(p.data_dir, "portal.db", NULL);
  if(!ps_residents_load(&p, residents, &err) || !ps_municipal_users_load(&p, munis, &err))
    goto fail;

#ifdef PS_HAVE_PKI
  if(!ps_pki_open(p.data_dir, &p.pki, &err))
    goto fail;
#endif
#ifdef PS_HAVE_CATALOG
  {
    g_autofree char *catdir = g_build_filename(p.data_dir, "catalog", NULL);
    if(!ps_catalog_load(catdir, &p.catalog, &err)) {
      if(!g_error_matches(err, PS_CATALOG_ERROR, PS_CATALOG_ERROR_EMPTY))
        goto fail;
      /* A data directory without procedures still serves everything else. */
      fprintf(stderr, "portal-sim: %s; serving no procedures\n", err->message);
      g_clear_error(&err);
    }
  }
#endif
  if(!ps_db_open(&p, dbpath, &err))
    goto fail;
#ifdef PS_HAVE_PKI
  if(!ps_auth_init(&p, NULL, &err))
    goto fail;
#endif

  ps_router_add(p.server->router, ps_resident_routes, p.dev);
  ps_router_add(p.server->router, ps_receive_routes, p.dev);
  ps_router_add(p.server->router, ps_dev_routes, p.dev);
#ifdef PS_HAVE_PKI
  ps_router_add(p.server->router, ps_auth_routes, p.dev);
  ps_router_add(p.server->router, ps_jlis_routes, p.dev);
#endif
#ifdef PS_HAVE_SHINSEI
  ps_router_add(p.server->router, ps_shinsei_routes, p.dev);
#endif
#ifdef PS_HAVE_KOFU
  ps_router_add(p.server->router, ps_kofu_routes, p.dev);
#endif

  ps_http_config cfg = {
    .listen = o.listen,
    .threads = (unsigned)o.threads,
    .connection_limit = (unsigned)o.max_connections,
    .per_ip_limit = (unsigned)o.per_ip,
    .memory_limit = 64 * 1024,
    .timeout_s = (unsigned)o.timeout,
    .rate = o.rate,
    .burst = o.burst,
  };
  if(!ps_http_start(&p, &cfg, &http, &url, &err))
    goto fail;
  /* The one line the harness waits for. */
  printf("portal-sim: listening on %s\n", url);
  fflush(stdout);

  int sig = 0;
  while(sigwait(&stop, &sig) != 0)
    ;
  fprintf(stderr, "portal-sim: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  ps_http_stop(http, STOP_GRACE_MS);
  portal_free(&p);
  options_clear(&o);
  return 0;

fail:
  rc = start_failed(err ? err->message : "start-up failed");
  ps_http_stop(http, 0);
  portal_free(&p);
  options_clear(&o);
  return rc;
}
