/* browse-test-util.c - helpers for the browse pages' tests. */
#include "browse-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kioskbrowse-resources.h"
#include "mynacard/mynacard.h"
#include "mynavcard/vcard.h"

static guint cancelled_calls;

static GLogWriterOutput
count_cancelled (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                 gpointer user_data)
{
  const char *domain = NULL, *message = NULL;
  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  if (g_strcmp0 (domain, "kioskbrowse") == 0 && message &&
      strstr (message, "ended after it was cancelled"))
    g_atomic_int_inc (&cancelled_calls);
  return g_log_writer_default (level, fields, n_fields, user_data);
}

void
browse_test_init (int *argc, char ***argv)
{
  g_log_set_writer_func (count_cancelled, NULL, NULL);
  /* The test backend keeps the accessible attributes without a D-Bus
   * session (GTK would warn, fatally here, that the bus is missing). */
  g_setenv ("GTK_A11Y", "test", TRUE);
  gtk_test_init (argc, argv, NULL);
  kioskbrowse_register_resource ();
}

guint
browse_test_cancelled_calls (void)
{
  return (guint) g_atomic_int_get (&cancelled_calls);
}

gboolean
browse_test_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* ---- the portal ---- */

static const char *
env (const char *name)
{
  const char *v = g_getenv (name);
  if (v == NULL || *v == '\0')
    g_error ("%s is not set: run under tests/harness/portalenv.py --dev", name);
  return v;
}

static mp_client *
client_new (const char *url, guint retry_total_ms, const char *city_code)
{
  g_autoptr(mp_config) cfg = mp_config_new ();
  cfg->city_code = g_strdup (city_code);
  cfg->base_url = g_strdup (url ? url : env ("PORTAL_URL"));
  cfg->ca_file = g_strdup (env ("PORTAL_CA"));
  cfg->terminal_id = g_strdup ("kiosk-test-01");
  cfg->connect_timeout_ms = 2000;
  cfg->retry_total_ms = retry_total_ms;
  cfg->retry_base_ms = 50;
  cfg->retry_max_ms = 500;
  g_autoptr(GError) error = NULL;
  mp_client *c = mp_client_new (cfg, &error);
  g_assert_no_error (error);
  return c;
}

mp_client *
browse_test_client_new (const char *url, guint retry_total_ms)
{
  return client_new (url, retry_total_ms, NULL);
}

mp_client *
browse_test_client_new_in_city (const char *city_code)
{
  return client_new (NULL, 5000, city_code);
}

static const char *
pki_dir (void)
{
  const char *d = g_getenv ("PORTAL_PKI");
  return d && *d ? d : env ("MYNA_TEST_PKI");
}

static char *
profile_string (const char *profile, const char *key)
{
  g_autofree char *path = g_build_filename (pki_dir (), "profiles.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  JsonArray *a = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                               "profiles");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *p = json_array_get_object_element (a, i);
      if (strcmp (json_object_get_string_member (p, "name"), profile) == 0)
        return g_strdup (json_object_get_string_member (p, key));
    }
  g_error ("no profile %s", profile);
  return NULL;
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        remove_tree (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

void
browse_test_login (mp_client *client, const char *profile)
{
  /* A copy of the profile's card: the software card keeps its state
   * (PIN tries) in its folder. */
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("browse-card-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *src = g_build_filename (pki_dir (), "profiles", profile, NULL);
  g_autoptr(GDir) d = g_dir_open (src, 0, &error);
  g_assert_no_error (error);
  const char *name;
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dir, name, NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      if (g_file_test (from, G_FILE_TEST_IS_DIR))
        continue;
      g_assert_true (g_file_get_contents (from, &data, &len, NULL));
      g_assert_true (g_file_set_contents (to, data, (gssize) len, NULL));
    }

  g_autofree char *ini = g_build_filename (dir, "profile.ini", NULL);
  char err[256] = "";
  myna_vcard *vcard = myna_vcard_load (ini, err, sizeof err);
  if (vcard == NULL)
    g_error ("%s: %s", ini, err);
  myna_card *card = NULL;
  g_assert_cmpint (myna_card_open (myna_vcard_transport (vcard, false), &card), ==, MYNA_OK);
  int tries = -1;
  g_assert_cmpint (myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpint (tries, >, 0);
  g_autofree char *pin_text = profile_string (profile, "auth_pin");
  myna_secret *pin = myna_secret_from_bytes (pin_text, strlen (pin_text));
  g_assert_cmpint (myna_jpki_verify (card, MYNA_JPKI_KEY_AUTH, pin, &tries), ==, MYNA_OK);
  myna_secret_free (pin);

  mp_signer *signer = mp_signer_new_card (card, MYNA_JPKI_KEY_AUTH);
  g_assert_true (mp_client_login (client, signer, NULL, &error));
  g_assert_no_error (error);
  mp_signer_free (signer);
  myna_card_free (card);
  myna_vcard_free (vcard);
  remove_tree (dir);
}

JsonNode *
browse_test_portal (const char *method, const char *path, const char *body,
                    const char *token, gboolean idempotent, guint *status)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup ("curl"));
  g_ptr_array_add (argv, g_strdup ("-sS"));
  g_ptr_array_add (argv, g_strdup ("--cacert"));
  g_ptr_array_add (argv, g_strdup (env ("PORTAL_CA")));
  g_ptr_array_add (argv, g_strdup ("-X"));
  g_ptr_array_add (argv, g_strdup (method));
  g_ptr_array_add (argv, g_strdup ("-H"));
  g_ptr_array_add (argv, g_strdup ("Content-Type: application/json"));
  if (idempotent)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      g_ptr_array_add (argv, g_strdup ("-H"));
      g_ptr_array_add (argv, g_strdup_printf ("Idempotency-Key: %s", uuid));
    }
  if (token)
    {
      g_ptr_array_add (argv, g_strdup ("-H"));
      g_ptr_array_add (argv, g_strdup_printf ("Authorization: Bearer %s", token));
    }
  if (body)
    {
      g_ptr_array_add (argv, g_strdup ("--data-binary"));
      g_ptr_array_add (argv, g_strdup ("@-"));
    }
  g_ptr_array_add (argv, g_strdup ("-w"));
  g_ptr_array_add (argv, g_strdup ("\n%{http_code}"));
  g_ptr_array_add (argv, g_strconcat (env ("PORTAL_URL"), path, NULL));
  g_ptr_array_add (argv, NULL);

  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_newv ((const char *const *) argv->pdata,
                                                G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_autofree char *out = NULL;
  g_assert_true (g_subprocess_communicate_utf8 (p, body, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);

  char *nl = strrchr (out, '\n');
  g_assert_nonnull (nl);
  *nl = '\0';
  if (status)
    *status = (guint) g_ascii_strtoull (nl + 1, NULL, 10);
  if (*out == '\0')
    return NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  return json_node_copy (json_parser_get_root (parser));
}

void
browse_test_faults (const char *rules_json)
{
  guint status = 0;
  JsonNode *r = rules_json
    ? browse_test_portal ("POST", "/_dev/faults", rules_json, NULL, FALSE, &status)
    : browse_test_portal ("DELETE", "/_dev/faults", NULL, NULL, FALSE, &status);
  g_assert_cmpuint (status / 100, ==, 2);
  g_clear_pointer (&r, json_node_unref);
}

char *
browse_test_municipality_login (void)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                         "Maebashi-Test-2026", -1);
  g_autofree char *body = g_strdup_printf ("{\"id\":\"maebashi-kosodate\",\"password\":\"%s\"}",
                                           hash);
  guint status = 0;
  g_autoptr(JsonNode) r = browse_test_portal ("POST", "/receive/ws/login", body, NULL, FALSE,
                                              &status);
  g_assert_cmpuint (status, ==, 200);
  return g_strdup (json_object_get_string_member (json_node_get_object (r), "token"));
}

/* ---- widgets ---- */

/* The kiosk's own theme (kiosk-ui/app/theme/kiosk.css), as the application
 * loads it: sizes in the tests are the sizes on the screen. */
static void
load_theme (void)
{
  static gboolean loaded;
  if (loaded)
    return;
  loaded = TRUE;
  g_autofree char *path = g_build_filename (MYNA_SOURCE_DIR, "kiosk-ui", "app", "theme",
                                            "kiosk.css", NULL);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  GtkCssProvider *css = gtk_css_provider_new ();
  gtk_css_provider_load_from_path (css, path);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_unref (css);
}

GtkWidget *
browse_test_window (GtkWidget *child)
{
  load_theme ();
  GtkWidget *window = gtk_window_new ();
  gtk_widget_add_css_class (window, "kiosk");
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  BROWSE_WAIT (gtk_widget_get_mapped (child));
  return window;
}

char *
browse_test_accessible_string (GtkWidget *widget, GtkAccessibleProperty property)
{
  /* An impossible value: on a mismatch GTK returns the real one. */
  static const char probe[] = "\x01 probe \x01";

  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), property))
    return NULL;
  char *value = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), property, probe);
  return value != NULL ? value : g_strdup (probe);
}

char *
browse_test_name (GtkWidget *widget)
{
  char *name = browse_test_accessible_string (widget, GTK_ACCESSIBLE_PROPERTY_LABEL);
  if (name)
    return name;
  if (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)))
    return g_strdup (gtk_button_get_label (GTK_BUTTON (widget)));
  if (GTK_IS_LABEL (widget))
    return g_strdup (gtk_label_get_label (GTK_LABEL (widget)));
  return NULL;
}

static void
collect (GtkWidget *widget, GType type, gboolean mapped_only, GPtrArray *out)
{
  if (mapped_only && !gtk_widget_get_mapped (widget))
    return;
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (out, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect (c, type, mapped_only, out);
}

GPtrArray *
browse_test_collect (GtkWidget *root, GType type, gboolean mapped_only)
{
  GPtrArray *out = g_ptr_array_new ();
  collect (root, type, mapped_only, out);
  return out;
}

static GtkWidget *
find (GtkWidget *root, GType type, const char *text, gboolean prefix)
{
  g_autoptr(GPtrArray) all = browse_test_collect (root, type, TRUE);
  GtkWidget *found = NULL;
  for (guint i = 0; i < all->len; i++)
    {
      g_autofree char *name = browse_test_name (all->pdata[i]);
      if (name && (prefix ? g_str_has_prefix (name, text) : strcmp (name, text) == 0))
        {
          if (found)
            g_error ("two widgets on screen are named \"%s\"", name);
          found = all->pdata[i];
        }
    }
  return found;
}

GtkWidget *
browse_test_find (GtkWidget *root, GType type, const char *name)
{
  return find (root, type, name, FALSE);
}

GtkWidget *
browse_test_find_prefix (GtkWidget *root, GType type, const char *prefix)
{
  return find (root, type, prefix, TRUE);
}

static gboolean
shows (GtkWidget *root, const char *text, gboolean part)
{
  g_autoptr(GPtrArray) labels = browse_test_collect (root, GTK_TYPE_LABEL, TRUE);
  for (guint i = 0; i < labels->len; i++)
    {
      const char *l = gtk_label_get_label (labels->pdata[i]);
      if (part ? strstr (l, text) != NULL : strcmp (l, text) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
browse_test_shows (GtkWidget *root, const char *text)
{
  return shows (root, text, FALSE);
}

gboolean
browse_test_shows_part (GtkWidget *root, const char *part)
{
  return shows (root, part, TRUE);
}

guint
browse_test_rows (GtkWidget *root)
{
  g_autoptr(GPtrArray) rows = browse_test_collect (root, GTK_TYPE_LIST_BOX_ROW, TRUE);
  return rows->len;
}

guint
browse_test_all_rows (GtkWidget *root)
{
  g_autoptr(GPtrArray) rows = browse_test_collect (root, GTK_TYPE_LIST_BOX_ROW, FALSE);
  return rows->len;
}

gboolean
browse_test_spinning (GtkWidget *root)
{
  g_autoptr(GPtrArray) spinners = browse_test_collect (root, GTK_TYPE_SPINNER, TRUE);
  for (guint i = 0; i < spinners->len; i++)
    if (gtk_spinner_get_spinning (spinners->pdata[i]))
      return TRUE;
  return FALSE;
}

void
browse_test_press (GtkWidget *root, const char *name)
{
  GtkWidget *b = browse_test_find (root, GTK_TYPE_BUTTON, name);
  if (b == NULL)
    g_error ("no button \"%s\" on screen", name);
  g_assert_true (gtk_widget_is_sensitive (b));
  g_signal_emit_by_name (b, "clicked");
}

void
browse_test_activate_row (GtkWidget *root, const char *name)
{
  GtkWidget *row = browse_test_find (root, GTK_TYPE_LIST_BOX_ROW, name);
  if (row == NULL)
    g_error ("no row \"%s\" on screen", name);
  g_assert_true (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)));
  g_assert_true (gtk_widget_activate (row));
}

int
browse_test_min_height (gpointer widget)
{
  int min = 0;
  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, -1, &min, NULL, NULL, NULL);
  return min;
}

static void
assert_fits_now (GtkWidget *widget, const char *how)
{
  int min_w = 0, min_h = 0;
  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, NULL, NULL, NULL);
  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, 1280, &min_h, NULL, NULL, NULL);
  if (min_w > 1280 || min_h > 800)
    g_error ("%s needs at least %dx%d px with %s text, more than the 1280x800 screen",
             G_OBJECT_TYPE_NAME (widget), min_w, min_h, how);
}

void
browse_test_assert_fits (GtkWidget *widget)
{
  GtkWidget *window = GTK_WIDGET (gtk_widget_get_root (widget));
  assert_fits_now (widget, "normal");
  /* The whole window too: it holds only the page. */
  assert_fits_now (window, "normal");
  /* The resident may ask for larger text (window.kiosk.large-text). */
  gtk_widget_add_css_class (window, "large-text");
  assert_fits_now (widget, "large");
  assert_fits_now (window, "large");
  gtk_widget_remove_css_class (window, "large-text");
}

void
browse_test_screenshot (GtkWidget *widget, const char *name)
{
  const char *dir = g_getenv ("BROWSE_TEST_SCREENSHOTS");
  if (dir == NULL || *dir == '\0')
    return;
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (widget));
  gtk_test_widget_wait_for_draw (root);
  int w = gtk_widget_get_width (root), h = gtk_widget_get_height (root);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (root);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (root));
  g_autoptr(GdkTexture) texture =
    gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}
