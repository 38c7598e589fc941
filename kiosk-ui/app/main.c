/* main.c - mynaterm-kiosk: the マイナポータル terminal for the counter.
 *
 * Before anything else: freed memory is overwritten (the resident's data
 * does not linger in free heap chunks after a session), GLib allocates
 * with malloc (so that this applies to its slices too), the Inspector and
 * GTK debugging are shut off, and the language is set up. */

#include <locale.h>
#include <malloc.h>
#include <stdlib.h>

#include <gtk/gtk.h>

#include "kiosk-application.h"
#include "kiosk-i18n.h"
#include "kiosk-lockdown.h"
#include "kiosk-timing.h"

#include "kioskapp-resources.h"
#include "kioskbrowse-resources.h"
#include "kioskform-resources.h"
#include "kioskreceipt-resources.h"
#include "kioskshell-resources.h"
#include "kioskwidgets-resources.h"

/* M_PERTURB: every free() fills the chunk with this byte. */
#define FREED_FILL 0x5a

int
main (int argc, char **argv)
{
  const char *locale_dir;
  g_autoptr (GApplication) app = NULL;

  mallopt (M_PERTURB, FREED_FILL);
  setenv ("G_SLICE", "always-malloc", 1);
  /* Drawing forced to cairo needs no GL: without this GDK still sets GL up
   * on the display (on a machine without a GPU: Mesa's software driver,
   * about 50 MiB and 40-110 ms at start, docs/performance.md). */
  if (g_strcmp0 (getenv ("GSK_RENDERER"), "cairo") == 0 && !getenv ("GDK_DEBUG"))
    setenv ("GDK_DEBUG", "gl-disable", 1);
  kiosk_timing_init ();
  kiosk_lockdown_init ();

  locale_dir = g_getenv ("MYNA_KIOSK_LOCALEDIR");
  kiosk_i18n_init (locale_dir && *locale_dir ? locale_dir : KIOSK_LOCALEDIR, "ja");
  gtk_disable_setlocale ();

  kioskapp_register_resource ();
  kioskwidgets_register_resource ();
  kioskform_register_resource ();
  kioskbrowse_register_resource ();
  kioskreceipt_register_resource ();
  kioskshell_register_resource ();

  app = G_APPLICATION (kiosk_application_new ());
  return g_application_run (app, argc, argv);
}
