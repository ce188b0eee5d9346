package ha.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Calendar;
import java.util.UUID;

/**
 * A prepared statement's positional parameters as the native library takes them: null, Long,
 * Double, String or byte[] (SQLite's storage classes). Booleans are 1/0, decimals their plain
 * text, dates and times ISO-8601 text ({@link IsoDateTime}), UUIDs their text.
 */
final class Parameters {
    private Object[] values = new Object[8];
    private int count;

    void set(int index, Object nativeValue) throws SQLException {
        if (index < 1) {
            throw Errors.badArgument("parameter indexes start at 1, not " + index);
        }
        if (index > values.length) {
            values = Arrays.copyOf(values, Math.max(index, values.length * 2));
        }
        values[index - 1] = nativeValue;
        count = Math.max(count, index);
    }

    void clear() {
        Arrays.fill(values, null);
        count = 0;
    }

    /** The values set so far (a parameter never set is NULL). */
    Object[] snapshot() {
        return Arrays.copyOf(values, count);
    }

    /** A Java value as the native library takes it. */
    static Object toNative(Object value) throws SQLException {
        if (value == null) {
            return null;
        }
        if (value instanceof Long || value instanceof Double || value instanceof String) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float) {
            return ((Float) value).doubleValue();
        }
        if (value instanceof Boolean) {
            return (Boolean) value ? 1L : 0L;
        }
        if (value instanceof byte[]) {
            return ((byte[]) value).clone();
        }
        if (value instanceof BigDecimal) {
            return ((BigDecimal) value).toPlainString();
        }
        if (value instanceof BigInteger) {
            BigInteger big = (BigInteger) value;
            return big.bitLength() < 64 ? (Object) big.longValue() : big.toString();
        }
        Object temporal = temporal(value, null);
        if (temporal != null) {
            return temporal;
        }
        if (value instanceof UUID || value instanceof Character || value instanceof Enum) {
            return value instanceof Enum ? ((Enum<?>) value).name() : value.toString();
        }
        if (value instanceof char[]) {
            return new String((char[]) value);
        }
        if (value instanceof java.sql.Blob) {
            java.sql.Blob blob = (java.sql.Blob) value;
            return blob.getBytes(1, Math.toIntExact(blob.length()));
        }
        if (value instanceof java.sql.Clob) {
            java.sql.Clob clob = (java.sql.Clob) value;
            return clob.getSubString(1, Math.toIntExact(clob.length()));
        }
        if (value instanceof InputStream) {
            return bytes((InputStream) value, -1);
        }
        if (value instanceof Reader) {
            return text((Reader) value, -1);
        }
        throw Errors.conversion("a parameter of type " + value.getClass().getName() + " cannot be sent; "
                + "use a number, String, byte[], Boolean, BigDecimal, a date or time, or UUID");
    }

    /** Dates and times as ISO text; the calendar's zone reads a java.sql value's wall clock. */
    static String temporal(Object value, Calendar calendar) {
        if (value instanceof java.sql.Timestamp) {
            java.sql.Timestamp ts = (java.sql.Timestamp) value;
            if (calendar == null) {
                return IsoDateTime.dateTime(ts.toLocalDateTime());
            }
            return IsoDateTime.dateTime(LocalDateTime.ofInstant(ts.toInstant(), IsoDateTime.zone(calendar)));
        }
        if (value instanceof java.sql.Date) {
            java.sql.Date date = (java.sql.Date) value;
            if (calendar == null) {
                return IsoDateTime.date(date.toLocalDate());
            }
            return IsoDateTime.date(Instant.ofEpochMilli(date.getTime()).atZone(IsoDateTime.zone(calendar)).toLocalDate());
        }
        if (value instanceof java.sql.Time) {
            java.sql.Time time = (java.sql.Time) value;
            LocalTime local = Instant.ofEpochMilli(time.getTime()).atZone(IsoDateTime.zone(calendar)).toLocalTime();
            return IsoDateTime.time(local);
        }
        if (value instanceof java.util.Date) {
            return temporal(new java.sql.Timestamp(((java.util.Date) value).getTime()), calendar);
        }
        if (value instanceof LocalDate) {
            return IsoDateTime.date((LocalDate) value);
        }
        if (value instanceof LocalTime) {
            return IsoDateTime.time((LocalTime) value);
        }
        if (value instanceof LocalDateTime) {
            return IsoDateTime.dateTime((LocalDateTime) value);
        }
        if (value instanceof OffsetDateTime) {
            return IsoDateTime.offsetDateTime((OffsetDateTime) value);
        }
        if (value instanceof ZonedDateTime) {
            return IsoDateTime.offsetDateTime(((ZonedDateTime) value).toOffsetDateTime());
        }
        if (value instanceof Instant) {
            return IsoDateTime.instant((Instant) value);
        }
        return null;
    }

    /** {@code setObject(index, value, targetSqlType)}: the value converted to that type first. */
    static Object toNative(Object value, int targetSqlType) throws SQLException {
        Object cell = toNative(value);
        if (cell == null) {
            return null;
        }
        switch (targetSqlType) {
            case java.sql.Types.CHAR: case java.sql.Types.VARCHAR: case java.sql.Types.LONGVARCHAR:
            case java.sql.Types.NCHAR: case java.sql.Types.NVARCHAR: case java.sql.Types.LONGNVARCHAR:
            case java.sql.Types.CLOB: case java.sql.Types.NCLOB:
                return Cells.string(cell);
            case java.sql.Types.BIGINT: case java.sql.Types.INTEGER: case java.sql.Types.SMALLINT:
            case java.sql.Types.TINYINT:
                return Cells.longValue(cell);
            case java.sql.Types.DOUBLE: case java.sql.Types.FLOAT: case java.sql.Types.REAL:
                return Cells.doubleValue(cell);
            case java.sql.Types.BOOLEAN: case java.sql.Types.BIT:
                return Cells.booleanValue(cell) ? 1L : 0L;
            case java.sql.Types.DECIMAL: case java.sql.Types.NUMERIC:
                return Cells.bigDecimal(cell).toPlainString();
            case java.sql.Types.BINARY: case java.sql.Types.VARBINARY: case java.sql.Types.LONGVARBINARY:
            case java.sql.Types.BLOB:
                return Cells.bytes(cell);
            default:
                return cell;
        }
    }

    static byte[] bytes(InputStream in, long length) throws SQLException {
        try {
            return length < 0 ? in.readAllBytes() : in.readNBytes(Math.toIntExact(length));
        } catch (IOException e) {
            throw new SQLException("reading the parameter's stream failed: " + e.getMessage(), "HY000", e);
        }
    }

    static String text(Reader in, long length) throws SQLException {
        StringBuilder out = new StringBuilder();
        char[] buffer = new char[8192];
        try {
            long left = length < 0 ? Long.MAX_VALUE : length;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    break;
                }
                out.append(buffer, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw new SQLException("reading the parameter's reader failed: " + e.getMessage(), "HY000", e);
        }
        return out.toString();
    }
}
