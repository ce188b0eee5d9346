package ha.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ha.jdbc.core.NativeException;
import java.math.BigDecimal;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTransientConnectionException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.Calendar;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

/** The Java side's own conversions, without the native library. */
class ConversionsTest {
    @Test
    void declaredTypesFollowSqliteAffinity() {
        assertEquals(Types.BIGINT, ColumnType.declared("INTEGER").sqlType());
        assertEquals(Types.BIGINT, ColumnType.declared("unsigned big int").sqlType());
        assertEquals(Types.BIGINT, ColumnType.declared("POINT").sqlType(), "INT anywhere in the name");
        assertEquals(Types.VARCHAR, ColumnType.declared("VARCHAR(20)").sqlType());
        assertEquals(20, ColumnType.declared("VARCHAR(20)").precision());
        assertEquals("VARCHAR", ColumnType.declared("varchar ( 20 )").name());
        assertEquals(Types.VARCHAR, ColumnType.declared("NATIVE CHARACTER(70)").sqlType());
        assertEquals(Types.VARCHAR, ColumnType.declared("CLOB").sqlType());
        assertEquals(Types.BLOB, ColumnType.declared("BLOB").sqlType());
        assertEquals(Types.OTHER, ColumnType.declared("").sqlType());
        assertEquals(Types.OTHER, ColumnType.declared(null).sqlType());
        assertEquals(Types.DOUBLE, ColumnType.declared("REAL").sqlType());
        assertEquals(Types.DOUBLE, ColumnType.declared("FLOAT").sqlType());
        assertEquals(Types.DOUBLE, ColumnType.declared("DOUBLE PRECISION").sqlType());
        assertEquals(Types.BOOLEAN, ColumnType.declared("BOOLEAN").sqlType());
        assertEquals(Types.DATE, ColumnType.declared("DATE").sqlType());
        assertEquals(Types.TIMESTAMP, ColumnType.declared("DATETIME").sqlType());
        assertEquals(Types.TIMESTAMP, ColumnType.declared("TIMESTAMP").sqlType());
        assertEquals(Types.TIME, ColumnType.declared("TIME").sqlType());
        ColumnType decimal = ColumnType.declared("DECIMAL(10,5)");
        assertEquals(Types.DECIMAL, decimal.sqlType());
        assertEquals(10, decimal.precision());
        assertEquals(5, decimal.scale());
        assertEquals(Types.NUMERIC, ColumnType.declared("NUMERIC").sqlType());
        assertEquals(Types.VARCHAR, ColumnType.declared("JSON").sqlType(), "numeric affinity, text in practice");
        assertEquals(Types.BIGINT, ColumnType.ofValue(1L).sqlType());
        assertEquals(Types.DOUBLE, ColumnType.ofValue(1.5).sqlType());
        assertEquals(Types.BLOB, ColumnType.ofValue(new byte[0]).sqlType());
        assertEquals(Types.VARCHAR, ColumnType.ofValue("x").sqlType());
    }

    @Test
    void likePatterns() {
        assertTrue(LikePattern.of(null).matches("anything"));
        assertTrue(LikePattern.of("%").matches(""));
        assertTrue(LikePattern.of("us_rs").matches("USERS"));
        assertFalse(LikePattern.of("us_rs").matches("usrs"));
        assertTrue(LikePattern.of("a%z").matches("a.b.z"));
        assertTrue(LikePattern.of("a\\_b").matches("a_b"));
        assertFalse(LikePattern.of("a\\_b").matches("axb"));
        assertTrue(LikePattern.of("50\\%").matches("50%"));
        assertTrue(LikePattern.of("x.y").matches("x.y"));
        assertFalse(LikePattern.of("x.y").matches("xzy"), "regex characters are literal");
        assertEquals("a_b", LikePattern.of("a\\_b").exactName());
        assertNull(LikePattern.of("a_b").exactName());
    }

    @Test
    void isoTextBothWays() throws SQLException {
        assertEquals("13:45:00", IsoDateTime.time(LocalTime.of(13, 45)));
        assertEquals("13:45:00.120", IsoDateTime.time(LocalTime.of(13, 45, 0, 120_000_000)));
        assertEquals("13:45:00.000001", IsoDateTime.time(LocalTime.of(13, 45, 0, 1_000)));
        assertEquals("2024-01-31 13:45:00.123", IsoDateTime.dateTime(LocalDateTime.of(2024, 1, 31, 13, 45, 0, 123_000_000)));
        assertEquals("2024-01-31 13:45:00Z", IsoDateTime.instant(Instant.parse("2024-01-31T13:45:00Z")));

        assertEquals(LocalDateTime.of(2024, 1, 31, 0, 0), IsoDateTime.parse("2024-01-31").local());
        assertEquals(LocalDateTime.of(2024, 1, 31, 13, 45, 7, 500_000_000), IsoDateTime.parse("2024-01-31T13:45:07.5").local());
        assertEquals(LocalDateTime.of(1970, 1, 1, 13, 45), IsoDateTime.parse("13:45").local());
        assertEquals(ZoneOffset.ofHours(2), IsoDateTime.parse("2024-01-31 13:45:00+02:00").offset());
        assertEquals(ZoneOffset.UTC, IsoDateTime.parse("2024-01-31 13:45:00Z").offset());
        assertNull(IsoDateTime.parse("yesterday"));
        assertNull(IsoDateTime.parse("2024-02-30"));

        Calendar utc = Calendar.getInstance(TimeZone.getTimeZone("UTC"));
        assertEquals(Instant.parse("2024-01-31T13:45:00Z"), Cells.timestamp("2024-01-31 13:45:00", utc).toInstant());
        assertEquals(Instant.parse("2024-01-31T11:45:00Z"), Cells.timestamp("2024-01-31 13:45:00+02:00", null).toInstant());
        assertEquals(new Timestamp(86_400_000L), Cells.timestamp(86_400_000L, null), "an integer is Unix milliseconds");
        assertEquals(Instant.parse("2000-01-01T12:00:00Z"), Cells.timestamp(2451545.0, null).toInstant(), "a real is a Julian day");
        assertThrows(SQLDataException.class, () -> Cells.timestamp("soon", null));
    }

    @Test
    void cellsConvertLikeSqlite() throws SQLException {
        assertEquals(12, Cells.longValue(" 12 "));
        assertEquals(3, Cells.longValue(3.9));
        assertEquals(1000, Cells.longValue("1e3"));
        assertEquals("22018", assertThrows(SQLDataException.class, () -> Cells.longValue("twelve")).getSQLState());
        assertEquals("22003", assertThrows(SQLDataException.class,
                () -> Cells.ranged(1L << 40, Integer.MIN_VALUE, Integer.MAX_VALUE, "int")).getSQLState());
        assertTrue(Cells.booleanValue("true"));
        assertFalse(Cells.booleanValue(0L));
        assertEquals(new BigDecimal("0.1"), Cells.bigDecimal(0.1));
        assertEquals("1", Cells.string(1L));
        assertInstanceOf(Boolean.class, Cells.object(1L, ColumnType.declared("BOOLEAN")));
        assertEquals("not a date", Cells.object("not a date", ColumnType.declared("DATE")), "kept as stored when it does not convert");
    }

    @Test
    void parametersBecomeSqliteValues() throws SQLException {
        assertEquals(1L, Parameters.toNative(true));
        assertEquals(7L, Parameters.toNative((short) 7));
        assertEquals(2.5, Parameters.toNative(2.5f));
        assertEquals("1E+3", new BigDecimal("1E+3").toString());
        assertEquals("1000", Parameters.toNative(new BigDecimal("1E+3")));
        assertEquals("123456789012345678901234567890", Parameters.toNative(new java.math.BigInteger("123456789012345678901234567890")));
        assertEquals(5L, Parameters.toNative(java.math.BigInteger.valueOf(5)));
        assertEquals("2024-01-31", Parameters.toNative(java.sql.Date.valueOf("2024-01-31")));
        assertEquals("x", Parameters.toNative('x'));
        assertEquals(42L, Parameters.toNative("42", Types.BIGINT));
        assertEquals("42", Parameters.toNative(42, Types.VARCHAR));
        assertThrows(SQLDataException.class, () -> Parameters.toNative(new Object()));
    }

    @Test
    void nativeFailuresMapBySqlState() {
        assertInstanceOf(SQLIntegrityConstraintViolationException.class,
                Errors.from(new NativeException("UNIQUE constraint failed: t.x", "sql_constraint", "23505", 19, -1)));
        assertInstanceOf(SQLSyntaxErrorException.class,
                Errors.from(new NativeException("near \"SELEC\"", "sql_syntax", "42601", 1, -1)));
        SQLException unavailable = Errors.from(new NativeException("down", "unavailable", "08006", 0, -1));
        assertInstanceOf(SQLTransientConnectionException.class, unavailable);
        assertEquals("08006", unavailable.getSQLState());
        assertInstanceOf(NativeException.class, unavailable.getCause());
        assertInstanceOf(java.sql.SQLFeatureNotSupportedException.class,
                Errors.from(new NativeException("no", "not_supported", "0A000", 0, -1)));
        assertInstanceOf(java.sql.SQLInvalidAuthorizationSpecException.class,
                Errors.from(new NativeException("no", "unauthorized", "28000", 0, -1)));
    }

    @Test
    void urlsNameTheirDatabase() {
        assertEquals("app.db", ConnectionUrl.database("http://h:8080/app.db", null));
        assertNull(ConnectionUrl.database("http://h:8080", null));
        assertEquals("x.db", ConnectionUrl.database("http://h:8080/app.db?database=x.db", null));
        assertEquals("ha.db", ConnectionUrl.database("file:/tmp/r.db?replication_url=nats://h:4222&node=n&database=ha.db", null));
        assertEquals("r.db", ConnectionUrl.database("file:/tmp/r.db?replication_url=nats://h:4222&node=n", null));
        java.util.Properties p = new java.util.Properties();
        p.setProperty("database", "given.db");
        assertEquals("given.db", ConnectionUrl.database("http://h:8080/app.db", p));
        assertTrue(ConnectionUrl.accepts("JDBC:HA:http://h"));
    }
}
