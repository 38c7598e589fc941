/* outbox.c - the durable outbox: signed packages waiting for their receipt.
 *
 * DIR/outbox.db holds one row per entry (table entries); DIR/packages/ID.zip
 * holds the package of every entry that is pending or rejected. The rule
 * that keeps the two consistent through a crash at any instruction:
 *
 *   a committed row that names a package file has that file, and a file in
 *   DIR/packages that no committed row names is either removed at the next
 *   open or kept aside in DIR/recovered, never sent.
 *
 * Enqueue: the staged file is hashed and fsync'd, then in ONE transaction
 * the row is inserted (which gives the id), the file is renamed to
 * packages/ID.zip, the folder is fsync'd and the transaction commits. A
 * crash before the commit leaves an uncommitted row (gone when SQLite rolls
 * back) and maybe packages/ID.zip: no row claims it and its id is above the
 * largest id ever committed (sqlite_sequence), so the next open wipes it.
 * A crash before the rename leaves the staged file, which the next open
 * wipes with the rest of DIR/staging. Because the folder is fsync'd before
 * COMMIT, a commit on disk implies the rename on disk.
 *
 * Delivery: the receipt and state commit first; only then is the file
 * overwritten, unlinked and the row's package_file cleared. A crash between
 * leaves a delivered row still naming its file: the next open wipes it.
 * Discard marks the row (discarding = 1) in a commit, wipes the file, then
 * deletes the row; the next open finishes a discard a crash interrupted.
 *
 * A file no row names whose id is NOT above sqlite_sequence (or any file at
 * all when outbox.db was created in this open: the old database was lost or
 * moved away) is not ours to judge: it may be a package that was never
 * delivered. It goes to DIR/recovered for staff, with a warning.
 *
 * A failed COMMIT of an enqueue: with a full disk the WAL never got the
 * commit frame, so the file goes back to its staged name; with an I/O error
 * SQLite's recovery at the next open may still find a whole commit, so the
 * file stays as packages/ID.zip (then kept with its entry, or wiped as an
 * orphan) and the handle refuses further writes until it is reopened.
 *
 * One mp_outbox is used from one thread at a time (it holds one SQLite
 * connection and no lock of its own); one process at a time holds the
 * outbox (flock on DIR/lock, whose descriptor is close-on-exec). */

#include "mynaportal/outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "mynaportal/error.h"
#include "outbox_hook.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* Version of the tables below in PRAGMA user_version. A database written by
 * a newer mynaterm is refused rather than misread. */
#define OUTBOX_SCHEMA_VERSION 1

#define OUTBOX_DB "outbox.db"
#define OUTBOX_LOCK "lock"
#define OUTBOX_PACKAGES "packages"
#define OUTBOX_STAGING "staging"
#define OUTBOX_RECOVERED "recovered"

#define OUTBOX_IO_CHUNK (64 * 1024)
#define OUTBOX_BUSY_MS 5000
/* Sanity cap, not the portal's policy (that answers 413): a file this large
 * is not a package the kiosk built. */
#define OUTBOX_MAX_PACKAGE (G_GUINT64_CONSTANT(256) * 1024 * 1024)
#define OUTBOX_MAX_TEXT 1024          /* last_error, arrive_date, inquiry_no */
#define OUTBOX_MAX_PROBLEM (1024 * 1024) /* rejection JSON: a long report_list fits */

static const char SCHEMA[] =
  "CREATE TABLE entries("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"  /* ids never come back after a delete */
  "  kind INTEGER NOT NULL CHECK(kind IN (0, 1)),"
  "  state INTEGER NOT NULL DEFAULT 0 CHECK(state IN (0, 1, 2)),"
  "  proc_id TEXT NOT NULL,"
  "  amend_arrive_id TEXT,"
  "  idempotency_key TEXT NOT NULL UNIQUE,"
  "  file_name TEXT NOT NULL,"
  "  package_file TEXT UNIQUE,"              /* relative to DIR; NULL once wiped */
  "  package_sha256 TEXT NOT NULL,"
  "  package_size INTEGER NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  last_attempt_at INTEGER NOT NULL DEFAULT 0,"
  "  last_error TEXT,"                       /* from the sender */
  "  file_problem TEXT,"                     /* from the check at open */
  "  arrive_id TEXT,"
  "  arrive_date TEXT,"
  "  inquiry_no TEXT,"
  "  delivered_at INTEGER NOT NULL DEFAULT 0,"
  "  rejection TEXT,"
  "  discarding INTEGER NOT NULL DEFAULT 0 CHECK(discarding IN (0, 1)),"
  "  CHECK((kind = 1) = (amend_arrive_id IS NOT NULL)),"
  "  CHECK(state <> 1 OR arrive_id IS NOT NULL));"
  "CREATE INDEX entries_state ON entries(state, id);";

#define ENTRY_COLUMNS \
  "id, kind, state, proc_id, amend_arrive_id, idempotency_key, file_name," \
  " package_file, package_sha256, package_size, created_at, attempts," \
  " last_attempt_at, last_error, file_problem, arrive_id, arrive_date," \
  " inquiry_no, delivered_at, rejection"

struct mp_outbox {
  char *dir;
  int dir_fd;
  int packages_fd;
  int staging_fd;
  int lock_fd;
  sqlite3 *db;
  gboolean fresh;     /* the schema was created by this open */
  gboolean unsure;    /* a COMMIT failed in a way that may yet count: no more writes */
};

static mp_outbox_step_hook step_hook;

void mp_outbox_set_step_hook(mp_outbox_step_hook hook)
{
  step_hook = hook;
}

static void step(const char *name)
{
  if(step_hook)
    step_hook(name);
}

static gint64 now_s(void)
{
  return g_get_real_time() / G_USEC_PER_SEC;
}

/* ---- errors ---- */

static const char *errno_hint(int e)
{
  switch(e) {
  case ENOSPC:
  case EDQUOT:
    return "the disk is full: free space on it, then try again";
  case EACCES:
  case EPERM:
    return "permission denied: the outbox folder and its files must belong to the "
           "user mynaterm runs as";
  case EROFS:
    return "the file system is read-only: check the disk and how it is mounted";
  case EIO:
    return "the disk reported an input/output error: check or replace the disk";
  default:
    return "check the disk (space, permissions)";
  }
}

static void set_errno_error(GError **error, int e, const char *what, const char *path)
{
  mp_set_error(error, MP_ERROR_OUTBOX, NULL, "%s %s: %s; %s", what, path,
               g_strerror(e), errno_hint(e));
}

static void set_damaged_error(GError **error, const char *dir, const char *detail)
{
  mp_set_error(error, MP_ERROR_OUTBOX, NULL,
               "the outbox database %s/" OUTBOX_DB " is damaged (%s). The packages "
               "waiting in %s/" OUTBOX_PACKAGES " are intact. To recover: stop "
               "mynaterm, move " OUTBOX_DB ", " OUTBOX_DB "-wal and " OUTBOX_DB
               "-shm out of %s (keep them for analysis) and start again; the "
               "packages are then kept in %s/" OUTBOX_RECOVERED " for staff to "
               "ask the portal which of them arrived before anyone applies again",
               dir, detail, dir, dir, dir);
}

static void set_db_error(mp_outbox *ob, GError **error, const char *what)
{
  int rc = sqlite3_extended_errcode(ob->db);
  const char *msg = sqlite3_errmsg(ob->db);
  const char *hint;
  switch(rc & 0xff) {
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    set_damaged_error(error, ob->dir, msg);
    return;
  case SQLITE_FULL:
    hint = errno_hint(ENOSPC);
    break;
  case SQLITE_READONLY:
  case SQLITE_PERM:
  case SQLITE_AUTH:
    hint = errno_hint(EACCES);
    break;
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN: {
    int se = sqlite3_system_errno(ob->db);
    hint = errno_hint(se ? se : EIO);
    break;
  }
  case SQLITE_CONSTRAINT:
    hint = "the outbox refused a duplicate or an invalid value, which mynaterm should "
           "never write: report this to its maintainers";
    break;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    hint = "another program has the database open (an sqlite3 shell?): close it "
           "and try again";
    break;
  default:
    hint = errno_hint(0);
    break;
  }
  mp_set_error(error, MP_ERROR_OUTBOX, NULL, "outbox database %s/" OUTBOX_DB ": %s: %s; %s",
               ob->dir, what, msg, hint);
}

static void set_no_entry_error(mp_outbox *ob, GError **error, gint64 id)
{
  mp_set_error(error, MP_ERROR_OUTBOX, NULL,
               "the outbox %s has no entry %" G_GINT64_FORMAT
               " (discarded, pruned, or never made)", ob->dir, id);
}

/* After a COMMIT that failed with an I/O error, only SQLite's recovery at
 * the next open knows whether it counts; writing on could pile more on top
 * of a failing disk. */
static gboolean usable(mp_outbox *ob, GError **error)
{
  if(!ob->unsure)
    return TRUE;
  mp_set_error(error, MP_ERROR_OUTBOX, NULL,
               "the outbox %s takes no more changes after the disk failed during a commit: "
               "staff should check the disk and restart mynaterm", ob->dir);
  return FALSE;
}

/* ---- input checks ---- */

/* proc_id: 1-64 of A-Z a-z 0-9 . _ - (as package.h): it becomes part of
 * file_name. */
static gboolean valid_proc_id(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if(n < 1 || n > 64)
    return FALSE;
  for(size_t i = 0; i < n; i++)
    if(!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
      return FALSE;
  return TRUE;
}

/* An arrive_id: the contract says 16 digits; letters and '-' are let through
 * so that a portal that widens the format does not lose a receipt here. */
static gboolean valid_receipt_id(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if(n < 1 || n > 64)
    return FALSE;
  for(size_t i = 0; i < n; i++)
    if(!g_ascii_isalnum(s[i]) && s[i] != '-')
      return FALSE;
  return TRUE;
}

/* Optional short text (arrive_date, inquiry_no): UTF-8, no control characters. */
static gboolean valid_short_text(const char *s)
{
  if(!s)
    return TRUE;
  if(strlen(s) > OUTBOX_MAX_TEXT || !g_utf8_validate(s, -1, NULL))
    return FALSE;
  for(const unsigned char *p = (const unsigned char *)s; *p; p++)
    if(*p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

/* last_error as stored: valid UTF-8, at most OUTBOX_MAX_TEXT bytes, cut at a
 * character boundary. */
static char *clean_error_text(const char *s)
{
  if(!s)
    return NULL;
  g_autofree char *valid = g_utf8_make_valid(s, -1);
  if(strlen(valid) <= OUTBOX_MAX_TEXT)
    return g_steal_pointer(&valid);
  const char *end = g_utf8_find_prev_char(valid, valid + OUTBOX_MAX_TEXT + 1);
  return g_strndup(valid, (gsize)(end - valid));
}

/* ---- files ---- */

static int fsync_fd(int fd)
{
  while(fsync(fd) != 0) {
    if(errno != EINTR)
      return errno;
  }
  return 0;
}

/* Read fd from its start to its end: SHA-256 (lowercase hex), the bytes read
 * and the first four of them. Returns 0 or an errno. */
static int hash_fd(int fd, char **sha_hex, guint64 *size, guint8 head[4])
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc(OUTBOX_IO_CHUNK);
  guint64 total = 0;
  memset(head, 0, 4);
  for(;;) {
    ssize_t n = pread(fd, buf, OUTBOX_IO_CHUNK, (off_t)total);
    if(n < 0) {
      if(errno == EINTR)
        continue;
      return errno;
    }
    if(n == 0)
      break;
    if(total < 4)
      memcpy(head + total, buf, MIN((size_t)(4 - total), (size_t)n));
    g_checksum_update(sum, buf, (gssize)n);
    total += (guint64)n;
  }
  *sha_hex = g_strdup(g_checksum_get_string(sum));
  *size = total;
  return 0;
}

/* Overwrite the regular file name in the folder dfd (dir_path for messages)
 * with zeros, flush it, unlink it and flush the folder. A name that is not
 * there is no error; a symlink or other special file is only unlinked; a
 * folder is left alone (nothing of ours).
 *
 * The overwrite is what a file system that writes in place (ext4, xfs)
 * honours; on copy-on-write file systems and on flash the old blocks may
 * survive until reused (docs: "What is not done"). */
static gboolean wipe_at(int dfd, const char *dir_path, const char *name, GError **error)
{
  static const guint8 zeros[OUTBOX_IO_CHUNK];
  g_autofree char *path = g_build_filename(dir_path, name, NULL);
  struct stat st;
  if(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if(errno == ENOENT)
      return TRUE;
    set_errno_error(error, errno, "cannot examine", path);
    return FALSE;
  }
  if(S_ISDIR(st.st_mode))
    return TRUE;
  if(S_ISREG(st.st_mode)) {
    int fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if(fd < 0) {
      if(errno == ENOENT)
        return TRUE;
      set_errno_error(error, errno, "cannot open for wiping", path);
      return FALSE;
    }
    if(fstat(fd, &st) != 0) {
      set_errno_error(error, errno, "cannot examine", path);
      close(fd);
      return FALSE;
    }
    off_t off = 0;
    while(off < st.st_size) {
      size_t len = (size_t)MIN((off_t)sizeof zeros, st.st_size - off);
      ssize_t n = pwrite(fd, zeros, len, off);
      if(n < 0) {
        if(errno == EINTR)
          continue;
        set_errno_error(error, errno, "cannot overwrite", path);
        close(fd);
        return FALSE;
      }
      off += n;
    }
    int e = fsync_fd(fd);
    close(fd);
    if(e) {
      set_errno_error(error, e, "cannot flush", path);
      return FALSE;
    }
  }
  if(unlinkat(dfd, name, 0) != 0 && errno != ENOENT) {
    set_errno_error(error, errno, "cannot remove", path);
    return FALSE;
  }
  int e = fsync_fd(dfd);
  if(e) {
    set_errno_error(error, e, "cannot flush the folder", dir_path);
    return FALSE;
  }
  return TRUE;
}

/* The names in the folder dfd (not . and ..). */
static GPtrArray *list_names(int dfd, const char *dir_path, GError **error)
{
  int fd = dup(dfd);
  if(fd < 0) {
    set_errno_error(error, errno, "cannot read the folder", dir_path);
    return NULL;
  }
  DIR *d = fdopendir(fd);
  if(!d) {
    set_errno_error(error, errno, "cannot read the folder", dir_path);
    close(fd);
    return NULL;
  }
  /* The duplicate shares the offset with dfd, which an earlier listing
   * left at the end. */
  rewinddir(d);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  for(;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if(!de) {
      if(errno) {
        set_errno_error(error, errno, "cannot read the folder", dir_path);
        g_ptr_array_unref(names);
        closedir(d);
        return NULL;
      }
      break;
    }
    if(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    g_ptr_array_add(names, g_strdup(de->d_name));
  }
  closedir(d);
  return names;
}

/* DIR and its sub-folders: a folder of this user that nobody else may
 * write. Group- or world-writable means someone else could already have
 * put or taken packages: refused. Merely readable is tightened to 0700. */
static gboolean check_dir_fd(int fd, const char *path, GError **error)
{
  struct stat st;
  if(fstat(fd, &st) != 0) {
    set_errno_error(error, errno, "cannot examine the outbox folder", path);
    return FALSE;
  }
  if(!S_ISDIR(st.st_mode)) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "%s is not a folder; the outbox needs a folder "
                 "of its own (set [outbox] dir)", path);
    return FALSE;
  }
  if(st.st_uid != geteuid()) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                 "the outbox folder %s belongs to user id %u, not to the user mynaterm runs "
                 "as (%u): chown it to that user, or set [outbox] dir to a folder of its own",
                 path, (unsigned)st.st_uid, (unsigned)geteuid());
    return FALSE;
  }
  if(st.st_mode & (S_IWGRP | S_IWOTH)) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                 "the outbox folder %s is writable by other users (mode %04o), who could "
                 "add or remove applications: check its contents, then run chmod 700 on it",
                 path, (unsigned)(st.st_mode & 07777));
    return FALSE;
  }
  if((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0) {
    set_errno_error(error, errno, "cannot set mode 0700 on", path);
    return FALSE;
  }
  return TRUE;
}

/* DIR/name as a folder (made 0700 if missing), opened in *out. */
static gboolean open_subdir(mp_outbox *ob, const char *name, int *out, GError **error)
{
  g_autofree char *path = g_build_filename(ob->dir, name, NULL);
  gboolean made = mkdirat(ob->dir_fd, name, 0700) == 0;
  if(!made && errno != EEXIST) {
    set_errno_error(error, errno, "cannot create the folder", path);
    return FALSE;
  }
  int fd = openat(ob->dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if(fd < 0) {
    if(errno == ENOTDIR || errno == ELOOP)
      mp_set_error(error, MP_ERROR_OUTBOX, NULL, "%s is not a folder: move it out of the "
                   "outbox and start again", path);
    else
      set_errno_error(error, errno, "cannot open the folder", path);
    return FALSE;
  }
  *out = fd;
  if(!check_dir_fd(fd, path, error))
    return FALSE;
  int e = made ? fsync_fd(ob->dir_fd) : 0;
  if(e) {
    set_errno_error(error, e, "cannot flush the folder", ob->dir);
    return FALSE;
  }
  return TRUE;
}

/* Mode 0600 on DIR/name whatever the umask was when it was made. create:
 * make it if missing (else a missing file is fine). */
static gboolean secure_file(mp_outbox *ob, const char *name, gboolean create, GError **error)
{
  g_autofree char *path = g_build_filename(ob->dir, name, NULL);
  int fd = openat(ob->dir_fd, name,
                  O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (create ? O_CREAT : 0), 0600);
  if(fd < 0) {
    if(!create && errno == ENOENT)
      return TRUE;
    if(errno == ELOOP)
      mp_set_error(error, MP_ERROR_OUTBOX, NULL, "%s is a symbolic link; the outbox keeps "
                   "its own files: move it away and start again", path);
    else
      set_errno_error(error, errno, "cannot open", path);
    return FALSE;
  }
  struct stat st;
  gboolean ok = FALSE;
  if(fstat(fd, &st) != 0)
    set_errno_error(error, errno, "cannot examine", path);
  else if(!S_ISREG(st.st_mode))
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "%s is not a regular file: move it away and "
                 "start again", path);
  else if(st.st_uid != geteuid())
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "%s belongs to user id %u, not to the user "
                 "mynaterm runs as (%u): chown it to that user", path,
                 (unsigned)st.st_uid, (unsigned)geteuid());
  else if((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0)
    set_errno_error(error, errno, "cannot set mode 0600 on", path);
  else
    ok = TRUE;
  close(fd);
  return ok;
}

/* ---- the lock ---- */

static gboolean acquire_lock(mp_outbox *ob, GError **error)
{
  g_autofree char *path = g_build_filename(ob->dir, OUTBOX_LOCK, NULL);
  if(!secure_file(ob, OUTBOX_LOCK, TRUE, error))
    return FALSE;
  ob->lock_fd = openat(ob->dir_fd, OUTBOX_LOCK, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if(ob->lock_fd < 0) {
    set_errno_error(error, errno, "cannot open", path);
    return FALSE;
  }
  while(flock(ob->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if(errno == EINTR)
      continue;
    if(errno != EWOULDBLOCK) {
      set_errno_error(error, errno, "cannot lock", path);
      return FALSE;
    }
    /* The holder writes its PID right after taking the lock; an empty file
     * means we looked in between. */
    char buf[32] = { 0 };
    ssize_t n = pread(ob->lock_fd, buf, sizeof buf - 1, 0);
    guint64 pid = 0;
    if(n > 0)
      g_ascii_string_to_unsigned(g_strstrip(buf), 10, 1, G_MAXINT, &pid, NULL);
    if(!pid) {
      mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                   "the outbox %s is in use by another process: only one program may use "
                   "an outbox at a time; stop the other one and try again", ob->dir);
      return FALSE;
    }
    g_autofree char *comm_path = g_strdup_printf("/proc/%" G_GUINT64_FORMAT "/comm", pid);
    g_autofree char *comm = NULL;
    if(g_file_get_contents(comm_path, &comm, NULL, NULL))
      g_strstrip(comm);
    mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                 "the outbox %s is in use by process %" G_GUINT64_FORMAT "%s%s%s: only one "
                 "program may use an outbox at a time; stop that process and try again",
                 ob->dir, pid, comm ? " (" : "", comm ? comm : "", comm ? ")" : "");
    return FALSE;
  }
  char pid[32];
  int len = g_snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if(ftruncate(ob->lock_fd, 0) != 0 || pwrite(ob->lock_fd, pid, (size_t)len, 0) != len) {
    set_errno_error(error, errno, "cannot write", path);
    return FALSE;
  }
  return TRUE;
}

/* ---- the database ---- */

static gboolean db_exec(mp_outbox *ob, const char *sql, const char *what, GError **error)
{
  if(sqlite3_exec(ob->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
    set_db_error(ob, error, what);
    return FALSE;
  }
  return TRUE;
}

static sqlite3_stmt *db_prepare(mp_outbox *ob, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if(sqlite3_prepare_v2(ob->db, sql, -1, &st, NULL) != SQLITE_OK) {
    set_db_error(ob, error, "cannot prepare a statement");
    return NULL;
  }
  return st;
}

/* Run a statement that returns no rows. */
static gboolean db_done(mp_outbox *ob, sqlite3_stmt *st, const char *what, GError **error)
{
  if(sqlite3_step(st) != SQLITE_DONE) {
    set_db_error(ob, error, what);
    return FALSE;
  }
  return TRUE;
}

/* Writers take the write lock at BEGIN, so that a busy database shows as
 * busy_timeout there and never as a failed COMMIT. */
static gboolean db_begin(mp_outbox *ob, GError **error)
{
  return db_exec(ob, "BEGIN IMMEDIATE", "cannot start a transaction", error);
}

static gboolean db_commit(mp_outbox *ob, GError **error)
{
  return db_exec(ob, "COMMIT", "cannot commit", error);
}

static void db_rollback(mp_outbox *ob)
{
  if(!sqlite3_get_autocommit(ob->db))
    sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if(s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? g_strdup((const char *)s) : NULL;
}

static gboolean set_pragmas(mp_outbox *ob, GError **error)
{
  /* The first statement that reads the file: one that is not a database
   * fails here with SQLITE_NOTADB. journal_mode answers with the mode it
   * is in, which stays "delete" on a file system without shared memory. */
  {
    g_autoptr(sqlite3_stmt) st = db_prepare(ob, "PRAGMA journal_mode=WAL", error);
    if(!st)
      return FALSE;
    if(sqlite3_step(st) != SQLITE_ROW) {
      set_db_error(ob, error, "cannot switch to WAL");
      return FALSE;
    }
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    if(!mode || g_ascii_strcasecmp(mode, "wal") != 0) {
      mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                   "outbox database %s/" OUTBOX_DB ": stays in journal mode %s instead of WAL; "
                   "put the outbox on a local disk", ob->dir, mode ? mode : "?");
      return FALSE;
    }
  }
  /* FULL: a COMMIT that returned is on disk (WAL synced at every commit).
   * secure_delete: deleted rows are overwritten in the file, not left in
   * free pages. foreign_keys: for the tables that reference others. */
  if(!db_exec(ob, "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON",
              "cannot set the pragmas", error))
    return FALSE;
  /* The database holds a few rows per application: checking it at every
   * open costs milliseconds and finds damage before an enqueue does. */
  g_autoptr(sqlite3_stmt) st = db_prepare(ob, "PRAGMA quick_check(1)", error);
  if(!st)
    return FALSE;
  if(sqlite3_step(st) != SQLITE_ROW) {
    set_db_error(ob, error, "cannot check the database");
    return FALSE;
  }
  const char *res = (const char *)sqlite3_column_text(st, 0);
  if(!res || strcmp(res, "ok") != 0) {
    set_damaged_error(error, ob->dir, res ? res : "quick_check failed");
    return FALSE;
  }
  return TRUE;
}

static gboolean db_int(mp_outbox *ob, const char *sql, gint64 *out, GError **error)
{
  g_autoptr(sqlite3_stmt) st = db_prepare(ob, sql, error);
  if(!st)
    return FALSE;
  int rc = sqlite3_step(st);
  if(rc == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  else if(rc == SQLITE_DONE)
    *out = 0;
  else {
    set_db_error(ob, error, "cannot read the database");
    return FALSE;
  }
  return TRUE;
}

static gboolean set_up_schema(mp_outbox *ob, GError **error)
{
  if(!db_begin(ob, error))
    return FALSE;
  gint64 version = 0, tables = 0;
  if(!db_int(ob, "PRAGMA user_version", &version, error) ||
     !db_int(ob, "SELECT count(*) FROM sqlite_master", &tables, error)) {
    db_rollback(ob);
    return FALSE;
  }
  if(version > OUTBOX_SCHEMA_VERSION || version < 0) {
    db_rollback(ob);
    mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                 "the outbox database %s/" OUTBOX_DB " has schema version %" G_GINT64_FORMAT
                 ", which this mynaterm does not know (it knows %d): it was written by a "
                 "newer mynaterm; run that version, or let it deliver its entries first",
                 ob->dir, version, OUTBOX_SCHEMA_VERSION);
    return FALSE;
  }
  if(version == 0) {
    if(tables > 0) {
      db_rollback(ob);
      mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                   "%s/" OUTBOX_DB " is an SQLite database but not an outbox: move it away "
                   "or set [outbox] dir to a folder of its own", ob->dir);
      return FALSE;
    }
    g_autofree char *set_version =
      g_strdup_printf("PRAGMA user_version=%d", OUTBOX_SCHEMA_VERSION);
    if(!db_exec(ob, SCHEMA, "cannot create the tables", error) ||
       !db_exec(ob, set_version, "cannot set the schema version", error)) {
      db_rollback(ob);
      return FALSE;
    }
    ob->fresh = TRUE;
  }
  if(!db_commit(ob, error)) {
    db_rollback(ob);
    return FALSE;
  }
  return TRUE;
}

/* Files 0600 whatever the umask: outbox.db is made here with an explicit
 * mode (and fchmod, since open's mode passes through the umask). SQLite
 * makes -wal and -shm with the mode of the database file and fchmods them
 * to it, so they follow; they are checked again in case they were left by
 * something else. Setting the umask around sqlite3_open instead would
 * change it for every thread of the process. */
static gboolean open_db(mp_outbox *ob, GError **error)
{
  if(!secure_file(ob, OUTBOX_DB, TRUE, error) ||
     !secure_file(ob, OUTBOX_DB "-wal", FALSE, error) ||
     !secure_file(ob, OUTBOX_DB "-shm", FALSE, error))
    return FALSE;
  g_autofree char *path = g_build_filename(ob->dir, OUTBOX_DB, NULL);
  int rc = sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
  if(rc != SQLITE_OK) {
    if(ob->db)
      set_db_error(ob, error, "cannot open");
    else
      mp_set_error(error, MP_ERROR_OUTBOX, NULL, "cannot open %s: %s", path,
                   sqlite3_errstr(rc));
    return FALSE;
  }
  sqlite3_extended_result_codes(ob->db, 1);
  sqlite3_busy_timeout(ob->db, OUTBOX_BUSY_MS);
  if(!set_pragmas(ob, error) || !set_up_schema(ob, error))
    return FALSE;
  return secure_file(ob, OUTBOX_DB "-wal", FALSE, error) &&
         secure_file(ob, OUTBOX_DB "-shm", FALSE, error);
}

/* ---- entries ---- */

void mp_outbox_entry_free(mp_outbox_entry *e)
{
  if(!e)
    return;
  g_free(e->proc_id);
  g_free(e->amend_arrive_id);
  g_free(e->idempotency_key);
  g_free(e->file_name);
  g_free(e->package_path);
  g_free(e->package_sha256);
  g_free(e->last_error);
  g_free(e->file_problem);
  g_free(e->arrive_id);
  g_free(e->arrive_date);
  g_free(e->inquiry_no);
  g_free(e->rejection);
  g_free(e);
}

const char *mp_outbox_state_name(mp_outbox_state s)
{
  switch(s) {
  case MP_OUTBOX_PENDING:
    return "pending";
  case MP_OUTBOX_DELIVERED:
    return "delivered";
  case MP_OUTBOX_REJECTED:
    return "rejected";
  }
  return "unknown";
}

/* A row of ENTRY_COLUMNS. */
static mp_outbox_entry *entry_from_row(mp_outbox *ob, sqlite3_stmt *st)
{
  mp_outbox_entry *e = g_new0(mp_outbox_entry, 1);
  e->id = sqlite3_column_int64(st, 0);
  e->kind = (mp_outbox_kind)sqlite3_column_int(st, 1);
  e->state = (mp_outbox_state)sqlite3_column_int(st, 2);
  e->proc_id = dup_col(st, 3);
  e->amend_arrive_id = dup_col(st, 4);
  e->idempotency_key = dup_col(st, 5);
  e->file_name = dup_col(st, 6);
  const char *rel = (const char *)sqlite3_column_text(st, 7);
  e->package_path = rel ? g_build_filename(ob->dir, rel, NULL) : NULL;
  e->package_sha256 = dup_col(st, 8);
  e->package_size = (guint64)sqlite3_column_int64(st, 9);
  e->created_at = sqlite3_column_int64(st, 10);
  e->attempts = (guint)sqlite3_column_int64(st, 11);
  e->last_attempt_at = sqlite3_column_int64(st, 12);
  const char *last_error = (const char *)sqlite3_column_text(st, 13);
  const char *file_problem = (const char *)sqlite3_column_text(st, 14);
  if(file_problem && last_error)
    e->last_error = g_strdup_printf("%s; last send: %s", file_problem, last_error);
  else
    e->last_error = g_strdup(file_problem ? file_problem : last_error);
  e->file_problem = g_strdup(file_problem);
  e->arrive_id = dup_col(st, 15);
  e->arrive_date = dup_col(st, 16);
  e->inquiry_no = dup_col(st, 17);
  e->delivered_at = sqlite3_column_int64(st, 18);
  e->rejection = dup_col(st, 19);
  return e;
}

GPtrArray *mp_outbox_list(mp_outbox *ob, guint states, GError **error)
{
  g_return_val_if_fail(ob, NULL);
  if(states >= (1u << (MP_OUTBOX_REJECTED + 1))) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_list: states 0x%x has bits for no "
                 "state (pending 1, delivered 2, rejected 4)", states);
    return NULL;
  }
  g_autoptr(sqlite3_stmt) st = db_prepare(ob,
    "SELECT " ENTRY_COLUMNS " FROM entries WHERE discarding = 0"
    " AND (?1 = 0 OR ((?1 >> state) & 1) = 1) ORDER BY id", error);
  if(!st)
    return NULL;
  sqlite3_bind_int64(st, 1, states);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)mp_outbox_entry_free);
  int rc;
  while((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(out, entry_from_row(ob, st));
  if(rc != SQLITE_DONE) {
    set_db_error(ob, error, "cannot list the entries");
    return NULL;
  }
  return g_steal_pointer(&out);
}

mp_outbox_entry *mp_outbox_get(mp_outbox *ob, gint64 id, GError **error)
{
  g_return_val_if_fail(ob, NULL);
  g_autoptr(sqlite3_stmt) st = db_prepare(ob,
    "SELECT " ENTRY_COLUMNS " FROM entries WHERE id = ? AND discarding = 0", error);
  if(!st)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if(rc == SQLITE_ROW)
    return entry_from_row(ob, st);
  if(rc == SQLITE_DONE)
    set_no_entry_error(ob, error, id);
  else
    set_db_error(ob, error, "cannot read an entry");
  return NULL;
}

/* ---- recovery at open ---- */

/* The name in DIR/packages of a package_file "packages/NAME". */
static const char *package_name(const char *rel)
{
  const char *slash = strrchr(rel, '/');
  return slash ? slash + 1 : rel;
}

/* Wipe the package of a row and clear the row's package_file. */
static gboolean wipe_package(mp_outbox *ob, gint64 id, const char *rel, GError **error)
{
  g_autofree char *packages = g_build_filename(ob->dir, OUTBOX_PACKAGES, NULL);
  if(!wipe_at(ob->packages_fd, packages, package_name(rel), error))
    return FALSE;
  step("deliver:wiped");   /* also reached at open, finishing an interrupted wipe */
  g_autoptr(sqlite3_stmt) st = db_prepare(ob,
    "UPDATE entries SET package_file = NULL WHERE id = ?", error);
  if(!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  return db_done(ob, st, "cannot record a wiped package", error);
}

/* Rows and their package files: id in column 0, package_file in column 1. */
typedef struct {
  gint64 id;
  char *rel;
} row_file;

static void row_file_free(gpointer p)
{
  row_file *r = p;
  g_free(r->rel);
  g_free(r);
}

static GPtrArray *select_row_files(mp_outbox *ob, const char *sql, GError **error)
{
  g_autoptr(sqlite3_stmt) st = db_prepare(ob, sql, error);
  if(!st)
    return NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(row_file_free);
  int rc;
  while((rc = sqlite3_step(st)) == SQLITE_ROW) {
    row_file *r = g_new0(row_file, 1);
    r->id = sqlite3_column_int64(st, 0);
    r->rel = dup_col(st, 1);
    g_ptr_array_add(out, r);
  }
  if(rc != SQLITE_DONE) {
    set_db_error(ob, error, "cannot read the entries");
    return NULL;
  }
  return g_steal_pointer(&out);
}

static gboolean delete_row(mp_outbox *ob, gint64 id, GError **error)
{
  g_autoptr(sqlite3_stmt) st = db_prepare(ob, "DELETE FROM entries WHERE id = ?", error);
  if(!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  return db_done(ob, st, "cannot delete an entry", error);
}

/* Discards and wipes of delivered packages that a crash interrupted. */
static gboolean finish_interrupted(mp_outbox *ob, GError **error)
{
  g_autofree char *packages = g_build_filename(ob->dir, OUTBOX_PACKAGES, NULL);
  g_autoptr(GPtrArray) discards = select_row_files(ob,
    "SELECT id, package_file FROM entries WHERE discarding = 1", error);
  if(!discards)
    return FALSE;
  for(guint i = 0; i < discards->len; i++) {
    row_file *r = g_ptr_array_index(discards, i);
    if(r->rel && !wipe_at(ob->packages_fd, packages, package_name(r->rel), error))
      return FALSE;
    if(!delete_row(ob, r->id, error))
      return FALSE;
  }
  g_autoptr(GPtrArray) wipes = select_row_files(ob,
    "SELECT id, package_file FROM entries WHERE state = 1 AND package_file IS NOT NULL", error);
  if(!wipes)
    return FALSE;
  for(guint i = 0; i < wipes->len; i++) {
    row_file *r = g_ptr_array_index(wipes, i);
    if(!wipe_package(ob, r->id, r->rel, error))
      return FALSE;
  }
  return TRUE;
}

/* Everything in DIR/staging is a package that never made it into an entry
 * (or a package builder's temporary file): it is wiped. */
static gboolean clean_staging(mp_outbox *ob, GError **error)
{
  g_autofree char *staging = g_build_filename(ob->dir, OUTBOX_STAGING, NULL);
  g_autoptr(GPtrArray) names = list_names(ob->staging_fd, staging, error);
  if(!names)
    return FALSE;
  for(guint i = 0; i < names->len; i++)
    if(!wipe_at(ob->staging_fd, staging, g_ptr_array_index(names, i), error))
      return FALSE;
  return TRUE;
}

/* "ID.zip" -> ID, else 0. */
static gint64 package_id(const char *name)
{
  if(!g_str_has_suffix(name, ".zip"))
    return 0;
  g_autofree char *digits = g_strndup(name, strlen(name) - 4);
  guint64 id = 0;
  if(!g_ascii_string_to_unsigned(digits, 10, 1, G_MAXINT64, &id, NULL))
    return 0;
  return (gint64)id;
}

/* Move DIR/packages/name to DIR/recovered/ under a name not yet taken. */
static gboolean set_aside(mp_outbox *ob, int *rec_fd, const char *name, GError **error)
{
  if(*rec_fd < 0 && !open_subdir(ob, OUTBOX_RECOVERED, rec_fd, error))
    return FALSE;
  g_autofree char *from = g_build_filename(ob->dir, OUTBOX_PACKAGES, name, NULL);
  for(guint n = 0;; n++) {
    g_autofree char *to = n ? g_strdup_printf("%s.%u", name, n) : g_strdup(name);
    if(renameat2(ob->packages_fd, name, *rec_fd, to, RENAME_NOREPLACE) == 0)
      break;
    if(errno != EEXIST || n >= 1000) {
      set_errno_error(error, errno, "cannot move to " OUTBOX_RECOVERED "/:", from);
      return FALSE;
    }
  }
  int e = fsync_fd(*rec_fd);
  if(!e)
    e = fsync_fd(ob->packages_fd);
  if(e) {
    set_errno_error(error, e, "cannot flush the folders of", from);
    return FALSE;
  }
  return TRUE;
}

/* Files in DIR/packages that no entry names: see the comment at the top. */
static gboolean clean_packages(mp_outbox *ob, GError **error)
{
  g_autofree char *packages = g_build_filename(ob->dir, OUTBOX_PACKAGES, NULL);
  g_autoptr(GPtrArray) names = list_names(ob->packages_fd, packages, error);
  if(!names)
    return FALSE;
  if(names->len == 0)
    return TRUE;
  g_autoptr(GPtrArray) claimed_rows = select_row_files(ob,
    "SELECT id, package_file FROM entries WHERE package_file IS NOT NULL", error);
  if(!claimed_rows)
    return FALSE;
  g_autoptr(GHashTable) claimed = g_hash_table_new(g_str_hash, g_str_equal);
  for(guint i = 0; i < claimed_rows->len; i++) {
    row_file *r = g_ptr_array_index(claimed_rows, i);
    g_hash_table_add(claimed, (gpointer)package_name(r->rel));
  }
  gint64 seq = 0;
  if(!db_int(ob, "SELECT seq FROM sqlite_sequence WHERE name = 'entries'", &seq, error))
    return FALSE;
  int rec_fd = -1;
  guint recovered = 0;
  gboolean ok = TRUE;
  for(guint i = 0; ok && i < names->len; i++) {
    const char *name = g_ptr_array_index(names, i);
    if(g_hash_table_contains(claimed, name))
      continue;
    struct stat st;
    if(fstatat(ob->packages_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
      continue;
    gint64 id = package_id(name);
    if(!ob->fresh && id > seq)
      ok = wipe_at(ob->packages_fd, packages, name, error);   /* an enqueue rolled back */
    else if((ok = set_aside(ob, &rec_fd, name, error)))
      recovered++;
  }
  if(rec_fd >= 0)
    close(rec_fd);
  if(recovered)
    g_warning("outbox %s: %u package file(s) that no entry of " OUTBOX_DB " knows were moved "
              "to %s/" OUTBOX_RECOVERED "; they may never have been delivered: staff should "
              "ask the portal which of them arrived", ob->dir, recovered, ob->dir);
  return ok;
}

/* What is wrong with a pending entry's package file, or NULL. */
static char *package_problem(mp_outbox *ob, const char *rel, guint64 size, const char *sha)
{
  static const char ADVICE[] = "Staff: put the stored file back, or discard the entry with "
                               "force (the resident then has to apply again)";
  g_autofree char *path = g_build_filename(ob->dir, rel, NULL);
  int fd = openat(ob->dir_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if(fd < 0) {
    if(errno == ENOENT)
      return g_strdup_printf("package file %s is missing, so it cannot be sent. %s",
                             path, ADVICE);
    return g_strdup_printf("package file %s cannot be read (%s), so it cannot be sent. %s",
                           path, g_strerror(errno), ADVICE);
  }
  struct stat st;
  g_autofree char *got_sha = NULL;
  guint64 got_size = 0;
  guint8 head[4];
  int e = 0;
  if(fstat(fd, &st) != 0)
    e = errno;
  else if(!S_ISREG(st.st_mode))
    e = EINVAL;
  else
    e = hash_fd(fd, &got_sha, &got_size, head);
  close(fd);
  if(e == EINVAL)
    return g_strdup_printf("package file %s is not a regular file, so it cannot be sent. %s",
                           path, ADVICE);
  if(e)
    return g_strdup_printf("package file %s cannot be read (%s), so it cannot be sent. %s",
                           path, g_strerror(e), ADVICE);
  if(got_size != size)
    return g_strdup_printf("package file %s has %" G_GUINT64_FORMAT " bytes where %"
                           G_GUINT64_FORMAT " were stored: it was damaged and is not the "
                           "signed package. %s", path, got_size, size, ADVICE);
  if(strcmp(got_sha, sha) != 0)
    return g_strdup_printf("package file %s differs from the stored one (SHA-256 %s, "
                           "stored %s): it was damaged and is not the signed package. %s",
                           path, got_sha, sha, ADVICE);
  return NULL;
}

/* Every pending entry's file is compared with its stored size and SHA-256;
 * the finding is stored in file_problem (shown in last_error) and cleared
 * again when the file is right. The entry stays either way. */
static gboolean check_pending(mp_outbox *ob, GError **error)
{
  g_autoptr(sqlite3_stmt) st = db_prepare(ob,
    "SELECT id, package_file, package_size, package_sha256, file_problem FROM entries"
    " WHERE state = 0 AND discarding = 0 ORDER BY id", error);
  g_autoptr(sqlite3_stmt) upd = db_prepare(ob,
    "UPDATE entries SET file_problem = ? WHERE id = ?", error);
  if(!st || !upd)
    return FALSE;
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  int rc;
  while((rc = sqlite3_step(st)) == SQLITE_ROW) {
    gint64 id = sqlite3_column_int64(st, 0);
    const char *rel = (const char *)sqlite3_column_text(st, 1);
    const char *sha = (const char *)sqlite3_column_text(st, 3);
    const char *old = (const char *)sqlite3_column_text(st, 4);
    g_autofree char *problem = rel
      ? package_problem(ob, rel, (guint64)sqlite3_column_int64(st, 2), sha ? sha : "")
      : g_strdup("package file: the entry names none, so it cannot be sent. Staff: discard "
                 "it with force (the resident then has to apply again)");
    if(g_strcmp0(problem, old) == 0)
      continue;
    g_array_append_val(ids, id);
    g_ptr_array_add(problems, g_steal_pointer(&problem));
  }
  if(rc != SQLITE_DONE) {
    set_db_error(ob, error, "cannot read the pending entries");
    return FALSE;
  }
  for(guint i = 0; i < ids->len; i++) {
    sqlite3_reset(upd);
    bind_text(upd, 1, g_ptr_array_index(problems, i));
    sqlite3_bind_int64(upd, 2, g_array_index(ids, gint64, i));
    if(!db_done(ob, upd, "cannot record a damaged package", error))
      return FALSE;
  }
  return TRUE;
}

static gboolean recover(mp_outbox *ob, GError **error)
{
  return finish_interrupted(ob, error) && clean_staging(ob, error) &&
         clean_packages(ob, error) && check_pending(ob, error);
}

/* ---- open and close ---- */

mp_outbox *mp_outbox_open(const char *dir, GError **error)
{
  if(!dir || !*dir) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "no outbox folder given: set [outbox] dir");
    return NULL;
  }
  g_autoptr(mp_outbox) ob = g_new0(mp_outbox, 1);
  ob->dir_fd = ob->packages_fd = ob->staging_fd = ob->lock_fd = -1;
  /* Absolute, so that package_path and the messages stay right after a
   * chdir. */
  ob->dir = g_canonicalize_filename(dir, NULL);
  if(g_mkdir_with_parents(ob->dir, 0700) != 0) {
    set_errno_error(error, errno, "cannot create the outbox folder", ob->dir);
    return NULL;
  }
  ob->dir_fd = open(ob->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(ob->dir_fd < 0) {
    set_errno_error(error, errno, "cannot open the outbox folder", ob->dir);
    return NULL;
  }
  /* The lock first: nothing in DIR is touched before this process owns it. */
  if(!check_dir_fd(ob->dir_fd, ob->dir, error) || !acquire_lock(ob, error) ||
     !open_subdir(ob, OUTBOX_PACKAGES, &ob->packages_fd, error) ||
     !open_subdir(ob, OUTBOX_STAGING, &ob->staging_fd, error) ||
     !open_db(ob, error) || !recover(ob, error))
    return NULL;
  return g_steal_pointer(&ob);
}

void mp_outbox_close(mp_outbox *ob)
{
  if(!ob)
    return;
  /* A clean close checkpoints the WAL into outbox.db. */
  if(ob->db)
    sqlite3_close_v2(ob->db);
  if(ob->packages_fd >= 0)
    close(ob->packages_fd);
  if(ob->staging_fd >= 0)
    close(ob->staging_fd);
  if(ob->dir_fd >= 0)
    close(ob->dir_fd);
  /* Last: closing the lock's descriptor releases the flock. */
  if(ob->lock_fd >= 0)
    close(ob->lock_fd);
  g_free(ob->dir);
  g_free(ob);
}

const char *mp_outbox_dir(mp_outbox *ob)
{
  g_return_val_if_fail(ob, NULL);
  return ob->dir;
}

char *mp_outbox_staging_path(mp_outbox *ob, GError **error)
{
  g_return_val_if_fail(ob, NULL);
  g_autofree char *uuid = g_uuid_string_random();
  g_autofree char *name = g_strconcat(uuid, ".zip", NULL);
  return g_build_filename(ob->dir, OUTBOX_STAGING, name, NULL);
}

/* ---- enqueue ---- */

/* The staged package, read and flushed before it is taken in. */
typedef struct {
  struct stat st;
  char *sha;
  guint64 size;
} staged_file;

static gboolean read_staged(mp_outbox *ob, int fd, const char *path, staged_file *sf,
                            GError **error)
{
  if(fstat(fd, &sf->st) != 0) {
    set_errno_error(error, errno, "cannot examine the staged package", path);
    return FALSE;
  }
  if(!S_ISREG(sf->st.st_mode)) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "the staged package %s is not a regular file",
                 path);
    return FALSE;
  }
  if(sf->st.st_size == 0) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "the staged package %s is empty: the package "
                 "was not written; build it again", path);
    return FALSE;
  }
  if((guint64)sf->st.st_size > OUTBOX_MAX_PACKAGE) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "the staged package %s has %lld bytes, more "
                 "than the %" G_GUINT64_FORMAT " an outbox takes: it is not a package the "
                 "kiosk built", path, (long long)sf->st.st_size, OUTBOX_MAX_PACKAGE);
    return FALSE;
  }
  /* Taking in a file that already is in DIR/packages would give one file
   * two entries, or clobber another entry's package. */
  struct stat pst;
  g_autofree char *parent = g_path_get_dirname(path);
  struct stat dst;
  if(fstat(ob->packages_fd, &pst) == 0 && stat(parent, &dst) == 0 &&
     pst.st_dev == dst.st_dev && pst.st_ino == dst.st_ino) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "%s is already in the outbox; enqueue a "
                 "package from mp_outbox_staging_path", path);
    return FALSE;
  }
  guint8 head[4];
  int e = hash_fd(fd, &sf->sha, &sf->size, head);
  if(e) {
    set_errno_error(error, e, "cannot read the staged package", path);
    return FALSE;
  }
  if(sf->size != (guint64)sf->st.st_size) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "the staged package %s changed while it was "
                 "read: build it again", path);
    return FALSE;
  }
  if(memcmp(head, "PK\3\4", 4) != 0) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "the staged package %s is not a ZIP file "
                 "(the package builder writes one)", path);
    return FALSE;
  }
  if((sf->st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
    set_errno_error(error, errno, "cannot set mode 0600 on", path);
    return FALSE;
  }
  e = fsync_fd(fd);
  if(e) {
    set_errno_error(error, e, "cannot flush the staged package", path);
    return FALSE;
  }
  return TRUE;
}

static gboolean insert_entry(mp_outbox *ob, mp_outbox_kind kind, const char *proc_id,
                             const char *amend_arrive_id, const staged_file *sf,
                             gint64 *id, GError **error)
{
  g_autofree char *key = g_uuid_string_random();
  g_autoptr(sqlite3_stmt) ins = db_prepare(ob,
    "INSERT INTO entries(kind, state, proc_id, amend_arrive_id, idempotency_key, file_name,"
    " package_sha256, package_size, created_at) VALUES(?, 0, ?, ?, ?, '', ?, ?, ?)", error);
  if(!ins)
    return FALSE;
  sqlite3_bind_int(ins, 1, (int)kind);
  bind_text(ins, 2, proc_id);
  bind_text(ins, 3, amend_arrive_id);
  bind_text(ins, 4, key);
  bind_text(ins, 5, sf->sha);
  sqlite3_bind_int64(ins, 6, (sqlite3_int64)sf->size);
  sqlite3_bind_int64(ins, 7, now_s());
  if(!db_done(ob, ins, "cannot add the entry", error))
    return FALSE;
  *id = sqlite3_last_insert_rowid(ob->db);
  g_autofree char *file_name = g_strdup_printf("%s-%" G_GINT64_FORMAT ".zip", proc_id, *id);
  g_autofree char *rel = g_strdup_printf(OUTBOX_PACKAGES "/%" G_GINT64_FORMAT ".zip", *id);
  g_autoptr(sqlite3_stmt) upd = db_prepare(ob,
    "UPDATE entries SET file_name = ?, package_file = ? WHERE id = ?", error);
  if(!upd)
    return FALSE;
  bind_text(upd, 1, file_name);
  bind_text(upd, 2, rel);
  sqlite3_bind_int64(upd, 3, *id);
  return db_done(ob, upd, "cannot add the entry", error);
}

/* The file is renamed into DIR/packages inside the open transaction; see
 * the comment at the top for why each crash point is safe. */
static gint64 take_in(mp_outbox *ob, mp_outbox_kind kind, const char *proc_id,
                      const char *amend_arrive_id, const char *staged_path,
                      const staged_file *sf, GError **error)
{
  gint64 id = 0;
  if(!db_begin(ob, error))
    return 0;
  if(!insert_entry(ob, kind, proc_id, amend_arrive_id, sf, &id, error)) {
    db_rollback(ob);
    return 0;
  }
  step("enqueue:inserted");
  g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT ".zip", id);
  g_autofree char *dest = g_build_filename(ob->dir, OUTBOX_PACKAGES, name, NULL);
  if(renameat(AT_FDCWD, staged_path, ob->packages_fd, name) != 0) {
    int e = errno;
    db_rollback(ob);
    if(e == EXDEV)
      mp_set_error(error, MP_ERROR_OUTBOX, NULL, "the staged package %s is on another file "
                   "system than the outbox %s: build it at a path from "
                   "mp_outbox_staging_path", staged_path, ob->dir);
    else
      set_errno_error(error, e, "cannot move into the outbox:", staged_path);
    return 0;
  }
  step("enqueue:renamed");
  struct stat now;
  int e = 0;
  gboolean same = fstatat(ob->packages_fd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                  now.st_dev == sf->st.st_dev && now.st_ino == sf->st.st_ino;
  if(same)
    e = fsync_fd(ob->packages_fd);
  if(!same || e) {
    /* Back where it was; if even that fails, the file is an orphan that the
     * next open removes (its id is above every committed one). */
    gboolean back = renameat(ob->packages_fd, name, AT_FDCWD, staged_path) == 0;
    db_rollback(ob);
    if(!same)
      mp_set_error(error, MP_ERROR_OUTBOX, NULL, "the staged package %s was replaced while "
                   "it was being taken in; build it again", staged_path);
    else
      mp_set_error(error, MP_ERROR_OUTBOX, NULL, "cannot flush the folder %s/" OUTBOX_PACKAGES
                   ": %s; %s. The package %s", ob->dir, g_strerror(e), errno_hint(e),
                   back ? "stays where it was" : "is removed at the next start");
    return 0;
  }
  /* The staged name's removal: if it came back after a power cut, the next
   * open wipes it with the rest of DIR/staging. */
  g_autofree char *staged_dir = g_path_get_dirname(staged_path);
  int sfd = open(staged_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(sfd >= 0) {
    fsync_fd(sfd);
    close(sfd);
  }
  if(sqlite3_exec(ob->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    int rc = sqlite3_extended_errcode(ob->db);
    g_autoptr(GError) db_err = NULL;
    set_db_error(ob, &db_err, "cannot commit the entry");
    db_rollback(ob);
    if((rc & 0xff) == SQLITE_FULL &&
       renameat(ob->packages_fd, name, AT_FDCWD, staged_path) == 0) {
      /* A full disk stops the WAL before its commit frame: nothing of the
       * entry can come back. */
      g_propagate_error(error, g_steal_pointer(&db_err));
      return 0;
    }
    /* An I/O error while syncing the WAL may have left a complete commit
     * that SQLite's recovery replays at the next open: the file stays under
     * its entry's name, so that either outcome is consistent (kept with its
     * entry, or removed as an orphan), and nothing else is written until
     * then (a next enqueue would reuse the id and the name). */
    ob->unsure = TRUE;
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "%s. The package was kept as %s; whether it "
                 "was stored is settled at the next start: staff should check the disk and "
                 "restart mynaterm, then see whether the application is listed", db_err->message,
                 dest);
    return 0;
  }
  step("enqueue:committed");
  return id;
}

gint64 mp_outbox_enqueue(mp_outbox *ob, mp_outbox_kind kind, const char *proc_id,
                         const char *amend_arrive_id, const char *staged_path,
                         GError **error)
{
  g_return_val_if_fail(ob, 0);
  if(!usable(ob, error))
    return 0;
  if(kind != MP_OUTBOX_APPLY && kind != MP_OUTBOX_AMEND) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_enqueue: unknown kind %d", (int)kind);
    return 0;
  }
  if(!valid_proc_id(proc_id)) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_enqueue: proc_id must be 1-64 of "
                 "A-Z a-z 0-9 . _ -");
    return 0;
  }
  if(kind == MP_OUTBOX_AMEND && !valid_receipt_id(amend_arrive_id)) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_enqueue: an amendment needs the "
                 "arrive_id of the application it amends (1-64 of A-Z a-z 0-9 -)");
    return 0;
  }
  if(kind == MP_OUTBOX_APPLY && amend_arrive_id) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_enqueue: amend_arrive_id is for "
                 "MP_OUTBOX_AMEND only");
    return 0;
  }
  if(!staged_path || !*staged_path) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_enqueue: no staged package given");
    return 0;
  }
  int fd = open(staged_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if(fd < 0) {
    if(errno == ELOOP)
      mp_set_error(error, MP_ERROR_OUTBOX, NULL, "the staged package %s is a symbolic link; "
                   "enqueue the file itself", staged_path);
    else
      set_errno_error(error, errno, "cannot open the staged package", staged_path);
    return 0;
  }
  staged_file sf = { 0 };
  gint64 id = 0;
  if(read_staged(ob, fd, staged_path, &sf, error))
    id = take_in(ob, kind, proc_id, amend_arrive_id, staged_path, &sf, error);
  close(fd);
  g_free(sf.sha);
  return id;
}

/* ---- after a send ---- */

/* state and fields of an entry inside a transaction; FALSE with error set
 * if there is none. */
typedef struct {
  mp_outbox_state state;
  char *arrive_id;
  char *rel;
} entry_state;

static void entry_state_clear(entry_state *s)
{
  g_free(s->arrive_id);
  g_free(s->rel);
}

static gboolean read_state(mp_outbox *ob, gint64 id, entry_state *out, GError **error)
{
  g_autoptr(sqlite3_stmt) st = db_prepare(ob,
    "SELECT state, arrive_id, package_file FROM entries WHERE id = ? AND discarding = 0",
    error);
  if(!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if(rc == SQLITE_DONE) {
    set_no_entry_error(ob, error, id);
    return FALSE;
  }
  if(rc != SQLITE_ROW) {
    set_db_error(ob, error, "cannot read an entry");
    return FALSE;
  }
  out->state = (mp_outbox_state)sqlite3_column_int(st, 0);
  out->arrive_id = dup_col(st, 1);
  out->rel = dup_col(st, 2);
  return TRUE;
}

gboolean mp_outbox_note_attempt(mp_outbox *ob, gint64 id, const char *error_text,
                                GError **error)
{
  g_return_val_if_fail(ob, FALSE);
  if(!usable(ob, error))
    return FALSE;
  g_autofree char *text = clean_error_text(error_text);
  g_autoptr(sqlite3_stmt) st = db_prepare(ob,
    "UPDATE entries SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?"
    " WHERE id = ? AND state = 0 AND discarding = 0", error);
  if(!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, now_s());
  bind_text(st, 2, text);
  sqlite3_bind_int64(st, 3, id);
  if(!db_done(ob, st, "cannot record the attempt", error))
    return FALSE;
  if(sqlite3_changes(ob->db) == 1)
    return TRUE;
  entry_state s = { 0 };
  if(read_state(ob, id, &s, error))
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "entry %" G_GINT64_FORMAT " is %s, not "
                 "pending: it is not sent again", id, mp_outbox_state_name(s.state));
  entry_state_clear(&s);
  return FALSE;
}

gboolean mp_outbox_mark_delivered(mp_outbox *ob, gint64 id, const char *arrive_id,
                                  const char *arrive_date, const char *inquiry_no,
                                  GError **error)
{
  g_return_val_if_fail(ob, FALSE);
  if(!usable(ob, error))
    return FALSE;
  if(!valid_receipt_id(arrive_id)) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_mark_delivered: the receipt's "
                 "arrive_id must be 1-64 of A-Z a-z 0-9 -");
    return FALSE;
  }
  if(!valid_short_text(arrive_date) || !valid_short_text(inquiry_no)) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_mark_delivered: arrive_date and "
                 "inquiry_no must be short UTF-8 text without control characters");
    return FALSE;
  }
  if(!db_begin(ob, error))
    return FALSE;
  entry_state s = { 0 };
  if(!read_state(ob, id, &s, error)) {
    db_rollback(ob);
    return FALSE;
  }
  if(s.state == MP_OUTBOX_DELIVERED) {
    db_rollback(ob);
    gboolean ok;
    if(g_strcmp0(s.arrive_id, arrive_id) != 0) {
      mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                   "entry %" G_GINT64_FORMAT " was delivered with receipt %s, and now a "
                   "second receipt %s came for the same package: staff should ask the portal "
                   "whether the application arrived twice", id, s.arrive_id, arrive_id);
      ok = FALSE;
    } else {
      /* The same receipt again; finish a wipe an earlier call could not. */
      g_autoptr(GError) e = NULL;
      if(s.rel && !wipe_package(ob, id, s.rel, &e))
        g_warning("outbox %s: %s; it is tried again at the next start", ob->dir, e->message);
      ok = TRUE;
    }
    entry_state_clear(&s);
    return ok;
  }
  /* Pending, or rejected earlier: a receipt says the portal has the
   * package, whatever was said before. */
  g_autoptr(sqlite3_stmt) st = db_prepare(ob,
    "UPDATE entries SET state = 1, arrive_id = ?, arrive_date = ?, inquiry_no = ?,"
    " delivered_at = ?, attempts = attempts + 1, last_attempt_at = ?, last_error = NULL,"
    " file_problem = NULL WHERE id = ?", error);
  gint64 now = now_s();
  if(st) {
    bind_text(st, 1, arrive_id);
    bind_text(st, 2, arrive_date);
    bind_text(st, 3, inquiry_no);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 6, id);
  }
  if(!st || !db_done(ob, st, "cannot store the receipt", error) || !db_commit(ob, error)) {
    db_rollback(ob);
    entry_state_clear(&s);
    return FALSE;
  }
  step("deliver:committed");
  /* The receipt is stored: that is the result. A package that cannot be
   * wiped now stays named by its row and is wiped at the next open. */
  g_autoptr(GError) e = NULL;
  if(s.rel && !wipe_package(ob, id, s.rel, &e))
    g_warning("outbox %s: entry %" G_GINT64_FORMAT " is delivered but %s; it is tried again "
              "at the next start", ob->dir, id, e->message);
  entry_state_clear(&s);
  return TRUE;
}

gboolean mp_outbox_mark_rejected(mp_outbox *ob, gint64 id, const char *problem_json,
                                 GError **error)
{
  g_return_val_if_fail(ob, FALSE);
  if(!usable(ob, error))
    return FALSE;
  if(problem_json) {
    g_autoptr(JsonParser) p = json_parser_new_immutable();
    if(strlen(problem_json) > OUTBOX_MAX_PROBLEM ||
       !json_parser_load_from_data(p, problem_json, -1, NULL)) {
      mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_mark_rejected: the problem must be "
                   "JSON of at most %d bytes", OUTBOX_MAX_PROBLEM);
      return FALSE;
    }
  }
  if(!db_begin(ob, error))
    return FALSE;
  entry_state s = { 0 };
  gboolean ok = read_state(ob, id, &s, error);
  if(ok && s.state == MP_OUTBOX_DELIVERED) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                 "entry %" G_GINT64_FORMAT " was delivered with receipt %s; a refusal for it "
                 "now is not recorded: staff should ask the portal about that application",
                 id, s.arrive_id);
    ok = FALSE;
  }
  entry_state_clear(&s);
  if(ok) {
    g_autoptr(sqlite3_stmt) st = db_prepare(ob,
      "UPDATE entries SET state = 2, rejection = ?, attempts = attempts + 1,"
      " last_attempt_at = ? WHERE id = ?", error);
    ok = st != NULL;
    if(ok) {
      bind_text(st, 1, problem_json);
      sqlite3_bind_int64(st, 2, now_s());
      sqlite3_bind_int64(st, 3, id);
      ok = db_done(ob, st, "cannot record the rejection", error) && db_commit(ob, error);
    }
  }
  if(!ok)
    db_rollback(ob);
  return ok;
}

gboolean mp_outbox_discard(mp_outbox *ob, gint64 id, gboolean force, GError **error)
{
  g_return_val_if_fail(ob, FALSE);
  if(!usable(ob, error) || !db_begin(ob, error))
    return FALSE;
  entry_state s = { 0 };
  gboolean ok = read_state(ob, id, &s, error);
  if(ok && s.state == MP_OUTBOX_DELIVERED) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                 "entry %" G_GINT64_FORMAT " was delivered (receipt %s): its receipt is kept "
                 "until mp_outbox_prune removes it", id, s.arrive_id);
    ok = FALSE;
  } else if(ok && s.state == MP_OUTBOX_PENDING && !force) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL,
                 "entry %" G_GINT64_FORMAT " is still waiting to be sent; discarding it "
                 "loses the resident's application: force it only when staff are sure", id);
    ok = FALSE;
  }
  if(ok) {
    g_autoptr(sqlite3_stmt) st = db_prepare(ob,
      "UPDATE entries SET discarding = 1 WHERE id = ?", error);
    ok = st != NULL;
    if(ok) {
      sqlite3_bind_int64(st, 1, id);
      ok = db_done(ob, st, "cannot discard the entry", error) && db_commit(ob, error);
    }
  }
  if(!ok) {
    db_rollback(ob);
    entry_state_clear(&s);
    return FALSE;
  }
  step("discard:marked");
  /* From here the entry is gone for list and get; a failure below leaves
   * the marked row, which the next open finishes. */
  g_autofree char *packages = g_build_filename(ob->dir, OUTBOX_PACKAGES, NULL);
  ok = !s.rel || wipe_at(ob->packages_fd, packages, package_name(s.rel), error);
  entry_state_clear(&s);
  if(!ok)
    return FALSE;
  step("discard:wiped");
  return delete_row(ob, id, error);
}

gboolean mp_outbox_prune(mp_outbox *ob, gint64 max_age_s, GError **error)
{
  g_return_val_if_fail(ob, FALSE);
  if(!usable(ob, error))
    return FALSE;
  if(max_age_s < 0) {
    mp_set_error(error, MP_ERROR_OUTBOX, NULL, "mp_outbox_prune: max_age_s must not be "
                 "negative");
    return FALSE;
  }
  /* Rows whose package still waits for its wipe stay until it is done. */
  g_autoptr(sqlite3_stmt) st = db_prepare(ob,
    "DELETE FROM entries WHERE state = 1 AND discarding = 0 AND package_file IS NULL"
    " AND delivered_at <= ?", error);
  if(!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, now_s() - max_age_s);
  return db_done(ob, st, "cannot prune delivered entries", error);
}
