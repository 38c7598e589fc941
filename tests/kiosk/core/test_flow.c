/* test_flow.c - the kiosk's screens as a state machine (kiosk-flow.h). */

#include <glib.h>

#include "kiosk-flow.h"

/* Feed events; check the state after each. */
static void
walk (KioskFlow *f, const KioskEvent *events, const KioskState *states, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      KioskState s = kiosk_flow_handle (f, events[i], NULL);
      if (s != states[i])
        g_error ("step %u (%s): %s, expected %s", i, kiosk_event_name (events[i]),
                 kiosk_state_name (s), kiosk_state_name (states[i]));
    }
}

static void
test_login_then_apply (void)
{
  g_autoptr (KioskFlow) f = kiosk_flow_new ();
  const KioskEvent ev[] = {
    KIOSK_EVENT_CARD_INSERTED, KIOSK_EVENT_CARD_READ, KIOSK_EVENT_PIN_ENTERED,
    KIOSK_EVENT_LOGIN_OK, KIOSK_EVENT_SEARCH, KIOSK_EVENT_PROCEDURE_CHOSEN, KIOSK_EVENT_APPLY,
    KIOSK_EVENT_REVIEW, KIOSK_EVENT_CONFIRM, KIOSK_EVENT_PASSWORD_ENTERED,
    KIOSK_EVENT_SUBMITTED, KIOSK_EVENT_HOME,
  };
  const KioskState st[] = {
    KIOSK_STATE_CARD_READING, KIOSK_STATE_PIN, KIOSK_STATE_LOGGING_IN, KIOSK_STATE_HOME,
    KIOSK_STATE_SEARCH, KIOSK_STATE_PROCEDURE, KIOSK_STATE_FORM, KIOSK_STATE_REVIEW,
    KIOSK_STATE_PASSWORD, KIOSK_STATE_SUBMITTING, KIOSK_STATE_RECEIPT, KIOSK_STATE_HOME,
  };
  walk (f, ev, st, G_N_ELEMENTS (ev));
  g_assert_true (kiosk_flow_is_logged_in (f));
  g_assert_true (kiosk_flow_has_card (f));
  g_assert_false (kiosk_flow_take_wipe (f));
}

static void
test_search_without_card_then_apply_asks_for_card (void)
{
  g_autoptr (KioskFlow) f = kiosk_flow_new ();
  const KioskEvent ev[] = {
    KIOSK_EVENT_SEARCH, KIOSK_EVENT_PROCEDURE_CHOSEN, KIOSK_EVENT_APPLY,
    KIOSK_EVENT_BACK, KIOSK_EVENT_APPLY, KIOSK_EVENT_CARD_INSERTED, KIOSK_EVENT_CARD_READ,
    KIOSK_EVENT_PIN_ENTERED, KIOSK_EVENT_LOGIN_OK,
  };
  const KioskState st[] = {
    KIOSK_STATE_SEARCH, KIOSK_STATE_PROCEDURE, KIOSK_STATE_CARD_WAIT,
    KIOSK_STATE_PROCEDURE, KIOSK_STATE_CARD_WAIT, KIOSK_STATE_CARD_READING, KIOSK_STATE_PIN,
    KIOSK_STATE_LOGGING_IN, KIOSK_STATE_FORM,
  };
  walk (f, ev, st, G_N_ELEMENTS (ev));
  g_assert_cmpint (kiosk_flow_get_after_login (f), ==, KIOSK_STATE_FORM);
}

static void
test_card_placed_while_browsing_returns_there (void)
{
  g_autoptr (KioskFlow) f = kiosk_flow_new ();
  const KioskEvent ev[] = {
    KIOSK_EVENT_SEARCH, KIOSK_EVENT_CARD_INSERTED, KIOSK_EVENT_CARD_READ,
    KIOSK_EVENT_PIN_ENTERED, KIOSK_EVENT_LOGIN_OK,
  };
  const KioskState st[] = {
    KIOSK_STATE_SEARCH, KIOSK_STATE_CARD_READING, KIOSK_STATE_PIN,
    KIOSK_STATE_LOGGING_IN, KIOSK_STATE_SEARCH,
  };
  walk (f, ev, st, G_N_ELEMENTS (ev));
}

static void
test_wrong_pin_asks_again_without_ending (void)
{
  g_autoptr (KioskFlow) f = kiosk_flow_new ();
  const KioskEvent ev[] = {
    KIOSK_EVENT_CARD_INSERTED, KIOSK_EVENT_CARD_READ, KIOSK_EVENT_PIN_ENTERED,
    KIOSK_EVENT_LOGIN_WRONG_PIN, KIOSK_EVENT_PIN_ENTERED, KIOSK_EVENT_LOGIN_FAILED,
  };
  const KioskState st[] = {
    KIOSK_STATE_CARD_READING, KIOSK_STATE_PIN, KIOSK_STATE_LOGGING_IN,
    KIOSK_STATE_PIN, KIOSK_STATE_LOGGING_IN, KIOSK_STATE_MESSAGE,
  };
  walk (f, ev, st, G_N_ELEMENTS (ev));
  g_assert_false (kiosk_flow_take_wipe (f));
  /* A failed login's message ends the session once read. */
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_DISMISS, NULL), ==, KIOSK_STATE_ATTRACT);
  g_assert_true (kiosk_flow_take_wipe (f));
  g_assert_false (kiosk_flow_take_wipe (f));
  g_assert_false (kiosk_flow_has_card (f));
}

static void
test_blocked_pin_explains_then_ends (void)
{
  g_autoptr (KioskFlow) f = kiosk_flow_new ();
  kiosk_flow_handle (f, KIOSK_EVENT_CARD_INSERTED, NULL);
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_CARD_BLOCKED, NULL), ==, KIOSK_STATE_MESSAGE);
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_DISMISS, NULL), ==, KIOSK_STATE_ATTRACT);
  g_assert_true (kiosk_flow_take_wipe (f));
}

/* Every state a resident can be in ends the session on card removal (with a
 * card session), 終了 and the idle time-out, and asks for a wipe. */
static void
test_every_way_out_wipes (void)
{
  const KioskEvent outs[] = { KIOSK_EVENT_CARD_REMOVED, KIOSK_EVENT_END, KIOSK_EVENT_IDLE_TIMEOUT };
  const KioskEvent to_form[] = {
    KIOSK_EVENT_CARD_INSERTED, KIOSK_EVENT_CARD_READ, KIOSK_EVENT_PIN_ENTERED,
    KIOSK_EVENT_LOGIN_OK, KIOSK_EVENT_SEARCH, KIOSK_EVENT_PROCEDURE_CHOSEN, KIOSK_EVENT_APPLY,
    KIOSK_EVENT_REVIEW, KIOSK_EVENT_CONFIRM, KIOSK_EVENT_PASSWORD_ENTERED, KIOSK_EVENT_SUBMITTED,
  };
  for (guint o = 0; o < G_N_ELEMENTS (outs); o++)
    for (guint depth = 1; depth <= G_N_ELEMENTS (to_form); depth++)
      {
        g_autoptr (KioskFlow) f = kiosk_flow_new ();
        for (guint i = 0; i < depth; i++)
          kiosk_flow_handle (f, to_form[i], NULL);
        g_assert_cmpint (kiosk_flow_get_state (f), !=, KIOSK_STATE_ATTRACT);
        g_assert_cmpint (kiosk_flow_handle (f, outs[o], NULL), ==, KIOSK_STATE_ATTRACT);
        g_assert_true (kiosk_flow_take_wipe (f));
        g_assert_false (kiosk_flow_is_logged_in (f));
        g_assert_false (kiosk_flow_has_card (f));
      }
}

static void
test_card_removed_while_browsing_without_card_changes_nothing (void)
{
  g_autoptr (KioskFlow) f = kiosk_flow_new ();
  gboolean changed = TRUE;
  kiosk_flow_handle (f, KIOSK_EVENT_SEARCH, NULL);
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_CARD_REMOVED, &changed), ==, KIOSK_STATE_SEARCH);
  g_assert_false (changed);
  g_assert_false (kiosk_flow_take_wipe (f));
  /* 終了 still clears the search. */
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_END, &changed), ==, KIOSK_STATE_ATTRACT);
  g_assert_true (changed);
  g_assert_true (kiosk_flow_take_wipe (f));
}

static void
test_submit_outcomes (void)
{
  g_autoptr (KioskFlow) f = kiosk_flow_new ();
  const KioskEvent ev[] = {
    KIOSK_EVENT_CARD_INSERTED, KIOSK_EVENT_CARD_READ, KIOSK_EVENT_PIN_ENTERED,
    KIOSK_EVENT_LOGIN_OK, KIOSK_EVENT_SEARCH, KIOSK_EVENT_PROCEDURE_CHOSEN, KIOSK_EVENT_APPLY,
    KIOSK_EVENT_REVIEW, KIOSK_EVENT_CONFIRM, KIOSK_EVENT_PASSWORD_ENTERED,
    KIOSK_EVENT_SUBMIT_WRONG_PASSWORD, KIOSK_EVENT_PASSWORD_ENTERED, KIOSK_EVENT_SUBMIT_REJECTED,
    KIOSK_EVENT_REVIEW, KIOSK_EVENT_CONFIRM, KIOSK_EVENT_PASSWORD_ENTERED,
    KIOSK_EVENT_SUBMIT_FAILED, KIOSK_EVENT_DISMISS,
  };
  const KioskState st[] = {
    KIOSK_STATE_CARD_READING, KIOSK_STATE_PIN, KIOSK_STATE_LOGGING_IN, KIOSK_STATE_HOME,
    KIOSK_STATE_SEARCH, KIOSK_STATE_PROCEDURE, KIOSK_STATE_FORM, KIOSK_STATE_REVIEW,
    KIOSK_STATE_PASSWORD, KIOSK_STATE_SUBMITTING, KIOSK_STATE_PASSWORD, KIOSK_STATE_SUBMITTING,
    KIOSK_STATE_FORM, KIOSK_STATE_REVIEW, KIOSK_STATE_PASSWORD, KIOSK_STATE_SUBMITTING,
    KIOSK_STATE_MESSAGE, KIOSK_STATE_REVIEW,
  };
  walk (f, ev, st, G_N_ELEMENTS (ev));
  g_assert_true (kiosk_flow_is_logged_in (f));
}

static void
test_staff_view_ignores_cards (void)
{
  g_autoptr (KioskFlow) f = kiosk_flow_new ();
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_STAFF, NULL), ==, KIOSK_STATE_STAFF_PIN);
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_CARD_INSERTED, NULL), ==, KIOSK_STATE_STAFF_PIN);
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_STAFF_OK, NULL), ==, KIOSK_STATE_ADMIN);
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_CARD_REMOVED, NULL), ==, KIOSK_STATE_ADMIN);
  g_assert_cmpint (kiosk_flow_handle (f, KIOSK_EVENT_BACK, NULL), ==, KIOSK_STATE_ATTRACT);
}

static void
test_events_that_do_not_apply_change_nothing (void)
{
  for (int e = 0; e < KIOSK_N_EVENTS; e++)
    {
      g_autoptr (KioskFlow) f = kiosk_flow_new ();
      gboolean changed = TRUE;
      KioskState s = kiosk_flow_handle (f, (KioskEvent) e, &changed);
      gboolean expected = e == KIOSK_EVENT_CARD_INSERTED || e == KIOSK_EVENT_SEARCH
                          || e == KIOSK_EVENT_STAFF;
      g_assert_cmpint (changed, ==, expected);
      g_assert_cmpint (s == KIOSK_STATE_ATTRACT, ==, !expected);
      g_assert_false (kiosk_flow_take_wipe (f));
    }
  for (int s = 0; s < KIOSK_N_STATES; s++)
    g_assert_cmpstr (kiosk_state_name ((KioskState) s), !=, "?");
  for (int e = 0; e < KIOSK_N_EVENTS; e++)
    g_assert_cmpstr (kiosk_event_name ((KioskEvent) e), !=, "?");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flow/login-then-apply", test_login_then_apply);
  g_test_add_func ("/flow/search-without-card-then-apply-asks-for-card", test_search_without_card_then_apply_asks_for_card);
  g_test_add_func ("/flow/card-placed-while-browsing-returns-there", test_card_placed_while_browsing_returns_there);
  g_test_add_func ("/flow/wrong-pin-asks-again", test_wrong_pin_asks_again_without_ending);
  g_test_add_func ("/flow/blocked-pin-explains-then-ends", test_blocked_pin_explains_then_ends);
  g_test_add_func ("/flow/every-way-out-wipes", test_every_way_out_wipes);
  g_test_add_func ("/flow/card-removed-without-card-session", test_card_removed_while_browsing_without_card_changes_nothing);
  g_test_add_func ("/flow/submit-outcomes", test_submit_outcomes);
  g_test_add_func ("/flow/staff-view-ignores-cards", test_staff_view_ignores_cards);
  g_test_add_func ("/flow/events-that-do-not-apply", test_events_that_do_not_apply_change_nothing);
  return g_test_run ();
}
