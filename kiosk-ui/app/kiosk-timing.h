/* kiosk-timing.h - when things happened, for the performance numbers.
 *
 * With MYNA_KIOSK_TIMING=1 in the environment each mark prints one line on
 * standard error: "kiosk-timing: <name> <ms>", milliseconds since the
 * process started (tests/bench/bench_kiosk.py reads them). Otherwise
 * nothing is printed. Marks never carry personal data: they are names of
 * screens and steps.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void kiosk_timing_init (void);
gboolean kiosk_timing_enabled (void);
void kiosk_timing_mark (const char *name);

G_END_DECLS
