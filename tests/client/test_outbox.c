/* test_outbox.c - the durable outbox: entries and their package files, the
 * receipt and the wipe, modes whatever the umask, the single-process lock,
 * damaged databases and packages, leftovers of crashes, and processes
 * killed at each step of enqueue, delivery and discard (the probe of
 * outbox_hook.h stops a child at an exact step; the parent then kills it or
 * it exits on the spot, and the reopened outbox must be consistent). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "mynaportal/error.h"
#include "mynaportal/outbox.h"
#include "outbox_hook.h"

#define RECEIPT "2024061500000001"
#define RECEIPT2 "2024061500000002"

/* ---- helpers ---- */

typedef struct {
  char *root;   /* from g_dir_make_tmp */
  char *dir;    /* root/outbox, made by mp_outbox_open */
} fixture;

static void fixture_set_up(fixture *f, gconstpointer data)
{
  g_autoptr(GError) e = NULL;
  f->root = g_dir_make_tmp("mynaterm-outbox-XXXXXX", &e);
  g_assert_no_error(e);
  f->dir = g_build_filename(f->root, "outbox", NULL);
}

static void rm_rf(const char *path)
{
  struct stat st;
  if(lstat(path, &st) != 0)
    return;
  if(S_ISDIR(st.st_mode)) {
    g_chmod(path, 0700);
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;
    while(d && (name = g_dir_read_name(d))) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      rm_rf(child);
    }
    if(d)
      g_dir_close(d);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

static void fixture_tear_down(fixture *f, gconstpointer data)
{
  rm_rf(f->root);
  g_free(f->root);
  g_free(f->dir);
}

static char *sha256_hex(const guint8 *data, gsize len)
{
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

static char *file_sha256(const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  return sha256_hex((const guint8 *)data, len);
}

static guint file_mode(const char *path)
{
  struct stat st;
  g_assert_cmpint(lstat(path, &st), ==, 0);
  return st.st_mode & 07777;
}

static gboolean exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

static char *in_dir(const fixture *f, const char *rel)
{
  return g_build_filename(f->dir, rel, NULL);
}

/* Bytes that look like a ZIP (the outbox checks the local-header magic),
 * then pseudo-random ones from seed. */
static GBytes *package_bytes(gsize size, guint32 seed)
{
  g_assert_cmpuint(size, >=, 4);
  guint8 *b = g_malloc(size);
  memcpy(b, "PK\3\4", 4);
  g_autoptr(GRand) r = g_rand_new_with_seed(seed);
  for(gsize i = 4; i < size; i++)
    b[i] = (guint8)g_rand_int(r);
  return g_bytes_new_take(b, size);
}

static void write_file(const char *path, GBytes *bytes, int mode)
{
  g_autoptr(GError) e = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data(bytes, &len);
  g_assert_true(g_file_set_contents_full(path, data, (gssize)len,
                                         G_FILE_SET_CONTENTS_CONSISTENT, mode, &e));
  g_assert_no_error(e);
}

/* A package staged where mp_outbox_staging_path says; its SHA-256 in *sha. */
static char *stage(mp_outbox *ob, gsize size, guint32 seed, char **sha)
{
  g_autoptr(GError) e = NULL;
  char *path = mp_outbox_staging_path(ob, &e);
  g_assert_no_error(e);
  g_assert_false(exists(path));
  g_autoptr(GBytes) b = package_bytes(size, seed);
  write_file(path, b, 0600);
  if(sha)
    *sha = sha256_hex(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
  return path;
}

static gint64 enqueue(mp_outbox *ob, const char *proc_id, gsize size, guint32 seed, char **sha)
{
  g_autoptr(GError) e = NULL;
  g_autofree char *staged = stage(ob, size, seed, sha);
  gint64 id = mp_outbox_enqueue(ob, MP_OUTBOX_APPLY, proc_id, NULL, staged, &e);
  g_assert_no_error(e);
  g_assert_cmpint(id, >, 0);
  g_assert_false(exists(staged));
  return id;
}

static mp_outbox *open_ok(const fixture *f)
{
  g_autoptr(GError) e = NULL;
  mp_outbox *ob = mp_outbox_open(f->dir, &e);
  g_assert_no_error(e);
  g_assert_nonnull(ob);
  return ob;
}

static GPtrArray *list(mp_outbox *ob, guint states)
{
  g_autoptr(GError) e = NULL;
  GPtrArray *a = mp_outbox_list(ob, states, &e);
  g_assert_no_error(e);
  g_assert_nonnull(a);
  return a;
}

static mp_outbox_entry *get(mp_outbox *ob, gint64 id)
{
  g_autoptr(GError) e = NULL;
  mp_outbox_entry *en = mp_outbox_get(ob, id, &e);
  g_assert_no_error(e);
  g_assert_nonnull(en);
  return en;
}

static void assert_outbox_error(GError *e, const char *part)
{
  g_assert_error(e, MP_ERROR, MP_ERROR_OUTBOX);
  if(part && !strstr(e->message, part))
    g_error("expected \"%s\" in: %s", part, e->message);
}

/* Names in a folder, sorted; NULL if it does not exist. */
static GPtrArray *names_in(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  if(!d)
    return NULL;
  GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
  const char *n;
  while((n = g_dir_read_name(d)))
    g_ptr_array_add(a, g_strdup(n));
  g_dir_close(d);
  g_ptr_array_sort(a, (GCompareFunc)(void (*)(void))g_strcmp0);
  return a;
}

static guint count_in(const char *dir)
{
  g_autoptr(GPtrArray) a = names_in(dir);
  return a ? a->len : 0;
}

static gboolean all_zero(const char *path, gsize want_len)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  g_assert_cmpuint(len, ==, want_len);
  for(gsize i = 0; i < len; i++)
    if(data[i])
      return FALSE;
  return TRUE;
}

/* Run sql on the outbox database while no mp_outbox has it open. */
static void db_poke(const fixture *f, const char *sql)
{
  g_autofree char *path = in_dir(f, "outbox.db");
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if(rc != SQLITE_OK)
    g_error("%s: %s", sql, msg);
  sqlite3_close(db);
}

/* The invariants every reopened outbox must hold: each entry that names a
 * package has it, intact; DIR/packages holds nothing else; DIR/staging is
 * empty; nothing was set aside; no pending entry reports a problem with
 * its file. */
static void assert_consistent(const fixture *f, mp_outbox *ob)
{
  g_autoptr(GPtrArray) all = list(ob, 0);
  g_autoptr(GHashTable) named = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for(guint i = 0; i < all->len; i++) {
    mp_outbox_entry *en = g_ptr_array_index(all, i);
    if(i > 0)
      g_assert_cmpint(en->id, >, ((mp_outbox_entry *)g_ptr_array_index(all, i - 1))->id);
    if(en->state == MP_OUTBOX_DELIVERED) {
      g_assert_null(en->package_path);
      continue;
    }
    g_assert_nonnull(en->package_path);
    g_autofree char *sha = file_sha256(en->package_path);
    g_assert_cmpstr(sha, ==, en->package_sha256);
    g_assert_cmpuint(file_mode(en->package_path), ==, 0600);
    if(en->state == MP_OUTBOX_PENDING && en->last_error)
      g_assert_false(g_str_has_prefix(en->last_error, "package file"));
    g_hash_table_add(named, g_path_get_basename(en->package_path));
  }
  g_autofree char *packages = in_dir(f, "packages");
  g_autoptr(GPtrArray) files = names_in(packages);
  g_assert_nonnull(files);
  for(guint i = 0; i < files->len; i++)
    if(!g_hash_table_contains(named, g_ptr_array_index(files, i)))
      g_error("orphan package file %s", (char *)g_ptr_array_index(files, i));
  g_assert_cmpuint(files->len, ==, g_hash_table_size(named));
  g_autofree char *staging = in_dir(f, "staging");
  g_assert_cmpuint(count_in(staging), ==, 0);
  g_autofree char *recovered = in_dir(f, "recovered");
  g_assert_false(exists(recovered));
}

/* ---- entries ---- */

static void test_enqueue_lists_pending(fixture *f, gconstpointer data)
{
  g_autoptr(mp_outbox) ob = open_ok(f);
  g_assert_cmpstr(mp_outbox_dir(ob), ==, f->dir);
  g_autofree char *sha = NULL;
  g_autoptr(GError) e = NULL;
  g_autofree char *staged = stage(ob, 100000, 1, &sha);
  g_autofree char *staging = in_dir(f, "staging");
  g_assert_true(g_str_has_prefix(staged, staging));
  gint64 t0 = g_get_real_time() / G_USEC_PER_SEC;
  gint64 id = mp_outbox_enqueue(ob, MP_OUTBOX_APPLY, "proc.A_1-x", NULL, staged, &e);
  g_assert_no_error(e);
  g_assert_cmpint(id, ==, 1);
  g_assert_false(exists(staged));

  g_autoptr(GPtrArray) all = list(ob, 1u << MP_OUTBOX_PENDING);
  g_assert_cmpuint(all->len, ==, 1);
  mp_outbox_entry *en = g_ptr_array_index(all, 0);
  g_assert_cmpint(en->id, ==, id);
  g_assert_cmpint(en->kind, ==, MP_OUTBOX_APPLY);
  g_assert_cmpint(en->state, ==, MP_OUTBOX_PENDING);
  g_assert_cmpstr(en->proc_id, ==, "proc.A_1-x");
  g_assert_null(en->amend_arrive_id);
  g_assert_true(g_uuid_string_is_valid(en->idempotency_key));
  g_assert_cmpstr(en->file_name, ==, "proc.A_1-x-1.zip");
  g_autofree char *want_path = in_dir(f, "packages/1.zip");
  g_assert_cmpstr(en->package_path, ==, want_path);
  g_assert_cmpstr(en->package_sha256, ==, sha);
  g_assert_cmpuint(en->package_size, ==, 100000);
  g_assert_cmpint(en->created_at, >=, t0);
  g_assert_cmpuint(en->attempts, ==, 0);
  g_assert_cmpint(en->last_attempt_at, ==, 0);
  g_assert_null(en->last_error);
  g_assert_null(en->arrive_id);
  g_assert_cmpint(en->delivered_at, ==, 0);
  g_autofree char *on_disk = file_sha256(en->package_path);
  g_assert_cmpstr(on_disk, ==, sha);
  g_assert_cmpstr(mp_outbox_state_name(en->state), ==, "pending");

  g_autoptr(GPtrArray) delivered = list(ob, 1u << MP_OUTBOX_DELIVERED);
  g_assert_cmpuint(delivered->len, ==, 0);
  g_autoptr(mp_outbox_entry) one = get(ob, id);
  g_assert_cmpstr(one->idempotency_key, ==, en->idempotency_key);

  /* A second entry has a key of its own. */
  gint64 id2 = enqueue(ob, "proc.A_1-x", 5000, 2, NULL);
  g_autoptr(mp_outbox_entry) two = get(ob, id2);
  g_assert_cmpstr(two->idempotency_key, !=, en->idempotency_key);
}

static void test_modes_whatever_the_umask(fixture *f, gconstpointer data)
{
  static const mode_t masks[] = { 0, 022, 077, 0277 };
  for(guint m = 0; m < G_N_ELEMENTS(masks); m++) {
    g_free(f->dir);
    f->dir = g_strdup_printf("%s/outbox-%u", f->root, m);
    mode_t old = umask(masks[m]);
    g_autoptr(GError) e = NULL;
    mp_outbox *ob = mp_outbox_open(f->dir, &e);
    g_assert_no_error(e);
    g_autofree char *staged = mp_outbox_staging_path(ob, NULL);
    g_autoptr(GBytes) b = package_bytes(3000, m);
    write_file(staged, b, 0644);   /* the builder's mode does not matter either */
    gint64 id = mp_outbox_enqueue(ob, MP_OUTBOX_APPLY, "p", NULL, staged, &e);
    g_assert_no_error(e);
    g_assert_cmpint(id, ==, 1);
    umask(old);

    g_assert_cmpuint(file_mode(f->dir), ==, 0700);
    static const char *const dirs[] = { "packages", "staging" };
    for(guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
      g_autofree char *p = in_dir(f, dirs[i]);
      g_assert_cmpuint(file_mode(p), ==, 0700);
    }
    static const char *const files[] = { "lock", "outbox.db", "outbox.db-wal", "outbox.db-shm",
                                         "packages/1.zip" };
    for(guint i = 0; i < G_N_ELEMENTS(files); i++) {
      g_autofree char *p = in_dir(f, files[i]);
      if(file_mode(p) != 0600)
        g_error("umask %04o: %s has mode %04o", (unsigned)masks[m], files[i], file_mode(p));
    }
    /* The lock file names the holder. */
    g_autofree char *lock = in_dir(f, "lock");
    g_autofree char *pid = NULL;
    g_assert_true(g_file_get_contents(lock, &pid, NULL, NULL));
    g_assert_cmpint(atoi(pid), ==, getpid());
    mp_outbox_close(ob);
  }
}

static void test_order_and_ids(fixture *f, gconstpointer data)
{
  g_autoptr(mp_outbox) ob = open_ok(f);
  gint64 a = enqueue(ob, "first", 1000, 1, NULL);
  gint64 b = enqueue(ob, "second", 1000, 2, NULL);
  gint64 c = enqueue(ob, "third", 1000, 3, NULL);
  g_assert_cmpint(a, <, b);
  g_assert_cmpint(b, <, c);
  g_autoptr(GPtrArray) all = list(ob, 0);
  g_assert_cmpuint(all->len, ==, 3);
  static const char *const procs[] = { "first", "second", "third" };
  for(guint i = 0; i < 3; i++) {
    mp_outbox_entry *en = g_ptr_array_index(all, i);
    g_assert_cmpstr(en->proc_id, ==, procs[i]);
  }
  /* Ids are never handed out twice, even after the last one is gone. */
  g_autoptr(GError) e = NULL;
  g_assert_true(mp_outbox_discard(ob, c, TRUE, &e));
  g_assert_no_error(e);
  gint64 d = enqueue(ob, "fourth", 1000, 4, NULL);
  g_assert_cmpint(d, >, c);
  /* Still in order after a reopen. */
  mp_outbox_close(g_steal_pointer(&ob));
  ob = open_ok(f);
  g_autoptr(GPtrArray) again = list(ob, 0);
  g_assert_cmpuint(again->len, ==, 3);
  g_assert_cmpint(((mp_outbox_entry *)g_ptr_array_index(again, 0))->id, ==, a);
  g_assert_cmpint(((mp_outbox_entry *)g_ptr_array_index(again, 1))->id, ==, b);
  g_assert_cmpint(((mp_outbox_entry *)g_ptr_array_index(again, 2))->id, ==, d);
  assert_consistent(f, ob);
}

static void test_reopen_keeps_everything(fixture *f, gconstpointer data)
{
  g_autoptr(mp_outbox) ob = open_ok(f);
  g_autoptr(GError) e = NULL;
  g_autofree char *staged = stage(ob, 2048, 9, NULL);
  gint64 id = mp_outbox_enqueue(ob, MP_OUTBOX_AMEND, "amend-proc", RECEIPT, staged, &e);
  g_assert_no_error(e);
  g_assert_true(mp_outbox_note_attempt(ob, id, "portal busy (503)", &e));
  g_assert_no_error(e);
  g_autoptr(mp_outbox_entry) before = get(ob, id);
  mp_outbox_close(g_steal_pointer(&ob));
  ob = open_ok(f);
  g_autoptr(mp_outbox_entry) after = get(ob, id);
  g_assert_cmpint(after->kind, ==, MP_OUTBOX_AMEND);
  g_assert_cmpstr(after->amend_arrive_id, ==, RECEIPT);
  g_assert_cmpstr(after->idempotency_key, ==, before->idempotency_key);
  g_assert_cmpstr(after->file_name, ==, "amend-proc-1.zip");
  g_assert_cmpstr(after->package_path, ==, before->package_path);
  g_assert_cmpstr(after->package_sha256, ==, before->package_sha256);
  g_assert_cmpint(after->created_at, ==, before->created_at);
  g_assert_cmpuint(after->attempts, ==, 1);
  g_assert_cmpstr(after->last_error, ==, "portal busy (503)");
  assert_consistent(f, ob);
}

static void test_enqueue_refuses_bad_input(fixture *f, gconstpointer data)
{
  g_autoptr(mp_outbox) ob = open_ok(f);
  g_autofree char *staged = stage(ob, 1000, 1, NULL);
  struct {
    mp_outbox_kind kind;
    const char *proc, *amend, *part;
  } bad[] = {
    { MP_OUTBOX_APPLY, "", NULL, "proc_id" },
    { MP_OUTBOX_APPLY, "../x", NULL, "proc_id" },
    { MP_OUTBOX_APPLY, "a b", NULL, "proc_id" },
    { MP_OUTBOX_APPLY, "p", RECEIPT, "MP_OUTBOX_AMEND only" },
    { MP_OUTBOX_AMEND, "p", NULL, "arrive_id" },
    { MP_OUTBOX_AMEND, "p", "12/34", "arrive_id" },
    { (mp_outbox_kind)7, "p", NULL, "kind" },
  };
  for(guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    g_assert_cmpint(mp_outbox_enqueue(ob, bad[i].kind, bad[i].proc, bad[i].amend, staged, &e),
                    ==, 0);
    assert_outbox_error(e, bad[i].part);
    g_assert_true(exists(staged));
  }
  /* Files that are not a package: the staged file stays where it was. */
  g_autofree char *empty = g_build_filename(f->root, "empty.zip", NULL);
  g_autofree char *text = g_build_filename(f->root, "text.zip", NULL);
  g_autofree char *missing = g_build_filename(f->root, "missing.zip", NULL);
  g_autofree char *link = g_build_filename(f->root, "link.zip", NULL);
  g_autoptr(GBytes) nothing = g_bytes_new_static("", 0);
  g_autoptr(GBytes) words = g_bytes_new_static("not a zip at all", 16);
  write_file(empty, nothing, 0600);
  write_file(text, words, 0600);
  g_assert_cmpint(symlink(staged, link), ==, 0);
  struct {
    const char *path, *part;
  } files[] = {
    { empty, "empty" },
    { text, "not a ZIP" },
    { missing, "No such file" },
    { link, "symbolic link" },
    { f->root, "not a regular file" },
  };
  for(guint i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autoptr(GError) e = NULL;
    g_assert_cmpint(mp_outbox_enqueue(ob, MP_OUTBOX_APPLY, "p", NULL, files[i].path, &e), ==, 0);
    assert_outbox_error(e, files[i].part);
  }
  g_assert_true(exists(empty));
  g_assert_true(exists(text));
  /* An entry's own package cannot be taken in a second time. */
  gint64 id = enqueue(ob, "p", 1000, 2, NULL);
  g_autoptr(mp_outbox_entry) en = get(ob, id);
  g_autoptr(GError) e = NULL;
  g_assert_cmpint(mp_outbox_enqueue(ob, MP_OUTBOX_APPLY, "p", NULL, en->package_path, &e), ==, 0);
  assert_outbox_error(e, "already in the outbox");
  g_autoptr(GPtrArray) all = list(ob, 0);
  g_assert_cmpuint(all->len, ==, 1);
  g_assert_true(exists(staged));
  g_unlink(staged);
  assert_consistent(f, ob);
}

/* ---- after a send ---- */

static void test_deliver_stores_receipt_and_wipes(fixture *f, gconstpointer data)
{
  g_autoptr(mp_outbox) ob = open_ok(f);
  gint64 id = enqueue(ob, "p", 70000, 1, NULL);
  gint64 other = enqueue(ob, "p", 1000, 2, NULL);
  g_autoptr(mp_outbox_entry) before = get(ob, id);
  /* A second name for the package's inode shows what the wipe left in it. */
  g_autofree char *peek = g_build_filename(f->root, "peek", NULL);
  g_assert_cmpint(link(before->package_path, peek), ==, 0);

  g_autoptr(GError) e = NULL;
  gint64 t0 = g_get_real_time() / G_USEC_PER_SEC;
  g_assert_true(mp_outbox_mark_delivered(ob, id, RECEIPT, "2024-06-15 10:00:00", "A-123", &e));
  g_assert_no_error(e);
  g_autoptr(mp_outbox_entry) en = get(ob, id);
  g_assert_cmpint(en->state, ==, MP_OUTBOX_DELIVERED);
  g_assert_cmpstr(en->arrive_id, ==, RECEIPT);
  g_assert_cmpstr(en->arrive_date, ==, "2024-06-15 10:00:00");
  g_assert_cmpstr(en->inquiry_no, ==, "A-123");
  g_assert_cmpint(en->delivered_at, >=, t0);
  g_assert_cmpuint(en->attempts, ==, 1);
  g_assert_null(en->package_path);
  g_assert_cmpstr(en->package_sha256, ==, before->package_sha256);
  g_assert_false(exists(before->package_path));
  g_assert_true(all_zero(peek, 70000));
  g_assert_cmpstr(mp_outbox_state_name(en->state), ==, "delivered");

  /* The same receipt again is no error; another one is. */
  g_assert_true(mp_outbox_mark_delivered(ob, id, RECEIPT, "2024-06-15 10:00:00", "A-123", &e));
  g_assert_no_error(e);
  g_assert_false(mp_outbox_mark_delivered(ob, id, RECEIPT2, NULL, NULL, &e));
  assert_outbox_error(e, RECEIPT2);
  g_assert_nonnull(strstr(e->message, RECEIPT));
  g_clear_error(&e);
  g_autoptr(mp_outbox_entry) still = get(ob, id);
  g_assert_cmpstr(still->arrive_id, ==, RECEIPT);

  /* Delivered entries are not sent, refused or discarded any more. */
  g_assert_false(mp_outbox_note_attempt(ob, id, "x", &e));
  assert_outbox_error(e, "delivered");
  g_clear_error(&e);
  g_assert_false(mp_outbox_mark_rejected(ob, id, "{}", &e));
  assert_outbox_error(e, "delivered");
  g_clear_error(&e);
  g_assert_false(mp_outbox_discard(ob, id, TRUE, &e));
  assert_outbox_error(e, "prune");
  g_clear_error(&e);
  g_assert_false(mp_outbox_mark_delivered(ob, 999, RECEIPT, NULL, NULL, &e));
  assert_outbox_error(e, "no entry 999");
  g_clear_error(&e);
  g_assert_false(mp_outbox_mark_delivered(ob, other, "", NULL, NULL, &e));
  assert_outbox_error(e, "arrive_id");
  g_clear_error(&e);
  g_assert_false(mp_outbox_mark_delivered(ob, other, RECEIPT2, "bad\ndate", NULL, &e));
  assert_outbox_error(e, "control");
  g_clear_error(&e);

  g_autoptr(GPtrArray) pending = list(ob, 1u << MP_OUTBOX_PENDING);
  g_assert_cmpuint(pending->len, ==, 1);
  g_assert_cmpint(((mp_outbox_entry *)g_ptr_array_index(pending, 0))->id, ==, other);
  g_autoptr(GPtrArray) delivered = list(ob, 1u << MP_OUTBOX_DELIVERED);
  g_assert_cmpuint(delivered->len, ==, 1);
  assert_consistent(f, ob);
}

static void test_note_attempt(fixture *f, gconstpointer data)
{
  g_autoptr(mp_outbox) ob = open_ok(f);
  gint64 id = enqueue(ob, "p", 1000, 1, NULL);
  g_autoptr(GError) e = NULL;
  gint64 t0 = g_get_real_time() / G_USEC_PER_SEC;
  g_assert_true(mp_outbox_note_attempt(ob, id, "could not connect", &e));
  g_assert_true(mp_outbox_note_attempt(ob, id, "timed out", &e));
  g_assert_no_error(e);
  g_autoptr(mp_outbox_entry) en = get(ob, id);
  g_assert_cmpuint(en->attempts, ==, 2);
  g_assert_cmpint(en->last_attempt_at, >=, t0);
  g_assert_cmpstr(en->last_error, ==, "timed out");
  g_assert_cmpint(en->state, ==, MP_OUTBOX_PENDING);
  /* A very long or broken text is stored valid and capped. */
  g_autofree char *long_text = g_strnfill(5000, 'x');
  long_text[10] = '\xff';
  g_assert_true(mp_outbox_note_attempt(ob, id, long_text, &e));
  g_assert_no_error(e);
  g_autoptr(mp_outbox_entry) capped = get(ob, id);
  g_assert_true(g_utf8_validate(capped->last_error, -1, NULL));
  g_assert_cmpuint(strlen(capped->last_error), <=, 1024);
  g_assert_false(mp_outbox_note_attempt(ob, 42, "x", &e));
  assert_outbox_error(e, "no entry 42");
}

static void test_reject_keeps_file_discard_wipes(fixture *f, gconstpointer data)
{
  g_autoptr(mp_outbox) ob = open_ok(f);
  g_autofree char *sha = NULL;
  gint64 id = enqueue(ob, "p", 20000, 1, &sha);
  gint64 pending = enqueue(ob, "p", 1000, 2, NULL);
  g_autoptr(GError) e = NULL;
  const char *problem = "{\"title\":\"invalid package\",\"report_list\":[]}";
  g_assert_false(mp_outbox_mark_rejected(ob, id, "{not json", &e));
  assert_outbox_error(e, "JSON");
  g_clear_error(&e);
  g_assert_true(mp_outbox_mark_rejected(ob, id, problem, &e));
  g_assert_no_error(e);
  g_autoptr(mp_outbox_entry) en = get(ob, id);
  g_assert_cmpint(en->state, ==, MP_OUTBOX_REJECTED);
  g_assert_cmpstr(mp_outbox_state_name(en->state), ==, "rejected");
  g_assert_cmpstr(en->rejection, ==, problem);
  g_assert_cmpuint(en->attempts, ==, 1);
  g_assert_nonnull(en->package_path);
  g_autofree char *kept = file_sha256(en->package_path);
  g_assert_cmpstr(kept, ==, sha);
  g_autoptr(GPtrArray) rejected = list(ob, 1u << MP_OUTBOX_REJECTED);
  g_assert_cmpuint(rejected->len, ==, 1);
  g_assert_false(mp_outbox_note_attempt(ob, id, "x", &e));
  assert_outbox_error(e, "rejected");
  g_clear_error(&e);
  /* Kept across a reopen. */
  mp_outbox_close(g_steal_pointer(&ob));
  ob = open_ok(f);
  assert_consistent(f, ob);

  g_autofree char *peek = g_build_filename(f->root, "peek", NULL);
  g_assert_cmpint(link(en->package_path, peek), ==, 0);
  g_assert_true(mp_outbox_discard(ob, id, FALSE, &e));
  g_assert_no_error(e);
  g_assert_false(exists(en->package_path));
  g_assert_true(all_zero(peek, 20000));
  g_assert_null(mp_outbox_get(ob, id, &e));
  assert_outbox_error(e, "no entry");
  g_clear_error(&e);
  g_assert_false(mp_outbox_discard(ob, id, FALSE, &e));
  assert_outbox_error(e, "no entry");
  g_clear_error(&e);

  /* A pending entry only with force. */
  g_autoptr(mp_outbox_entry) p = get(ob, pending);
  g_assert_false(mp_outbox_discard(ob, pending, FALSE, &e));
  assert_outbox_error(e, "force");
  g_clear_error(&e);
  g_assert_true(exists(p->package_path));
  g_assert_true(mp_outbox_discard(ob, pending, TRUE, &e));
  g_assert_no_error(e);
  g_assert_false(exists(p->package_path));
  g_autoptr(GPtrArray) all = list(ob, 0);
  g_assert_cmpuint(all->len, ==, 0);
  assert_consistent(f, ob);
}

static void test_prune(fixture *f, gconstpointer data)
{
  g_autoptr(mp_outbox) ob = open_ok(f);
  gint64 old = enqueue(ob, "p", 1000, 1, NULL);
  gint64 recent = enqueue(ob, "p", 1000, 2, NULL);
  gint64 pending = enqueue(ob, "p", 1000, 3, NULL);
  gint64 rejected = enqueue(ob, "p", 1000, 4, NULL);
  g_autoptr(GError) e = NULL;
  g_assert_true(mp_outbox_mark_delivered(ob, old, RECEIPT, NULL, NULL, &e));
  g_assert_true(mp_outbox_mark_delivered(ob, recent, RECEIPT2, NULL, NULL, &e));
  g_assert_true(mp_outbox_mark_rejected(ob, rejected, NULL, &e));
  g_assert_no_error(e);
  mp_outbox_close(g_steal_pointer(&ob));
  g_autofree char *sql = g_strdup_printf("UPDATE entries SET delivered_at = delivered_at - 7200,"
                                         " created_at = created_at - 7200 WHERE id = %"
                                         G_GINT64_FORMAT, old);
  db_poke(f, sql);
  ob = open_ok(f);

  g_assert_false(mp_outbox_prune(ob, -1, &e));
  assert_outbox_error(e, "negative");
  g_clear_error(&e);
  g_assert_true(mp_outbox_prune(ob, 3600, &e));
  g_assert_no_error(e);
  g_autoptr(GPtrArray) left = list(ob, 0);
  g_assert_cmpuint(left->len, ==, 3);
  g_assert_cmpint(((mp_outbox_entry *)g_ptr_array_index(left, 0))->id, ==, recent);
  g_assert_cmpint(((mp_outbox_entry *)g_ptr_array_index(left, 1))->id, ==, pending);
  g_assert_cmpint(((mp_outbox_entry *)g_ptr_array_index(left, 2))->id, ==, rejected);
  /* Age 0: every delivered entry; pending and rejected ones never. */
  g_assert_true(mp_outbox_prune(ob, 0, &e));
  g_assert_no_error(e);
  g_autoptr(GPtrArray) rest = list(ob, 0);
  g_assert_cmpuint(rest->len, ==, 2);
  g_assert_cmpint(((mp_outbox_entry *)g_ptr_array_index(rest, 0))->id, ==, pending);
  g_assert_cmpint(((mp_outbox_entry *)g_ptr_array_index(rest, 1))->id, ==, rejected);
  g_assert_null(mp_outbox_list(ob, 8, &e));
  assert_outbox_error(e, "states");
  assert_consistent(f, ob);
}

/* ---- one process at a time ---- */

static void test_second_open_names_the_holder(fixture *f, gconstpointer data)
{
  g_autoptr(mp_outbox) ob = open_ok(f);
  int fds[2];
  g_assert_cmpint(pipe(fds), ==, 0);
  fflush(NULL);
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if(pid == 0) {
    close(fds[0]);
    GError *e = NULL;
    mp_outbox *other = mp_outbox_open(f->dir, &e);
    FILE *out = fdopen(fds[1], "w");
    if(other)
      fprintf(out, "opened\n");
    else
      fprintf(out, "%d %s\n", e->domain == MP_ERROR ? e->code : -1, e->message);
    fclose(out);
    _exit(0);
  }
  close(fds[1]);
  GString *got = g_string_new(NULL);
  char buf[512];
  ssize_t n;
  while((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if(n > 0)
      g_string_append_len(got, buf, n);
  close(fds[0]);
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  g_autofree char *text = g_string_free(got, FALSE);
  g_autofree char *want_code = g_strdup_printf("%d ", MP_ERROR_OUTBOX);
  g_autofree char *want_pid = g_strdup_printf("in use by process %d", (int)getpid());
  if(!g_str_has_prefix(text, want_code) || !strstr(text, want_pid))
    g_error("second open: %s", text);

  /* Within one process too. */
  g_autoptr(GError) e = NULL;
  g_assert_null(mp_outbox_open(f->dir, &e));
  assert_outbox_error(e, want_pid);
  g_clear_error(&e);
  /* Free again once closed. */
  mp_outbox_close(g_steal_pointer(&ob));
  ob = open_ok(f);
}

/* ---- damage ---- */

static void test_damaged_database(fixture *f, gconstpointer data)
{
  g_autofree char *sha = NULL;
  {
    g_autoptr(mp_outbox) ob = open_ok(f);
    enqueue(ob, "p", 4000, 1, &sha);
  }
  g_autofree char *db = in_dir(f, "outbox.db");
  g_autofree char *pkg = in_dir(f, "packages/1.zip");
  /* Random bytes, and the SQLite header followed by garbage. */
  g_autoptr(GBytes) junk = package_bytes(8192, 77);
  g_autofree guint8 *fake = g_malloc(8192);
  memcpy(fake, g_bytes_get_data(junk, NULL), 8192);
  memcpy(fake, "SQLite format 3", 16);
  g_autoptr(GBytes) header_junk = g_bytes_new(fake, 8192);
  GBytes *garbage[] = { junk, header_junk };
  for(guint i = 0; i < G_N_ELEMENTS(garbage); i++) {
    write_file(db, garbage[i], 0600);
    g_autoptr(GError) e = NULL;
    g_assert_null(mp_outbox_open(f->dir, &e));
    assert_outbox_error(e, db);
    g_assert_nonnull(strstr(e->message, "damaged"));
    g_assert_nonnull(strstr(e->message, "packages"));
    g_assert_nonnull(strstr(e->message, "intact"));
    g_assert_nonnull(strstr(e->message, "recovered"));
    g_autofree char *still = file_sha256(pkg);
    g_assert_cmpstr(still, ==, sha);
  }
  /* The recovery the message describes: the database moved away, the
   * package set aside for staff rather than sent or removed. */
  g_autofree char *aside = g_build_filename(f->root, "outbox.db.damaged", NULL);
  g_assert_cmpint(g_rename(db, aside), ==, 0);
  g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*1 package file(s)*recovered*");
  g_autoptr(mp_outbox) ob = open_ok(f);
  g_test_assert_expected_messages();
  g_autoptr(GPtrArray) all = list(ob, 0);
  g_assert_cmpuint(all->len, ==, 0);
  g_assert_false(exists(pkg));
  g_autofree char *rec = in_dir(f, "recovered/1.zip");
  g_autofree char *rec_sha = file_sha256(rec);
  g_assert_cmpstr(rec_sha, ==, sha);
  g_autofree char *rec_dir = in_dir(f, "recovered");
  g_assert_cmpuint(file_mode(rec_dir), ==, 0700);
  /* New entries work, and do not take the recovered file's name. */
  enqueue(ob, "p", 1000, 2, NULL);
  g_assert_true(exists(rec));
}

static void test_newer_or_foreign_database(fixture *f, gconstpointer data)
{
  mp_outbox_close(open_ok(f));
  db_poke(f, "PRAGMA user_version = 99");
  g_autoptr(GError) e = NULL;
  g_assert_null(mp_outbox_open(f->dir, &e));
  assert_outbox_error(e, "schema version 99");
  g_assert_nonnull(strstr(e->message, "newer mynaterm"));
  g_clear_error(&e);

  g_autofree char *db = in_dir(f, "outbox.db");
  g_unlink(db);
  db_poke(f, "CREATE TABLE something(x)");
  g_assert_null(mp_outbox_open(f->dir, &e));
  assert_outbox_error(e, "not an outbox");
}

static void test_damaged_package_is_kept_and_reported(fixture *f, gconstpointer data)
{
  gint64 flipped, removed, cut, fine;
  g_autofree char *flipped_path = NULL;
  {
    g_autoptr(mp_outbox) ob = open_ok(f);
    flipped = enqueue(ob, "p", 3000, 1, NULL);
    removed = enqueue(ob, "p", 3000, 2, NULL);
    cut = enqueue(ob, "p", 3000, 3, NULL);
    fine = enqueue(ob, "p", 3000, 4, NULL);
    g_autoptr(mp_outbox_entry) a = get(ob, flipped);
    g_autoptr(mp_outbox_entry) b = get(ob, removed);
    g_autoptr(mp_outbox_entry) c = get(ob, cut);
    flipped_path = g_strdup(a->package_path);
    g_autofree char *data_a = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(a->package_path, &data_a, &len, NULL));
    data_a[len / 2] ^= 0x01;
    g_autoptr(GBytes) bad = g_bytes_new(data_a, len);
    write_file(a->package_path, bad, 0600);
    g_assert_cmpint(g_unlink(b->package_path), ==, 0);
    g_assert_cmpint(truncate(c->package_path, 100), ==, 0);
  }
  g_autoptr(mp_outbox) ob = open_ok(f);
  g_autoptr(GPtrArray) pending = list(ob, 1u << MP_OUTBOX_PENDING);
  g_assert_cmpuint(pending->len, ==, 4);
  struct {
    gint64 id;
    const char *part;
  } want[] = {
    { flipped, "differs from the stored one" },
    { removed, "is missing" },
    { cut, "has 100 bytes where 3000 were stored" },
  };
  for(guint i = 0; i < G_N_ELEMENTS(want); i++) {
    g_autoptr(mp_outbox_entry) en = get(ob, want[i].id);
    g_assert_cmpint(en->state, ==, MP_OUTBOX_PENDING);
    g_assert_nonnull(en->last_error);
    if(!strstr(en->last_error, want[i].part) || !strstr(en->last_error, "Staff"))
      g_error("entry %" G_GINT64_FORMAT ": %s", want[i].id, en->last_error);
  }
  g_autoptr(mp_outbox_entry) ok = get(ob, fine);
  g_assert_null(ok->last_error);
  /* A failed send adds to the finding rather than hiding it. */
  g_autoptr(GError) e = NULL;
  g_assert_true(mp_outbox_note_attempt(ob, removed, "file unreadable", &e));
  g_assert_no_error(e);
  g_autoptr(mp_outbox_entry) both = get(ob, removed);
  g_assert_nonnull(strstr(both->last_error, "is missing"));
  g_assert_nonnull(strstr(both->last_error, "last send: file unreadable"));

  /* The file put back: the finding goes at the next open. */
  mp_outbox_close(g_steal_pointer(&ob));
  g_autofree char *data_a = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(flipped_path, &data_a, &len, NULL));
  data_a[len / 2] ^= 0x01;
  g_autoptr(GBytes) good = g_bytes_new(data_a, len);
  write_file(flipped_path, good, 0600);
  ob = open_ok(f);
  g_autoptr(mp_outbox_entry) restored = get(ob, flipped);
  g_assert_null(restored->last_error);
}

/* ---- the folder ---- */

static void test_unsafe_folder_refused(fixture *f, gconstpointer data)
{
  mp_outbox_close(open_ok(f));
  static const guint modes[] = { 0770, 0707, 0777, 0730 };
  for(guint i = 0; i < G_N_ELEMENTS(modes); i++) {
    g_assert_cmpint(g_chmod(f->dir, modes[i]), ==, 0);
    g_autoptr(GError) e = NULL;
    g_assert_null(mp_outbox_open(f->dir, &e));
    assert_outbox_error(e, "writable by other users");
    g_assert_nonnull(strstr(e->message, "chmod 700"));
    g_assert_cmpuint(file_mode(f->dir), ==, modes[i]);
  }
  /* A sub-folder too. */
  g_assert_cmpint(g_chmod(f->dir, 0700), ==, 0);
  g_autofree char *packages = in_dir(f, "packages");
  g_assert_cmpint(g_chmod(packages, 0775), ==, 0);
  g_autoptr(GError) e = NULL;
  g_assert_null(mp_outbox_open(f->dir, &e));
  assert_outbox_error(e, packages);
  g_clear_error(&e);
  g_assert_cmpint(g_chmod(packages, 0700), ==, 0);
  /* Readable by others only: tightened, not refused. */
  g_assert_cmpint(g_chmod(f->dir, 0755), ==, 0);
  g_autoptr(mp_outbox) ob = open_ok(f);
  g_assert_cmpuint(file_mode(f->dir), ==, 0700);
  mp_outbox_close(g_steal_pointer(&ob));

  /* A folder of another user (only root can make one). */
  if(geteuid() != 0)
    return;
  g_assert_cmpint(chown(f->dir, 4242, 4242), ==, 0);
  g_assert_null(mp_outbox_open(f->dir, &e));
  assert_outbox_error(e, "belongs to user id 4242");
  g_assert_cmpint(chown(f->dir, 0, 0), ==, 0);
}

static void test_leftovers_cleaned_at_open(fixture *f, gconstpointer data)
{
  g_autofree char *kept_sha = NULL;
  g_autofree char *staged = NULL;
  {
    g_autoptr(mp_outbox) ob = open_ok(f);
    gint64 a = enqueue(ob, "p", 1000, 1, NULL);
    enqueue(ob, "p", 1000, 2, &kept_sha);
    g_autoptr(GError) e = NULL;
    g_assert_true(mp_outbox_discard(ob, a, TRUE, &e));
    g_assert_no_error(e);
    /* A package built but never enqueued, and a builder's temporary file. */
    staged = stage(ob, 1000, 3, NULL);
  }
  g_autofree char *tmp = in_dir(f, "staging/.pkg-XXXX.tmp");
  g_autoptr(GBytes) b = package_bytes(500, 4);
  write_file(tmp, b, 0600);
  /* 3.zip: above every id committed, so from an enqueue that rolled back.
   * 1.zip: an id that was committed (then discarded); notes.txt: not a
   * name the outbox makes. Neither is the outbox's to remove. */
  g_autofree char *rolled_back = in_dir(f, "packages/3.zip");
  g_autofree char *old_id = in_dir(f, "packages/1.zip");
  g_autofree char *odd = in_dir(f, "packages/notes.txt");
  write_file(rolled_back, b, 0600);
  write_file(old_id, b, 0600);
  write_file(odd, b, 0600);

  g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*2 package file(s)*recovered*");
  g_autoptr(mp_outbox) ob = open_ok(f);
  g_test_assert_expected_messages();
  g_assert_false(exists(staged));
  g_assert_false(exists(tmp));
  g_assert_false(exists(rolled_back));
  g_assert_false(exists(old_id));
  g_assert_false(exists(odd));
  g_autofree char *rec1 = in_dir(f, "recovered/1.zip");
  g_autofree char *rec2 = in_dir(f, "recovered/notes.txt");
  g_assert_true(exists(rec1));
  g_assert_true(exists(rec2));
  g_autoptr(GPtrArray) all = list(ob, 0);
  g_assert_cmpuint(all->len, ==, 1);
  mp_outbox_entry *en = g_ptr_array_index(all, 0);
  g_assert_cmpint(en->id, ==, 2);
  g_autofree char *sha = file_sha256(en->package_path);
  g_assert_cmpstr(sha, ==, kept_sha);
  /* The next enqueue gets id 3, and its own file. */
  g_autofree char *new_sha = NULL;
  g_assert_cmpint(enqueue(ob, "p", 1000, 5, &new_sha), ==, 3);
  g_autofree char *three = file_sha256(rolled_back);
  g_assert_cmpstr(three, ==, new_sha);
}

/* ---- crashes ---- */

typedef enum { CRASH_ENQUEUE, CRASH_DELIVER, CRASH_DISCARD } crash_action;

typedef struct {
  const char *path;
  crash_action action;
  const char *step;
  gboolean killed;     /* SIGKILL from the parent, else _exit() at the step */
} crash_case;

static const crash_case CRASHES[] = {
  { "/client/outbox/crash/enqueue-inserted/kill", CRASH_ENQUEUE, "enqueue:inserted", TRUE },
  { "/client/outbox/crash/enqueue-renamed/kill", CRASH_ENQUEUE, "enqueue:renamed", TRUE },
  { "/client/outbox/crash/enqueue-renamed/exit", CRASH_ENQUEUE, "enqueue:renamed", FALSE },
  { "/client/outbox/crash/enqueue-committed/kill", CRASH_ENQUEUE, "enqueue:committed", TRUE },
  { "/client/outbox/crash/deliver-committed/kill", CRASH_DELIVER, "deliver:committed", TRUE },
  { "/client/outbox/crash/deliver-committed/exit", CRASH_DELIVER, "deliver:committed", FALSE },
  { "/client/outbox/crash/deliver-wiped/kill", CRASH_DELIVER, "deliver:wiped", TRUE },
  { "/client/outbox/crash/discard-marked/kill", CRASH_DISCARD, "discard:marked", TRUE },
  { "/client/outbox/crash/discard-wiped/exit", CRASH_DISCARD, "discard:wiped", FALSE },
};

/* The child's side: report on report_fd, then wait for the end on hold_fd
 * (a pipe whose writer the parent never uses). */
static const crash_case *child_case;
static FILE *child_report;
static int child_hold_fd = -1;

static void child_step(const char *s)
{
  if(strcmp(s, child_case->step) != 0)
    return;
  fprintf(child_report, "step %s\n", s);
  fflush(child_report);
  if(child_case->killed) {
    char c;
    while(read(child_hold_fd, &c, 1) < 0 && errno == EINTR)
      ;
    _exit(3);   /* the parent went away without killing us */
  }
  _exit(0);
}

static G_NORETURN void crash_child(const fixture *f, const crash_case *cc)
{
  /* Idempotency-Keys come from GLib's global generator, whose state a fork
   * copies: without a new seed the parent would later make the very keys
   * the child made. */
  g_random_set_seed((guint32)getpid() ^ (guint32)g_get_monotonic_time());
  GError *e = NULL;
  mp_outbox *ob = mp_outbox_open(f->dir, &e);
  if(!ob) {
    fprintf(child_report, "error %s\n", e->message);
    fflush(child_report);
    _exit(2);
  }
  for(guint32 i = 0; i < 2; i++) {
    char *sha = NULL;
    g_autofree char *staged = stage(ob, 30000 + i, i + 1, &sha);
    gint64 id = mp_outbox_enqueue(ob, MP_OUTBOX_APPLY, "p", NULL, staged, &e);
    if(!id)
      _exit(2);
    /* Reported only once enqueue returned. */
    fprintf(child_report, "ok %" G_GINT64_FORMAT " %s\n", id, sha);
    fflush(child_report);
    g_free(sha);
  }
  mp_outbox_set_step_hook(child_step);
  switch(cc->action) {
  case CRASH_ENQUEUE: {
    char *sha = NULL;
    char *staged = stage(ob, 40000, 9, &sha);
    fprintf(child_report, "staged %s\n", sha);
    fflush(child_report);
    mp_outbox_enqueue(ob, MP_OUTBOX_APPLY, "p", NULL, staged, &e);
    break;
  }
  case CRASH_DELIVER:
    mp_outbox_mark_delivered(ob, 1, RECEIPT, "2024-06-15 10:00:00", "Q1", &e);
    break;
  case CRASH_DISCARD:
    if(mp_outbox_mark_rejected(ob, 1, "{}", &e))
      mp_outbox_discard(ob, 1, FALSE, &e);
    break;
  }
  fprintf(child_report, "missed the step\n");
  fflush(child_report);
  _exit(1);
}

static void test_crash(fixture *f, gconstpointer data)
{
  const crash_case *cc = data;
  int report[2], hold[2];
  g_assert_cmpint(pipe(report), ==, 0);
  g_assert_cmpint(pipe(hold), ==, 0);
  fflush(NULL);
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if(pid == 0) {
    close(report[0]);
    close(hold[1]);
    child_case = cc;
    child_report = fdopen(report[1], "w");
    child_hold_fd = hold[0];
    crash_child(f, cc);
  }
  close(report[1]);
  close(hold[0]);
  FILE *in = fdopen(report[0], "r");
  g_autoptr(GHashTable) done = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                                    g_free);
  g_autofree char *staged_sha = NULL;
  gboolean stepped = FALSE;
  char line[512];
  while(!stepped && fgets(line, sizeof line, in)) {
    g_strchomp(line);
    if(g_str_has_prefix(line, "ok ")) {
      g_auto(GStrv) w = g_strsplit(line, " ", 3);
      gint64 *id = g_new(gint64, 1);
      *id = g_ascii_strtoll(w[1], NULL, 10);
      g_hash_table_insert(done, id, g_strdup(w[2]));
    } else if(g_str_has_prefix(line, "staged ")) {
      staged_sha = g_strdup(line + 7);
    } else if(g_str_has_prefix(line, "step ")) {
      g_assert_cmpstr(line + 5, ==, cc->step);
      stepped = TRUE;
    } else {
      g_error("child: %s", line);
    }
  }
  g_assert_true(stepped);
  if(cc->killed)
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  fclose(in);
  close(hold[1]);
  if(cc->killed)
    g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  else
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  g_assert_cmpuint(g_hash_table_size(done), ==, 2);

  /* The lock died with the child; the outbox is consistent. */
  g_autoptr(mp_outbox) ob = open_ok(f);
  assert_consistent(f, ob);
  g_autoptr(GPtrArray) all = list(ob, 0);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, done);
  while(g_hash_table_iter_next(&it, &k, &v)) {
    gint64 id = *(gint64 *)k;
    if(cc->action != CRASH_ENQUEUE && id == 1)
      continue;
    g_autoptr(mp_outbox_entry) en = get(ob, id);
    g_assert_cmpint(en->state, ==, MP_OUTBOX_PENDING);
    g_assert_cmpstr(en->package_sha256, ==, v);
  }
  g_autofree char *first = in_dir(f, "packages/1.zip");
  switch(cc->action) {
  case CRASH_ENQUEUE:
    if(!strcmp(cc->step, "enqueue:committed")) {
      /* Committed before the crash: there, whole, though enqueue never
       * returned to its caller. */
      g_assert_cmpuint(all->len, ==, 3);
      g_autoptr(mp_outbox_entry) en = get(ob, 3);
      g_assert_cmpstr(en->package_sha256, ==, staged_sha);
    } else {
      g_assert_cmpuint(all->len, ==, 2);
    }
    break;
  case CRASH_DELIVER: {
    g_assert_cmpuint(all->len, ==, 2);
    g_autoptr(mp_outbox_entry) en = get(ob, 1);
    g_assert_cmpint(en->state, ==, MP_OUTBOX_DELIVERED);
    g_assert_cmpstr(en->arrive_id, ==, RECEIPT);
    g_assert_cmpstr(en->inquiry_no, ==, "Q1");
    g_assert_false(exists(first));
    break;
  }
  case CRASH_DISCARD: {
    g_assert_cmpuint(all->len, ==, 1);
    g_autoptr(GError) e = NULL;
    g_assert_null(mp_outbox_get(ob, 1, &e));
    assert_outbox_error(e, "no entry 1");
    g_assert_false(exists(first));
    break;
  }
  }
  /* And it keeps working. */
  gint64 next = enqueue(ob, "p", 1000, 77, NULL);
  g_assert_cmpint(next, >, 2);
  assert_consistent(f, ob);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define T(path, fn) g_test_add(path, fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  T("/client/outbox/enqueue-lists-pending", test_enqueue_lists_pending);
  T("/client/outbox/modes-whatever-the-umask", test_modes_whatever_the_umask);
  T("/client/outbox/order-and-ids", test_order_and_ids);
  T("/client/outbox/reopen-keeps-everything", test_reopen_keeps_everything);
  T("/client/outbox/enqueue-refuses-bad-input", test_enqueue_refuses_bad_input);
  T("/client/outbox/deliver-stores-receipt-and-wipes", test_deliver_stores_receipt_and_wipes);
  T("/client/outbox/note-attempt", test_note_attempt);
  T("/client/outbox/reject-keeps-file-discard-wipes", test_reject_keeps_file_discard_wipes);
  T("/client/outbox/prune", test_prune);
  T("/client/outbox/second-open-names-the-holder", test_second_open_names_the_holder);
  T("/client/outbox/damaged-database", test_damaged_database);
  T("/client/outbox/newer-or-foreign-database", test_newer_or_foreign_database);
  T("/client/outbox/damaged-package-is-kept-and-reported",
    test_damaged_package_is_kept_and_reported);
  T("/client/outbox/unsafe-folder-refused", test_unsafe_folder_refused);
  T("/client/outbox/leftovers-cleaned-at-open", test_leftovers_cleaned_at_open);
#undef T
  for(guint i = 0; i < G_N_ELEMENTS(CRASHES); i++)
    g_test_add(CRASHES[i].path, fixture, &CRASHES[i], fixture_set_up, test_crash,
               fixture_tear_down);
  return g_test_run();
}
