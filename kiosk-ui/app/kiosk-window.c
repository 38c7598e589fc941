/* kiosk-window.c - the screens of one resident's visit, driven by the flow.
 *
 * Everything the resident does passes through dispatch(): the flow decides
 * the next state, enter_state() shows its screen. Operations on the card and
 * the portal run asynchronously with the window's GCancellable; their
 * callbacks return at once when cancelled, without touching the window
 * (which may be gone by then). */

#include "kiosk-window.h"

#include <glib/gi18n-lib.h>

#include "kiosk-admin-page.h"
#include "kiosk-attract-page.h"
#include "kiosk-card-guide.h"
#include "kiosk-errors.h"
#include "kiosk-flow.h"
#include "kiosk-form-page.h"
#include "kiosk-home-page.h"
#include "kiosk-i18n.h"
#include "kiosk-idle.h"
#include "kiosk-keyboard.h"
#include "kiosk-lockdown.h"
#include "kiosk-message-page.h"
#include "kiosk-pin-page.h"
#include "kiosk-procedure-page.h"
#include "kiosk-receipt-page.h"
#include "kiosk-review-page.h"
#include "kiosk-search-page.h"
#include "kiosk-timing.h"
#include "kiosk-watchdog.h"

#include "mynacard/error.h"
#include "mynaportal/error.h"

struct _KioskWindow
{
  GtkApplicationWindow parent_instance;

  /* template */
  GtkWidget *demo_revealer;
  GtkToggleButton *demo_card_toggle;
  GtkToggleButton *large_text_toggle;
  GtkToggleButton *contrast_toggle;
  GtkWidget *end_button;
  GtkWidget *idle_revealer;
  GtkLabel *idle_label;
  GtkStack *stack;
  KioskCardGuide *wait_guide;
  GtkBox *keyboard_revealer;

  /* pages made in code */
  KioskAttractPage *attract;
  KioskSearchPage *search;
  KioskProcedurePage *procedure;
  KioskMessagePage *busy;
  KioskPinPage *pin;
  KioskHomePage *home;
  KioskFormPage *form;
  KioskReviewPage *review;
  KioskPinPage *password;
  KioskReceiptPage *receipt;
  KioskMessagePage *message;
  KioskPinPage *staff_pin;
  KioskAdminPage *admin;
  KioskKeyboard *keyboard;

  /* borrowed from the application */
  const KioskConfig *config;
  KioskSession *session;
  KioskCardMonitor *monitor;

  KioskFlow *flow;
  KioskIdle *idle;
  GCancellable *cancellable;
  char *screenshot_dir;
  guint screenshot_count;
  gboolean replacing;
  gboolean demo;
  char *proc_id;           /* the procedure chosen */
};

G_DEFINE_FINAL_TYPE (KioskWindow, kiosk_window, GTK_TYPE_APPLICATION_WINDOW)

enum { REPLACE_REQUESTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void dispatch (KioskWindow *self, KioskEvent event);

/* ---- screenshots ---- */

static void
save_screenshot (KioskWindow *self, const char *what)
{
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));

  renderer = gtk_native_get_renderer (GTK_NATIVE (self));
  if (!renderer || w <= 0 || h <= 0)
    return;
  paintable = gtk_widget_paintable_new (GTK_WIDGET (self));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (!node)
    return;
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  name = g_strdup_printf ("%03u-%s-%s.png", ++self->screenshot_count, what,
                          kiosk_i18n_get_language ());
  path = g_build_filename (self->screenshot_dir, name, NULL);
  if (!gdk_texture_save_to_png (texture, path))
    g_warning ("could not write the screenshot %s", path);
  else
    g_message ("screenshot %s", path);
}

typedef struct {
  KioskWindow *self;
  char *what;
  gboolean screenshot;   /* else a timing mark */
  gulong handler;
} PaintRequest;

static void
on_after_paint (GdkFrameClock *clock, PaintRequest *req)
{
  g_signal_handler_disconnect (clock, req->handler);
  if (req->screenshot)
    save_screenshot (req->self, req->what);
  else
    kiosk_timing_mark (req->what);
  g_object_unref (req->self);
  g_free (req->what);
  g_free (req);
}

/* Once the next frame is painted: save the window as it looks, or note the
 * time (the screen is then really in front of the resident). */
static void
after_next_paint (KioskWindow *self, const char *what, gboolean screenshot)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
  PaintRequest *req;

  if (!clock)
    return;
  req = g_new0 (PaintRequest, 1);
  req->self = g_object_ref (self);
  req->what = g_strdup (what);
  req->screenshot = screenshot;
  req->handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), req);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Once screen name is painted: its screenshot (--screenshots) and its
 * "painted:" timing mark. */
static void
note_painted (KioskWindow *self, const char *name)
{
  if (self->screenshot_dir)
    after_next_paint (self, name, TRUE);
  if (kiosk_timing_enabled ())
    {
      g_autofree char *mark = g_strconcat ("painted:", name, NULL);
      after_next_paint (self, mark, FALSE);
    }
}

/* ---- small helpers ---- */

static void
show_page (KioskWindow *self, GtkWidget *page, const char *name)
{
  /* Pages sit in a scroller (add_page, and card-wait in the template). Only
   * the screen shown is visible: the others are then not presented to
   * assistive technologies either (GTK presents hidden stack pages that
   * are merely not mapped). */
  GtkWidget *child = page;
  while (child && gtk_widget_get_parent (child) != GTK_WIDGET (self->stack))
    child = gtk_widget_get_parent (child);
  if (!child)
    child = page;
  gtk_widget_set_visible (child, TRUE);
  gtk_stack_set_visible_child (self->stack, child);
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self->stack)); c;
       c = gtk_widget_get_next_sibling (c))
    if (c != child)
      gtk_widget_set_visible (c, FALSE);
  /* The screen's name is the window's accessible description, so that an
   * assistive tool (and the end-to-end tests) can tell where the flow is. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  name, -1);
  note_painted (self, name);
}

static void
show_message (KioskWindow *self, const char *title, const char *advice,
              const char * const *details, const char *button)
{
  kiosk_message_page_show (self->message, title, advice, details, button);
}

static void
show_error_message (KioskWindow *self, const GError *error, const char *button)
{
  KioskErrorText t = kiosk_error_describe (error);
  g_autofree char *line = kiosk_error_log_line (error);

  g_message ("%s", line);
  show_message (self, t.title, t.advice, NULL, button);
}

static void
update_guides (KioskWindow *self)
{
  KioskReaderKind kind = kiosk_card_monitor_get_reader_kind (self->monitor);
  gboolean service = kiosk_card_monitor_get_service_available (self->monitor);
  KioskGuideState state = KIOSK_GUIDE_PLACE;
  KioskCardGuide *guides[] = { kiosk_attract_page_get_guide (self->attract), self->wait_guide };

  if (!service || kind == KIOSK_READER_NONE)
    state = KIOSK_GUIDE_NO_READER;
  else if (kiosk_card_monitor_get_card_present (self->monitor)
           && !kiosk_flow_has_card (self->flow))
    state = KIOSK_GUIDE_REMOVE;
  for (guint i = 0; i < G_N_ELEMENTS (guides); i++)
    {
      if (kind != KIOSK_READER_NONE)
        kiosk_card_guide_set_reader_kind (guides[i], kind);
      /* Keep the placement help up until the card is taken away. */
      if (!(kiosk_card_guide_get_state (guides[i]) == KIOSK_GUIDE_HELP && state == KIOSK_GUIDE_REMOVE))
        kiosk_card_guide_set_state (guides[i], state);
    }
}

/* ---- session operations ---- */

static void
on_begin_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  KioskWindow *self;
  int tries = -1;

  if (!kiosk_session_begin_finish (KIOSK_SESSION (source), res, &tries, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOSK_WINDOW (user_data);
  if (error)
    {
      const mp_problem *p = mp_error_get_problem (error);
      int rv = p ? p->card_rv : 0;
      g_autofree char *line = kiosk_error_log_line (error);

      g_message ("card not read: %s", line);
      if (rv == MYNA_E_CARD_REMOVED || rv == MYNA_E_NO_CARD)
        {
          /* Taken away while being read: the removal event ends it. */
          return;
        }
      if (rv == MYNA_E_NOT_MYNUMBER_CARD || rv == MYNA_E_PIN_BLOCKED || rv == MYNA_E_NO_SERVICE
          || rv == MYNA_E_READER_BUSY)
        show_error_message (self, error, _("OK"));
      else
        {
          /* Most failures to read are placement: say how to place it. */
          kiosk_card_guide_set_state (kiosk_attract_page_get_guide (self->attract), KIOSK_GUIDE_HELP);
          kiosk_card_guide_set_state (self->wait_guide, KIOSK_GUIDE_HELP);
          show_message (self, _("The card could not be read"),
                        _("Take the card out and place it again as the picture shows."), NULL, _("OK"));
        }
      dispatch (self, KIOSK_EVENT_CARD_FAILED);
      return;
    }
  if (tries == 0)
    {
      show_message (self, _("The PIN is locked"),
                    _("The PIN was entered wrongly too many times. It can be reset at the municipal office's My Number Card counter; bring the card and an identity document."),
                    NULL, _("OK"));
      dispatch (self, KIOSK_EVENT_CARD_BLOCKED);
      return;
    }
  kiosk_pin_page_reset (self->pin, tries);
  dispatch (self, KIOSK_EVENT_CARD_READ);
}

static void
on_login_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  KioskWindow *self;
  int tries = -1;

  if (!kiosk_session_login_finish (KIOSK_SESSION (source), res, &tries, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOSK_WINDOW (user_data);
  if (!error)
    {
      kiosk_timing_mark ("login-done");
      dispatch (self, KIOSK_EVENT_LOGIN_OK);
      return;
    }
  {
    const mp_problem *p = mp_error_get_problem (error);
    int rv = p ? p->card_rv : 0;
    KioskErrorText t = kiosk_error_describe (error);

    if ((rv == MYNA_E_WRONG_PIN && tries > 0) || rv == MYNA_E_PIN_FORMAT)
      {
        kiosk_pin_page_reset (self->pin, tries);
        kiosk_pin_page_set_error (self->pin, t.title);
        dispatch (self, KIOSK_EVENT_LOGIN_WRONG_PIN);
        return;
      }
    if (rv == MYNA_E_CARD_REMOVED)
      return;
    show_error_message (self, error, _("OK"));
    dispatch (self, KIOSK_EVENT_LOGIN_FAILED);
  }
}

static void
on_pin_entered (KioskWindow *self, gpointer secret)
{
  kiosk_timing_mark ("pin-entered");
  dispatch (self, KIOSK_EVENT_PIN_ENTERED);
  kiosk_session_login_async (self->session, secret, self->cancellable, on_login_done, self);
}

static void
on_sign_tries_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  int tries = kiosk_session_sign_tries_finish (KIOSK_SESSION (source), res, &error);
  KioskWindow *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOSK_WINDOW (user_data);
  if (error)
    {
      show_error_message (self, error, _("Back"));
      dispatch (self, KIOSK_EVENT_SUBMIT_FAILED);
      return;
    }
  if (tries == 0)
    {
      show_message (self, _("The signature password is locked"),
                    _("It was entered wrongly too many times. It can be reset at the municipal office's My Number Card counter."),
                    NULL, _("Back"));
      dispatch (self, KIOSK_EVENT_SUBMIT_FAILED);
      return;
    }
  kiosk_pin_page_reset (self->password, tries);
}

static const char *
procedure_title (KioskWindow *self)
{
  JsonNode *def = kiosk_procedure_page_get_definition (self->procedure);
  if (def && JSON_NODE_HOLDS_OBJECT (def))
    return json_object_get_string_member_with_default (json_node_get_object (def), "title", "");
  return "";
}

static void
on_submit_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (mp_outbox_entry) entry = NULL;
  KioskSubmitState state = KIOSK_SUBMIT_PENDING;
  KioskWindow *self;
  int tries = -1;

  if (!kiosk_session_submit_finish (KIOSK_SESSION (source), res, &state, &entry, &tries, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOSK_WINDOW (user_data);
  if (error)
    {
      const mp_problem *p = mp_error_get_problem (error);
      int rv = p ? p->card_rv : 0;

      if ((rv == MYNA_E_WRONG_PIN && tries > 0) || rv == MYNA_E_PIN_FORMAT)
        {
          kiosk_pin_page_reset (self->password, tries);
          kiosk_pin_page_set_error (self->password, kiosk_error_describe (error).title);
          dispatch (self, KIOSK_EVENT_SUBMIT_WRONG_PASSWORD);
          return;
        }
      if (rv == MYNA_E_CARD_REMOVED)
        return;
      if (g_error_matches (error, MP_ERROR, MP_ERROR_REJECTED) && p && p->report->len > 0)
        {
          g_autoptr (GPtrArray) items = g_ptr_array_new ();
          g_autoptr (GPtrArray) contents = g_ptr_array_new ();
          for (guint i = 0; i < p->report->len; i++)
            {
              const mp_report_item *it = g_ptr_array_index (p->report, i);
              g_ptr_array_add (items, it->item);
              g_ptr_array_add (contents, it->content);
            }
          g_ptr_array_add (items, NULL);
          g_ptr_array_add (contents, NULL);
          kiosk_form_page_show_report (self->form, (const char * const *) items->pdata,
                                       (const char * const *) contents->pdata);
          dispatch (self, KIOSK_EVENT_SUBMIT_REJECTED);
          return;
        }
      show_error_message (self, error, _("Back"));
      dispatch (self, KIOSK_EVENT_SUBMIT_FAILED);
      return;
    }
  if (state == KIOSK_SUBMIT_REJECTED)
    {
      show_message (self, _("The application was not accepted"),
                    _("マイナポータル refused the application after it was sent. Please ask a member of staff; nothing more needs to be done at this terminal."),
                    NULL, _("Back"));
      dispatch (self, KIOSK_EVENT_SUBMIT_FAILED);
      return;
    }
  kiosk_receipt_page_show (self->receipt, entry, procedure_title (self));
  dispatch (self, KIOSK_EVENT_SUBMITTED);
}

static void
on_password_entered (KioskWindow *self, gpointer secret)
{
  g_autoptr (GError) error = NULL;
  mp_package_builder *builder = kiosk_form_page_build_package (self->form, &error);

  if (!builder)
    {
      myna_secret_free (secret);
      show_error_message (self, error, _("Back"));
      dispatch (self, KIOSK_EVENT_PASSWORD_ENTERED);
      dispatch (self, KIOSK_EVENT_SUBMIT_FAILED);
      return;
    }
  dispatch (self, KIOSK_EVENT_PASSWORD_ENTERED);
  kiosk_session_submit_async (self->session, builder, secret, NULL, self->cancellable,
                              on_submit_done, self);
}

static void
on_staff_entered (KioskWindow *self, gpointer secret)
{
  gboolean ok = kiosk_config_check_staff_pin (self->config, secret);

  myna_secret_free (secret);
  if (!ok)
    {
      kiosk_pin_page_reset (self->staff_pin, -1);
      kiosk_pin_page_set_error (self->staff_pin, _("This is not the staff PIN."));
      return;
    }
  dispatch (self, KIOSK_EVENT_STAFF_OK);
}

/* ---- the flow ---- */

static void
enter_state (KioskWindow *self, KioskState from, KioskState state)
{
  gboolean in_session = state != KIOSK_STATE_ATTRACT && state != KIOSK_STATE_STAFF_PIN
                        && state != KIOSK_STATE_ADMIN;
  const char *name = kiosk_state_name (state);

  gtk_widget_set_visible (self->end_button, in_session);
  kiosk_idle_set_enabled (self->idle, state != KIOSK_STATE_ATTRACT);
  gtk_widget_set_visible (GTK_WIDGET (self->keyboard_revealer), FALSE);
  kiosk_watchdog_status (name);

  switch (state)
    {
    case KIOSK_STATE_ATTRACT:
      update_guides (self);
      show_page (self, GTK_WIDGET (self->attract), name);
      break;
    case KIOSK_STATE_SEARCH:
      if (from != KIOSK_STATE_PROCEDURE)
        kiosk_search_page_reset (self->search, self->config->portal->city_code);
      show_page (self, GTK_WIDGET (self->search), name);
      break;
    case KIOSK_STATE_PROCEDURE:
      if (from == KIOSK_STATE_SEARCH)
        kiosk_procedure_page_load (self->procedure, self->proc_id);
      show_page (self, GTK_WIDGET (self->procedure), name);
      break;
    case KIOSK_STATE_CARD_WAIT:
      update_guides (self);
      show_page (self, gtk_stack_get_child_by_name (self->stack, "card-wait"), name);
      break;
    case KIOSK_STATE_CARD_READING:
      kiosk_message_page_show_busy (self->busy, _("Reading the card…"));
      show_page (self, GTK_WIDGET (self->busy), name);
      kiosk_session_begin_async (self->session, self->cancellable, on_begin_done, self);
      break;
    case KIOSK_STATE_PIN:
      show_page (self, GTK_WIDGET (self->pin), name);
      break;
    case KIOSK_STATE_LOGGING_IN:
      kiosk_message_page_show_busy (self->busy, _("Logging in to マイナポータル…"));
      show_page (self, GTK_WIDGET (self->busy), name);
      break;
    case KIOSK_STATE_HOME:
      if (from != KIOSK_STATE_SEARCH && from != KIOSK_STATE_PROCEDURE)
        kiosk_home_page_load (self->home);
      show_page (self, GTK_WIDGET (self->home), name);
      break;
    case KIOSK_STATE_FORM:
      if (from == KIOSK_STATE_PROCEDURE || from == KIOSK_STATE_LOGGING_IN)
        {
          JsonNode *def = kiosk_procedure_page_get_definition (self->procedure);
          kiosk_form_page_set_procedure (self->form, def);
        }
      show_page (self, GTK_WIDGET (self->form), name);
      break;
    case KIOSK_STATE_REVIEW:
      kiosk_review_page_show (self->review, self->form);
      show_page (self, GTK_WIDGET (self->review), name);
      break;
    case KIOSK_STATE_PASSWORD:
      if (from == KIOSK_STATE_REVIEW)
        {
          kiosk_pin_page_reset (self->password, -1);
          kiosk_session_sign_tries_async (self->session, self->cancellable, on_sign_tries_done, self);
        }
      show_page (self, GTK_WIDGET (self->password), name);
      break;
    case KIOSK_STATE_SUBMITTING:
      kiosk_message_page_show_busy (self->busy, _("Signing and sending the application…"));
      show_page (self, GTK_WIDGET (self->busy), name);
      break;
    case KIOSK_STATE_RECEIPT:
      show_page (self, GTK_WIDGET (self->receipt), name);
      break;
    case KIOSK_STATE_MESSAGE:
      show_page (self, GTK_WIDGET (self->message), name);
      break;
    case KIOSK_STATE_STAFF_PIN:
      kiosk_pin_page_reset (self->staff_pin, -1);
      show_page (self, GTK_WIDGET (self->staff_pin), name);
      break;
    case KIOSK_STATE_ADMIN:
      kiosk_admin_page_refresh (self->admin);
      show_page (self, GTK_WIDGET (self->admin), name);
      break;
    case KIOSK_N_STATES:
    default:
      break;
    }
}

/* The session is over: end it at the card and the portal now, then make way
 * for a fresh window (in the default language) on the next main-loop turn. */
static void
end_session (KioskWindow *self, const char *notice)
{
  g_cancellable_cancel (self->cancellable);
  kiosk_session_end (self->session);
  kiosk_form_page_clear (self->form);
  kiosk_review_page_clear (self->review);
  kiosk_home_page_clear (self->home);
  kiosk_search_page_clear (self->search);
  kiosk_procedure_page_clear (self->procedure);
  kiosk_receipt_page_clear (self->receipt);
  kiosk_pin_page_clear (self->pin);
  kiosk_pin_page_clear (self->password);
  kiosk_message_page_clear (self->message);
  kiosk_timing_mark ("session-ended");
  if (!self->replacing)
    {
      self->replacing = TRUE;
      g_signal_emit (self, signals[REPLACE_REQUESTED], 0, NULL, notice);
    }
}

static void
dispatch (KioskWindow *self, KioskEvent event)
{
  KioskState from = kiosk_flow_get_state (self->flow);
  gboolean changed = FALSE;
  KioskState to;

  if (self->replacing)
    return;
  to = kiosk_flow_handle (self->flow, event, &changed);
  g_debug ("%s: %s -> %s", kiosk_event_name (event), kiosk_state_name (from), kiosk_state_name (to));
  if (kiosk_flow_take_wipe (self->flow))
    {
      /* Untranslated: the next window shows it in its own language. */
      const char *notice = NULL;
      if (event == KIOSK_EVENT_IDLE_TIMEOUT)
        notice = N_("The session ended because the screen was not touched for a while. Nothing was kept on this terminal.");
      else if (event == KIOSK_EVENT_CARD_REMOVED)
        notice = N_("The card was taken out, so the session ended. Nothing was kept on this terminal.");
      else if (event == KIOSK_EVENT_END)
        notice = N_("Thank you. Everything you entered has been cleared from this terminal.");
      end_session (self, notice);
      return;
    }
  if (changed)
    enter_state (self, from, to);
}

/* ---- card events ---- */

static void
on_card_inserted (KioskWindow *self)
{
  kiosk_timing_mark ("card-inserted");
  update_guides (self);
  dispatch (self, KIOSK_EVENT_CARD_INSERTED);
}

static void
on_card_removed (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_CARD_REMOVED);
  if (!self->replacing)
    {
      KioskCardGuide *g = kiosk_attract_page_get_guide (self->attract);
      if (kiosk_card_guide_get_state (g) == KIOSK_GUIDE_HELP)
        kiosk_card_guide_set_state (g, KIOSK_GUIDE_PLACE);
      update_guides (self);
    }
}

static void
on_monitor_notify (KioskWindow *self)
{
  if (!self->replacing)
    update_guides (self);
  if (self->demo)
    {
      gboolean present = kiosk_card_monitor_get_card_present (self->monitor);
      g_signal_handlers_block_matched (self->demo_card_toggle, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
      gtk_toggle_button_set_active (self->demo_card_toggle, present);
      gtk_button_set_label (GTK_BUTTON (self->demo_card_toggle),
                            present ? _("Take out the demo card") : _("Insert the demo card"));
      g_signal_handlers_unblock_matched (self->demo_card_toggle, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
    }
}

/* ---- template callbacks ---- */

static void
on_end_clicked (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_END);
}

static void
on_back_clicked (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_BACK);
}

static void
on_demo_card_toggled (KioskWindow *self)
{
  kiosk_card_monitor_set_vcard_present (self->monitor,
                                        gtk_toggle_button_get_active (self->demo_card_toggle));
}

static void
on_large_text_toggled (KioskWindow *self)
{
  if (gtk_toggle_button_get_active (self->large_text_toggle))
    gtk_widget_add_css_class (GTK_WIDGET (self), "large-text");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "large-text");
}

static void
on_contrast_toggled (KioskWindow *self)
{
  if (gtk_toggle_button_get_active (self->contrast_toggle))
    gtk_widget_add_css_class (GTK_WIDGET (self), "high-contrast");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "high-contrast");
}

static void
on_idle_continue (KioskWindow *self)
{
  kiosk_idle_reset (self->idle);
  gtk_widget_set_visible (self->idle_revealer, FALSE);
}

/* ---- idle ---- */

static void
on_idle_warning (KioskWindow *self, guint seconds_left)
{
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
      "The session will end in %u second and everything will be cleared. Touch the screen to continue.",
      "The session will end in %u seconds and everything will be cleared. Touch the screen to continue.",
      seconds_left), seconds_left);
  gtk_label_set_label (self->idle_label, text);
  gtk_widget_set_visible (self->idle_revealer, TRUE);
}

static void
on_idle_resumed (KioskWindow *self)
{
  gtk_widget_set_visible (self->idle_revealer, FALSE);
}

static void
on_idle_timeout (KioskWindow *self)
{
  gtk_widget_set_visible (self->idle_revealer, FALSE);
  dispatch (self, KIOSK_EVENT_IDLE_TIMEOUT);
}

/* ---- on-screen keyboard for tagged fields ---- */

static void
on_focus_changed (KioskWindow *self)
{
  GtkWidget *w = gtk_root_get_focus (GTK_ROOT (self));
  KioskKeyboardLayout layout = KIOSK_KEYBOARD_NONE;

  /* The focus is on the GtkText inside an entry: look a few levels up for
   * the field that says which keyboard suits it. */
  for (int i = 0; w && i < 4; i++, w = gtk_widget_get_parent (w))
    {
      layout = kiosk_keyboard_tag_get (w);
      if (layout != KIOSK_KEYBOARD_NONE)
        break;
    }
  if (layout == KIOSK_KEYBOARD_NONE || !w || !GTK_IS_EDITABLE (w))
    {
      /* Focus moved to a button of the keyboard itself: keep it up. */
      GtkWidget *f = gtk_root_get_focus (GTK_ROOT (self));
      if (!f || !gtk_widget_is_ancestor (f, GTK_WIDGET (self->keyboard)))
        gtk_widget_set_visible (GTK_WIDGET (self->keyboard_revealer), FALSE);
      return;
    }
  kiosk_keyboard_set_layout (self->keyboard, layout);
  kiosk_keyboard_set_target (self->keyboard, GTK_EDITABLE (w));
  gtk_widget_set_visible (GTK_WIDGET (self->keyboard_revealer), TRUE);
}

static void
on_keyboard_done (KioskWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->keyboard_revealer), FALSE);
  kiosk_keyboard_set_target (self->keyboard, NULL);
}

/* ---- page signals ---- */

static void
on_language_chosen (KioskWindow *self, const char *code)
{
  if (g_strcmp0 (code, kiosk_i18n_get_language ()) == 0 || self->replacing)
    return;
  self->replacing = TRUE;
  g_signal_emit (self, signals[REPLACE_REQUESTED], 0, code, NULL);
}

static void
on_search_requested (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_SEARCH);
}

static void
on_staff_requested (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_STAFF);
}

static void
on_procedure_activated (KioskWindow *self, const char *proc_id)
{
  g_free (self->proc_id);
  self->proc_id = g_strdup (proc_id);
  dispatch (self, KIOSK_EVENT_PROCEDURE_CHOSEN);
}

static void
on_apply_requested (KioskWindow *self)
{
  if (!kiosk_procedure_page_get_definition (self->procedure))
    return;
  dispatch (self, KIOSK_EVENT_APPLY);
}

static void
on_review_requested (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_REVIEW);
}

static void
on_edit_requested (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_EDIT);
}

static void
on_confirmed (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_CONFIRM);
}

static void
on_message_dismissed (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_DISMISS);
}

static void
on_receipt_done (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_END);
}

static void
on_receipt_home (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_HOME);
}

static void
on_page_back (KioskWindow *self)
{
  dispatch (self, KIOSK_EVENT_BACK);
}

static void
on_first_frame (GdkFrameClock *clock, KioskWindow *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_frame, self);
  kiosk_timing_mark ("first-frame");
  kiosk_watchdog_ready ();
}

static void
on_realize (KioskWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
  const char *name = kiosk_state_name (kiosk_flow_get_state (self->flow));

  if (!clock)
    return;
  g_signal_connect_object (clock, "after-paint", G_CALLBACK (on_first_frame), self, 0);
  /* The first screen was chosen before there was a frame clock. */
  note_painted (self, name);
}

/* ---- construction ---- */

/* Every screen scrolls vertically when it does not fit (large text, a long
 * form): a screen never grows the window beyond the display. */
static GtkWidget *
add_page (KioskWindow *self, GtkWidget *page, const char *name)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), page);
  gtk_stack_add_named (self->stack, scroller, name);
  return page;
}

KioskWindow *
kiosk_window_new (GtkApplication *app, const KioskWindowSetup *setup)
{
  KioskWindow *self = g_object_new (KIOSK_TYPE_WINDOW, "application", app, NULL);
  mp_client *client = kiosk_session_get_client (setup->session);

  self->config = setup->config;
  self->session = setup->session;
  self->monitor = setup->monitor;
  self->demo = setup->demo;
  self->screenshot_dir = g_strdup (setup->screenshot_dir);

  self->attract = KIOSK_ATTRACT_PAGE (add_page (self, kiosk_attract_page_new (), "attract"));
  self->search = KIOSK_SEARCH_PAGE (add_page (self, kiosk_search_page_new (), "search"));
  self->procedure = KIOSK_PROCEDURE_PAGE (add_page (self, kiosk_procedure_page_new (), "procedure"));
  self->busy = KIOSK_MESSAGE_PAGE (add_page (self, kiosk_message_page_new (), "busy"));
  self->pin = KIOSK_PIN_PAGE (add_page (self, kiosk_pin_page_new (KIOSK_PIN_AUTH), "pin"));
  self->home = KIOSK_HOME_PAGE (add_page (self, kiosk_home_page_new (), "home"));
  self->form = KIOSK_FORM_PAGE (add_page (self, kiosk_form_page_new (), "form"));
  self->review = KIOSK_REVIEW_PAGE (add_page (self, kiosk_review_page_new (), "review"));
  self->password = KIOSK_PIN_PAGE (add_page (self, kiosk_pin_page_new (KIOSK_PIN_SIGN), "password"));
  self->receipt = KIOSK_RECEIPT_PAGE (add_page (self, kiosk_receipt_page_new (), "receipt"));
  self->message = KIOSK_MESSAGE_PAGE (add_page (self, kiosk_message_page_new (), "message"));
  self->staff_pin = KIOSK_PIN_PAGE (add_page (self, kiosk_pin_page_new (KIOSK_PIN_STAFF), "staff-pin"));
  self->admin = KIOSK_ADMIN_PAGE (add_page (self, kiosk_admin_page_new (), "admin"));
  self->keyboard = KIOSK_KEYBOARD (kiosk_keyboard_new (KIOSK_KEYBOARD_LATIN));
  gtk_box_append (self->keyboard_revealer, GTK_WIDGET (self->keyboard));

  kiosk_search_page_set_client (self->search, client);
  kiosk_procedure_page_set_client (self->procedure, client);
  kiosk_home_page_set_client (self->home, client);
  kiosk_form_page_set_attachment_dirs (self->form, (const char * const *) self->config->attachment_dirs);
  kiosk_admin_page_set_context (self->admin, self->config, self->session, self->monitor);

  g_signal_connect_object (self->attract, "language-chosen", G_CALLBACK (on_language_chosen), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->attract, "search-requested", G_CALLBACK (on_search_requested), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->attract, "staff-requested", G_CALLBACK (on_staff_requested), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search, "procedure-activated", G_CALLBACK (on_procedure_activated), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->procedure, "apply-requested", G_CALLBACK (on_apply_requested), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->home, "search-requested", G_CALLBACK (on_search_requested), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pin, "entered", G_CALLBACK (on_pin_entered), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pin, "cancelled", G_CALLBACK (on_page_back), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->form, "review-requested", G_CALLBACK (on_review_requested), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->form, "cancelled", G_CALLBACK (on_page_back), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->review, "edit-requested", G_CALLBACK (on_edit_requested), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->review, "confirmed", G_CALLBACK (on_confirmed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->password, "entered", G_CALLBACK (on_password_entered), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->password, "cancelled", G_CALLBACK (on_page_back), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->receipt, "done", G_CALLBACK (on_receipt_done), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->receipt, "home", G_CALLBACK (on_receipt_home), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->message, "dismissed", G_CALLBACK (on_message_dismissed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->staff_pin, "entered", G_CALLBACK (on_staff_entered), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->staff_pin, "cancelled", G_CALLBACK (on_page_back), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->admin, "close", G_CALLBACK (on_page_back), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->keyboard, "done", G_CALLBACK (on_keyboard_done), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->monitor, "card-inserted", G_CALLBACK (on_card_inserted), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "card-removed", G_CALLBACK (on_card_removed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "notify::reader-kind", G_CALLBACK (on_monitor_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "notify::service-available", G_CALLBACK (on_monitor_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "notify::card-present", G_CALLBACK (on_monitor_notify), self, G_CONNECT_SWAPPED);

  self->idle = kiosk_idle_new (GTK_WINDOW (self), self->config->idle_timeout_s, self->config->idle_warning_s);
  g_signal_connect_object (self->idle, "warning", G_CALLBACK (on_idle_warning), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->idle, "resumed", G_CALLBACK (on_idle_resumed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->idle, "timeout", G_CALLBACK (on_idle_timeout), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::focus-widget", G_CALLBACK (on_focus_changed), NULL);
  g_signal_connect (self, "realize", G_CALLBACK (on_realize), NULL);
  kiosk_lockdown_window (GTK_WINDOW (self));

  kiosk_card_guide_set_placement (kiosk_attract_page_get_guide (self->attract), self->config->placement);
  kiosk_card_guide_set_placement (self->wait_guide, self->config->placement);
  kiosk_attract_page_set_notice (self->attract, setup->notice ? _(setup->notice) : NULL);
  gtk_toggle_button_set_active (self->large_text_toggle, setup->large_text);
  gtk_toggle_button_set_active (self->contrast_toggle, setup->high_contrast);
  gtk_widget_set_visible (self->demo_revealer, self->demo);
  on_monitor_notify (self);
  enter_state (self, KIOSK_STATE_ATTRACT, KIOSK_STATE_ATTRACT);
  /* A card already in the reader when the kiosk (or this window) starts is
   * not a new resident: the guide asks to take it out first. */
  return self;
}

const char *
kiosk_window_get_state_name (KioskWindow *self)
{
  return kiosk_state_name (kiosk_flow_get_state (self->flow));
}

gboolean
kiosk_window_get_high_contrast (KioskWindow *self)
{
  return gtk_toggle_button_get_active (self->contrast_toggle);
}

gboolean
kiosk_window_get_large_text (KioskWindow *self)
{
  return gtk_toggle_button_get_active (self->large_text_toggle);
}

static void
kiosk_window_dispose (GObject *object)
{
  KioskWindow *self = KIOSK_WINDOW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->idle);
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_WINDOW);
  G_OBJECT_CLASS (kiosk_window_parent_class)->dispose (object);
}

static void
kiosk_window_finalize (GObject *object)
{
  KioskWindow *self = KIOSK_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->flow, kiosk_flow_free);
  g_free (self->screenshot_dir);
  g_free (self->proc_id);
  G_OBJECT_CLASS (kiosk_window_parent_class)->finalize (object);
}

static void
kiosk_window_class_init (KioskWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_window_dispose;
  object_class->finalize = kiosk_window_finalize;
  signals[REPLACE_REQUESTED] = g_signal_new ("replace-requested", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  g_type_ensure (KIOSK_TYPE_CARD_GUIDE);
  gtk_widget_class_set_template_from_resource (widget_class, "/jp/mynaterm/kiosk/app/kiosk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, demo_revealer);
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, demo_card_toggle);
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, large_text_toggle);
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, contrast_toggle);
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, end_button);
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, idle_revealer);
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, idle_label);
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, wait_guide);
  gtk_widget_class_bind_template_child (widget_class, KioskWindow, keyboard_revealer);
  gtk_widget_class_bind_template_callback (widget_class, on_end_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_demo_card_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_large_text_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_contrast_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_idle_continue);
}

static void
kiosk_window_init (KioskWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_add_css_class (GTK_WIDGET (self), "kiosk");
  self->flow = kiosk_flow_new ();
  self->cancellable = g_cancellable_new ();
}
