/* kiosk-watchdog.h - tell systemd the kiosk is alive (sd_notify).
 *
 * When started by systemd with WatchdogSec= (sd_watchdog_enabled), sends
 * WATCHDOG=1 from the main loop at half the interval: a main loop that
 * hangs stops the keep-alive and systemd restarts the kiosk. READY=1 once
 * the first frame of the attract screen is drawn; STATUS= lines say what
 * the kiosk is doing (never who is at the counter). Without systemd every
 * call does nothing.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void kiosk_watchdog_start (void);
void kiosk_watchdog_ready (void);
void kiosk_watchdog_status (const char *status);
void kiosk_watchdog_stop (void);

G_END_DECLS
