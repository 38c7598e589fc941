/* kiosk-card-monitor.h - where the card is: readers and cards, as GObject signals.
 *
 * One monitor for the kiosk's life, built on the card source the
 * configuration names:
 *   - pcsc:  myna_pcsc_monitor (SCardGetStatusChange on its own thread;
 *            events arrive on the main context). The kiosk watches the
 *            configured reader (or, without one, the first reader that holds
 *            a card).
 *   - nfc:   libnfc (drivers/nfc): presence of an ISO 14443 type B target,
 *            watched on a worker thread.
 *   - vcard: the software card in-process (demo mode and tests): "inserted"
 *            and "removed" by kiosk_card_monitor_set_vcard_present (the
 *            demo's toggle).
 * Signals are emitted on the thread-default main context of the thread that
 * made the monitor. Nothing here sends an APDU.
 */
#pragma once

#include <gio/gio.h>

#include "mynacard/error.h"
#include "mynacard/transport.h"

#include "kiosk-config.h"

G_BEGIN_DECLS

typedef enum {
  KIOSK_READER_NONE,          /* no reader (or pcscd is not running) */
  KIOSK_READER_CONTACT,       /* the card goes into a slot */
  KIOSK_READER_CONTACTLESS    /* the card is laid on the reader */
} KioskReaderKind;

typedef struct {
  char *name;
  gboolean card_present;
  gboolean contactless;       /* the card's ATR says contactless, or an NFC device */
  char *atr_hex;              /* "3B E0 ..."; NULL without a card */
} KioskReaderInfo;

void kiosk_reader_info_free (KioskReaderInfo *info);

#define KIOSK_TYPE_CARD_MONITOR (kiosk_card_monitor_get_type ())
G_DECLARE_FINAL_TYPE (KioskCardMonitor, kiosk_card_monitor, KIOSK, CARD_MONITOR, GObject)

/* A monitor for cfg's card source ([card] source, reader, nfc-device,
 * vcard-profile). Fails (MP_ERROR_CONFIG, MP_ERROR_CARD) only on what cannot
 * be mended by waiting: a profile that does not load, libnfc unusable. A
 * reader or pcscd that is not there yet is not an error: it shows as
 * KIOSK_READER_NONE and service-available FALSE until it comes.
 *
 * Signals:
 *   "card-inserted" ()   a card is in the watched reader (also at start)
 *   "card-removed"  ()   it went (or its reader or pcscd went with it)
 *   "readers-changed" () the list of readers changed (admin view)
 * Properties (read-only, with notify):
 *   "card-present"       gboolean
 *   "reader-kind"        KioskReaderKind, as an int
 *   "service-available"  gboolean: pcscd / libnfc answers
 */
KioskCardMonitor *kiosk_card_monitor_new (const KioskConfig *cfg, GError **error);

gboolean kiosk_card_monitor_get_card_present (KioskCardMonitor *self);
KioskReaderKind kiosk_card_monitor_get_reader_kind (KioskCardMonitor *self);
gboolean kiosk_card_monitor_get_service_available (KioskCardMonitor *self);
KioskCardSource kiosk_card_monitor_get_source (KioskCardMonitor *self);
/* The reader the card is in (or the watched one); NULL when none. */
const char *kiosk_card_monitor_get_reader_name (KioskCardMonitor *self);

/* Every reader the source sees now, for the staff view (KioskReaderInfo*,
 * with its free function). */
GPtrArray *kiosk_card_monitor_list_readers (KioskCardMonitor *self, GError **error);

/* The software card only: put it in (TRUE) or take it out (FALSE), as a
 * resident would. Emits the signals like a real reader does. */
void kiosk_card_monitor_set_vcard_present (KioskCardMonitor *self, gboolean present);
/* Connect to the card now in the reader (exclusively, for a session) and
 * fill *out for myna_card_open. Sends no APDU. Blocking: call it from a
 * worker thread (KioskSession does).
 * Errors: MYNA_E_NO_CARD, MYNA_E_READER_BUSY, MYNA_E_NO_SERVICE, ... */
myna_rv kiosk_card_monitor_connect (KioskCardMonitor *self, myna_transport *out);

G_END_DECLS
