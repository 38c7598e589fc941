/* apdu.c - ISO 7816-4 command encoding (cases 1-4, short and extended) and
 * response splitting. */
#include "mynacard/apdu.h"

#include <string.h>

int myna_apdu_case(const myna_apdu *a)
{
  if(a->lc == 0)
    return a->ne == 0 ? 1 : 2;
  return a->ne == 0 ? 3 : 4;
}

bool myna_apdu_needs_extended(const myna_apdu *a)
{
  return a->lc > 255 || a->ne > 256;
}

myna_rv myna_apdu_encode(const myna_apdu *a, bool allow_extended,
                         uint8_t *out, size_t cap, size_t *out_len)
{
  if(!a || !out || !out_len || a->lc > 65535 || a->ne > 65536 ||
     (a->lc && !a->data))
    return MYNA_E_INVALID_ARGUMENT;
  bool ext = myna_apdu_needs_extended(a);
  if(ext && !allow_extended)
    return MYNA_E_NOT_SUPPORTED;

  size_t need = 4;
  if(a->lc)
    need += (ext ? 3 : 1) + a->lc;
  if(a->ne)
    need += ext ? (a->lc ? 2 : 3) : 1;
  if(need > cap)
    return MYNA_E_BUFFER_TOO_SMALL;

  size_t n = 0;
  out[n++] = a->cla;
  out[n++] = a->ins;
  out[n++] = a->p1;
  out[n++] = a->p2;
  if(a->lc) {
    if(ext) {
      out[n++] = 0;
      out[n++] = (uint8_t)(a->lc >> 8);
      out[n++] = (uint8_t)a->lc;
    }
    else
      out[n++] = (uint8_t)a->lc;
    memcpy(out + n, a->data, a->lc);
    n += a->lc;
  }
  if(a->ne) {
    /* Ne = 256 is coded 00 (short), Ne = 65536 is coded 00 00 (extended). */
    if(ext) {
      if(!a->lc)
        out[n++] = 0;
      out[n++] = (uint8_t)((a->ne >> 8) & 0xFF);
      out[n++] = (uint8_t)(a->ne & 0xFF);
    }
    else
      out[n++] = (uint8_t)(a->ne & 0xFF);
  }
  *out_len = n;
  return MYNA_OK;
}

myna_rv myna_apdu_split_response(const uint8_t *resp, size_t len,
                                 size_t *data_len, uint16_t *sw)
{
  if(!resp || len < 2)
    return MYNA_E_MALFORMED_RESPONSE;
  *data_len = len - 2;
  *sw = (uint16_t)(resp[len - 2] << 8 | resp[len - 1]);
  return MYNA_OK;
}

myna_rv myna_apdu_decode(const uint8_t *buf, size_t len, myna_apdu *a,
                         bool *is_extended)
{
  if(!buf || !a)
    return MYNA_E_INVALID_ARGUMENT;
  if(len < 4)
    return MYNA_E_WRONG_LENGTH;
  memset(a, 0, sizeof(*a));
  a->cla = buf[0];
  a->ins = buf[1];
  a->p1 = buf[2];
  a->p2 = buf[3];
  bool ext = false;
  const uint8_t *b = buf + 4;
  size_t rest = len - 4;

  if(rest == 0) {
    /* case 1 */
  }
  else if(rest == 1) {
    a->ne = b[0] ? b[0] : 256; /* case 2 short */
  }
  else if(b[0] != 0 || rest == b[0] + 1u) {
    /* short form: Lc in b[0] (non-zero) */
    size_t lc = b[0];
    if(lc == 0 || rest < 1 + lc)
      return MYNA_E_WRONG_LENGTH;
    a->lc = lc;
    a->data = b + 1;
    if(rest == 1 + lc) {
      /* case 3 short */
    }
    else if(rest == 2 + lc)
      a->ne = b[1 + lc] ? b[1 + lc] : 256;
    else
      return MYNA_E_WRONG_LENGTH;
  }
  else {
    /* b[0] == 0 and more than one byte: extended form */
    ext = true;
    if(rest < 3)
      return MYNA_E_WRONG_LENGTH;
    size_t v = (size_t)b[1] << 8 | b[2];
    if(rest == 3) {
      a->ne = v ? v : 65536; /* case 2 extended */
    }
    else {
      if(v == 0)
        return MYNA_E_WRONG_LENGTH;
      a->lc = v;
      a->data = b + 3;
      if(rest == 3 + v) {
        /* case 3 extended */
      }
      else if(rest == 5 + v) {
        size_t le = (size_t)b[3 + v] << 8 | b[4 + v];
        a->ne = le ? le : 65536;
      }
      else
        return MYNA_E_WRONG_LENGTH;
    }
  }
  if(is_extended)
    *is_extended = ext;
  return MYNA_OK;
}
