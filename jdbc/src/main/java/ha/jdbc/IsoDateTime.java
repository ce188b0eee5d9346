package ha.jdbc;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Calendar;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dates and times as SQLite keeps them: ISO-8601 text that its date functions read and that
 * sorts as it should ({@code 2024-01-31}, {@code 13:45:00}, {@code 2024-01-31 13:45:00.123},
 * optionally followed by {@code Z} or {@code +01:00}). A value without an offset is a wall-clock
 * time, read in the calendar's zone (the JVM's by default), as JDBC's {@code Timestamp} is.
 * Numbers are read too: an integer as Unix milliseconds, a real as a Julian day (SQLite's
 * {@code julianday()}).
 */
final class IsoDateTime {
    private static final Pattern TEXT = Pattern.compile(
            "\\s*(?:(\\d{4})-(\\d{2})-(\\d{2}))?"
            + "(?:[T ]?(\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9})\\d*)?)?)?"
            + "\\s*(Z|[+-]\\d{2}:?\\d{2})?\\s*");
    private static final double UNIX_EPOCH_JULIAN_DAY = 2440587.5;
    private static final double MILLIS_PER_DAY = 86_400_000.0;

    private IsoDateTime() {}

    /** A wall-clock date and time, and its offset when the text had one. */
    record Parsed(LocalDateTime local, ZoneOffset offset) {
        Instant instant(ZoneId zone) {
            return offset != null ? local.toInstant(offset) : local.atZone(zone).toInstant();
        }
    }

    /** Reads ISO text; null when it is not a date or time. */
    static Parsed parse(String text) {
        Matcher m = TEXT.matcher(text);
        if (!m.matches() || (m.group(1) == null && m.group(4) == null)) {
            return null;
        }
        try {
            LocalDate date = m.group(1) == null ? LocalDate.of(1970, 1, 1)
                    : LocalDate.of(num(m.group(1)), num(m.group(2)), num(m.group(3)));
            LocalTime time = LocalTime.MIDNIGHT;
            if (m.group(4) != null) {
                int nanos = 0;
                if (m.group(7) != null) {
                    String digits = (m.group(7) + "000000000").substring(0, 9);
                    nanos = num(digits);
                }
                time = LocalTime.of(num(m.group(4)), num(m.group(5)),
                        m.group(6) == null ? 0 : num(m.group(6)), nanos);
            }
            ZoneOffset offset = null;
            if (m.group(8) != null) {
                offset = m.group(8).equals("Z") ? ZoneOffset.UTC : ZoneOffset.of(withColon(m.group(8)));
            }
            return new Parsed(LocalDateTime.of(date, time), offset);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    /** The instant a cell names (text, Unix milliseconds, or a Julian day), or null. */
    static Instant instant(Object cell, Calendar calendar) {
        if (cell instanceof Long) {
            return Instant.ofEpochMilli((Long) cell);
        }
        if (cell instanceof Double) {
            double days = (Double) cell - UNIX_EPOCH_JULIAN_DAY;
            return Instant.ofEpochMilli(Math.round(days * MILLIS_PER_DAY));
        }
        if (cell instanceof String) {
            Parsed parsed = parse((String) cell);
            return parsed == null ? null : parsed.instant(zone(calendar));
        }
        return null;
    }

    /** A cell's wall-clock date and time in the calendar's zone, or null. */
    static LocalDateTime local(Object cell, Calendar calendar) {
        if (cell instanceof String) {
            Parsed parsed = parse((String) cell);
            if (parsed == null) {
                return null;
            }
            if (parsed.offset == null) {
                return parsed.local;
            }
            return LocalDateTime.ofInstant(parsed.local.toInstant(parsed.offset), zone(calendar));
        }
        Instant instant = instant(cell, calendar);
        return instant == null ? null : LocalDateTime.ofInstant(instant, zone(calendar));
    }

    static ZoneId zone(Calendar calendar) {
        return calendar == null ? ZoneId.systemDefault() : calendar.getTimeZone().toZoneId();
    }

    static String date(LocalDate date) {
        return date.toString();
    }

    /** {@code 13:45:00}, with a fraction only when there is one. */
    static String time(LocalTime time) {
        return String.format("%02d:%02d:%02d", time.getHour(), time.getMinute(), time.getSecond())
                + fraction(time.getNano());
    }

    /** {@code 2024-01-31 13:45:00.123}: a space, as SQLite's {@code datetime()} writes. */
    static String dateTime(LocalDateTime value) {
        return date(value.toLocalDate()) + " " + time(value.toLocalTime());
    }

    static String offsetDateTime(OffsetDateTime value) {
        ZoneOffset offset = value.getOffset();
        return dateTime(value.toLocalDateTime()) + (offset.equals(ZoneOffset.UTC) ? "Z" : offset.getId());
    }

    static String instant(Instant value) {
        return offsetDateTime(value.atOffset(ZoneOffset.UTC));
    }

    /** Milliseconds when the nanoseconds are whole milliseconds, else as many digits as needed. */
    private static String fraction(int nanos) {
        if (nanos == 0) {
            return "";
        }
        String digits = String.format("%09d", nanos);
        int end = 9;
        while (end > 3 && digits.charAt(end - 1) == '0') {
            end--;
        }
        return "." + digits.substring(0, end);
    }

    private static String withColon(String offset) {
        return offset.length() == 5 ? offset.substring(0, 3) + ":" + offset.substring(3) : offset;
    }

    private static int num(String digits) {
        return Integer.parseInt(digits);
    }
}
