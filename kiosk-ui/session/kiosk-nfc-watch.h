/* kiosk-nfc-watch.h - presence of a Type B card on a libnfc device (internal).
 *
 * A thread of its own looks for a card (myna_nfc_connect, polling in rounds
 * of NFC_WATCH_POLL_MS, cancellable), and once one is there asks the device
 * every NFC_WATCH_PRESENCE_MS whether it still is (the transport's
 * is_present: a presence check at the ISO 14443-4 block level, which no
 * application on the card sees). libnfc lets one program own the device, so
 * the watch keeps the card's transport and lends it to the session
 * (kiosk_nfc_watch_connect): the session's APDUs and the presence checks
 * take turns under one lock, and the card's leaving is seen also in the
 * middle of a session. When the session gives the transport back, the card
 * is reset (field off and on: no verified PIN survives).
 */
#pragma once

#include <glib.h>

#include "mynacard/error.h"
#include "mynacard/transport.h"

G_BEGIN_DECLS

/* Between two presence checks of a card in the field. */
#define NFC_WATCH_PRESENCE_MS 250
/* One myna_nfc_connect of the search (its rounds start every 50 ms). */
#define NFC_WATCH_POLL_MS 1000
/* Pause before opening a device again that was not there. */
#define NFC_WATCH_RETRY_MS 1000

typedef struct _KioskNfcWatch KioskNfcWatch;

/* Called on ctx's thread whenever what the watch knows changes: the device
 * answers (service_up), a card is in the field (card_present). */
typedef void (*KioskNfcWatchFn) (gboolean service_up, gboolean card_present, gpointer user);

/* Start watching the device connstring (NULL or "": the first libnfc
 * knows). Fails (MP_ERROR_CARD with the myna_rv) when libnfc cannot be
 * initialised. */
KioskNfcWatch *kiosk_nfc_watch_new (const char *connstring, GMainContext *ctx,
                                    KioskNfcWatchFn fn, gpointer user, GError **error);
/* Stop the thread (cancelling a search under way) and free. A transport
 * still lent keeps what it needs; no callback runs after this returns when
 * called on ctx's thread. */
void kiosk_nfc_watch_free (KioskNfcWatch *watch);

/* Lend the card's transport (exclusively: one session at a time). Sends no
 * APDU. Errors: MYNA_E_NO_CARD, MYNA_E_READER_BUSY (lent already). */
myna_rv kiosk_nfc_watch_connect (KioskNfcWatch *watch, myna_transport *out);

/* The devices libnfc knows (KioskReaderInfo*, the watched one with its
 * card). Errors: those of myna_nfc_list. */
myna_rv kiosk_nfc_watch_list (KioskNfcWatch *watch, GPtrArray **readers);

/* The device watched: the configured connstring, else the one libnfc
 * opened last; NULL before either. A copy for g_free. */
char *kiosk_nfc_watch_device (KioskNfcWatch *watch);

G_END_DECLS
