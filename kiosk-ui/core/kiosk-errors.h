/* kiosk-errors.h - what a failure means to the person at the counter.
 *
 * Every error the kiosk can meet (MP_ERROR of the portal client, which
 * carries the card layer's myna_rv for MP_ERROR_CARD, G_IO_ERROR_CANCELLED,
 * and anything else) becomes a short title and one or two sentences that
 * say, in plain words and in the chosen language (gettext), what happened
 * and what to do next. Technical detail (error->message) is never shown to
 * the resident; the staff view and the journal get it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  KIOSK_ERROR_RETRY,        /* try the same step again (network, busy portal) */
  KIOSK_ERROR_FIX_INPUT,    /* change what was entered (the portal refused the form) */
  KIOSK_ERROR_SEE_STAFF,    /* a clerk must help (blocked PIN, revoked card, no registration) */
  KIOSK_ERROR_CARD_AGAIN,   /* take the card out and place it again */
  KIOSK_ERROR_SILENT        /* cancelled: show nothing */
} KioskErrorAction;

typedef struct {
  const char *title;        /* translated, static: "The card could not be read" */
  const char *advice;       /* translated, static: what to do next */
  KioskErrorAction action;
} KioskErrorText;

/* Translated words for error (never NULL error). */
KioskErrorText kiosk_error_describe (const GError *error);

/* The portal's report_list of a refused form, one line per item ("field:
 * content"), for the form to show next to the fields; NULL when none. */
char **kiosk_error_report_lines (const GError *error);

/* A one-line technical summary for logs and the staff view: the error's
 * domain name, code and message. No personal data is in it (the libraries
 * never put any into messages). */
char *kiosk_error_log_line (const GError *error);

G_END_DECLS
