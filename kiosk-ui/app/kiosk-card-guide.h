/* kiosk-card-guide.h - where to put the card, for the reader this kiosk has.
 *
 * A drawing of the reader and the card (a slot that takes the card chip
 * first, face up; or a pad the card lies flat on) with one instruction line
 * and, when the configuration gives one, where the reader is ("the reader
 * on the right of the screen"). Its states:
 *   PLACE      the guide: 「ICカードをセットしてください」
 *   HELP       placing failed: the card could not be read; how to place it
 *              again (hold still, one card only, out of its case ...)
 *   NO_READER  no reader, or the card service is not running: ask staff
 *   REMOVE     a card is in the reader with no session (take it out first)
 */
#pragma once

#include <gtk/gtk.h>

#include "kiosk-card-monitor.h"

G_BEGIN_DECLS

typedef enum {
  KIOSK_GUIDE_PLACE,
  KIOSK_GUIDE_HELP,
  KIOSK_GUIDE_NO_READER,
  KIOSK_GUIDE_REMOVE
} KioskGuideState;

#define KIOSK_TYPE_CARD_GUIDE (kiosk_card_guide_get_type ())
G_DECLARE_FINAL_TYPE (KioskCardGuide, kiosk_card_guide, KIOSK, CARD_GUIDE, GtkWidget)

void kiosk_card_guide_set_reader_kind (KioskCardGuide *self, KioskReaderKind kind);
void kiosk_card_guide_set_placement (KioskCardGuide *self, const char *placement);
void kiosk_card_guide_set_state (KioskCardGuide *self, KioskGuideState state);
KioskGuideState kiosk_card_guide_get_state (KioskCardGuide *self);

G_END_DECLS
