/* kiosk-flow.c - the kiosk's screens as a state machine.
 *
 * Kept apart from the widgets so that every path through the screens can be
 * tested without a display (tests/kiosk/core/test_flow.c), and so that the
 * rule "every way out of a session wipes it" lives in one place. */

#include "kiosk-flow.h"

struct _KioskFlow
{
  KioskState state;
  KioskState after_login;    /* where LOGIN_OK leads */
  KioskState message_return; /* where DISMISS leads */
  gboolean message_ends;     /* DISMISS ends the session */
  gboolean has_card;
  gboolean logged_in;
  gboolean wipe;
};

KioskFlow *
kiosk_flow_new (void)
{
  KioskFlow *f = g_new0 (KioskFlow, 1);
  f->state = KIOSK_STATE_ATTRACT;
  f->after_login = KIOSK_STATE_HOME;
  return f;
}

void
kiosk_flow_free (KioskFlow *flow)
{
  g_free (flow);
}

KioskState
kiosk_flow_get_state (const KioskFlow *flow)
{
  return flow->state;
}

gboolean
kiosk_flow_take_wipe (KioskFlow *flow)
{
  gboolean w = flow->wipe;
  flow->wipe = FALSE;
  return w;
}

gboolean
kiosk_flow_has_card (const KioskFlow *flow)
{
  return flow->has_card;
}

gboolean
kiosk_flow_is_logged_in (const KioskFlow *flow)
{
  return flow->logged_in;
}

KioskState
kiosk_flow_get_after_login (const KioskFlow *flow)
{
  return flow->after_login;
}

static KioskState
end_session (KioskFlow *f)
{
  f->has_card = FALSE;
  f->logged_in = FALSE;
  f->after_login = KIOSK_STATE_HOME;
  f->message_ends = FALSE;
  f->wipe = TRUE;
  return KIOSK_STATE_ATTRACT;
}

static KioskState
message (KioskFlow *f, KioskState back, gboolean ends)
{
  f->message_return = back;
  f->message_ends = ends;
  return KIOSK_STATE_MESSAGE;
}

/* The state after event in f->state, or f->state when it does not apply. */
static KioskState
next (KioskFlow *f, KioskEvent ev)
{
  KioskState s = f->state;
  gboolean staff = s == KIOSK_STATE_STAFF_PIN || s == KIOSK_STATE_ADMIN;

  /* Ways out that apply everywhere. */
  switch (ev)
    {
    case KIOSK_EVENT_END:
    case KIOSK_EVENT_IDLE_TIMEOUT:
      return s == KIOSK_STATE_ATTRACT ? s : end_session (f);
    case KIOSK_EVENT_CARD_REMOVED:
      /* Without a card session, a card taken away changes nothing (a
       * resident browsing, the staff view). */
      if (f->has_card || s == KIOSK_STATE_CARD_READING)
        return end_session (f);
      return s;
    case KIOSK_EVENT_CARD_INSERTED:
      if (staff || f->has_card)
        return s;
      switch (s)
        {
        case KIOSK_STATE_ATTRACT:
          f->after_login = KIOSK_STATE_HOME;
          return KIOSK_STATE_CARD_READING;
        case KIOSK_STATE_SEARCH:
        case KIOSK_STATE_PROCEDURE:
          f->after_login = s;
          return KIOSK_STATE_CARD_READING;
        case KIOSK_STATE_CARD_WAIT:
          f->after_login = KIOSK_STATE_FORM;
          return KIOSK_STATE_CARD_READING;
        default:
          return s;
        }
    default:
      break;
    }

  switch (s)
    {
    case KIOSK_STATE_ATTRACT:
      if (ev == KIOSK_EVENT_SEARCH)
        return KIOSK_STATE_SEARCH;
      if (ev == KIOSK_EVENT_STAFF)
        return KIOSK_STATE_STAFF_PIN;
      break;
    case KIOSK_STATE_SEARCH:
      if (ev == KIOSK_EVENT_PROCEDURE_CHOSEN)
        return KIOSK_STATE_PROCEDURE;
      if (ev == KIOSK_EVENT_BACK || ev == KIOSK_EVENT_HOME)
        return f->logged_in ? KIOSK_STATE_HOME : KIOSK_STATE_ATTRACT;
      break;
    case KIOSK_STATE_PROCEDURE:
      if (ev == KIOSK_EVENT_BACK)
        return KIOSK_STATE_SEARCH;
      if (ev == KIOSK_EVENT_HOME && f->logged_in)
        return KIOSK_STATE_HOME;
      if (ev == KIOSK_EVENT_APPLY)
        {
          if (f->logged_in)
            return KIOSK_STATE_FORM;
          return KIOSK_STATE_CARD_WAIT;
        }
      break;
    case KIOSK_STATE_CARD_WAIT:
      if (ev == KIOSK_EVENT_BACK)
        return KIOSK_STATE_PROCEDURE;
      break;
    case KIOSK_STATE_CARD_READING:
      if (ev == KIOSK_EVENT_CARD_READ)
        {
          f->has_card = TRUE;
          return KIOSK_STATE_PIN;
        }
      if (ev == KIOSK_EVENT_CARD_BLOCKED)
        {
          f->has_card = TRUE;
          return message (f, KIOSK_STATE_ATTRACT, TRUE);
        }
      if (ev == KIOSK_EVENT_CARD_FAILED)
        return message (f, KIOSK_STATE_ATTRACT, TRUE);
      break;
    case KIOSK_STATE_PIN:
      if (ev == KIOSK_EVENT_PIN_ENTERED)
        return KIOSK_STATE_LOGGING_IN;
      if (ev == KIOSK_EVENT_BACK)
        return end_session (f);
      break;
    case KIOSK_STATE_LOGGING_IN:
      if (ev == KIOSK_EVENT_LOGIN_OK)
        {
          f->logged_in = TRUE;
          return f->after_login;
        }
      if (ev == KIOSK_EVENT_LOGIN_WRONG_PIN)
        return KIOSK_STATE_PIN;
      if (ev == KIOSK_EVENT_LOGIN_FAILED)
        return message (f, KIOSK_STATE_ATTRACT, TRUE);
      break;
    case KIOSK_STATE_HOME:
      if (ev == KIOSK_EVENT_SEARCH)
        return KIOSK_STATE_SEARCH;
      break;
    case KIOSK_STATE_FORM:
      if (ev == KIOSK_EVENT_REVIEW)
        return KIOSK_STATE_REVIEW;
      if (ev == KIOSK_EVENT_BACK)
        return KIOSK_STATE_PROCEDURE;
      break;
    case KIOSK_STATE_REVIEW:
      if (ev == KIOSK_EVENT_CONFIRM)
        return KIOSK_STATE_PASSWORD;
      if (ev == KIOSK_EVENT_EDIT || ev == KIOSK_EVENT_BACK)
        return KIOSK_STATE_FORM;
      break;
    case KIOSK_STATE_PASSWORD:
      if (ev == KIOSK_EVENT_PASSWORD_ENTERED)
        return KIOSK_STATE_SUBMITTING;
      if (ev == KIOSK_EVENT_BACK)
        return KIOSK_STATE_REVIEW;
      break;
    case KIOSK_STATE_SUBMITTING:
      if (ev == KIOSK_EVENT_SUBMITTED)
        return KIOSK_STATE_RECEIPT;
      if (ev == KIOSK_EVENT_SUBMIT_WRONG_PASSWORD)
        return KIOSK_STATE_PASSWORD;
      if (ev == KIOSK_EVENT_SUBMIT_REJECTED)
        return KIOSK_STATE_FORM;
      if (ev == KIOSK_EVENT_SUBMIT_FAILED)
        return message (f, KIOSK_STATE_REVIEW, FALSE);
      break;
    case KIOSK_STATE_RECEIPT:
      if (ev == KIOSK_EVENT_HOME)
        return KIOSK_STATE_HOME;
      if (ev == KIOSK_EVENT_SEARCH)
        return KIOSK_STATE_SEARCH;
      break;
    case KIOSK_STATE_MESSAGE:
      if (ev == KIOSK_EVENT_DISMISS)
        return f->message_ends ? end_session (f) : f->message_return;
      break;
    case KIOSK_STATE_STAFF_PIN:
      if (ev == KIOSK_EVENT_STAFF_OK)
        return KIOSK_STATE_ADMIN;
      if (ev == KIOSK_EVENT_BACK)
        return KIOSK_STATE_ATTRACT;
      break;
    case KIOSK_STATE_ADMIN:
      if (ev == KIOSK_EVENT_BACK)
        return KIOSK_STATE_ATTRACT;
      break;
    case KIOSK_N_STATES:
    default:
      break;
    }
  return s;
}

KioskState
kiosk_flow_handle (KioskFlow *flow, KioskEvent event, gboolean *changed)
{
  KioskState before = flow->state;
  gboolean wiped_before = flow->wipe;

  flow->state = next (flow, event);
  if (changed)
    *changed = flow->state != before || (flow->wipe && !wiped_before);
  return flow->state;
}

const char *
kiosk_state_name (KioskState state)
{
  static const char *const names[KIOSK_N_STATES] = {
    "attract", "search", "procedure", "card-wait", "card-reading", "pin", "logging-in",
    "home", "form", "review", "password", "submitting", "receipt", "message",
    "staff-pin", "admin",
  };
  return (guint) state < KIOSK_N_STATES ? names[state] : "?";
}

const char *
kiosk_event_name (KioskEvent event)
{
  static const char *const names[KIOSK_N_EVENTS] = {
    "card-inserted", "card-removed", "end", "idle-timeout", "back", "search",
    "procedure-chosen", "apply", "card-read", "card-blocked", "card-failed",
    "pin-entered", "login-ok", "login-wrong-pin", "login-failed", "home", "review",
    "edit", "confirm", "password-entered", "submitted", "submit-wrong-password",
    "submit-rejected", "submit-failed", "dismiss", "staff", "staff-ok",
  };
  return (guint) event < KIOSK_N_EVENTS ? names[event] : "?";
}
