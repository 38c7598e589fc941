/* kiosk-session.h - one resident at the counter: the card, the portal session, the outbox.
 *
 * The kiosk has one KioskSession for its whole life. It owns the portal
 * client (mp_client, bound to the main context of the thread that made it)
 * and uses the kiosk's outbox; between kiosk_session_begin (a card was
 * placed) and kiosk_session_end it also holds the resident's card and, after
 * login, the portal tokens. Searching the catalogue needs no card: callers
 * use kiosk_session_get_client for anonymous calls at any time.
 *
 * Every card operation runs on one worker thread, one at a time, so the UI
 * never blocks on an APDU and no two operations meet on the card. Secrets
 * (the PIN, the sign password) are taken as myna_secret and wiped after the
 * one VERIFY that uses them: nothing here ever retries a VERIFY.
 *
 * Errors are GErrors of MP_ERROR (card failures as MP_ERROR_CARD with the
 * myna_rv in mp_problem.card_rv), or G_IO_ERROR_CANCELLED after
 * kiosk_session_end or a cancelled GCancellable.
 *
 * Signals:
 *   "ended" ()  after kiosk_session_end, once the card of the session that
 *               ended is closed (reset and released) and every card
 *               operation queued before the end has finished. The portal's
 *               logout may still be on its way: the tokens are wiped already.
 */
#pragma once

#include <gio/gio.h>

#include "mynacard/secret.h"
#include "mynaportal/client.h"
#include "mynaportal/outbox.h"
#include "mynaportal/package.h"

#include "kiosk-card-monitor.h"
#include "kiosk-config.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_SESSION (kiosk_session_get_type ())
G_DECLARE_FINAL_TYPE (KioskSession, kiosk_session, KIOSK, SESSION, GObject)

/* cfg is copied; monitor is referenced; outbox is borrowed (it outlives the
 * session: the application owns it). */
KioskSession *kiosk_session_new (const KioskConfig *cfg, KioskCardMonitor *monitor,
                                 mp_outbox *outbox, GError **error);

mp_client *kiosk_session_get_client (KioskSession *self);
mp_outbox *kiosk_session_get_outbox (KioskSession *self);

/* A card was placed: connect to it (exclusively), select the JPKI AP and
 * read the tries left of the authentication PIN without spending one.
 * tries_left: 0 means blocked. */
void kiosk_session_begin_async (KioskSession *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean kiosk_session_begin_finish (KioskSession *self, GAsyncResult *result,
                                     int *tries_left, GError **error);

/* VERIFY the authentication PIN (4 digits; refused locally, without a
 * VERIFY, when it is not: MP_ERROR_CARD with MYNA_E_PIN_FORMAT) and log in
 * to the portal with the card's authentication key. pin is taken and wiped.
 * On a wrong PIN: MP_ERROR_CARD with card_rv MYNA_E_WRONG_PIN (or
 * MYNA_E_PIN_BLOCKED) and *tries_left the tries that remain; -1 otherwise. */
void kiosk_session_login_async (KioskSession *self, myna_secret *pin,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean kiosk_session_login_finish (KioskSession *self, GAsyncResult *result,
                                     int *tries_left, GError **error);

gboolean kiosk_session_is_logged_in (KioskSession *self);

/* Tries left of the signature password (read without spending one). */
void kiosk_session_sign_tries_async (KioskSession *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
int kiosk_session_sign_tries_finish (KioskSession *self, GAsyncResult *result,
                                     GError **error);

typedef enum {
  KIOSK_SUBMIT_DELIVERED,  /* the portal gave the receipt (arrive_id) */
  KIOSK_SUBMIT_PENDING,    /* signed and kept in the outbox; sent when the portal answers */
  KIOSK_SUBMIT_REJECTED    /* the portal refused it; *error-like detail in entry->rejection */
} KioskSubmitState;

/* Sign and submit: VERIFY the signature password (normalised to upper
 * case, refused locally when not 6-16 of A-Z 0-9), sign and write the
 * package built by the caller, let the portal check it (apply/check: a
 * refused package never enters the outbox, and the error carries the
 * portal's report_list), put it in the outbox, then deliver it. When the
 * portal cannot be reached after the package is in the outbox the result
 * is KIOSK_SUBMIT_PENDING, not an error. builder and password are taken.
 * amend_arrive_id: the application to correct (補正), or NULL. */
void kiosk_session_submit_async (KioskSession *self, mp_package_builder *builder,
                                 myna_secret *password, const char *amend_arrive_id,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
/* On success *entry is the outbox entry (receipt or pending). On a wrong
 * password *tries_left as for login. */
gboolean kiosk_session_submit_finish (KioskSession *self, GAsyncResult *result,
                                      KioskSubmitState *state, mp_outbox_entry **entry,
                                      int *tries_left, GError **error);

/* Deliver what waits in the outbox (earlier sessions' entries go with the
 * terminal certificate). For the idle kiosk and the staff view. Only
 * cancellable cancels it: kiosk_session_end does not (it is not the
 * resident's operation). */
void kiosk_session_deliver_pending_async (KioskSession *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean kiosk_session_deliver_pending_finish (KioskSession *self, GAsyncResult *result,
                                               mp_delivery *delivery, GError **error);

/* End the resident's session now: cancel what runs (callbacks see
 * G_IO_ERROR_CANCELLED; deliver_pending goes on), log out at the portal
 * without waiting for it, wipe the tokens, release the card with a reset
 * (so no verified PIN survives). Safe to call at any time, also twice.
 * Emits "ended". */
void kiosk_session_end (KioskSession *self);

/* Whether a card session is open (between a successful begin and end). */
gboolean kiosk_session_has_card (KioskSession *self);

G_END_DECLS
