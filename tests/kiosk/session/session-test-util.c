/* session-test-util.c - see session-test-util.h. */

#include "session-test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

typedef struct
{
  gboolean expired;
} Deadline;

static gboolean
deadline_hit (gpointer data)
{
  Deadline *d = data;
  d->expired = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
keep_turning (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
test_run_until (TestCondition cond, gpointer data, const char *what)
{
  GMainContext *ctx = g_main_context_get_thread_default ();
  Deadline d = { FALSE };
  GSource *timer = g_timeout_source_new_seconds (TEST_WAIT_S);
  g_source_set_callback (timer, deadline_hit, &d, NULL);
  g_source_attach (timer, ctx);
  /* Conditions may change on other threads, which do not wake the main
   * context: it turns at least every 20 ms. */
  GSource *tick = g_timeout_source_new (20);
  g_source_set_callback (tick, keep_turning, NULL, NULL);
  g_source_attach (tick, ctx);
  while (!cond (data) && !d.expired)
    g_main_context_iteration (ctx, TRUE);
  g_source_destroy (tick);
  g_source_unref (tick);
  g_source_destroy (timer);
  g_source_unref (timer);
  if (!cond (data))
    g_error ("waited %d s in vain for: %s", TEST_WAIT_S, what);
}

static gboolean
flag_set (gpointer data)
{
  return *(const gboolean *) data;
}

void
test_run_until_flag (const gboolean *flag, const char *what)
{
  test_run_until (flag_set, (gpointer) flag, what);
}

void
test_wait_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  TestWait *w = data;
  g_assert_false (w->done);
  w->result = g_object_ref (result);
  w->done = TRUE;
}

GAsyncResult *
test_wait_result (TestWait *w, const char *what)
{
  test_run_until_flag (&w->done, what);
  return w->result;
}

void
test_wait_clear (TestWait *w)
{
  g_clear_object (&w->result);
  w->done = FALSE;
}

const char *
test_pki_dir (void)
{
  const char *dir = g_getenv ("MYNA_TEST_PKI");
  if (!dir || !*dir)
    g_error ("MYNA_TEST_PKI is not set: run the tests through ctest");
  return dir;
}

char *
test_profile_copy (const char *profile, const char *dir, const char *name)
{
  g_autofree char *src = g_build_filename (test_pki_dir (), "profiles", profile, NULL);
  g_autofree char *dst = g_build_filename (dir, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dst, 0700), ==, 0);
  g_autoptr (GDir) d = g_dir_open (src, 0, NULL);
  g_assert_nonnull (d);
  const char *file;
  while ((file = g_dir_read_name (d)))
    {
      if (strcmp (file, "state.ini") == 0)
        continue;
      g_autofree char *from = g_build_filename (src, file, NULL);
      g_autofree char *to = g_build_filename (dst, file, NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (from, &data, &len, NULL));
      g_assert_true (g_file_set_contents (to, data, (gssize) len, NULL));
    }
  return g_build_filename (dst, "profile.ini", NULL);
}

char *
test_profile_string (const char *profile, const char *key)
{
  g_autofree char *path = g_build_filename (test_pki_dir (), "profiles.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  JsonArray *a = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                               "profiles");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *p = json_array_get_object_element (a, i);
      if (strcmp (json_object_get_string_member (p, "name"), profile) == 0)
        return g_strdup (json_object_get_string_member (p, key));
    }
  g_error ("no profile %s in %s", profile, path);
  return NULL;
}

void
test_remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        test_remove_tree (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}
