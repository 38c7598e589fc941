/* kiosk-idle.c - end the session when nobody touches the screen.
 *
 * Every event of the window passes a GtkEventControllerLegacy in the
 * capture phase, before any widget; the ones a person makes (press,
 * release, motion, touch, key, scroll, touchpad gestures) count as
 * activity and are passed on untouched. Activity only stores the time:
 * one timer, armed for the next moment something can happen (the start
 * of the warning, the next second of the countdown, the end), looks at
 * that time when it fires and arms itself again. So a stream of touch
 * events costs no timer work, and the countdown ticks on whole seconds
 * of the idle time, not of the wall clock. */

#include "kiosk-idle.h"

#define USEC G_USEC_PER_SEC

struct _KioskIdle
{
  GObject parent_instance;

  GtkWindow *window;          /* weak */
  GtkEventController *legacy; /* owned by the window */
  gint64 timeout_us;
  gint64 warning_us;
  gboolean enabled;
  gboolean in_warning;
  gboolean timed_out;
  guint last_warned;          /* seconds last announced; 0: none */
  gint64 last_activity;       /* monotonic µs */
  guint timer;
};

G_DEFINE_FINAL_TYPE (KioskIdle, kiosk_idle, G_TYPE_OBJECT)

enum {
  SIGNAL_WARNING,
  SIGNAL_RESUMED,
  SIGNAL_TIMEOUT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void arm (KioskIdle *self, gint64 at);

static void
disarm (KioskIdle *self)
{
  g_clear_handle_id (&self->timer, g_source_remove);
}

/* Look at the idle time now: announce what is due and arm for what comes
 * next. */
static void
check (KioskIdle *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 deadline = self->last_activity + self->timeout_us;
  gint64 warn_from = deadline - self->warning_us;

  if (!self->enabled || self->timed_out)
    return;

  if (now < warn_from)
    {
      arm (self, warn_from);
      return;
    }
  if (now >= deadline)
    {
      self->in_warning = FALSE;
      self->timed_out = TRUE;
      self->last_warned = 0;
      g_signal_emit (self, signals[SIGNAL_TIMEOUT], 0);
      return;
    }

  /* In the countdown: seconds left, rounded up (2.0 → 2, 1.4 → 2). */
  guint left = (guint) ((deadline - now + USEC - 1) / USEC);
  /* Arm first: a handler may reset or disable. */
  arm (self, deadline - (gint64) (left - 1) * USEC);
  if (left != self->last_warned)
    {
      self->in_warning = TRUE;
      self->last_warned = left;
      g_signal_emit (self, signals[SIGNAL_WARNING], 0, left);
    }
}

static gboolean
on_timer (gpointer data)
{
  KioskIdle *self = data;

  self->timer = 0;
  check (self);
  return G_SOURCE_REMOVE;
}

static void
arm (KioskIdle *self, gint64 at)
{
  gint64 now = g_get_monotonic_time ();
  /* Rounded up to whole milliseconds: never fire before at. */
  guint ms = at > now ? (guint) ((at - now + 999) / 1000) : 0;

  disarm (self);
  self->timer = g_timeout_add_full (G_PRIORITY_DEFAULT, ms, on_timer, self, NULL);
  g_source_set_name_by_id (self->timer, "[kiosk] idle time-out");
}

/* Something a person did: count from now. */
static void
activity (KioskIdle *self)
{
  if (!self->enabled || self->timed_out)
    return;

  self->last_activity = g_get_monotonic_time ();
  if (self->in_warning)
    {
      self->in_warning = FALSE;
      self->last_warned = 0;
      /* The timer is armed for the next second of the countdown; it finds
       * the new time and arms itself for the warning again. */
      g_signal_emit (self, signals[SIGNAL_RESUMED], 0);
    }
  else if (self->timer == 0)
    arm (self, self->last_activity);
}

static gboolean
on_event (GtkEventControllerLegacy *controller,
          GdkEvent                 *event,
          KioskIdle                *self)
{
  switch (gdk_event_get_event_type (event))
    {
    case GDK_BUTTON_PRESS:
    case GDK_BUTTON_RELEASE:
    case GDK_MOTION_NOTIFY:
    case GDK_KEY_PRESS:
    case GDK_KEY_RELEASE:
    case GDK_SCROLL:
    case GDK_TOUCH_BEGIN:
    case GDK_TOUCH_UPDATE:
    case GDK_TOUCH_END:
    case GDK_TOUCHPAD_SWIPE:
    case GDK_TOUCHPAD_PINCH:
    case GDK_TOUCHPAD_HOLD:
    case GDK_PAD_BUTTON_PRESS:
    case GDK_PAD_RING:
    case GDK_PAD_STRIP:
      activity (self);
      break;
    /* Crossing, focus, proximity, grab and DnD events are the system's
     * doing (a window mapped under the pointer), not a person's. */
    default:
      break;
    }
  return GDK_EVENT_PROPAGATE;
}

/* ---- public ---- */

KioskIdle *
kiosk_idle_new (GtkWindow *window, guint timeout_s, guint warning_s)
{
  g_return_val_if_fail (GTK_IS_WINDOW (window), NULL);
  g_return_val_if_fail (timeout_s > 0, NULL);

  KioskIdle *self = g_object_new (KIOSK_TYPE_IDLE, NULL);
  self->timeout_us = (gint64) timeout_s * USEC;
  self->warning_us = (gint64) MIN (warning_s, timeout_s) * USEC;
  self->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &self->window);

  self->legacy = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_name (self->legacy, "kiosk-idle");
  gtk_event_controller_set_propagation_phase (self->legacy, GTK_PHASE_CAPTURE);
  g_signal_connect_object (self->legacy, "event", G_CALLBACK (on_event), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (window), self->legacy);

  kiosk_idle_set_enabled (self, TRUE);
  return self;
}

void
kiosk_idle_set_enabled (KioskIdle *self, gboolean enabled)
{
  g_return_if_fail (KIOSK_IS_IDLE (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  self->in_warning = FALSE;
  self->timed_out = FALSE;
  self->last_warned = 0;
  self->last_activity = g_get_monotonic_time ();
  disarm (self);
  /* Look from the main loop: no signal comes from inside a call. */
  if (enabled)
    arm (self, self->last_activity);
}

void
kiosk_idle_reset (KioskIdle *self)
{
  g_return_if_fail (KIOSK_IS_IDLE (self));

  gboolean was_warning = self->in_warning;
  self->in_warning = FALSE;
  self->timed_out = FALSE;
  self->last_warned = 0;
  self->last_activity = g_get_monotonic_time ();
  disarm (self);
  if (!self->enabled)
    return;
  if (was_warning)
    g_signal_emit (self, signals[SIGNAL_RESUMED], 0);
  /* A "resumed" handler may have reset or disabled it already. */
  if (self->enabled && self->timer == 0)
    arm (self, self->last_activity);
}

gboolean
kiosk_idle_in_warning (KioskIdle *self)
{
  g_return_val_if_fail (KIOSK_IS_IDLE (self), FALSE);
  return self->in_warning;
}

/* ---- GObject ---- */

static void
kiosk_idle_dispose (GObject *object)
{
  KioskIdle *self = KIOSK_IDLE (object);

  disarm (self);
  if (self->window != NULL)
    {
      if (self->legacy != NULL)
        gtk_widget_remove_controller (GTK_WIDGET (self->window), self->legacy);
      g_object_remove_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
      self->window = NULL;
    }
  self->legacy = NULL;

  G_OBJECT_CLASS (kiosk_idle_parent_class)->dispose (object);
}

static void
kiosk_idle_class_init (KioskIdleClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kiosk_idle_dispose;

  signals[SIGNAL_WARNING] = g_signal_new ("warning", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_RESUMED] = g_signal_new ("resumed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 0);
  signals[SIGNAL_TIMEOUT] = g_signal_new ("timeout", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 0);
}

static void
kiosk_idle_init (KioskIdle *self)
{
}
