/* kiosk-card-monitor-private.h - the software card's fault switches, for tests.
 *
 * Only the vcard source has them (they return -1 / do nothing otherwise).
 * The session tests use them to look at the card's own counters (without
 * spending a try or sending an APDU through the card layer) and to make the
 * card leave in the middle of an operation, as a resident pulling it would.
 * Thread-safe: they take the same lock as the card's transport.
 */
#pragma once

#include "kiosk-card-monitor.h"

G_BEGIN_DECLS

/* Tries left of the card's counter "auth", "sign", "text", ... as the card
 * holds them (myna_vcard_tries); -1 without a software card. */
int kiosk_card_monitor_vcard_tries (KioskCardMonitor *self, const char *which);

/* APDUs the software card has answered since it was loaded. */
unsigned long kiosk_card_monitor_vcard_apdu_count (KioskCardMonitor *self);

/* After n more APDUs the card is gone (myna_vcard_remove_after): the
 * transport answers MYNA_E_CARD_REMOVED and the monitor emits
 * "card-removed" on its main context. */
void kiosk_card_monitor_vcard_remove_after (KioskCardMonitor *self, unsigned long n);

/* Transports of the software card still open (0 once every session that
 * connected has closed its card). */
int kiosk_card_monitor_vcard_open_transports (KioskCardMonitor *self);

G_END_DECLS
