/* mynapcsc/pcsc.h - card readers through pcsc-lite.
 *
 * A myna_pcsc is one PC/SC context that heals itself: when pcscd stops or
 * restarts (SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED, SCARD_E_INVALID_HANDLE)
 * the call that saw it returns MYNA_E_NO_SERVICE and the next call
 * establishes a new context, so a program never has to restart to recover.
 *
 * myna_pcsc_connect gives a myna_transport for card.h. The transport:
 *   - connects with T=0 or T=1, whichever the card and reader negotiate;
 *   - shares the card with other programs (with a transaction around each
 *     multi-APDU operation of the card layer) or holds it exclusively (the
 *     kiosk's session; no transactions then: nobody can come between);
 *   - reports extended APDUs when the path can carry them (T=1, and the
 *     reader's SCARD_ATTR_MAXINPUT, when it tells one, large enough); the
 *     card layer falls back to 256-byte reads on its own if the card or the
 *     reader still refuses, without spending a PIN try;
 *   - maps SCARD_W_REMOVED_CARD and SCARD_E_NO_SMARTCARD to
 *     MYNA_E_CARD_REMOVED, SCARD_W_RESET_CARD to MYNA_E_CARD_RESET (after
 *     reconnecting, so the next command works), a vanished reader to
 *     MYNA_E_READER_REMOVED, a vanished pcscd to MYNA_E_NO_SERVICE,
 *     SCARD_E_SHARING_VIOLATION to MYNA_E_READER_BUSY;
 *   - when an exchange fails without a reason (SCARD_E_NOT_TRANSACTED: the
 *     card was pulled a moment before pcscd noticed, which it does by
 *     polling), waits up to 1 s on pcscd's events to say
 *     MYNA_E_CARD_REMOVED rather than MYNA_E_IO; never resends;
 *   - once it has returned MYNA_E_NO_SERVICE, returns it from every call
 *     without contacting pcscd: open a new session (the myna_pcsc itself
 *     recovers);
 *   - ends with SCardDisconnect(SCARD_RESET_CARD), so that no verified PIN
 *     survives the session.
 *
 * Card and reader events for a GLib main loop: myna_pcsc_monitor.
 */
#ifndef MYNAPCSC_PCSC_H
#define MYNAPCSC_PCSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "mynacard/error.h"
#include "mynacard/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct myna_pcsc myna_pcsc;

/* A new context. Does not contact pcscd yet: the first call that needs it
 * does (and any later one after the service went away). */
myna_rv myna_pcsc_new(myna_pcsc **out);

/* Free the context. Transports made from it must be destroyed first (each
 * holds a reference, so freeing early is safe but delays the release). */
void myna_pcsc_free(myna_pcsc *p);

#define MYNA_PCSC_MAX_ATR 33

typedef struct myna_pcsc_reader {
  char *name;
  bool card_present;
  bool exclusive_elsewhere;          /* another program holds it exclusively */
  bool contactless;                  /* the ATR is a PC/SC part-3 contactless ATR */
  uint8_t atr[MYNA_PCSC_MAX_ATR];
  size_t atr_len;                    /* 0 when no card */
} myna_pcsc_reader;

/* List the readers pcscd knows, with card presence and ATR (no APDU is
 * sent and no card is connected). No reader is not an error: *n = 0.
 * Errors: MYNA_E_NO_SERVICE, MYNA_E_NO_MEMORY, MYNA_E_IO. */
myna_rv myna_pcsc_list(myna_pcsc *p, myna_pcsc_reader **readers, size_t *n);
void myna_pcsc_readers_free(myna_pcsc_reader *readers, size_t n);

/* Is this ATR a PC/SC part-3 contactless one (3B 8x 80 01 ...)? */
bool myna_pcsc_atr_is_contactless(const uint8_t *atr, size_t len);

/* Pick a reader by name. match NULL or "": the only reader with a card, or
 * the first of several with a card, or the only reader (its card may come
 * later: connect then says MYNA_E_NO_CARD); several readers and a card in
 * none is MYNA_E_NO_CARD. Otherwise: the reader of exactly that name, else
 * the only one whose name contains match (case-insensitive), else of several
 * that contain it the only one holding a card (a device often shows as two
 * readers: contact and contactless slots).
 * Errors: MYNA_E_NO_READER, MYNA_E_READER_AMBIGUOUS, MYNA_E_NO_CARD,
 * MYNA_E_NO_SERVICE, MYNA_E_NO_MEMORY. *name is for g_free. */
myna_rv myna_pcsc_find_reader(myna_pcsc *p, const char *match, char **name);

typedef enum myna_pcsc_share {
  MYNA_PCSC_SHARED = 0,     /* others may use the card between operations */
  MYNA_PCSC_EXCLUSIVE = 1   /* the kiosk's session: nobody else until it ends */
} myna_pcsc_share;

/* Connect to the card in the reader chosen as myna_pcsc_find_reader does and
 * fill *out (for myna_card_open, which takes ownership). Sends no APDU.
 * Errors: those of myna_pcsc_find_reader, MYNA_E_NO_CARD, MYNA_E_READER_BUSY,
 * MYNA_E_READER_REMOVED, MYNA_E_IO. */
myna_rv myna_pcsc_connect(myna_pcsc *p, const char *match,
                          myna_pcsc_share share, myna_transport *out);

/* The protocol the transport negotiated: 0 for T=0, 1 for T=1; -1 when t is
 * not a transport of this library. */
int myna_pcsc_transport_protocol(const myna_transport *t);

/* Map a pcsc-lite LONG result to the library's error (0 -> MYNA_OK). */
myna_rv myna_pcsc_rv(long scard_result);

/* ---- events ---- */

typedef enum myna_pcsc_event_kind {
  MYNA_PCSC_READER_ADDED,
  MYNA_PCSC_READER_REMOVED,
  MYNA_PCSC_CARD_INSERTED,
  MYNA_PCSC_CARD_REMOVED,
  MYNA_PCSC_SERVICE_LOST,     /* pcscd went away (or is not there at start);
                                 its readers follow as removed */
  MYNA_PCSC_SERVICE_BACK      /* pcscd answers again; readers follow as added */
} myna_pcsc_event_kind;

typedef struct myna_pcsc_event {
  myna_pcsc_event_kind kind;
  const char *reader;              /* NULL for the SERVICE_ events */
  const uint8_t *atr;              /* CARD_INSERTED only */
  size_t atr_len;
  bool contactless;                /* CARD_INSERTED only */
} myna_pcsc_event;

/* Short stable name, e.g. "card-inserted". */
const char *myna_pcsc_event_name(myna_pcsc_event_kind kind);

typedef void (*myna_pcsc_event_fn)(const myna_pcsc_event *ev, void *user);

typedef struct myna_pcsc_monitor myna_pcsc_monitor;

/* Watch readers and cards with SCardGetStatusChange (the
 * \\?PnP?\Notification pseudo-reader for readers coming and going) on a
 * thread of its own, and call fn on the thread that runs main_context
 * (NULL: the global default context). The state at start is reported first
 * as READER_ADDED and CARD_INSERTED events (SERVICE_LOST when pcscd cannot
 * be reached). A reader that goes with a card in it gives CARD_REMOVED, then
 * READER_REMOVED; a card swapped between two looks gives CARD_REMOVED, then
 * CARD_INSERTED. While pcscd is down the monitor tries to reach it again
 * with a growing back-off (pcscd announces nothing when it starts), at most
 * every 500 ms. Never sends an APDU. */
myna_rv myna_pcsc_monitor_new(GMainContext *main_context, myna_pcsc_event_fn fn,
                              void *user, myna_pcsc_monitor **out);

/* Stop the thread (SCardCancel) and free. No callback runs after it returns
 * if it is called on main_context's thread. */
void myna_pcsc_monitor_free(myna_pcsc_monitor *m);

#ifdef __cplusplus
}
#endif
#endif
