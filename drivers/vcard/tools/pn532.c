/* pn532.c - `mynacard-vcard pn532`: the software card behind an emulated PN532.
 *
 * A pseudo-terminal stands in for the serial line of a PN532 board (HSU, the
 * UART most PN532 modules are wired to). libnfc's pn532_uart driver opens
 * its slave side as `pn532_uart:PATH` and drives it exactly as it drives the
 * chip; on the master side we speak the PN532 frame protocol (NXP UM0701-02:
 * ACK, NACK, normal and extended information frames, the error frame) and
 * keep the chip state libnfc 1.8 looks at: registers, parameters, the RF
 * field, the target the chip has activated.
 *
 * Behind the chip the software card is an ISO 14443-4 Type B card at
 * 106 kbit/s whose PUPI is random on every activation, as a My Number Card.
 * Its ISO 14443-3 state is modelled because libnfc's behaviour depends on it:
 * in a powered field the card is IDLE and answers REQB; InListPassiveTarget
 * (REQB + ATTRIB) makes it ACTIVE; a deselect (S(DESELECT), sent by
 * InDeselect and InRelease) HALTs it. An ACTIVE or HALTed card ignores REQB,
 * as a real one does, so nfc_initiator_list_passive_targets (select,
 * deselect, select again) finds it once and not once per random PUPI. Only a
 * power cycle - the field off and on, or the card taken away and back -
 * brings it back to IDLE, and every activation starts the card from its
 * reset state.
 *
 * One thread, one poll() loop; signals arrive through a signalfd. Nothing
 * sleeps: a fault that withholds an answer simply writes none. Standard
 * output carries exactly the lines a test waits for: "ready PATH" once the
 * link exists, then "removed" / "inserted" for each SIGUSR1 / SIGUSR2. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "mynavcard/vcard.h"
#include "vcard_server.h"

/* ---- the PN532 --------------------------------------------------------- */

/* Command codes (UM0701-02 §7); answers carry the code + 1. */
enum {
  CMD_DIAGNOSE = 0x00,
  CMD_GET_FIRMWARE_VERSION = 0x02,
  CMD_GET_GENERAL_STATUS = 0x04,
  CMD_READ_REGISTER = 0x06,
  CMD_WRITE_REGISTER = 0x08,
  CMD_READ_GPIO = 0x0C,
  CMD_WRITE_GPIO = 0x0E,
  CMD_SET_SERIAL_BAUD_RATE = 0x10,
  CMD_SET_PARAMETERS = 0x12,
  CMD_SAM_CONFIGURATION = 0x14,
  CMD_POWER_DOWN = 0x16,
  CMD_RF_CONFIGURATION = 0x32,
  CMD_IN_DATA_EXCHANGE = 0x40,
  CMD_IN_COMMUNICATE_THRU = 0x42,
  CMD_IN_DESELECT = 0x44,
  CMD_IN_JUMP_FOR_PSL = 0x46,
  CMD_IN_LIST_PASSIVE_TARGET = 0x4A,
  CMD_IN_RELEASE = 0x52,
  CMD_IN_SELECT = 0x54,
  CMD_IN_JUMP_FOR_DEP = 0x56,
  CMD_IN_AUTO_POLL = 0x60
};

/* Status bytes the chip reports (UM0701-02 table 4), and what libnfc 1.8
 * turns them into at its API. */
enum {
  ST_OK = 0x00,
  ST_TIMEOUT = 0x01,     /* the target did not answer: NFC_ERFTRANS */
  ST_NOT_ACCEPTABLE = 0x27, /* no such target in this context: NFC_EINVARG */
  ST_CARD_ID = 0x2A,     /* Type B: another card answered: NFC_ERFTRANS */
  ST_MI = 0x40           /* more information: send InDataExchange again */
};

#define TFI_HOST 0xD4
#define TFI_CHIP 0xD5

/* Baud/type of InListPassiveTarget and target types of InAutoPoll. */
#define BRTY_TYPE_B_106 0x03
#define PTT_ISO14443_4B_106 0x03
#define PTT_ISO14443_4B_TCL_106 0x23

/* The registers libnfc polls in loops that end when the chip's FIFO is
 * empty: they must read 0, whatever was written to them. */
#define REG_CIU_FIFO_DATA 0x6339
#define REG_CIU_FIFO_LEVEL 0x633A

/* The biggest frame body (TFI + command + data) either side sends: libnfc's
 * buffers hold 264 bytes after TFI and command code (PN53x extended frames). */
#define BODY_MAX 266
/* The most answer data one InDataExchange carries (the chip's buffer); a
 * longer answer is chained with the MI bit, as a PN532 does. */
#define CHUNK_MAX 262
/* Any answer of the card (an extended READ BINARY of a large file). */
#define CARD_RESP_CAP 65538u
#define IN_CAP 1024
#define OUT_CAP 8192
/* preamble, start code, FF FF, 2 length bytes, LCS; DCS and postamble */
#define FRAME_MAX (BODY_MAX + 10)

static const uint8_t ack_frame[] = { 0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00 };
/* the "syntax error" application-level error frame */
static const uint8_t error_frame[] = { 0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F,
                                       0x81, 0x00 };

/* What the card puts in its ATQB besides its PUPI: the same application
 * data and protocol info as the PC/SC contactless ATR of the software card
 * (myna_vcard_atr with the contactless quirk): frames up to 256 bytes,
 * ISO 14443-4, FWI 8, CID supported, 106 kbit/s only. */
static const uint8_t atqb_app_data[4] = { 0x00, 0x00, 0x00, 0x00 };
static const uint8_t atqb_prot_info[3] = { 0x00, 0x81, 0x81 };

#define ATTRIB_CID 0x01

/* The card's ISO 14443-3 state while it has power. */
typedef enum {
  CARD_IDLE,   /* answers REQB */
  CARD_ACTIVE, /* activated: ISO 14443-4 blocks */
  CARD_HALT    /* deselected: answers WUPB only */
} card_state;

/* A command the chip has acknowledged and not answered yet. */
typedef enum {
  PENDING_NONE,
  PENDING_STALL,     /* --stall-after: never answered */
  PENDING_LIST,      /* InListPassiveTarget with endless retries: answered
                        when a card comes */
  PENDING_AUTO_POLL  /* InAutoPoll with endless polling: the same */
} pending_kind;

typedef struct emu {
  myna_vcard *card;
  const char *link;
  char slave_name[64];
  int master;
  int slave;   /* held open so that the pty outlives every libnfc client */
  int sig_fd;
  int log_fd;  /* -1: no --apdu-log */
  bool running;

  /* bytes from the host not handled yet (they may hold a VERIFY's PIN) */
  uint8_t in[IN_CAP];
  size_t in_len;
  /* bytes for the host not written yet */
  uint8_t out[OUT_CAP];
  size_t out_len;
  size_t out_off;
  /* the last answer frame, sent again on a NACK */
  uint8_t last[FRAME_MAX];
  size_t last_len;

  /* the chip */
  uint8_t regs[0x10000];
  uint8_t params;
  uint8_t last_status;      /* for GetGeneralStatus */
  uint8_t max_rty_passive;  /* RFConfiguration item 5; 0xFF: for ever */
  bool field;
  bool listed;              /* Tg 1 exists: activated by InListPassiveTarget */
  bool selected;            /* ... and not deselected since */
  uint8_t pupi[4];
  pending_kind pending;
  uint8_t pending_type;     /* InAutoPoll: the target type asked for */
  bool unknown_logged[256];
  bool bad_frame_logged;

  /* the card */
  card_state state;
  unsigned block;           /* ISO 14443-4 block number of its last I-block */
  uint8_t *resp;            /* its answer, CARD_RESP_CAP bytes */
  size_t resp_len;          /* an answer still being sent in chunks (MI) */
  size_t resp_off;

  /* faults */
  unsigned long apdus;      /* APDUs the card got since start */
  unsigned long bad_checksum_after;
  unsigned long stall_after;
} emu;

/* ---- the serial line --------------------------------------------------- */

static void queue_out(emu *e, const uint8_t *data, size_t n)
{
  if(e->out_off && e->out_len + n > OUT_CAP) {
    memmove(e->out, e->out + e->out_off, e->out_len - e->out_off);
    e->out_len -= e->out_off;
    e->out_off = 0;
  }
  if(e->out_len + n > OUT_CAP) {
    /* nobody has read the line for kilobytes: a real chip's answers would
     * be lost on the wire just the same */
    errorf("pn532: host not reading, %zu bytes dropped", n);
    return;
  }
  memcpy(e->out + e->out_len, data, n);
  e->out_len += n;
}

static void flush_out(emu *e)
{
  while(e->out_off < e->out_len) {
    ssize_t w = write(e->master, e->out + e->out_off, e->out_len - e->out_off);
    if(w < 0) {
      if(errno == EINTR)
        continue;
      if(errno != EAGAIN && errno != EWOULDBLOCK) {
        errorf("pn532: write: %s", strerror(errno));
        e->running = false;
      }
      return;
    }
    e->out_off += (size_t)w;
  }
  e->out_len = 0;
  e->out_off = 0;
}

/* One information frame from the chip: normal up to 255 bytes of body,
 * extended above. It is kept for a NACK; with corrupt its data checksum is
 * wrong on the line (once: a NACK gets the good one). */
static void send_frame(emu *e, uint8_t cmd, const uint8_t *data, size_t n,
                       bool corrupt)
{
  size_t body = 2 + n;
  uint8_t *f = e->last;
  size_t k = 0;
  f[k++] = 0x00;
  f[k++] = 0x00;
  f[k++] = 0xFF;
  if(body <= 0xFF) {
    f[k++] = (uint8_t)body;
    f[k++] = (uint8_t)(0x100 - body);
  }
  else {
    f[k++] = 0xFF;
    f[k++] = 0xFF;
    f[k++] = (uint8_t)(body >> 8);
    f[k++] = (uint8_t)body;
    f[k++] = (uint8_t)(0x100 - ((body >> 8) + body));
  }
  uint8_t sum = TFI_CHIP + (uint8_t)(cmd + 1);
  f[k++] = TFI_CHIP;
  f[k++] = (uint8_t)(cmd + 1);
  if(n)
    memcpy(f + k, data, n);
  k += n;
  for(size_t i = 0; i < n; i++)
    sum += data[i];
  f[k++] = (uint8_t)(0x100 - sum);
  f[k++] = 0x00;
  e->last_len = k;
  if(!corrupt) {
    queue_out(e, f, k);
    return;
  }
  uint8_t bad[FRAME_MAX];
  memcpy(bad, f, k);
  bad[k - 2] ^= 0x5A;
  queue_out(e, bad, k);
}

static void answer(emu *e, uint8_t cmd, const uint8_t *data, size_t n)
{
  send_frame(e, cmd, data, n, false);
}

static void answer_status(emu *e, uint8_t cmd, uint8_t status)
{
  e->last_status = status & 0x3F;
  answer(e, cmd, &status, 1);
}

/* What a PN532 answers to a command it does not know or cannot parse. */
static void answer_syntax_error(emu *e)
{
  memcpy(e->last, error_frame, sizeof(error_frame));
  e->last_len = sizeof(error_frame);
  queue_out(e, error_frame, sizeof(error_frame));
}

/* ---- the card in the field --------------------------------------------- */

static bool card_powered(const emu *e)
{
  return e->field && myna_vcard_is_present(e->card);
}

/* The chip's target is there and talking ISO 14443-4. */
static bool target_reachable(const emu *e)
{
  return e->listed && e->selected && card_powered(e) &&
         e->state == CARD_ACTIVE;
}

static void drop_answer(emu *e)
{
  if(e->resp_len)
    explicit_bzero(e->resp, e->resp_len);
  e->resp_len = 0;
  e->resp_off = 0;
}

/* The card loses power (field off, taken away) or gets it back: it starts
 * again from IDLE with nothing selected or verified. */
static void card_power_cycle(emu *e)
{
  e->state = CARD_IDLE;
  myna_vcard_reset(e->card);
  drop_answer(e);
}

static void set_field(emu *e, bool on)
{
  if(e->field == on)
    return;
  e->field = on;
  card_power_cycle(e);
  log_line(e->log_fd, on ? "# field-on" : "# field-off");
}

static void new_pupi(emu *e)
{
  if(getrandom(e->pupi, sizeof(e->pupi), 0) == (ssize_t)sizeof(e->pupi))
    return;
  /* no getrandom (old kernel): still a different PUPI each time */
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  uint32_t v = (uint32_t)t.tv_nsec ^ (uint32_t)t.tv_sec * 2654435761u;
  memcpy(e->pupi, &v, sizeof(e->pupi));
}

/* REQB + ATTRIB: the card becomes Tg 1 with a fresh PUPI. Writes the
 * TargetData of InListPassiveTarget (Tg, ATQB, ATTRIB_RES length and
 * ATTRIB_RES) and returns its length. A PN532's ATTRIB gives the card CID 1
 * (libnfc's presence check addresses it so), which ATTRIB_RES repeats with
 * MBLI 0 (no limit stated). */
static size_t activate(emu *e, uint8_t *td)
{
  new_pupi(e);
  e->state = CARD_ACTIVE;
  e->block = 1;  /* ISO 14443-4: the reader's first I-block is block 0 */
  e->listed = true;
  e->selected = true;
  myna_vcard_reset(e->card);
  drop_answer(e);
  size_t k = 0;
  td[k++] = 0x01;
  td[k++] = 0x50;
  memcpy(td + k, e->pupi, 4);
  k += 4;
  memcpy(td + k, atqb_app_data, 4);
  k += 4;
  memcpy(td + k, atqb_prot_info, 3);
  k += 3;
  td[k++] = 0x01;
  td[k++] = ATTRIB_CID;
  log_line(e->log_fd, "# activated");
  return k;
}

static void card_removed(emu *e)
{
  myna_vcard_set_present(e->card, false);
  card_power_cycle(e);
  log_line(e->log_fd, "# removed");
}

/* One APDU to the card, with the faults: the answer is in e->resp. false:
 * no answer is to be sent (--stall-after). */
static bool card_exchange(emu *e, const uint8_t *apdu, size_t len,
                          bool *corrupt)
{
  *corrupt = false;
  e->apdus++;
  size_t n = myna_vcard_process(e->card, apdu, len, e->resp, CARD_RESP_CAP);
  e->resp_len = n;
  e->resp_off = 0;
  if(!n)
    return true;  /* cannot happen: the card is present */
  log_apdu(e->log_fd, apdu, len, e->resp, n);
  if(!myna_vcard_is_present(e->card)) {
    /* --remove-after-apdus: it answered, then left (the card has already
     * dropped its volatile state) */
    e->state = CARD_IDLE;
    log_line(e->log_fd, "# removed");
  }
  if(e->stall_after && e->apdus == e->stall_after) {
    /* the card did the command; its answer never comes back */
    drop_answer(e);
    e->pending = PENDING_STALL;
    log_line(e->log_fd, "# stalled");
    return false;
  }
  if(e->bad_checksum_after && e->apdus == e->bad_checksum_after) {
    *corrupt = true;
    log_line(e->log_fd, "# bad-checksum");
  }
  return true;
}

/* The next piece of the card's answer to InDataExchange: the status byte
 * (MI while more follows) and up to CHUNK_MAX bytes. */
static void send_chunk(emu *e, bool corrupt)
{
  uint8_t buf[1 + CHUNK_MAX];
  size_t left = e->resp_len - e->resp_off;
  size_t n = left > CHUNK_MAX ? CHUNK_MAX : left;
  buf[0] = left > CHUNK_MAX ? ST_MI : ST_OK;
  memcpy(buf + 1, e->resp + e->resp_off, n);
  e->resp_off += n;
  if(e->resp_off >= e->resp_len)
    drop_answer(e);
  e->last_status = ST_OK;
  send_frame(e, CMD_IN_DATA_EXCHANGE, buf, 1 + n, corrupt);
  explicit_bzero(buf, 1 + n);
}

/* ---- commands ---------------------------------------------------------- */

static void cmd_diagnose(emu *e, const uint8_t *p, size_t n)
{
  if(n < 2) {
    answer_syntax_error(e);
    return;
  }
  switch(p[1]) {
  case 0x00:  /* communication line test: echo NumTst and InParam */
    answer(e, CMD_DIAGNOSE, p + 1, n - 1);
    break;
  case 0x01:  /* ROM test */
  case 0x02:  /* RAM test */
  case 0x04:  /* polling test to target: number of failures */
  case 0x07:  /* antenna self test */
    answer_status(e, CMD_DIAGNOSE, ST_OK);
    break;
  case 0x06:  /* attention request test: is the card still there? */
    if(!e->listed)
      answer_status(e, CMD_DIAGNOSE, ST_NOT_ACCEPTABLE);
    else
      answer_status(e, CMD_DIAGNOSE,
                    target_reachable(e) ? ST_OK : ST_TIMEOUT);
    break;
  default:
    answer_syntax_error(e);
    break;
  }
}

static void cmd_get_general_status(emu *e)
{
  uint8_t buf[8];
  size_t k = 0;
  buf[k++] = e->last_status;
  buf[k++] = 0x00;  /* no external field: we are the initiator */
  buf[k++] = e->listed ? 1 : 0;
  if(e->listed) {
    buf[k++] = 0x01;  /* Tg */
    buf[k++] = 0x00;  /* 106 kbit/s both ways */
    buf[k++] = 0x00;
    buf[k++] = 0x00;  /* ISO/IEC 14443-3 106 kbit/s modulation */
  }
  buf[k++] = 0x00;    /* SAM status */
  answer(e, CMD_GET_GENERAL_STATUS, buf, k);
}

static void cmd_read_register(emu *e, const uint8_t *p, size_t n)
{
  if(n < 3 || (n - 1) % 2) {
    answer_syntax_error(e);
    return;
  }
  uint8_t buf[BODY_MAX];
  size_t k = 0;
  for(size_t i = 1; i + 1 < n; i += 2) {
    unsigned addr = (unsigned)p[i] << 8 | p[i + 1];
    buf[k++] = addr == REG_CIU_FIFO_LEVEL || addr == REG_CIU_FIFO_DATA ?
      0x00 : e->regs[addr];
  }
  answer(e, CMD_READ_REGISTER, buf, k);
}

static void cmd_write_register(emu *e, const uint8_t *p, size_t n)
{
  if(n < 4 || (n - 1) % 3) {
    answer_syntax_error(e);
    return;
  }
  for(size_t i = 1; i + 2 < n; i += 3)
    e->regs[(unsigned)p[i] << 8 | p[i + 1]] = p[i + 2];
  answer(e, CMD_WRITE_REGISTER, NULL, 0);
}

static void cmd_rf_configuration(emu *e, const uint8_t *p, size_t n)
{
  if(n < 3) {
    answer_syntax_error(e);
    return;
  }
  switch(p[1]) {
  case 0x01:  /* RF field: bit 0 on/off (bit 1, auto RFCA, changes nothing) */
    set_field(e, p[2] & 0x01);
    break;
  case 0x05:  /* MxRtyATR, MxRtyPSL, MxRtyPassiveActivation */
    if(n < 5) {
      answer_syntax_error(e);
      return;
    }
    e->max_rty_passive = p[4];
    break;
  default:    /* timings, MaxRtyCOM, analog settings: nothing to emulate */
    break;
  }
  answer(e, CMD_RF_CONFIGURATION, NULL, 0);
}

static void answer_list(emu *e, uint8_t cmd, uint8_t auto_poll_type)
{
  uint8_t buf[32];
  size_t k = 0;
  buf[k++] = 0x01;  /* NbTg */
  if(cmd == CMD_IN_AUTO_POLL) {
    buf[k++] = auto_poll_type;
    size_t len_at = k++;
    buf[len_at] = (uint8_t)activate(e, buf + k);
    k += buf[len_at];
  }
  else
    k += activate(e, buf + k);
  answer(e, cmd, buf, k);
}

static void cmd_in_list_passive_target(emu *e, const uint8_t *p, size_t n)
{
  /* MaxTg 1 or 2; BrTy 0 (A), 1-2 (FeliCa), 3 (B, with its AFI), 4 (Jewel):
   * a PN532 does Type B at 106 kbit/s only */
  if(n < 3 || p[1] < 1 || p[1] > 2 || p[2] > 0x04 ||
     (p[2] == BRTY_TYPE_B_106 && n < 4)) {
    answer_syntax_error(e);
    return;
  }
  /* a new list replaces the old one; the chip switches the field on */
  e->listed = false;
  e->selected = false;
  set_field(e, true);
  if(p[2] == BRTY_TYPE_B_106 && card_powered(e) && e->state == CARD_IDLE) {
    answer_list(e, CMD_IN_LIST_PASSIVE_TARGET, 0);
    return;
  }
  if(e->max_rty_passive == 0xFF && p[2] == BRTY_TYPE_B_106) {
    /* endless retries (libnfc's NP_INFINITE_SELECT): the answer comes with
     * the next card, or never */
    e->pending = PENDING_LIST;
    return;
  }
  if(e->max_rty_passive == 0xFF) {
    /* nothing else ever answers: wait to be aborted, as the chip does */
    e->pending = PENDING_STALL;
    return;
  }
  uint8_t none = 0x00;
  answer(e, CMD_IN_LIST_PASSIVE_TARGET, &none, 1);
}

static void cmd_in_auto_poll(emu *e, const uint8_t *p, size_t n)
{
  if(n < 4 || !p[1] || !p[2] || n > 3 + 15) {
    answer_syntax_error(e);
    return;
  }
  uint8_t type = 0;
  for(size_t i = 3; i < n; i++)
    if(p[i] == PTT_ISO14443_4B_106 || p[i] == PTT_ISO14443_4B_TCL_106) {
      type = p[i];
      break;
    }
  e->listed = false;
  e->selected = false;
  set_field(e, true);
  if(type && card_powered(e) && e->state == CARD_IDLE) {
    answer_list(e, CMD_IN_AUTO_POLL, type);
    return;
  }
  if(p[1] == 0xFF) {
    /* polling for ever: answered when a card comes (or never) */
    e->pending = type ? PENDING_AUTO_POLL : PENDING_STALL;
    e->pending_type = type;
    return;
  }
  uint8_t none = 0x00;
  answer(e, CMD_IN_AUTO_POLL, &none, 1);
}

/* A card came (SIGUSR2): a list or poll waiting for one gets its answer. */
static void resolve_pending(emu *e)
{
  if(!card_powered(e) || e->state != CARD_IDLE)
    return;
  if(e->pending == PENDING_LIST) {
    e->pending = PENDING_NONE;
    answer_list(e, CMD_IN_LIST_PASSIVE_TARGET, 0);
  }
  else if(e->pending == PENDING_AUTO_POLL) {
    e->pending = PENDING_NONE;
    answer_list(e, CMD_IN_AUTO_POLL, e->pending_type);
  }
}

static void cmd_in_data_exchange(emu *e, const uint8_t *p, size_t n)
{
  if(n < 2) {
    answer_syntax_error(e);
    return;
  }
  /* InDataExchange with no data while an answer is chained: its next part */
  if(n == 2 && e->resp_off && e->resp_off < e->resp_len) {
    send_chunk(e, false);
    return;
  }
  drop_answer(e);
  /* Tg 1 only; bit 6 (the host chaining a long command) is not emulated:
   * libnfc never sets it */
  if(!e->listed || p[1] != 0x01) {
    answer_status(e, CMD_IN_DATA_EXCHANGE, ST_NOT_ACCEPTABLE);
    return;
  }
  if(!target_reachable(e)) {
    /* gone, halted, powered off: the chip's retries time out */
    answer_status(e, CMD_IN_DATA_EXCHANGE, ST_TIMEOUT);
    return;
  }
  bool corrupt;
  if(!card_exchange(e, p + 2, n - 2, &corrupt))
    return;
  e->block ^= 1;
  if(!e->resp_len) {
    answer_status(e, CMD_IN_DATA_EXCHANGE, ST_TIMEOUT);
    return;
  }
  send_chunk(e, corrupt);
}

/* Raw frames to the card (libnfc's NP_EASY_FRAMING off). The chip adds
 * and checks the CRC; the card answers ISO 14443-4 blocks while it is
 * active, and nothing answers anything else (raw REQB, other card types).
 * libnfc 1.8 checks presence this way: R(NAK) with CID 1 (BA 01). */
static void cmd_in_communicate_thru(emu *e, const uint8_t *p, size_t n)
{
  drop_answer(e);
  /* nothing to send (libnfc's NFC Barcode discovery, which listens for a
   * tag talking first): only our card is in the field, and it does not */
  if(n < 2 || !card_powered(e) || e->state != CARD_ACTIVE) {
    answer_status(e, CMD_IN_COMMUNICATE_THRU, ST_TIMEOUT);
    return;
  }
  const uint8_t *d = p + 1;
  size_t len = n - 1;
  uint8_t pcb = d[0];
  /* a block with a CID for another card is not for ours */
  bool has_cid = pcb & 0x08;
  if(has_cid && (len < 2 || (d[1] & 0x0F) != ATTRIB_CID)) {
    answer_status(e, CMD_IN_COMMUNICATE_THRU, ST_TIMEOUT);
    return;
  }
  uint8_t buf[1 + CHUNK_MAX];
  size_t k = 0;
  buf[k++] = ST_OK;
  if((pcb & 0xE2) == 0x02 && !(pcb & 0x10)) {
    /* an I-block (unchained), with CID and NAD bytes if flagged */
    size_t off = 1 + (has_cid ? 1 : 0) + ((pcb & 0x04) ? 1 : 0);
    if(off > len) {
      answer_status(e, CMD_IN_COMMUNICATE_THRU, ST_TIMEOUT);
      return;
    }
    bool corrupt;
    if(!card_exchange(e, d + off, len - off, &corrupt))
      return;
    e->block = pcb & 0x01;
    buf[k++] = (uint8_t)(0x02 | (has_cid ? 0x08 : 0) | e->block);
    if(has_cid)
      buf[k++] = ATTRIB_CID;
    /* one block: what does not fit would be chained by the card */
    size_t m = e->resp_len;
    if(m > sizeof(buf) - k) {
      m = sizeof(buf) - k;
      buf[1] |= 0x10;
    }
    memcpy(buf + k, e->resp, m);
    k += m;
    drop_answer(e);
    e->last_status = ST_OK;
    send_frame(e, CMD_IN_COMMUNICATE_THRU, buf, k, corrupt);
    explicit_bzero(buf, k);
    return;
  }
  if((pcb & 0xE6) == 0xA2) {
    /* R(ACK) or R(NAK): the card acknowledges with its own block number.
     * (To one carrying its own number it would send its last block again;
     * the chip kept no copy and libnfc only looks for an answer.) */
    buf[k++] = (uint8_t)(0xA2 | (has_cid ? 0x08 : 0) | e->block);
  }
  else if((pcb & 0xF7) == 0xC2) {
    /* S(DESELECT) */
    buf[k++] = (uint8_t)(0xC2 | (has_cid ? 0x08 : 0));
    e->state = CARD_HALT;
    e->selected = false;
    log_line(e->log_fd, "# deselected");
  }
  else {
    answer_status(e, CMD_IN_COMMUNICATE_THRU, ST_TIMEOUT);
    return;
  }
  if(has_cid)
    buf[k++] = ATTRIB_CID;
  e->last_status = ST_OK;
  answer(e, CMD_IN_COMMUNICATE_THRU, buf, k);
}

/* InDeselect keeps the target listed (InSelect can wake it), InRelease
 * forgets it; both send S(DESELECT), which halts the card. A card that no
 * longer answers is released all the same. */
static void cmd_in_deselect(emu *e, const uint8_t *p, size_t n, bool release)
{
  uint8_t cmd = release ? CMD_IN_RELEASE : CMD_IN_DESELECT;
  if(n < 2) {
    answer_syntax_error(e);
    return;
  }
  drop_answer(e);
  if(p[1] != 0x00 && (p[1] != 0x01 || !e->listed)) {
    answer_status(e, cmd, ST_NOT_ACCEPTABLE);
    return;
  }
  if(target_reachable(e)) {
    e->state = CARD_HALT;
    log_line(e->log_fd, release ? "# released" : "# deselected");
  }
  e->selected = false;
  if(release)
    e->listed = false;
  answer_status(e, cmd, ST_OK);
}

/* WUPB + ATTRIB with the PUPI the chip keeps: only the same card in the
 * same power cycle answers it (after a power cycle it has a new PUPI). */
static void cmd_in_select(emu *e, const uint8_t *p, size_t n)
{
  if(n < 2) {
    answer_syntax_error(e);
    return;
  }
  drop_answer(e);
  if(p[1] != 0x01 || !e->listed) {
    answer_status(e, CMD_IN_SELECT, ST_NOT_ACCEPTABLE);
    return;
  }
  if(target_reachable(e)) {
    answer_status(e, CMD_IN_SELECT, ST_OK);
    return;
  }
  if(!card_powered(e)) {
    answer_status(e, CMD_IN_SELECT, ST_TIMEOUT);
    return;
  }
  if(e->state != CARD_HALT) {
    answer_status(e, CMD_IN_SELECT, ST_CARD_ID);
    return;
  }
  e->state = CARD_ACTIVE;
  e->block = 1;
  e->selected = true;
  myna_vcard_reset(e->card);
  log_line(e->log_fd, "# activated");
  answer_status(e, CMD_IN_SELECT, ST_OK);
}

static void unknown_command(emu *e, uint8_t code)
{
  if(!e->unknown_logged[code]) {
    e->unknown_logged[code] = true;
    errorf("pn532: command %02X not emulated (answered with a syntax error "
           "frame)", code);
  }
  answer_syntax_error(e);
}

/* One information frame from the host: pd is the command code and its
 * parameters. The chip acknowledges every well-formed frame at once and
 * answers when done. */
static void handle_command(emu *e, const uint8_t *pd, size_t n)
{
  /* a new command ends one the chip was still busy with, unanswered */
  e->pending = PENDING_NONE;
  queue_out(e, ack_frame, sizeof(ack_frame));
  if(!(pd[0] == CMD_IN_DATA_EXCHANGE && n == 2))
    drop_answer(e);
  switch(pd[0]) {
  case CMD_DIAGNOSE:
    cmd_diagnose(e, pd, n);
    break;
  case CMD_GET_FIRMWARE_VERSION: {
    /* PN532, firmware 1.6, ISO 14443 A and B and ISO 18092 */
    static const uint8_t fw[] = { 0x32, 0x01, 0x06, 0x07 };
    answer(e, CMD_GET_FIRMWARE_VERSION, fw, sizeof(fw));
    break;
  }
  case CMD_GET_GENERAL_STATUS:
    cmd_get_general_status(e);
    break;
  case CMD_READ_REGISTER:
    cmd_read_register(e, pd, n);
    break;
  case CMD_WRITE_REGISTER:
    cmd_write_register(e, pd, n);
    break;
  case CMD_READ_GPIO: {
    static const uint8_t gpio[] = { 0x3F, 0x07, 0x00 };
    answer(e, CMD_READ_GPIO, gpio, sizeof(gpio));
    break;
  }
  case CMD_WRITE_GPIO:
  case CMD_SET_SERIAL_BAUD_RATE:  /* a pseudo-terminal has no speed */
    answer(e, pd[0], NULL, 0);
    break;
  case CMD_SET_PARAMETERS:
    if(n < 2) {
      answer_syntax_error(e);
      break;
    }
    e->params = pd[1];
    answer(e, CMD_SET_PARAMETERS, NULL, 0);
    break;
  case CMD_SAM_CONFIGURATION:
    if(n < 2 || pd[1] < 0x01 || pd[1] > 0x04) {
      answer_syntax_error(e);
      break;
    }
    answer(e, CMD_SAM_CONFIGURATION, NULL, 0);
    break;
  case CMD_POWER_DOWN:
    /* the RF field goes with the chip; the host wakes it with 55 55 ... */
    set_field(e, false);
    answer_status(e, CMD_POWER_DOWN, ST_OK);
    break;
  case CMD_RF_CONFIGURATION:
    cmd_rf_configuration(e, pd, n);
    break;
  case CMD_IN_DATA_EXCHANGE:
    cmd_in_data_exchange(e, pd, n);
    break;
  case CMD_IN_COMMUNICATE_THRU:
    cmd_in_communicate_thru(e, pd, n);
    break;
  case CMD_IN_DESELECT:
    cmd_in_deselect(e, pd, n, false);
    break;
  case CMD_IN_RELEASE:
    cmd_in_deselect(e, pd, n, true);
    break;
  case CMD_IN_SELECT:
    cmd_in_select(e, pd, n);
    break;
  case CMD_IN_LIST_PASSIVE_TARGET:
    cmd_in_list_passive_target(e, pd, n);
    break;
  case CMD_IN_AUTO_POLL:
    cmd_in_auto_poll(e, pd, n);
    break;
  case CMD_IN_JUMP_FOR_DEP:
  case CMD_IN_JUMP_FOR_PSL:
    /* the card is no NFC-DEP target: nobody answers the ATR_REQ */
    answer_status(e, pd[0], ST_TIMEOUT);
    break;
  default:
    unknown_command(e, pd[0]);
    break;
  }
}

/* The host's ACK aborts the command in progress (libnfc's
 * nfc_abort_command); a NACK asks for the last answer again. */
static void handle_ack(emu *e)
{
  if(e->pending == PENDING_NONE)
    return;
  e->pending = PENDING_NONE;
  log_line(e->log_fd, "# aborted");
}

static void handle_nack(emu *e)
{
  if(e->pending == PENDING_NONE && e->last_len)
    queue_out(e, e->last, e->last_len);
}

static void bad_frame(emu *e, const char *what)
{
  /* a PN532 ignores such a frame: the host times out waiting for the ACK */
  if(e->bad_frame_logged)
    return;
  e->bad_frame_logged = true;
  errorf("pn532: ignored a frame with %s (reported once)", what);
}

/* Take every whole frame out of the input. Between frames anything but a
 * start code (00 FF) is skipped: preambles and postambles (00) and the
 * wake-up bytes (55) libnfc sends before SAMConfiguration. */
static void parse_input(emu *e)
{
  size_t off = 0;
  for(;;) {
    while(off + 1 < e->in_len &&
          !(e->in[off] == 0x00 && e->in[off + 1] == 0xFF))
      off++;
    size_t avail = e->in_len - off;
    if(avail < 4)
      break;
    const uint8_t *f = e->in + off;
    if(f[2] == 0x00 && f[3] == 0xFF) {
      off += 4;
      handle_ack(e);
      continue;
    }
    if(f[2] == 0xFF && f[3] == 0x00) {
      off += 4;
      handle_nack(e);
      continue;
    }
    size_t hdr, len;
    if(f[2] == 0xFF && f[3] == 0xFF) {
      if(avail < 7)
        break;
      len = (size_t)f[4] << 8 | f[5];
      hdr = 7;
      if((uint8_t)(f[4] + f[5] + f[6])) {
        bad_frame(e, "a bad length checksum");
        off += 2;
        continue;
      }
    }
    else {
      len = f[2];
      hdr = 4;
      if((uint8_t)(f[2] + f[3])) {
        bad_frame(e, "a bad length checksum");
        off += 2;
        continue;
      }
    }
    if(len < 2 || len > BODY_MAX) {
      bad_frame(e, "a bad length");
      off += 2;
      continue;
    }
    if(avail < hdr + len + 1)
      break;  /* the rest is on its way */
    const uint8_t *body = f + hdr;
    uint8_t sum = f[hdr + len];
    for(size_t i = 0; i < len; i++)
      sum += body[i];
    off += hdr + len + 1;
    if(sum)
      bad_frame(e, "a bad data checksum");
    else if(body[0] != TFI_HOST)
      bad_frame(e, "a frame identifier other than D4");
    else
      handle_command(e, body + 1, len - 1);
  }
  if(off) {
    memmove(e->in, e->in + off, e->in_len - off);
    explicit_bzero(e->in + e->in_len - off, off);
    e->in_len -= off;
  }
}

static void read_input(emu *e)
{
  ssize_t r;
  do
    r = read(e->master, e->in + e->in_len, IN_CAP - e->in_len);
  while(r < 0 && errno == EINTR);
  if(r < 0) {
    if(errno != EAGAIN && errno != EWOULDBLOCK && errno != EIO) {
      errorf("pn532: read: %s", strerror(errno));
      e->running = false;
    }
    return;
  }
  e->in_len += (size_t)r;
  parse_input(e);
  flush_out(e);
}

/* ---- signals and the loop ---------------------------------------------- */

static void say(const char *line)
{
  /* the acknowledgement a test waits for; a test that went away is no
   * reason to stop (SIGPIPE is ignored) */
  fputs(line, stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

static void handle_signals(emu *e)
{
  struct signalfd_siginfo si;
  while(read(e->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    switch(si.ssi_signo) {
    case SIGTERM:
    case SIGINT:
      e->running = false;
      break;
    case SIGUSR1:
      if(myna_vcard_is_present(e->card))
        card_removed(e);
      say("removed");
      break;
    case SIGUSR2:
      if(!myna_vcard_is_present(e->card)) {
        myna_vcard_set_present(e->card, true);
        card_power_cycle(e);
        log_line(e->log_fd, "# inserted");
        resolve_pending(e);
        flush_out(e);
      }
      say("inserted");
      break;
    default:
      break;
    }
  }
}

static int serve(emu *e)
{
  e->running = true;
  while(e->running) {
    struct pollfd p[2] = {
      { .fd = e->sig_fd, .events = POLLIN },
      { .fd = e->master, .events = POLLIN }
    };
    if(e->out_off < e->out_len)
      p[1].events |= POLLOUT;
    if(poll(p, 2, -1) < 0) {
      if(errno == EINTR)
        continue;
      errorf("poll: %s", strerror(errno));
      return EXIT_ERROR;
    }
    if(p[0].revents)
      handle_signals(e);
    if(!e->running)
      break;
    if(p[1].revents & (POLLERR | POLLNVAL | POLLHUP) &&
       !(p[1].revents & POLLIN)) {
      /* cannot happen while we hold the slave open */
      errorf("pn532: the pseudo-terminal failed");
      return EXIT_ERROR;
    }
    if(p[1].revents & POLLIN)
      read_input(e);
    if(p[1].revents & POLLOUT)
      flush_out(e);
  }
  return EXIT_OK;
}

/* ---- the pseudo-terminal ------------------------------------------------ */

static bool open_pty(emu *e)
{
  e->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if(e->master < 0 || grantpt(e->master) || unlockpt(e->master) ||
     ptsname_r(e->master, e->slave_name, sizeof(e->slave_name))) {
    errorf("pseudo-terminal: %s", strerror(errno));
    return false;
  }
  /* Hold the slave open: without it the master reads EIO (and polls
   * POLLHUP) whenever no libnfc program has the port open. */
  e->slave = open(e->slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if(e->slave < 0) {
    errorf("%s: %s", e->slave_name, strerror(errno));
    return false;
  }
  /* Raw before any client comes: echo would send our answers back to us,
   * and IXON would eat 11/13 bytes. libnfc sets its own raw mode on open
   * and restores these settings when it closes the port. (A pty pair has
   * one termios: setting it through the slave is setting it for both.) */
  struct termios t;
  if(tcgetattr(e->slave, &t)) {
    errorf("%s: %s", e->slave_name, strerror(errno));
    return false;
  }
  cfmakeraw(&t);
  cfsetspeed(&t, B115200);
  if(tcsetattr(e->slave, TCSANOW, &t)) {
    errorf("%s: %s", e->slave_name, strerror(errno));
    return false;
  }
  int fl = fcntl(e->master, F_GETFL);
  if(fl < 0 || fcntl(e->master, F_SETFL, fl | O_NONBLOCK)) {
    errorf("pseudo-terminal: %s", strerror(errno));
    return false;
  }
  return true;
}

/* The link at PATH, replaced atomically if one is there (a link left by a
 * killed run); anything else at PATH is not ours to remove. */
static bool make_link(emu *e)
{
  struct stat st;
  if(!lstat(e->link, &st) && !S_ISLNK(st.st_mode)) {
    errorf("--pty-link %s exists and is not a symbolic link", e->link);
    return false;
  }
  char tmp[PATH_MAX];
  if((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", e->link,
                      (long)getpid()) >= sizeof(tmp)) {
    errorf("--pty-link %s: name too long", e->link);
    return false;
  }
  unlink(tmp);
  if(symlink(e->slave_name, tmp) || rename(tmp, e->link)) {
    errorf("--pty-link %s: %s", e->link, strerror(errno));
    unlink(tmp);
    return false;
  }
  return true;
}

static void remove_link(emu *e)
{
  /* only while it still points at our terminal */
  char target[sizeof(e->slave_name)];
  ssize_t n = readlink(e->link, target, sizeof(target) - 1);
  if(n < 0)
    return;
  target[n] = '\0';
  if(!strcmp(target, e->slave_name))
    unlink(e->link);
}

/* ---- command line ------------------------------------------------------- */

void usage_pn532(FILE *f)
{
  fputs("Usage: " PROG " pn532 --pty-link PATH --profile FILE [--quirks SPEC]\n"
        "         [--remove-after-apdus N] [--bad-checksum-after N]\n"
        "         [--stall-after N] [--apdu-log FILE]\n"
        "\n"
        "Be a PN532 on a serial line with the software card in its field:\n"
        "open a pseudo-terminal, link PATH to it and speak the PN532 UART\n"
        "protocol, so that libnfc opens it as pn532_uart:PATH. The card is an\n"
        "ISO 14443-4 Type B target (106 kbit/s, a random PUPI on every\n"
        "activation). Prints \"ready PATH\" once the link exists, then\n"
        "\"removed\" and \"inserted\" for each SIGUSR1 and SIGUSR2.\n"
        "\n"
        "  --pty-link PATH          a symbolic link to the terminal (replaced\n"
        "                           if one is there; removed at exit)\n"
        "  --profile FILE           the card's profile.ini or its folder\n"
        "  --quirks SPEC            short-only,t0,slow[=MS] (as for vpcd)\n"
        "  --remove-after-apdus N   the card leaves the field after answering\n"
        "                           the N-th APDU (N >= 1; once)\n"
        "  --bad-checksum-after N   the answer to the N-th APDU goes out with\n"
        "                           a wrong data checksum (once)\n"
        "  --stall-after N          the N-th APDU is done by the card but never\n"
        "                           answered: ACK only, until the host sends\n"
        "                           anything else (once)\n"
        "  --apdu-log FILE          append one line per APDU and event (never\n"
        "                           command or response data)\n"
        "  -h, --help               show this help\n"
        "\n"
        "APDUs are counted from the start of the program, over every libnfc\n"
        "client. Signals: SIGUSR1 takes the card out of the field, SIGUSR2\n"
        "puts it back (a new tap); SIGTERM and SIGINT end the program.\n"
        "Exit status: 0 ended by a signal, 1 error, 2 usage.\n",
        f);
}

int cmd_pn532(int argc, char **argv)
{
  enum { OPT_PTY_LINK = 256, OPT_PROFILE, OPT_QUIRKS, OPT_REMOVE_AFTER,
         OPT_BAD_CHECKSUM_AFTER, OPT_STALL_AFTER, OPT_APDU_LOG };
  static const struct option opts[] = {
    { "pty-link", required_argument, NULL, OPT_PTY_LINK },
    { "profile", required_argument, NULL, OPT_PROFILE },
    { "quirks", required_argument, NULL, OPT_QUIRKS },
    { "remove-after-apdus", required_argument, NULL, OPT_REMOVE_AFTER },
    { "bad-checksum-after", required_argument, NULL, OPT_BAD_CHECKSUM_AFTER },
    { "stall-after", required_argument, NULL, OPT_STALL_AFTER },
    { "apdu-log", required_argument, NULL, OPT_APDU_LOG },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  const char *link = NULL, *profile = NULL, *log_path = NULL;
  unsigned long remove_after = 0, bad_checksum_after = 0, stall_after = 0;
  unsigned quirks = 0, slow_ms = 0;
  int c, idx = 0;
  opterr = 0;
  optind = 1;
  while((c = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
    unsigned long *count = NULL;
    switch(c) {
    case OPT_PTY_LINK:
      if(!*optarg) {
        errorf("--pty-link needs a path");
        return EXIT_USAGE;
      }
      link = optarg;
      break;
    case OPT_PROFILE:
      profile = optarg;
      break;
    case OPT_QUIRKS:
      if(!parse_quirks_option(optarg, &quirks, &slow_ms))
        return EXIT_USAGE;
      break;
    case OPT_REMOVE_AFTER:
      count = &remove_after;
      break;
    case OPT_BAD_CHECKSUM_AFTER:
      count = &bad_checksum_after;
      break;
    case OPT_STALL_AFTER:
      count = &stall_after;
      break;
    case OPT_APDU_LOG:
      if(!*optarg) {
        errorf("--apdu-log needs a file name");
        return EXIT_USAGE;
      }
      log_path = optarg;
      break;
    case 'h':
      usage_pn532(stdout);
      return EXIT_OK;
    case ':':
      errorf("%s needs a value", argv[optind - 1]);
      return EXIT_USAGE;
    default:
      errorf("unknown option '%s' (see --help)", argv[optind - 1]);
      return EXIT_USAGE;
    }
    if(count && (!parse_number(optarg, ULONG_MAX, count) || !*count)) {
      errorf("--%s needs a count of 1 or more, not '%s'", opts[idx].name,
             optarg);
      return EXIT_USAGE;
    }
  }
  if(optind < argc) {
    errorf("unexpected argument '%s' (see --help)", argv[optind]);
    return EXIT_USAGE;
  }
  if(!link) {
    errorf("--pty-link is required (where libnfc finds the port)");
    return EXIT_USAGE;
  }
  if(!profile || !*profile) {
    errorf("--profile is required");
    return EXIT_USAGE;
  }

  emu *e = calloc(1, sizeof(*e));
  if(!e) {
    errorf("out of memory");
    return EXIT_ERROR;
  }
  e->link = link;
  e->master = e->slave = e->sig_fd = e->log_fd = -1;
  e->max_rty_passive = 0xFF;  /* the chip's default: retry for ever */
  e->bad_checksum_after = bad_checksum_after;
  e->stall_after = stall_after;
  bool linked = false;
  int rc = EXIT_ERROR;

  char err[512];
  e->card = myna_vcard_load(profile, err, sizeof(err));
  if(!e->card) {
    errorf("%s", err);
    goto out;
  }
  myna_vcard_set_quirks(e->card, quirks, slow_ms);
  if(remove_after)
    myna_vcard_remove_after(e->card, remove_after);
  e->resp = calloc(1, CARD_RESP_CAP);
  if(!e->resp) {
    errorf("out of memory");
    goto out;
  }
  if(log_path) {
    e->log_fd = apdu_log_open(log_path);
    if(e->log_fd < 0)
      goto out;
  }
  e->sig_fd = signals_open();
  if(e->sig_fd < 0)
    goto out;
  signal(SIGPIPE, SIG_IGN);
  if(!open_pty(e) || !make_link(e))
    goto out;
  linked = true;
  printf("ready %s\n", link);
  fflush(stdout);

  rc = serve(e);

out:
  if(linked)
    remove_link(e);
  myna_vcard_free(e->card);
  if(e->resp) {
    explicit_bzero(e->resp, CARD_RESP_CAP);
    free(e->resp);
  }
  if(e->master >= 0)
    close(e->master);
  if(e->slave >= 0)
    close(e->slave);
  if(e->sig_fd >= 0)
    close(e->sig_fd);
  if(e->log_fd >= 0)
    close(e->log_fd);
  explicit_bzero(e->in, sizeof(e->in));
  free(e);
  return rc;
}
