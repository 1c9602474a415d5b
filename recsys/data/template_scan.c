/* The scanner of recsys/data/template_scan.py: lines of sessions.jsonl in the releases' own layout.
 *
 * Built by `make install` into _template_scan.so (cc -O2 -shared -fPIC) and called through ctypes, which
 * releases the GIL: the two scanning threads of recsys/data/template_read.py run truly in parallel.
 * Which lines are accepted, and why exactly those, is documented in template_scan.py; every accepted
 * line gives the values pyarrow's typed JSON read gives, and the first other line stops the scan.
 */
#include <stdint.h>
#include <string.h>

#define OFF (-1)

static int64_t literal(const uint8_t *buf, int64_t p, int64_t end, const char *key, int64_t m) {
    if (p < 0 || p + m > end || memcmp(buf + p, key, (size_t)m) != 0) return OFF;
    return p + m;
}

/* JSON's integer without a leading zero; 18 digits always fit in int64. */
static int64_t integer(const uint8_t *buf, int64_t p, int64_t end, int64_t *out) {
    int negative = p < end && buf[p] == '-';
    if (negative) p++;
    int64_t start = p, value = 0;
    while (p < end && buf[p] >= '0' && buf[p] <= '9' && p - start < 19) {
        value = value * 10 + (buf[p] - '0');
        p++;
    }
    int64_t digits = p - start;
    if (digits == 0 || digits > 18 || (buf[start] == '0' && (digits > 1 || negative))) return OFF;
    *out = negative ? -value : value;
    return p;
}

static int64_t digits(const uint8_t *buf, int64_t p, int count) {
    int64_t value = 0;
    for (int i = 0; i < count; i++) {
        uint8_t c = buf[p + i];
        if (c < '0' || c > '9') return OFF;
        value = value * 10 + (c - '0');
    }
    return value;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil; years >= 1970 only,
 * so C's division needs no rounding towards minus infinity). */
static int64_t days(int64_t year, int64_t month, int64_t day) {
    year -= month <= 2;
    int64_t era = year / 400;
    int64_t yoe = year - era * 400;
    int64_t doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* YYYY-MM-DDTHH:MM:SS[.f{1,6}], years 1970-9999, as milliseconds (the fraction cut, as pyarrow's cast). */
static int64_t timestamp(const uint8_t *buf, int64_t p, int64_t end, int64_t *out) {
    if (p + 19 > end) return OFF;
    if (buf[p + 4] != '-' || buf[p + 7] != '-' || buf[p + 10] != 'T' || buf[p + 13] != ':' || buf[p + 16] != ':')
        return OFF;
    int64_t year = digits(buf, p, 4), month = digits(buf, p + 5, 2), day = digits(buf, p + 8, 2);
    int64_t hour = digits(buf, p + 11, 2), minute = digits(buf, p + 14, 2), second = digits(buf, p + 17, 2);
    if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return OFF;
    if (minute < 0 || minute > 59 || second < 0 || second > 59) return OFF;
    int64_t last;
    if (month == 2)
        last = ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0) ? 29 : 28;
    else if (month == 4 || month == 6 || month == 9 || month == 11)
        last = 30;
    else
        last = 31;
    if (day > last) return OFF;
    p += 19;
    int64_t millis = 0, count = 0;
    if (p < end && buf[p] == '.') {
        p++;
        while (p < end && buf[p] >= '0' && buf[p] <= '9') {
            if (count < 3) millis = millis * 10 + (buf[p] - '0');
            count++;
            p++;
        }
        if (count == 0 || count > 6) return OFF;
        for (; count < 3; count++) millis *= 10;
    }
    *out = (((days(year, month, day) * 24 + hour) * 60 + minute) * 60 + second) * 1000 + millis;
    return p;
}

/* A string (printable ASCII without '"' or '\\', copied to the block's text) or null. */
static int64_t word(const uint8_t *buf, int64_t p, int64_t end, int32_t *offsets, uint8_t *text,
                    uint8_t *valid, int64_t row, int64_t slot, int64_t base, const int64_t *room) {
    if (slot + 1 >= room[0]) return OFF; /* no room left: the caller's outputs bound the block */
    int32_t at = offsets[slot];
    if (p < end && buf[p] == '"') {
        p++;
        while (p < end && buf[p] != '"') {
            uint8_t c = buf[p];
            if (c < 32 || c > 126 || c == '\\') return OFF; /* control, non-ASCII, escape */
            if (base + at >= room[1]) return OFF;
            text[base + at] = c;
            at++;
            p++;
        }
        if (p >= end) return OFF;
        valid[row] = 1;
        offsets[slot + 1] = at;
        return p + 1;
    }
    valid[row] = 0;
    offsets[slot + 1] = at;
    return literal(buf, p, end, "null", 4);
}

#define LIT(key) literal(buf, p, end, key, (int64_t)(sizeof(key) - 1))

/* Reads the lines of buf[:end] into the columns from row first_row on; returns the rows read and sets
 * *off to -1 when all were in the layout, else to the offset of the first line that is not. Nothing is
 * written beyond capacity rows, room[0] offsets or room[1] bytes of text (such a line counts as off). */
int64_t scan_lines(const uint8_t *buf, int64_t end, int32_t last, int64_t first_row, int64_t first_slot,
                   int64_t text_start, int64_t capacity, const int64_t *room, int64_t *session, int64_t *millis,
                   int64_t *user,
                   uint8_t *user_valid, int32_t *track_offsets, uint8_t *track_text, uint8_t *track_valid,
                   int32_t *event_offsets, uint8_t *event_text, uint8_t *event_valid, int64_t *off) {
    int64_t row = first_row, shift = first_slot - first_row, p = 0;
    *off = 0;
    if (first_slot >= room[0]) return 0;
    track_offsets[first_slot] = 0;
    event_offsets[first_slot] = 0;
    *off = OFF;
    while (p < end) {
        int64_t start = p;
        if (row >= capacity) {
            *off = start;
            return row - first_row;
        }
        p = LIT("{\"session_id\": ");
        if (p >= 0) p = integer(buf, p, end, &session[row]);
        if (p >= 0) p = LIT(", \"timestamp\": \"");
        if (p >= 0) p = timestamp(buf, p, end, &millis[row]);
        if (p >= 0) p = LIT("\", \"user_id\": ");
        if (p >= 0) {
            if (p < end && buf[p] == 'n') {
                p = LIT("null");
                user[row] = 0;
                user_valid[row] = 0;
            } else {
                p = integer(buf, p, end, &user[row]);
                user_valid[row] = 1;
            }
        }
        if (p >= 0) p = LIT(", \"track_id\": ");
        if (p >= 0) p = word(buf, p, end, track_offsets, track_text, track_valid, row, row + shift, text_start, room);
        if (p >= 0) p = LIT(", \"event_type\": ");
        if (p >= 0) p = word(buf, p, end, event_offsets, event_text, event_valid, row, row + shift, text_start, room);
        if (p < 0 || p >= end || buf[p] != '}') {
            *off = start;
            return row - first_row;
        }
        p++;
        if (p < end) {
            if (buf[p] != '\n') {
                *off = start;
                return row - first_row;
            }
            p++;
        } else if (!last) {
            *off = start;
            return row - first_row;
        }
        row++;
    }
    return row - first_row;
}

/* The number of '\n' in buf[:end]. */
int64_t line_breaks(const uint8_t *buf, int64_t end) {
    /* memchr jumps a line at a time with vector instructions: several times a byte-by-byte count's speed */
    int64_t count = 0;
    const uint8_t *p = buf, *stop = buf + end;
    while (p < stop && (p = memchr(p, '\n', (size_t)(stop - p))) != NULL) {
        count++;
        p++;
    }
    return count;
}

/* The offset of the last '\n' in buf[:end], or -1. */
int64_t last_line_break(const uint8_t *buf, int64_t end) {
    for (int64_t p = end - 1; p >= 0; p--)
        if (buf[p] == '\n') return p;
    return -1;
}
