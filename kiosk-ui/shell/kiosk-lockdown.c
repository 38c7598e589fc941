/* kiosk-lockdown.c - no way out for a resident.
 *
 * Two layers. Before GTK starts, the environment loses what would open the
 * Inspector at start (GTK_DEBUG=interactive, GTK_INSPECTOR_*) and GTK's own
 * setting for its Inspector keybinding is turned off. On every window, a
 * key controller in the capture phase - it runs before the window's
 * shortcuts and before any widget - swallows the shortcuts that open the
 * Inspector, close or quit, open help or menus, or belong to the desktop.
 * The second layer alone is enough to keep the Inspector shut; the first
 * also covers windows that GTK itself makes. A secondary (right) click is
 * swallowed too: a touch screen has none, and a mouse plugged in must not
 * open a context menu. */

#include "kiosk-lockdown.h"

#include <string.h>

#define DEBUG_SCHEMA "org.gtk.gtk4.Settings.Debug"
#define INSPECTOR_KEY "enable-inspector-keybinding"

typedef struct {
  guint swallowed;
} Lockdown;

static GQuark
lockdown_quark (void)
{
  return g_quark_from_static_string ("kiosk-lockdown");
}

void
kiosk_lockdown_init (void)
{
  g_unsetenv ("GTK_DEBUG");
  g_auto(GStrv) env = g_get_environ ();
  for (char **e = env; *e != NULL; e++)
    if (g_str_has_prefix (*e, "GTK_INSPECTOR"))
      {
        g_autofree char *name = g_strndup (*e, strcspn (*e, "="));
        g_unsetenv (name);
      }

  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  if (source == NULL)
    return;
  g_autoptr(GSettingsSchema) schema = g_settings_schema_source_lookup (source, DEBUG_SCHEMA, TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, INSPECTOR_KEY))
    {
      g_debug ("%s is not installed; the window's key controller alone keeps the Inspector shut",
               DEBUG_SCHEMA);
      return;
    }
  g_autoptr(GSettings) settings = g_settings_new_full (schema, NULL, NULL);
  /* Write only when needed: a locked or already-off key stays untouched. */
  if (g_settings_get_boolean (settings, INSPECTOR_KEY) && g_settings_is_writable (settings, INSPECTOR_KEY))
    g_settings_set_boolean (settings, INSPECTOR_KEY, FALSE);
}

/* Is this key press one a resident must not be able to use? */
static gboolean
is_forbidden (guint keyval, GdkModifierType state)
{
  guint key = gdk_keyval_to_lower (keyval);
  GdkModifierType mods = state & (GDK_CONTROL_MASK | GDK_SHIFT_MASK | GDK_ALT_MASK
                                  | GDK_SUPER_MASK | GDK_HYPER_MASK | GDK_META_MASK);
  gboolean ctrl = (mods & GDK_CONTROL_MASK) != 0;
  gboolean shift = (mods & GDK_SHIFT_MASK) != 0;
  gboolean alt = (mods & GDK_ALT_MASK) != 0;

  /* The desktop's keys, alone or as a modifier. */
  if (mods & (GDK_SUPER_MASK | GDK_HYPER_MASK | GDK_META_MASK))
    return TRUE;
  switch (key)
    {
    case GDK_KEY_Super_L:
    case GDK_KEY_Super_R:
    case GDK_KEY_Hyper_L:
    case GDK_KEY_Hyper_R:
    case GDK_KEY_Meta_L:
    case GDK_KEY_Meta_R:
    case GDK_KEY_Menu:        /* context menus */
      return TRUE;
    default:
      break;
    }
  /* F1 (help), F6 (focus cycling), F10 (menus), Shift+F10 (context
   * menu), ... and the vendor keys (XF86*: power, terminal, browser). */
  if (key >= GDK_KEY_F1 && key <= GDK_KEY_F35)
    return TRUE;
  if (key >= 0x1008FF00 && key <= 0x1008FFFF)
    return TRUE;
  /* GTK's Inspector (Ctrl+Shift+I, Ctrl+Shift+D); close and quit. */
  if (ctrl && shift && (key == GDK_KEY_i || key == GDK_KEY_d))
    return TRUE;
  if (ctrl && (key == GDK_KEY_q || key == GDK_KEY_w))
    return TRUE;
  /* The window manager's: Alt+F4 (above), Alt+Tab, Alt+Space (window
   * menu), Alt+Esc. */
  if (alt && (key == GDK_KEY_Tab || key == GDK_KEY_ISO_Left_Tab || key == GDK_KEY_space
              || key == GDK_KEY_Escape))
    return TRUE;
  return FALSE;
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                Lockdown              *lockdown)
{
  if (!is_forbidden (keyval, state))
    return GDK_EVENT_PROPAGATE;
  lockdown->swallowed++;
  g_debug ("key swallowed (%u so far)", lockdown->swallowed);
  return GDK_EVENT_STOP;
}

static void
on_secondary_pressed (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      gpointer         data)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

void
kiosk_lockdown_window (GtkWindow *window)
{
  g_return_if_fail (GTK_IS_WINDOW (window));

  if (g_object_get_qdata (G_OBJECT (window), lockdown_quark ()) != NULL)
    return;
  Lockdown *lockdown = g_new0 (Lockdown, 1);
  g_object_set_qdata_full (G_OBJECT (window), lockdown_quark (), lockdown, g_free);

  GtkEventController *keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_name (keys, "kiosk-lockdown-keys");
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), lockdown);
  gtk_widget_add_controller (GTK_WIDGET (window), keys);

  GtkGesture *secondary = gtk_gesture_click_new ();
  gtk_event_controller_set_name (GTK_EVENT_CONTROLLER (secondary), "kiosk-lockdown-secondary");
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (secondary), GDK_BUTTON_SECONDARY);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (secondary), GTK_PHASE_CAPTURE);
  g_signal_connect (secondary, "pressed", G_CALLBACK (on_secondary_pressed), NULL);
  gtk_widget_add_controller (GTK_WIDGET (window), GTK_EVENT_CONTROLLER (secondary));
}

guint
kiosk_lockdown_swallowed (GtkWindow *window)
{
  g_return_val_if_fail (GTK_IS_WINDOW (window), 0);

  Lockdown *lockdown = g_object_get_qdata (G_OBJECT (window), lockdown_quark ());
  return lockdown ? lockdown->swallowed : 0;
}
