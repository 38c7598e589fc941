/* widgets-test-util.c - helpers for the widget tests. */
#include "widgets-test-util.h"

#include "kioskwidgets-resources.h"

void
widgets_test_init (int *argc, char ***argv)
{
  /* The test backend keeps the accessible attributes without a D-Bus
   * session; GTK would otherwise warn (fatal under gtk_test_init) that it
   * cannot reach the accessibility bus. */
  g_setenv ("GTK_A11Y", "test", TRUE);
  gtk_test_init (argc, argv, NULL);
  kioskwidgets_register_resource ();
}

char *
widgets_test_accessible_string (GtkWidget *widget, GtkAccessibleProperty property)
{
  /* An impossible value: on a mismatch GTK returns the real one. */
  static const char probe[] = "\x01 probe \x01";
  char *value;

  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), property))
    return NULL;
  value = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), property, probe);
  return value != NULL ? value : g_strdup (probe);
}

char *
widgets_test_accessible_name (GtkWidget *widget)
{
  g_assert_false (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget),
                                                    GTK_ACCESSIBLE_RELATION_LABELLED_BY));
  return widgets_test_accessible_string (widget, GTK_ACCESSIBLE_PROPERTY_LABEL);
}

static void
collect_buttons (GtkWidget *widget, gboolean mapped_only, GPtrArray *out)
{
  if (mapped_only && !gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_BUTTON (widget))
    g_ptr_array_add (out, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_buttons (child, mapped_only, out);
}

GPtrArray *
widgets_test_buttons (GtkWidget *root, gboolean mapped_only)
{
  GPtrArray *out = g_ptr_array_new ();

  collect_buttons (root, mapped_only, out);
  return out;
}

GtkWidget *
widgets_test_find_button (GtkWidget *root, const char *name)
{
  g_autoptr(GPtrArray) buttons = widgets_test_buttons (root, TRUE);
  GtkWidget *found = NULL;

  for (guint i = 0; i < buttons->len; i++)
    {
      g_autofree char *button_name = widgets_test_accessible_name (buttons->pdata[i]);

      if (g_strcmp0 (button_name, name) == 0)
        {
          if (found != NULL)
            g_error ("two keys are named \"%s\"", name);
          found = buttons->pdata[i];
        }
    }
  if (found == NULL)
    g_error ("no key is named \"%s\"", name);
  return found;
}

gboolean
widgets_test_press (GtkWidget *button)
{
  g_assert_true (GTK_IS_BUTTON (button));
  if (!gtk_widget_is_sensitive (button) || !gtk_widget_get_mapped (button))
    return FALSE;
  g_signal_emit_by_name (button, "clicked");
  return TRUE;
}

void
widgets_test_press_name (GtkWidget *root, const char *name)
{
  g_assert_true (widgets_test_press (widgets_test_find_button (root, name)));
}

GtkWidget *
widgets_test_window (GtkWidget *child)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (window);
  return window;
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
widgets_test_wait (gboolean (*cond) (gpointer data), gpointer data, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout, &timed_out);
  gboolean ok;

  while (!(ok = cond (data)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return ok;
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

void
widgets_test_destroy (GtkWidget *window, GtkWidget *widget)
{
  gpointer alive = widget;

  g_object_add_weak_pointer (G_OBJECT (widget), &alive);
  gtk_window_destroy (GTK_WINDOW (window));
  /* Finalization may wait for the main loop to release the window. */
  g_assert_true (widgets_test_wait (is_null, &alive, 2000));
}
