/* browse-test-util.h - helpers for the browse pages' tests: a portal client
 * for the portal-sim that portalenv.py started, a logged-in resident (the
 * software card in-process), the municipality side, finding widgets by
 * accessible name as a person (or AT-SPI) would, and bounded waits. */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "mynaportal/client.h"

G_BEGIN_DECLS

#define BROWSE_TEST_TIMEOUT_MS 30000

/* GTK with the test accessibility backend, GLib's test framework, the
 * browse part's resources, and a log writer that counts the calls dropped
 * after their cancellation (kiosk-browse-util's debug line). */
void browse_test_init (int *argc, char ***argv);
/* How many calls of the browse pages ended after being cancelled. */
guint browse_test_cancelled_calls (void);

/* ---- the portal ---- */

/* A client for PORTAL_URL / PORTAL_CA (url NULL), or for url; retries
 * bounded by retry_total_ms. */
mp_client *browse_test_client_new (const char *url, guint retry_total_ms);
/* The same with [kiosk] city-code set (the search's default municipality). */
mp_client *browse_test_client_new_in_city (const char *city_code);
/* Log in the test PKI's profile (software card copy, auth PIN verified). */
void browse_test_login (mp_client *client, const char *profile);
/* A request to portal-sim through curl (its dev and municipality routes);
 * body JSON or NULL; token a Bearer token or NULL; idempotent: a fresh
 * Idempotency-Key. Returns the parsed answer; *status the HTTP status. */
JsonNode *browse_test_portal (const char *method, const char *path, const char *body,
                              const char *token, gboolean idempotent, guint *status);
/* Fault rules of portal-sim --dev (rules_json: {"rules": [...]}); none: clear. */
void browse_test_faults (const char *rules_json);
/* The municipality's token (maebashi-kosodate of the seed). */
char *browse_test_municipality_login (void);

/* ---- widgets ---- */

/* A window of the kiosk's screen size (1280x800) holding child, shown. */
GtkWidget *browse_test_window (GtkWidget *child);
/* The accessible name: the label property, else a button's or label's text. */
char *browse_test_name (GtkWidget *widget);
/* A string accessible property, NULL when not set. */
char *browse_test_accessible_string (GtkWidget *widget, GtkAccessibleProperty property);
/* Every widget of type under root (mapped ones only when mapped_only). */
GPtrArray *browse_test_collect (GtkWidget *root, GType type, gboolean mapped_only);
/* The mapped widget of type named name under root, or NULL. */
GtkWidget *browse_test_find (GtkWidget *root, GType type, const char *name);
/* The mapped widget of type whose name starts with prefix, or NULL. */
GtkWidget *browse_test_find_prefix (GtkWidget *root, GType type, const char *prefix);
/* Is a label showing exactly text / containing text under root (mapped)? */
gboolean browse_test_shows (GtkWidget *root, const char *text);
gboolean browse_test_shows_part (GtkWidget *root, const char *part);
/* Mapped list rows under root. */
guint browse_test_rows (GtkWidget *root);
/* Every list row under root, drawn or not. */
guint browse_test_all_rows (GtkWidget *root);
/* Is a spinner spinning on screen under root? */
gboolean browse_test_spinning (GtkWidget *root);
/* Press the mapped, sensitive button named name (asserted). */
void browse_test_press (GtkWidget *root, const char *name);
/* Activate the mapped row named name (asserted), as a tap does. */
void browse_test_activate_row (GtkWidget *root, const char *name);
/* The smallest height the layout can give widget. */
int browse_test_min_height (gpointer widget);
/* Does the widget fit the kiosk's screen (minimum size within 1280x800)? */
void browse_test_assert_fits (GtkWidget *widget);

/* With BROWSE_TEST_SCREENSHOTS=DIR in the environment, the window of
 * widget as DIR/name.png (to look at the layout); nothing otherwise. */
void browse_test_screenshot (GtkWidget *widget, const char *name);

/* Run the main context until cond holds; fail the test after timeout_ms. */
#define BROWSE_WAIT(cond) \
  G_STMT_START { \
    gint64 end__ = g_get_monotonic_time () + (gint64) BROWSE_TEST_TIMEOUT_MS * 1000; \
    guint tick__ = g_timeout_add (20, browse_test_tick, NULL); \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > end__) \
          g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, \
                               "timed out waiting for: " #cond); \
        g_main_context_iteration (NULL, TRUE); \
      } \
    g_source_remove (tick__); \
  } G_STMT_END
gboolean browse_test_tick (gpointer data);

G_END_DECLS
