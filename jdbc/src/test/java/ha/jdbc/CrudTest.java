package ha.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLDataException;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every setter and getter against a node and a replica: values at the edges round-trip. */
@ExtendWith(ClusterExtension.class)
class CrudTest {
    private static final String UNICODE = "héllo ✓ 𝄞 日本";

    /** A prepared statement run again after its table changed sees the new columns, never the old ones. */
    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void preparedStatementFollowsSchemaChanges(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind)) {
            String t = Db.table("reshaped");
            Db.run(c, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY, a TEXT)");
            Db.run(c, "INSERT INTO " + t + " VALUES (1, 'x')");
            try (PreparedStatement read = c.prepareStatement("SELECT * FROM " + t + " WHERE id = ?")) {
                for (int round = 0; round < 2; round++) {
                    read.setInt(1, 1);
                    try (ResultSet rs = read.executeQuery()) {
                        assertEquals(2, rs.getMetaData().getColumnCount());
                        assertEquals("a", rs.getMetaData().getColumnName(2));
                        assertEquals("TEXT", rs.getMetaData().getColumnTypeName(2));
                        assertTrue(rs.next());
                        assertEquals("x", rs.getString("a"));
                    }
                }
                Db.run(c, "ALTER TABLE " + t + " RENAME COLUMN a TO b");
                Db.run(c, "ALTER TABLE " + t + " ADD COLUMN c INTEGER DEFAULT 7");
                TestCluster.eventually("the new columns", java.time.Duration.ofSeconds(20), () -> {
                    read.setInt(1, 1);
                    try (ResultSet rs = read.executeQuery()) {
                        return rs.getMetaData().getColumnCount() == 3;
                    }
                });
                read.setInt(1, 1);
                try (ResultSet rs = read.executeQuery()) {
                    assertEquals("b", rs.getMetaData().getColumnName(2));
                    assertEquals("c", rs.getMetaData().getColumnName(3));
                    assertTrue(rs.next());
                    assertEquals("x", rs.getString("b"));
                    assertEquals(7, rs.getInt("c"));
                }
                // No row: the columns are still there.
                read.setInt(1, 99);
                try (ResultSet rs = read.executeQuery()) {
                    assertEquals(3, rs.getMetaData().getColumnCount());
                    assertFalse(rs.next());
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void insertSelectUpdateDelete(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind)) {
            String t = Db.table("crud");
            Db.run(c, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + t + "(name, score) VALUES (?, ?)")) {
                insert.setString(1, "ada");
                insert.setDouble(2, 1.5);
                assertEquals(1, insert.executeUpdate());
                insert.setString(1, "grace");
                insert.setNull(2, Types.DOUBLE);
                assertFalse(insert.execute());
                assertEquals(1, insert.getUpdateCount());
                assertNull(insert.getResultSet());
            }
            try (Statement s = c.createStatement()) {
                assertTrue(s.execute("SELECT id, name, score FROM " + t + " ORDER BY id"));
                assertEquals(-1, s.getUpdateCount());
                try (ResultSet rs = s.getResultSet()) {
                    assertTrue(rs.next());
                    assertEquals("ada", rs.getString("NAME"));
                    assertEquals(1.5, rs.getDouble(3));
                    assertTrue(rs.next());
                    assertEquals("grace", rs.getString(2));
                    assertEquals(0.0, rs.getDouble("score"));
                    assertTrue(rs.wasNull());
                    assertNull(rs.getObject("score"));
                    assertFalse(rs.next());
                }
                assertFalse(s.getMoreResults());
                assertEquals(-1, s.getUpdateCount());
                assertEquals(2, s.executeUpdate("UPDATE " + t + " SET name = upper(name)"));
                assertEquals(1, s.executeLargeUpdate("DELETE FROM " + t + " WHERE name = 'ADA'"));
                s.setMaxRows(1);
                Db.run(c, "INSERT INTO " + t + "(name) VALUES ('x'), ('y')");
                try (ResultSet rs = s.executeQuery("SELECT name FROM " + t + " ORDER BY id")) {
                    assertTrue(rs.next());
                    assertEquals("GRACE", rs.getString(1));
                    assertFalse(rs.next(), "maxRows cuts the rows");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void everySetterAndGetter(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind)) {
            String t = Db.table("types");
            Db.run(c, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY, i INTEGER, sh SMALLINT, b TINYINT, "
                    + "f REAL, d DOUBLE, txt TEXT, v VARCHAR(20), bin BLOB, flag BOOLEAN, dec DECIMAL(10,4), "
                    + "exact TEXT, day DATE, at TIME, ts TIMESTAMP, anything)");
            String insert = "INSERT INTO " + t + "(id, i, sh, b, f, d, txt, v, bin, flag, dec, exact, day, at, ts, anything) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
            try (PreparedStatement p = c.prepareStatement(insert)) {
                p.setLong(1, 1);
                p.setInt(2, Integer.MIN_VALUE);
                p.setShort(3, Short.MAX_VALUE);
                p.setByte(4, (byte) -7);
                p.setFloat(5, 0.25f);
                p.setDouble(6, -1e300);
                p.setString(7, UNICODE);
                p.setString(8, "");
                p.setBytes(9, new byte[] {0, 1, (byte) 255});
                p.setBoolean(10, true);
                p.setBigDecimal(11, new BigDecimal("1234.5678"));
                p.setBigDecimal(12, new BigDecimal("12345678901234567890.123456789"));
                p.setDate(13, Date.valueOf("2024-01-31"));
                p.setTime(14, Time.valueOf("13:45:00"));
                p.setTimestamp(15, Timestamp.valueOf("2024-01-31 13:45:00.123"));
                p.setLong(16, Long.MAX_VALUE);
                p.executeUpdate();
                p.clearParameters();
                p.setLong(1, 2);
                for (int i = 2; i <= 15; i++) {
                    p.setNull(i, Types.NULL);
                }
                p.setBytes(9, new byte[0]);
                p.setLong(16, Long.MIN_VALUE);
                p.executeUpdate();
            }
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT * FROM " + t + " ORDER BY id")) {
                assertTrue(rs.next());
                assertEquals(Integer.MIN_VALUE, rs.getInt("i"));
                assertEquals(Short.MAX_VALUE, rs.getShort("sh"));
                assertEquals((byte) -7, rs.getByte("b"));
                assertEquals(0.25f, rs.getFloat("f"));
                assertEquals(-1e300, rs.getDouble("d"));
                assertEquals(UNICODE, rs.getString("txt"));
                assertEquals("", rs.getString("v"));
                assertFalse(rs.wasNull());
                assertArrayEquals(new byte[] {0, 1, (byte) 255}, rs.getBytes("bin"));
                assertTrue(rs.getBoolean("flag"));
                assertEquals(Boolean.TRUE, rs.getObject("flag"));
                assertEquals(new BigDecimal("1234.5678"), rs.getBigDecimal("dec"));
                assertEquals(new BigDecimal("12345678901234567890.123456789"), rs.getBigDecimal("exact"));
                assertEquals(Date.valueOf("2024-01-31"), rs.getDate("day"));
                assertEquals("2024-01-31", rs.getString("day"));
                assertEquals(Time.valueOf("13:45:00"), rs.getTime("at"));
                assertEquals("13:45:00", rs.getString("at"));
                assertEquals(Timestamp.valueOf("2024-01-31 13:45:00.123"), rs.getTimestamp("ts"));
                assertEquals("2024-01-31 13:45:00.123", rs.getString("ts"));
                assertEquals(Timestamp.valueOf("2024-01-31 13:45:00.123"), rs.getObject("ts"));
                assertEquals(Long.MAX_VALUE, rs.getLong("anything"));
                assertEquals(Long.MAX_VALUE, rs.getObject("anything"));
                assertEquals(String.valueOf(Long.MAX_VALUE), rs.getString("anything"));
                SQLDataException overflow = assertThrows(SQLDataException.class, () -> rs.getInt("anything"));
                assertEquals("22003", overflow.getSQLState());
                assertEquals(Long.MAX_VALUE, rs.getObject("anything", Long.class));
                assertEquals(-7, rs.getObject("b", Integer.class));
                assertEquals(LocalDate.of(2024, 1, 31), rs.getObject("day", LocalDate.class));
                assertEquals(LocalTime.of(13, 45), rs.getObject("at", LocalTime.class));
                assertEquals(UNICODE, rs.getObject("txt", String.class));
                assertEquals(UNICODE, new String(rs.getBytes("txt"), java.nio.charset.StandardCharsets.UTF_8));

                ResultSetMetaData meta = rs.getMetaData();
                assertEquals(16, meta.getColumnCount());
                assertEquals("id", meta.getColumnLabel(1));
                assertEquals(Types.BIGINT, meta.getColumnType(2));
                assertEquals(Types.DOUBLE, meta.getColumnType(5));
                assertEquals(Types.VARCHAR, meta.getColumnType(7));
                assertEquals(Types.VARCHAR, meta.getColumnType(8));
                assertEquals(20, meta.getPrecision(8));
                assertEquals(Types.BLOB, meta.getColumnType(9));
                assertEquals(Types.BOOLEAN, meta.getColumnType(10));
                assertEquals(Types.DECIMAL, meta.getColumnType(11));
                assertEquals(10, meta.getPrecision(11));
                assertEquals(4, meta.getScale(11));
                assertEquals(Types.DATE, meta.getColumnType(13));
                assertEquals(Types.TIME, meta.getColumnType(14));
                assertEquals(Types.TIMESTAMP, meta.getColumnType(15));
                assertEquals("java.sql.Timestamp", meta.getColumnClassName(15));
                assertEquals(Types.BIGINT, meta.getColumnType(16), "no declared type: its first value's");

                assertTrue(rs.next());
                assertEquals(0, rs.getInt("i"));
                assertTrue(rs.wasNull());
                assertNull(rs.getString("txt"));
                assertNull(rs.getBigDecimal("dec"));
                assertNull(rs.getDate("day"));
                assertNull(rs.getTimestamp("ts"));
                assertFalse(rs.getBoolean("flag"));
                assertTrue(rs.wasNull());
                assertArrayEquals(new byte[0], rs.getBytes("bin"));
                assertFalse(rs.wasNull());
                assertEquals(Long.MIN_VALUE, rs.getLong("anything"));
                assertFalse(rs.next());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void setObjectDispatchesByType(String kind, TestCluster cluster) throws Exception {
        LocalDate day = LocalDate.of(2023, 12, 31);
        LocalDateTime when = LocalDateTime.of(2024, 2, 29, 23, 59, 58, 5_000_000);
        Instant instant = Instant.parse("2024-01-31T13:45:00.123Z");
        UUID uuid = UUID.randomUUID();
        try (Connection c = Db.open(cluster, kind);
                PreparedStatement p = c.prepareStatement(
                        "SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f, ? AS g, ? AS h, ? AS i, typeof(?) AS j")) {
            p.setObject(1, day);
            p.setObject(2, when);
            p.setObject(3, instant);
            p.setObject(4, uuid);
            p.setObject(5, 42);
            p.setObject(6, true);
            p.setObject(7, new BigDecimal("0.1"));
            p.setObject(8, "7", Types.INTEGER);
            p.setObject(9, null);
            p.setObject(10, 2.5f);
            try (ResultSet rs = p.executeQuery()) {
                assertTrue(rs.next());
                assertEquals("2023-12-31", rs.getString("a"));
                assertEquals(day, rs.getObject("a", LocalDate.class));
                assertEquals("2024-02-29 23:59:58.005", rs.getString("b"));
                assertEquals(when, rs.getObject("b", LocalDateTime.class));
                assertEquals("2024-01-31 13:45:00.123Z", rs.getString("c"));
                assertEquals(instant, rs.getObject("c", Instant.class));
                assertEquals(uuid, rs.getObject("d", UUID.class));
                assertEquals(42L, rs.getObject("e"));
                assertEquals(1L, rs.getObject("f"));
                assertEquals("0.1", rs.getString("g"));
                assertEquals(7L, rs.getObject("h"));
                assertNull(rs.getObject("i"));
                assertEquals("real", rs.getString("j"));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void scrollableResults(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind);
                Statement s = c.createStatement(ResultSet.TYPE_SCROLL_INSENSITIVE, ResultSet.CONCUR_READ_ONLY);
                ResultSet rs = s.executeQuery("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3")) {
            assertTrue(rs.last());
            assertEquals(3, rs.getInt(1));
            assertEquals(3, rs.getRow());
            assertTrue(rs.absolute(1));
            assertEquals(1, rs.getInt(1));
            assertTrue(rs.relative(1));
            assertEquals(2, rs.getInt(1));
            assertTrue(rs.previous());
            assertFalse(rs.previous());
            assertTrue(rs.isBeforeFirst());
        }
    }
}
