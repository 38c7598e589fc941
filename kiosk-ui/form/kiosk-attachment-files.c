/* kiosk-attachment-files.c - listing the files a resident may attach.
 *
 * The kiosk runs as its own user and can read more than the resident should
 * reach; the configured folders are the only way in. Every path is made
 * canonical (realpath) and must lie inside a canonical folder; files are
 * opened with O_NOFOLLOW and O_NONBLOCK (a FIFO cannot hang the scan) and
 * judged by what fstat says of the open file. */

#include "kiosk-attachment-files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


void
kiosk_attachment_file_free (KioskAttachmentFile *file)
{
  if (file == NULL)
    return;
  g_free (file->path);
  g_free (file->display_name);
  g_free (file);
}

const char *
kiosk_content_type_extension (KioskContentType type)
{
  switch (type)
    {
    case KIOSK_CONTENT_JPEG:
      return "jpg";
    case KIOSK_CONTENT_PNG:
      return "png";
    case KIOSK_CONTENT_PDF:
      return "pdf";
    default:
      return NULL;
    }
}

/* The type the name's extension claims, or 0. */
static KioskContentType
type_of_name (const char *path)
{
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, '/');

  if (dot == NULL || (slash != NULL && dot < slash))
    return 0;
  if (g_ascii_strcasecmp (dot, ".jpg") == 0 || g_ascii_strcasecmp (dot, ".jpeg") == 0)
    return KIOSK_CONTENT_JPEG;
  if (g_ascii_strcasecmp (dot, ".png") == 0)
    return KIOSK_CONTENT_PNG;
  if (g_ascii_strcasecmp (dot, ".pdf") == 0)
    return KIOSK_CONTENT_PDF;
  return 0;
}

static gboolean
magic_matches (KioskContentType type, const guint8 *head, gssize n)
{
  static const guint8 jpeg[] = { 0xFF, 0xD8, 0xFF };
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A };
  static const guint8 pdf[] = { '%', 'P', 'D', 'F', '-' };

  switch (type)
    {
    case KIOSK_CONTENT_JPEG:
      return n >= (gssize) sizeof jpeg && memcmp (head, jpeg, sizeof jpeg) == 0;
    case KIOSK_CONTENT_PNG:
      return n >= (gssize) sizeof png && memcmp (head, png, sizeof png) == 0;
    case KIOSK_CONTENT_PDF:
      return n >= (gssize) sizeof pdf && memcmp (head, pdf, sizeof pdf) == 0;
    default:
      return FALSE;
    }
}

/* Is the canonical path a file to offer? */
static gboolean
classify (const char *path, guint content_types, KioskContentType *type, goffset *size,
          GError **error)
{
  KioskContentType t = type_of_name (path);
  guint8 head[8];
  gssize n;
  struct stat st;
  int fd;

  if (t == 0 || (t & content_types) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "not a file of an accepted type");
      return FALSE;
    }
  fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot open: %s",
                   g_strerror (saved));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size <= 0 ||
      st.st_size > KIOSK_ATTACHMENT_MAX_SIZE)
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "not a regular file of 1 byte to %d MiB", KIOSK_ATTACHMENT_MAX_SIZE >> 20);
      return FALSE;
    }
  do
    n = read (fd, head, sizeof head);
  while (n < 0 && errno == EINTR);
  close (fd);
  if (!magic_matches (t, head, n))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the content does not match the extension");
      return FALSE;
    }
  *type = t;
  *size = st.st_size;
  return TRUE;
}

/* The configured folders that exist, made canonical. */
static GPtrArray *
canonical_dirs (const char * const *dirs)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++)
    {
      char *real = realpath (dirs[i], NULL);
      struct stat st;

      if (real == NULL)
        continue;
      if (stat (real, &st) == 0 && S_ISDIR (st.st_mode))
        g_ptr_array_add (out, g_strdup (real));
      free (real);
    }
  return out;
}

static gboolean
is_inside (GPtrArray *roots, const char *path)
{
  for (guint i = 0; i < roots->len; i++)
    {
      const char *root = g_ptr_array_index (roots, i);
      size_t n = strlen (root);

      if (g_str_equal (root, "/"))
        return path[0] == '/';
      if (strncmp (path, root, n) == 0 && path[n] == '/' && path[n + 1] != '\0')
        return TRUE;
    }
  return FALSE;
}

typedef struct {
  GPtrArray *roots;
  guint content_types;
  GCancellable *cancellable;
  GHashTable *seen;        /* canonical paths already listed */
  GPtrArray *files;
} Scan;

static void
offer (Scan *scan, const char *canonical, const char *display)
{
  KioskContentType type;
  goffset size;
  KioskAttachmentFile *file;

  if (scan->files->len >= KIOSK_ATTACHMENT_MAX_LISTED ||
      g_hash_table_contains (scan->seen, canonical) ||
      !classify (canonical, scan->content_types, &type, &size, NULL))
    return;
  file = g_new0 (KioskAttachmentFile, 1);
  file->path = g_strdup (canonical);
  file->display_name = g_filename_display_name (display);
  file->type = type;
  file->size = size;
  g_hash_table_add (scan->seen, g_strdup (canonical));
  g_ptr_array_add (scan->files, file);
}

/* dir is canonical (a root, or a real folder directly inside one); rel is
 * its path below the root ("" for the root). */
static void
scan_dir (Scan *scan, const char *dir, const char *rel, guint level)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL, *display = NULL;
      struct stat st;

      if (g_cancellable_is_cancelled (scan->cancellable))
        return;
      if (name[0] == '.')
        continue;
      path = g_build_filename (dir, name, NULL);
      display = *rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
      if (lstat (path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (level == 0)
            scan_dir (scan, path, display, level + 1);
        }
      else if (S_ISREG (st.st_mode))
        offer (scan, path, display);
      else if (S_ISLNK (st.st_mode))
        {
          /* Followed only into the folders, and only to a file. */
          char *real = realpath (path, NULL);

          if (real != NULL && is_inside (scan->roots, real) &&
              stat (real, &st) == 0 && S_ISREG (st.st_mode))
            offer (scan, real, display);
          free (real);
        }
    }
}

static int
compare_files (gconstpointer a, gconstpointer b)
{
  const KioskAttachmentFile *fa = *(KioskAttachmentFile * const *) a;
  const KioskAttachmentFile *fb = *(KioskAttachmentFile * const *) b;
  int c = g_utf8_collate (fa->display_name, fb->display_name);

  return c != 0 ? c : strcmp (fa->path, fb->path);
}

GPtrArray *
kiosk_attachment_scan (const char * const *dirs, guint content_types,
                       GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) roots = canonical_dirs (dirs);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Scan scan = {
    .roots = roots,
    .content_types = content_types,
    .cancellable = cancellable,
    .seen = seen,
    .files = g_ptr_array_new_with_free_func ((GDestroyNotify) kiosk_attachment_file_free),
  };

  for (guint i = 0; i < roots->len; i++)
    scan_dir (&scan, g_ptr_array_index (roots, i), "", 0);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      g_ptr_array_unref (scan.files);
      return NULL;
    }
  g_ptr_array_sort (scan.files, compare_files);
  return scan.files;
}

typedef struct {
  char **dirs;
  guint content_types;
} ScanArgs;

static void
scan_args_free (ScanArgs *args)
{
  g_strfreev (args->dirs);
  g_free (args);
}

static void
scan_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ScanArgs *args = data;
  GError *error = NULL;
  GPtrArray *files = kiosk_attachment_scan ((const char * const *) args->dirs,
                                            args->content_types, cancellable, &error);

  if (files == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, files, (GDestroyNotify) g_ptr_array_unref);
}

void
kiosk_attachment_scan_async (const char * const *dirs, guint content_types,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ScanArgs *args = g_new0 (ScanArgs, 1);

  args->dirs = g_strdupv ((char **) dirs);
  args->content_types = content_types;
  g_task_set_source_tag (task, kiosk_attachment_scan_async);
  g_task_set_task_data (task, args, (GDestroyNotify) scan_args_free);
  g_task_run_in_thread (task, scan_thread);
}

GPtrArray *
kiosk_attachment_scan_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
kiosk_attachment_file_check (const char * const *dirs, const char *path,
                             guint content_types, KioskContentType *type, GError **error)
{
  g_autoptr(GPtrArray) roots = canonical_dirs (dirs);
  char *real = realpath (path, NULL);
  gboolean same = real != NULL && g_str_equal (real, path);
  goffset size;

  free (real);
  if (!same || !is_inside (roots, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "the file is not inside the attachment folders");
      return FALSE;
    }
  return classify (path, content_types, type, &size, error);
}
