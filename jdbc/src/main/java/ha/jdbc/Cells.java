package ha.jdbc;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.Calendar;
import java.util.Locale;
import java.util.UUID;

/**
 * A cell of a result (Long, Double, String, byte[] or null, as SQLite stores values) read as
 * the Java type a getter asks for. Conversions follow SQLite's: numbers read as text and
 * text as numbers when it is one; text that is no number is a data error (22018), not 0.
 * Callers handle null (SQL NULL) before calling.
 */
final class Cells {
    private Cells() {}

    static String string(Object cell) {
        if (cell instanceof String) {
            return (String) cell;
        }
        if (cell instanceof byte[]) {
            return new String((byte[]) cell, StandardCharsets.UTF_8);
        }
        return String.valueOf(cell);
    }

    static long longValue(Object cell) throws SQLException {
        if (cell instanceof Long) {
            return (Long) cell;
        }
        if (cell instanceof Double) {
            return (long) (double) (Double) cell;
        }
        String text = string(cell).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            try {
                return new BigDecimal(text).longValueExact();
            } catch (NumberFormatException | ArithmeticException e2) {
                throw Errors.conversion("not an integer: " + abbreviated(text));
            }
        }
    }

    /** A narrower integer, refused (22003) when the value does not fit. */
    static long ranged(Object cell, long min, long max, String type) throws SQLException {
        long value = longValue(cell);
        if (value < min || value > max) {
            throw new java.sql.SQLDataException(value + " does not fit in " + type, "22003");
        }
        return value;
    }

    static double doubleValue(Object cell) throws SQLException {
        if (cell instanceof Long) {
            return (Long) cell;
        }
        if (cell instanceof Double) {
            return (Double) cell;
        }
        String text = string(cell).trim();
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw Errors.conversion("not a number: " + abbreviated(text));
        }
    }

    static boolean booleanValue(Object cell) throws SQLException {
        if (cell instanceof Long) {
            return (Long) cell != 0;
        }
        if (cell instanceof Double) {
            return (Double) cell != 0;
        }
        String text = string(cell).trim().toLowerCase(Locale.ROOT);
        switch (text) {
            case "1": case "true": case "t": case "yes": case "y": case "on":
                return true;
            case "0": case "false": case "f": case "no": case "n": case "off":
                return false;
            default:
                try {
                    return new BigDecimal(text).signum() != 0;
                } catch (NumberFormatException e) {
                    throw Errors.conversion("not a boolean: " + abbreviated(text));
                }
        }
    }

    static BigDecimal bigDecimal(Object cell) throws SQLException {
        if (cell instanceof Long) {
            return BigDecimal.valueOf((Long) cell);
        }
        if (cell instanceof Double) {
            double value = (Double) cell;
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                throw Errors.conversion("not a decimal: " + value);
            }
            return BigDecimal.valueOf(value);
        }
        String text = string(cell).trim();
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw Errors.conversion("not a decimal: " + abbreviated(text));
        }
    }

    static byte[] bytes(Object cell) {
        if (cell instanceof byte[]) {
            return ((byte[]) cell).clone();
        }
        return string(cell).getBytes(StandardCharsets.UTF_8);
    }

    static java.sql.Timestamp timestamp(Object cell, Calendar calendar) throws SQLException {
        if (cell instanceof String) {
            IsoDateTime.Parsed parsed = IsoDateTime.parse((String) cell);
            if (parsed != null && parsed.offset() == null && calendar == null) {
                // Wall-clock time with every digit of its fraction.
                return java.sql.Timestamp.valueOf(parsed.local());
            }
        }
        Instant instant = IsoDateTime.instant(cell, calendar);
        if (instant == null) {
            throw Errors.conversion("not a timestamp: " + abbreviated(string(cell)));
        }
        return java.sql.Timestamp.from(instant);
    }

    static java.sql.Date date(Object cell, Calendar calendar) throws SQLException {
        LocalDateTime local = IsoDateTime.local(cell, calendar);
        if (local == null) {
            throw Errors.conversion("not a date: " + abbreviated(string(cell)));
        }
        ZoneId zone = IsoDateTime.zone(calendar);
        return new java.sql.Date(local.toLocalDate().atStartOfDay(zone).toInstant().toEpochMilli());
    }

    static java.sql.Time time(Object cell, Calendar calendar) throws SQLException {
        LocalDateTime local = IsoDateTime.local(cell, calendar);
        if (local == null) {
            throw Errors.conversion("not a time: " + abbreviated(string(cell)));
        }
        ZoneId zone = IsoDateTime.zone(calendar);
        // JDBC's Time is that wall-clock time on 1970-01-01, milliseconds kept.
        return new java.sql.Time(LocalDate.EPOCH.atTime(local.toLocalTime()).atZone(zone).toInstant().toEpochMilli());
    }

    /** {@code getObject()}: the cell as its column's type says, or as stored when it does not convert. */
    static Object object(Object cell, ColumnType type) {
        if (cell == null) {
            return null;
        }
        try {
            switch (type.sqlType()) {
                case java.sql.Types.BOOLEAN:
                    return booleanValue(cell);
                case java.sql.Types.INTEGER:
                    return (int) ranged(cell, Integer.MIN_VALUE, Integer.MAX_VALUE, "INTEGER");
                case java.sql.Types.SMALLINT:
                    return (short) ranged(cell, Short.MIN_VALUE, Short.MAX_VALUE, "SMALLINT");
                case java.sql.Types.DATE:
                    return date(cell, null);
                case java.sql.Types.TIME:
                    return time(cell, null);
                case java.sql.Types.TIMESTAMP:
                    return timestamp(cell, null);
                case java.sql.Types.DECIMAL:
                case java.sql.Types.NUMERIC:
                    return bigDecimal(cell);
                default:
                    return cell instanceof byte[] ? ((byte[]) cell).clone() : cell;
            }
        } catch (SQLException e) {
            return cell;
        }
    }

    /** {@code getObject(column, type)}. */
    @SuppressWarnings("unchecked")
    static <T> T as(Object cell, Class<T> type) throws SQLException {
        if (cell == null) {
            return null;
        }
        Object value;
        if (type == String.class) {
            value = string(cell);
        } else if (type == Long.class) {
            value = longValue(cell);
        } else if (type == Integer.class) {
            value = (int) ranged(cell, Integer.MIN_VALUE, Integer.MAX_VALUE, "int");
        } else if (type == Short.class) {
            value = (short) ranged(cell, Short.MIN_VALUE, Short.MAX_VALUE, "short");
        } else if (type == Byte.class) {
            value = (byte) ranged(cell, Byte.MIN_VALUE, Byte.MAX_VALUE, "byte");
        } else if (type == Double.class) {
            value = doubleValue(cell);
        } else if (type == Float.class) {
            value = (float) doubleValue(cell);
        } else if (type == Boolean.class) {
            value = booleanValue(cell);
        } else if (type == BigDecimal.class) {
            value = bigDecimal(cell);
        } else if (type == BigInteger.class) {
            value = bigDecimal(cell).toBigInteger();
        } else if (type == byte[].class) {
            value = bytes(cell);
        } else if (type == java.sql.Date.class) {
            value = date(cell, null);
        } else if (type == java.sql.Time.class) {
            value = time(cell, null);
        } else if (type == java.sql.Timestamp.class || type == java.util.Date.class) {
            value = timestamp(cell, null);
        } else if (type == LocalDate.class) {
            value = localDateTime(cell).toLocalDate();
        } else if (type == LocalTime.class) {
            value = localDateTime(cell).toLocalTime();
        } else if (type == LocalDateTime.class) {
            value = localDateTime(cell);
        } else if (type == Instant.class) {
            value = timestamp(cell, null).toInstant();
        } else if (type == OffsetDateTime.class) {
            value = timestamp(cell, null).toInstant().atZone(ZoneId.systemDefault()).toOffsetDateTime();
        } else if (type == UUID.class) {
            value = uuid(cell);
        } else if (type == Object.class) {
            value = cell instanceof byte[] ? ((byte[]) cell).clone() : cell;
        } else {
            throw Errors.notSupported("getObject as " + type.getName());
        }
        return (T) value;
    }

    private static LocalDateTime localDateTime(Object cell) throws SQLException {
        LocalDateTime local = IsoDateTime.local(cell, null);
        if (local == null) {
            throw Errors.conversion("not a date or time: " + abbreviated(string(cell)));
        }
        return local;
    }

    private static UUID uuid(Object cell) throws SQLException {
        if (cell instanceof byte[] && ((byte[]) cell).length == 16) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap((byte[]) cell);
            return new UUID(buffer.getLong(), buffer.getLong());
        }
        try {
            return UUID.fromString(string(cell).trim());
        } catch (IllegalArgumentException e) {
            throw Errors.conversion("not a UUID: " + abbreviated(string(cell)));
        }
    }

    private static String abbreviated(String text) {
        return text.length() <= 40 ? "'" + text + "'" : "'" + text.substring(0, 40) + "...'";
    }
}
