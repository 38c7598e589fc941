/* kiosk-flow.h - which screen comes next: the kiosk's state machine.
 *
 * Pure logic, no GTK: the window feeds it events (a card placed, a button
 * pressed, an operation finished) and shows the screen of the state it
 * returns. Every path that ends the resident's session (card removed, 終了,
 * idle time-out, a PIN that is blocked) leads to KIOSK_STATE_ATTRACT with
 * kiosk_flow_take_wipe() TRUE, so the window wipes exactly once.
 *
 * Searching needs no card. Applying does: from a procedure, APPLY goes to
 * the PIN (card already there), to CARD_WAIT (no card yet) or straight to
 * the form (logged in). After login the flow returns to what the resident
 * was doing (the home screen, the search, the form).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  KIOSK_STATE_ATTRACT,       /* waiting: language, services, where to place the card */
  KIOSK_STATE_SEARCH,        /* ぴったりサービス search, no card needed */
  KIOSK_STATE_PROCEDURE,     /* one procedure's detail */
  KIOSK_STATE_CARD_WAIT,     /* applying needs the card: "place your card" */
  KIOSK_STATE_CARD_READING,  /* card placed: reading the tries left */
  KIOSK_STATE_PIN,           /* the PIN pad */
  KIOSK_STATE_LOGGING_IN,
  KIOSK_STATE_HOME,          /* logged in: notices, applications, information, records */
  KIOSK_STATE_FORM,
  KIOSK_STATE_REVIEW,
  KIOSK_STATE_PASSWORD,      /* the signature password */
  KIOSK_STATE_SUBMITTING,
  KIOSK_STATE_RECEIPT,
  KIOSK_STATE_MESSAGE,       /* something to read and acknowledge (mostly errors) */
  KIOSK_STATE_STAFF_PIN,
  KIOSK_STATE_ADMIN,
  KIOSK_N_STATES
} KioskState;

typedef enum {
  KIOSK_EVENT_CARD_INSERTED,
  KIOSK_EVENT_CARD_REMOVED,
  KIOSK_EVENT_END,              /* 終了 pressed */
  KIOSK_EVENT_IDLE_TIMEOUT,
  KIOSK_EVENT_BACK,
  KIOSK_EVENT_SEARCH,           /* open ぴったりサービス */
  KIOSK_EVENT_PROCEDURE_CHOSEN,
  KIOSK_EVENT_APPLY,            /* apply for the procedure shown */
  KIOSK_EVENT_CARD_READ,        /* tries left read, the PIN can be asked */
  KIOSK_EVENT_CARD_BLOCKED,     /* tries left 0: nothing can be done here */
  KIOSK_EVENT_CARD_FAILED,      /* the card could not be read */
  KIOSK_EVENT_PIN_ENTERED,
  KIOSK_EVENT_LOGIN_OK,
  KIOSK_EVENT_LOGIN_WRONG_PIN,  /* tries remain: ask again */
  KIOSK_EVENT_LOGIN_FAILED,     /* anything else: explain */
  KIOSK_EVENT_HOME,             /* back to the logged-in menu */
  KIOSK_EVENT_REVIEW,
  KIOSK_EVENT_EDIT,
  KIOSK_EVENT_CONFIRM,          /* sign and send */
  KIOSK_EVENT_PASSWORD_ENTERED,
  KIOSK_EVENT_SUBMITTED,        /* delivered or kept in the outbox: the receipt */
  KIOSK_EVENT_SUBMIT_WRONG_PASSWORD,
  KIOSK_EVENT_SUBMIT_REJECTED,  /* the portal refused the form: back to it, marked */
  KIOSK_EVENT_SUBMIT_FAILED,    /* explain, then back to the review */
  KIOSK_EVENT_DISMISS,          /* the message was read */
  KIOSK_EVENT_STAFF,            /* the hidden staff corner */
  KIOSK_EVENT_STAFF_OK,
  KIOSK_N_EVENTS
} KioskEvent;

typedef struct _KioskFlow KioskFlow;

KioskFlow *kiosk_flow_new (void);
void kiosk_flow_free (KioskFlow *flow);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KioskFlow, kiosk_flow_free)

KioskState kiosk_flow_get_state (const KioskFlow *flow);
/* Feed an event; returns the new state. An event that means nothing in the
 * current state leaves it unchanged (and *changed, if given, FALSE). */
KioskState kiosk_flow_handle (KioskFlow *flow, KioskEvent event, gboolean *changed);

/* Whether the last transitions ended the resident's session; reading it
 * clears it. */
gboolean kiosk_flow_take_wipe (KioskFlow *flow);
/* A card session is open (set on CARD_READ, cleared on wipe). */
gboolean kiosk_flow_has_card (const KioskFlow *flow);
gboolean kiosk_flow_is_logged_in (const KioskFlow *flow);
/* Where the resident goes once logged in. */
KioskState kiosk_flow_get_after_login (const KioskFlow *flow);

const char *kiosk_state_name (KioskState state);   /* "attract", "pin", ... */
const char *kiosk_event_name (KioskEvent event);   /* "card-inserted", ... */

G_END_DECLS
