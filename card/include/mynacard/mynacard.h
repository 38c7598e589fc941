/* mynacard/mynacard.h - libmynacard, the My Number Card layer. */
#ifndef MYNACARD_MYNACARD_H
#define MYNACARD_MYNACARD_H

#include "apdu.h"
#include "card.h"
#include "error.h"
#include "faceap.h"
#include "jpki.h"
#include "pin.h"
#include "secret.h"
#include "textap.h"
#include "tlv.h"
#include "transport.h"

#endif
