/* pcsc_internal.h - what the context, the transport and the monitor share. */
#ifndef MYNAPCSC_INTERNAL_H
#define MYNAPCSC_INTERNAL_H

#include <winscard.h>

#include "mynapcsc/pcsc.h"

/* The pseudo-reader whose state changes when readers come and go. */
#define MYNA_PCSC_PNP_READER "\\\\?PnP?\\Notification"

/* Does this result mean the context is gone with pcscd (stopped, restarted,
 * or the socket to it broke)? Such a context is released, never reused. */
bool Myna_pcsc_service_lost(LONG rv);

/* The names of the readers pcscd knows, as a NULL-terminated array for
 * g_strfreev. No reader is an empty array, not an error. */
LONG Myna_pcsc_list_names(SCARDCONTEXT ctx, char ***names);

#endif
