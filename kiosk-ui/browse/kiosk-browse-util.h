/* kiosk-browse-util.h - what the browsing pages share (internal to browse/).
 *
 * - kiosk_browse_call: one portal call whose answer reaches the page only
 *   if the page still exists and the call was not cancelled. The page is
 *   held by a weak reference, never kept alive by a call in flight, and a
 *   cancelled call (clear(), a newer search) never touches it.
 * - Words: the portal's category, status and data keys in the resident's
 *   language (gettext), the portal's own value where none is known.
 * - Widgets: wrapping labels, large list rows, label/value rows.
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "mynaportal/client.h"

G_BEGIN_DECLS

/* The page's handler: owner is the page (alive), cancellable the one the
 * call was made with (the page compares it with its current one), result
 * NULL exactly when error is set. data is the call's data. */
typedef void (*KioskBrowseDone) (gpointer owner, GCancellable *cancellable,
                                 mp_result *result, const GError *error,
                                 gpointer data);

/* Send call (taken) on client; done runs on the main context unless owner
 * was finalized or cancellable cancelled by then. */
void kiosk_browse_call (gpointer owner, mp_client *client, mp_call *call,
                        GCancellable *cancellable, KioskBrowseDone done,
                        gpointer data);

/* Cancel *slot (if any) and put a fresh cancellable there; returns it. */
GCancellable *kiosk_browse_renew_cancellable (GCancellable **slot);
/* Cancel and drop *slot. */
void kiosk_browse_cancel (GCancellable **slot);

/* JSON: member as a string (NULL when absent or not a string). */
const char *kiosk_browse_json_string (JsonObject *object, const char *member);
/* member as an object / array (NULL when absent or of another type). */
JsonObject *kiosk_browse_json_object (JsonObject *object, const char *member);
JsonArray *kiosk_browse_json_array_member (JsonObject *object, const char *member);
/* member as a boolean / integer (fallback when absent or of another type). */
gboolean kiosk_browse_json_bool (JsonObject *object, const char *member, gboolean fallback);
gint64 kiosk_browse_json_int (JsonObject *object, const char *member, gint64 fallback);
/* The array of an array node (NULL when node is not an array). */
JsonArray *kiosk_browse_json_array (JsonNode *node);
/* Element i of array as an object / a string (NULL when of another type). */
JsonObject *kiosk_browse_json_object_at (JsonArray *array, guint i);
const char *kiosk_browse_json_string_at (JsonArray *array, guint i);
/* resultset.all_count, or fallback when absent. */
guint kiosk_browse_all_count (const mp_result *result, guint fallback);
/* Any JSON value as text a person reads: strings as they are, numbers
 * (key decides the unit: amounts in yen), true/false as words, arrays
 * joined, objects as "label: value" pairs. */
char *kiosk_browse_value_text (const char *key, JsonNode *node);
/* A portal date "YYYY-MM-DD HH:MM:SS" without the seconds; other text as it is. */
char *kiosk_browse_date_text (const char *date);

/* Words for the portal's values: translated when known, else the value. */
const char *kiosk_browse_category_label (const char *category);
const char *kiosk_browse_status_label (const char *status);
const char *kiosk_browse_portal_status_label (const char *portal_status);
/* Does the application wait for the resident's correction? */
gboolean kiosk_browse_status_needs_correction (const char *status, const char *portal_status);
/* The label for a data key of self-information or a record ("birth_date"
 * -> "Date of birth"); unknown keys (or keys that already are words) are
 * shown as they are. */
const char *kiosk_browse_key_label (const char *key);
/* The notice kind the municipality uses for a correction request. */
#define KIOSK_BROWSE_NOTICE_KIND_CORRECTION "補正依頼"

/* Widgets. */
GtkWidget *kiosk_browse_label_new (const char *text, const char *css_class);
/* A list row at least 64 px tall holding child. */
GtkWidget *kiosk_browse_row_new (GtkWidget *child, gboolean activatable);
/* Two columns: a muted label and its value (both wrap); appended to grid
 * at row *row (incremented). */
void kiosk_browse_grid_add (GtkGrid *grid, int *row, const char *label, const char *value);
/* Every member of object as label/value rows of a new grid. */
GtkWidget *kiosk_browse_object_grid (JsonObject *object);
/* Remove (and so destroy) every child of box / every row of list. */
void kiosk_browse_box_clear (GtkBox *box);
void kiosk_browse_list_clear (GtkListBox *list);
guint kiosk_browse_list_count (GtkListBox *list);
/* Unparent every child of widget (a template's unbound top-level child is
 * not removed by gtk_widget_dispose_template). */
void kiosk_browse_unparent_children (GtkWidget *widget);
void kiosk_browse_set_name (GtkWidget *widget, const char *name);
void kiosk_browse_set_description (GtkWidget *widget, const char *description);

G_END_DECLS
