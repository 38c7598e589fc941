/* kiosk-timing.c - milliseconds since start for named moments. */

#include "kiosk-timing.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static gboolean enabled;
static gint64 start_us;

/* The process's start, from /proc/self/stat (field 22, in clock ticks since
 * boot), so that "cold start" includes loading the program and its
 * libraries; CLOCK_BOOTTIME is on the same scale. */
static gint64
process_start_us (void)
{
  g_autofree char *stat = NULL;
  const char *p;
  unsigned long long ticks = 0;
  struct timespec now_boot;
  gint64 now_boot_us;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL))
    return g_get_monotonic_time ();
  p = strrchr (stat, ')');
  if (!p)
    return g_get_monotonic_time ();
  /* After ") " come fields 3.. ; starttime is field 22. */
  p += 2;
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (!p || sscanf (p, "%llu", &ticks) != 1)
    return g_get_monotonic_time ();
  clock_gettime (CLOCK_BOOTTIME, &now_boot);
  now_boot_us = (gint64) now_boot.tv_sec * G_USEC_PER_SEC + now_boot.tv_nsec / 1000;
  /* Shift the start from boot time to the monotonic clock. */
  return g_get_monotonic_time () - (now_boot_us - (gint64) (ticks * G_USEC_PER_SEC / (unsigned long long) sysconf (_SC_CLK_TCK)));
}

void
kiosk_timing_init (void)
{
  enabled = g_strcmp0 (g_getenv ("MYNA_KIOSK_TIMING"), "1") == 0;
  start_us = enabled ? process_start_us () : g_get_monotonic_time ();
}

gboolean
kiosk_timing_enabled (void)
{
  return enabled;
}

void
kiosk_timing_mark (const char *name)
{
  if (!enabled)
    return;
  fprintf (stderr, "kiosk-timing: %s %.1f\n", name,
           (double) (g_get_monotonic_time () - start_us) / 1000.0);
  fflush (stderr);
}
