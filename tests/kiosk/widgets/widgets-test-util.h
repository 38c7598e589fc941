/* widgets-test-util.h - helpers for the widget tests: find keys by their
 * accessible name, press them, read accessible properties. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* GTK with the test accessibility backend (no AT-SPI bus needed), GLib's
 * test framework, and the widgets' resources. */
void widgets_test_init (int *argc, char ***argv);

/* The value of a string accessible property (label, description, value
 * text ...), or NULL when it is not set. */
char *widgets_test_accessible_string (GtkWidget *widget, GtkAccessibleProperty property);

/* The accessible name as assistive technology computes it: the label
 * property (the keys have no labelled-by relation; asserted). */
char *widgets_test_accessible_name (GtkWidget *widget);

/* All the GtkButtons under root in tree order; only those drawn on screen
 * (mapped) when mapped_only. */
GPtrArray *widgets_test_buttons (GtkWidget *root, gboolean mapped_only);

/* The one mapped button under root named name (asserts it is unique). */
GtkWidget *widgets_test_find_button (GtkWidget *root, const char *name);

/* Press button as a person would: only when it can be pressed (sensitive);
 * FALSE otherwise. */
gboolean widgets_test_press (GtkWidget *button);
/* widgets_test_press on the button named name, which must be pressable. */
void widgets_test_press_name (GtkWidget *root, const char *name);

/* A window of the kiosk's screen size holding child, shown and drawn. */
GtkWidget *widgets_test_window (GtkWidget *child);

/* Destroy window and check that widget (inside it) is finalized: nothing
 * kept a reference to it. */
void widgets_test_destroy (GtkWidget *window, GtkWidget *widget);

/* Run the main context until cond (data) holds or timeout_ms passed;
 * returns cond's last answer. */
gboolean widgets_test_wait (gboolean (*cond) (gpointer data), gpointer data, guint timeout_ms);

G_END_DECLS
