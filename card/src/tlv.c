/* tlv.c - BER-TLV and DER length parsing that never reads outside the
 * buffer it is given, whatever the input. */
#include "mynacard/tlv.h"

static myna_rv parse_header(const uint8_t *buf, size_t len, myna_tlv *out)
{
  if(!buf || !out)
    return MYNA_E_INVALID_ARGUMENT;
  size_t i = 0;
  if(len < 2)
    return MYNA_E_BAD_DATA;
  uint32_t tag = buf[i++];
  if((tag & 0x1F) == 0x1F) {
    /* subsequent tag bytes while bit 8 is set; we accept up to 3 in all */
    for(int k = 0;; k++) {
      if(i >= len || k >= 2)
        return MYNA_E_BAD_DATA;
      uint8_t b = buf[i++];
      tag = tag << 8 | b;
      if(!(b & 0x80))
        break;
    }
  }
  if(i >= len)
    return MYNA_E_BAD_DATA;
  uint8_t l0 = buf[i++];
  size_t vlen;
  if(l0 < 0x80)
    vlen = l0;
  else {
    size_t nbytes = l0 & 0x7F;
    /* 0x80 is the indefinite form, which DER and the card never use */
    if(nbytes == 0 || nbytes > 4 || nbytes > len - i)
      return MYNA_E_BAD_DATA;
    vlen = 0;
    for(size_t k = 0; k < nbytes; k++)
      vlen = vlen << 8 | buf[i++];
  }
  out->tag = tag;
  out->header_len = i;
  out->len = vlen;
  out->value = buf + i;
  return MYNA_OK;
}

myna_rv myna_tlv_parse_header(const uint8_t *buf, size_t len, myna_tlv *out)
{
  return parse_header(buf, len, out);
}

myna_rv myna_tlv_parse(const uint8_t *buf, size_t len, myna_tlv *out)
{
  myna_rv rv = parse_header(buf, len, out);
  if(rv)
    return rv;
  if(out->len > len - out->header_len)
    return MYNA_E_BAD_DATA;
  return MYNA_OK;
}

size_t myna_tlv_filler_start(const uint8_t *buf, size_t len)
{
  size_t k = len;
  while(k && (buf[k - 1] == 0x00 || buf[k - 1] == 0xFF))
    k--;
  return k;
}

myna_rv myna_tlv_find(const uint8_t *buf, size_t len, uint32_t tag,
                      myna_tlv *out)
{
  /* Filler bytes (00 or FF) may follow the last object: an object boundary
   * at or past filler_start means only filler is left. Found once, so that
   * a buffer of filler with one object at its end costs a linear walk. */
  size_t filler_start = myna_tlv_filler_start(buf, len);
  size_t off = 0;
  while(off < len && off < filler_start) {
    myna_tlv t;
    myna_rv rv = myna_tlv_parse(buf + off, len - off, &t);
    if(rv)
      return rv;
    if(t.tag == tag) {
      *out = t;
      return MYNA_OK;
    }
    off += t.header_len + t.len;
  }
  return MYNA_E_FILE_NOT_FOUND;
}

myna_rv myna_der_object_size(const uint8_t *buf, size_t len, size_t *total)
{
  myna_tlv t;
  myna_rv rv = parse_header(buf, len, &t);
  if(rv)
    return rv;
  if(t.len > SIZE_MAX - t.header_len)
    return MYNA_E_BAD_DATA;
  *total = t.header_len + t.len;
  return MYNA_OK;
}
