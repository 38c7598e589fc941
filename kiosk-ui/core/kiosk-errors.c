/* kiosk-errors.c - plain words for every failure, in the resident's language.
 *
 * The resident sees a title and what to do next; the clerk beside them can
 * act on the same words. Card failures are told apart by the card layer's
 * myna_rv (carried in the portal client's mp_problem), because "wrong PIN",
 * "blocked" and "the card was taken out" ask for very different next steps. */

#include "kiosk-errors.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "mynacard/error.h"
#include "mynaportal/error.h"

static KioskErrorText
text (const char *title, const char *advice, KioskErrorAction action)
{
  KioskErrorText t = { title, advice, action };
  return t;
}

static KioskErrorText
describe_card (int rv)
{
  switch (rv)
    {
    case MYNA_E_WRONG_PIN:
      return text (_("The PIN is not correct"),
                   _("Check the number and enter it again slowly. The number of tries left is shown above."),
                   KIOSK_ERROR_RETRY);
    case MYNA_E_PIN_BLOCKED:
      return text (_("The PIN is locked"),
                   _("The PIN was entered wrongly too many times. It can be reset at the municipal office's My Number Card counter; bring the card and an identity document."),
                   KIOSK_ERROR_SEE_STAFF);
    case MYNA_E_PIN_FORMAT:
      return text (_("This cannot be the right PIN"),
                   _("Enter exactly the number of characters asked for. Nothing was sent to the card, so no try was used."),
                   KIOSK_ERROR_FIX_INPUT);
    case MYNA_E_CARD_REMOVED:
    case MYNA_E_NO_CARD:
    case MYNA_E_CARD_RESET:
      return text (_("The card was taken away"),
                   _("Place the card on the reader again and leave it there until you finish."),
                   KIOSK_ERROR_CARD_AGAIN);
    case MYNA_E_NOT_MYNUMBER_CARD:
    case MYNA_E_FILE_NOT_FOUND:
      return text (_("This card cannot be used here"),
                   _("Only the My Number Card (the card with your photo) can be used. Please ask a member of staff."),
                   KIOSK_ERROR_SEE_STAFF);
    case MYNA_E_NO_SIGN_CERTIFICATE:
      return text (_("This card has no signature certificate"),
                   _("Applications must be signed, and the signature certificate is not on this card (for example, cards of children under 15). Please ask a member of staff."),
                   KIOSK_ERROR_SEE_STAFF);
    case MYNA_E_NO_READER:
    case MYNA_E_READER_REMOVED:
    case MYNA_E_NO_SERVICE:
    case MYNA_E_READER_BUSY:
    case MYNA_E_READER_AMBIGUOUS:
      return text (_("The card reader is not working"),
                   _("Please ask a member of staff to check the card reader."),
                   KIOSK_ERROR_SEE_STAFF);
    case MYNA_E_CANCELLED:
      return text ("", "", KIOSK_ERROR_SILENT);
    default:
      return text (_("The card could not be read"),
                   _("Take the card out, place it again in the position shown, and hold it still."),
                   KIOSK_ERROR_CARD_AGAIN);
    }
}

KioskErrorText
kiosk_error_describe (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return text ("", "", KIOSK_ERROR_SILENT);
  if (error->domain != MP_ERROR)
    return text (_("Something went wrong"),
                 _("Please try again. If it happens again, ask a member of staff."),
                 KIOSK_ERROR_RETRY);

  switch ((mp_error) error->code)
    {
    case MP_ERROR_CARD:
      {
        const mp_problem *p = mp_error_get_problem (error);
        return describe_card (p ? p->card_rv : MYNA_E_IO);
      }
    case MP_ERROR_CONNECT:
    case MP_ERROR_TIMEOUT:
    case MP_ERROR_NETWORK:
      return text (_("Cannot reach マイナポータル"),
                   _("The connection is not working at the moment. Please try again in a little while."),
                   KIOSK_ERROR_RETRY);
    case MP_ERROR_UNAVAILABLE:
    case MP_ERROR_SERVER:
      return text (_("マイナポータル is busy"),
                   _("The service is busy or under maintenance. Please try again in a little while."),
                   KIOSK_ERROR_RETRY);
    case MP_ERROR_TLS:
    case MP_ERROR_CONFIG:
    case MP_ERROR_PROTOCOL:
      return text (_("This terminal cannot connect safely"),
                   _("Please ask a member of staff. This terminal needs to be checked."),
                   KIOSK_ERROR_SEE_STAFF);
    case MP_ERROR_UNAUTHORIZED:
    case MP_ERROR_NOT_LOGGED_IN:
    case MP_ERROR_LOGIN_EXPIRED:
      return text (_("You need to log in again"),
                   _("Your login has ended. Take the card out and place it again to log in."),
                   KIOSK_ERROR_CARD_AGAIN);
    case MP_ERROR_LOGIN_REFUSED:
      return text (_("Login was refused"),
                   _("マイナポータル did not accept the login. Please try again; if it happens again, ask a member of staff."),
                   KIOSK_ERROR_RETRY);
    case MP_ERROR_CERT_REVOKED:
      return text (_("The card's certificate is no longer valid"),
                   _("The electronic certificate on this card has been revoked. It can be issued again at the municipal office's My Number Card counter."),
                   KIOSK_ERROR_SEE_STAFF);
    case MP_ERROR_CERT_EXPIRED:
      return text (_("The card's certificate has expired"),
                   _("The electronic certificate on this card has expired. It can be renewed at the municipal office's My Number Card counter."),
                   KIOSK_ERROR_SEE_STAFF);
    case MP_ERROR_CERT_INVALID:
      return text (_("The card's certificate cannot be checked"),
                   _("Please ask a member of staff."),
                   KIOSK_ERROR_SEE_STAFF);
    case MP_ERROR_UNKNOWN_USER:
      return text (_("You are not registered with マイナポータル yet"),
                   _("Using マイナポータル for the first time needs a registration. A member of staff can help you register."),
                   KIOSK_ERROR_SEE_STAFF);
    case MP_ERROR_REJECTED:
      return text (_("Some answers need to be corrected"),
                   _("マイナポータル did not accept the form. The answers to correct are marked."),
                   KIOSK_ERROR_FIX_INPUT);
    case MP_ERROR_NOT_FOUND:
      return text (_("This is no longer available"),
                   _("It may have been withdrawn. Go back and choose again."),
                   KIOSK_ERROR_RETRY);
    case MP_ERROR_CONFLICT:
      return text (_("This was already done"),
                   _("The application was already sent or can no longer be changed. Check its status on the menu."),
                   KIOSK_ERROR_RETRY);
    case MP_ERROR_TOO_LARGE:
      return text (_("The attached files are too large"),
                   _("Attach fewer or smaller files, then try again."),
                   KIOSK_ERROR_FIX_INPUT);
    case MP_ERROR_PACKAGE:
      return text (_("An attached file cannot be used"),
                   _("Choose the file again; only JPEG, PNG and PDF files can be attached."),
                   KIOSK_ERROR_FIX_INPUT);
    case MP_ERROR_OUTBOX:
      return text (_("This terminal cannot store the application"),
                   _("Nothing was sent. Please ask a member of staff; the terminal's storage needs to be checked."),
                   KIOSK_ERROR_SEE_STAFF);
    default:
      return text (_("Something went wrong"),
                   _("Please try again. If it happens again, ask a member of staff."),
                   KIOSK_ERROR_RETRY);
    }
}

char **
kiosk_error_report_lines (const GError *error)
{
  const mp_problem *p = mp_error_get_problem (error);
  g_autoptr (GStrvBuilder) b = NULL;

  if (!p || !p->report || p->report->len == 0)
    return NULL;
  b = g_strv_builder_new ();
  for (guint i = 0; i < p->report->len; i++)
    {
      const mp_report_item *it = g_ptr_array_index (p->report, i);
      g_autofree char *line = g_strdup_printf ("%s: %s", it->item ? it->item : "",
                                               it->content ? it->content : "");
      g_strv_builder_add (b, line);
    }
  return g_strv_builder_end (b);
}

char *
kiosk_error_log_line (const GError *error)
{
  const char *name = NULL;
  const mp_problem *p = mp_error_get_problem (error);

  if (error->domain == MP_ERROR)
    name = mp_error_name ((mp_error) error->code);
  if (p && p->card_rv)
    return g_strdup_printf ("%s/%s (card: %s): %s", g_quark_to_string (error->domain),
                            name ? name : "?", myna_rv_name ((myna_rv) p->card_rv), error->message);
  if (p && p->code)
    return g_strdup_printf ("%s/%s (portal: %u %s): %s", g_quark_to_string (error->domain),
                            name ? name : "?", p->http_status, p->code, error->message);
  return g_strdup_printf ("%s/%d: %s", g_quark_to_string (error->domain),
                          error->code, error->message);
}
