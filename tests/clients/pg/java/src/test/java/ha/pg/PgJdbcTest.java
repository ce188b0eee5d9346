package ha.pg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.postgresql.PGStatement;

/** ha's PostgreSQL front end driven by pgjdbc. */
class PgJdbcTest {
    private static HaServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = HaServer.start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    /** Drops and creates a table (reruns against a persistent server start clean). */
    private static String freshTable(String name, String columns) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + name);
            s.execute("CREATE TABLE " + name + "(" + columns.replace("{blob}", server.blobType()) + ")");
        }
        return name;
    }

    private static void assertSqlState(String expected, Executable action) {
        SQLException e = assertThrows(SQLException.class, action);
        assertEquals(expected, e.getSQLState(), () -> "SQLSTATE of: " + e.getMessage());
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            assertTrue(rs.next());
            return rs.getLong(1);
        }
    }

    @Test
    void connectsAndRefusesAWrongPasswordWith28P01() throws Exception {
        try (Connection c = server.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 1")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1));
        }
        assertSqlState("28P01", () -> server.connect("not-the-password", new Properties()).close());
    }

    @Test
    void insertUpdateDeleteReportRowCounts() throws Exception {
        String t = freshTable("java_crud", "id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL");
        try (Connection c = server.connect()) {
            try (PreparedStatement ins = c.prepareStatement(
                    "INSERT INTO " + t + "(id, name, score) VALUES (?, ?, ?)")) {
                for (int i = 1; i <= 3; i++) {
                    ins.setInt(1, i);
                    ins.setString(2, "n" + i);
                    ins.setDouble(3, i * 1.5);
                    assertEquals(1, ins.executeUpdate());
                }
            }
            try (PreparedStatement up = c.prepareStatement("UPDATE " + t + " SET score = ? WHERE id >= ?")) {
                up.setDouble(1, 10.0);
                up.setInt(2, 2);
                assertEquals(2, up.executeUpdate());
                up.setInt(2, 99);
                assertEquals(0, up.executeUpdate());
            }
            try (PreparedStatement del = c.prepareStatement("DELETE FROM " + t + " WHERE name = ?")) {
                del.setString(1, "n1");
                assertEquals(1, del.executeUpdate());
            }
            assertEquals(2, count(c, t));
        }
    }

    @Test
    void selectReturnsTypedValuesAndRealNulls() throws Exception {
        String t = freshTable("java_types",
                "id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data {blob}, flag BOOLEAN");
        byte[] bytes = {0, 1, (byte) 0xff, 'b'};
        try (Connection c = server.connect()) {
            try (PreparedStatement ins = c.prepareStatement(
                    "INSERT INTO " + t + "(id, name, score, data, flag) VALUES (?, ?, ?, ?, ?)")) {
                ins.setLong(1, 1);
                ins.setString(2, "héllo");
                ins.setDouble(3, 2.5);
                ins.setBytes(4, bytes);
                ins.setBoolean(5, true);
                ins.executeUpdate();
                ins.setLong(1, 2);
                ins.setString(2, "nulls");
                ins.setNull(3, Types.DOUBLE);
                ins.setNull(4, Types.BINARY);
                ins.setNull(5, Types.BOOLEAN);
                ins.executeUpdate();
            }
            try (PreparedStatement q = c.prepareStatement(
                    "SELECT id, name, score, data, flag FROM " + t + " WHERE id = ?")) {
                q.setLong(1, 1);
                try (ResultSet rs = q.executeQuery()) {
                    assertTrue(rs.next());
                    Object id = rs.getObject("id");
                    assertTrue(id instanceof Long || id instanceof Integer, "id is " + id.getClass());
                    assertEquals(1L, ((Number) id).longValue());
                    assertEquals("héllo", rs.getObject("name"));
                    Object score = rs.getObject("score");
                    assertTrue(score instanceof Double || score instanceof Float, "score is " + score.getClass());
                    assertEquals(2.5, ((Number) score).doubleValue());
                    assertArrayEquals(bytes, assertInstanceOf(byte[].class, rs.getObject("data")));
                    assertEquals(Boolean.TRUE, rs.getObject("flag"));
                    ResultSetMetaData md = rs.getMetaData();
                    assertTrue(List.of(Types.BIGINT, Types.INTEGER).contains(md.getColumnType(1)));
                    assertEquals(Types.VARCHAR, md.getColumnType(2)); // text
                    assertTrue(List.of(Types.DOUBLE, Types.REAL).contains(md.getColumnType(3)));
                    assertEquals(Types.BINARY, md.getColumnType(4)); // bytea
                    assertEquals(Types.BIT, md.getColumnType(5)); // bool
                    assertFalse(rs.next());
                }
                q.setLong(1, 2);
                try (ResultSet rs = q.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals("nulls", rs.getString("name"));
                    for (String col : List.of("score", "data", "flag")) {
                        assertNull(rs.getObject(col), col);
                        assertNull(rs.getString(col), col);
                    }
                    assertEquals(0.0, rs.getDouble("score"));
                    assertTrue(rs.wasNull());
                }
            }
            try (PreparedStatement q = c.prepareStatement("SELECT count(*) FROM " + t + " WHERE id > ?")) {
                q.setInt(1, 0);
                try (ResultSet rs = q.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(2L, assertInstanceOf(Long.class, rs.getObject(1)));
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "SELECT * FROM java_no_such_table | 42P01",
        "SELEC 1                          | 42601",
    })
    void statementErrorsCarryTheirSqlState(String sql, String sqlState) throws Exception {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            assertSqlState(sqlState, () -> s.execute(sql));
            try (ResultSet rs = s.executeQuery("SELECT 1")) {
                assertTrue(rs.next());
            }
        }
    }

    @Test
    void constraintViolationsCarryTheirSqlState() throws Exception {
        String t = freshTable("java_constraints", "id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE");
        try (Connection c = server.connect();
                PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
            ins.setInt(1, 1);
            ins.setString(2, "a");
            ins.executeUpdate();
            ins.setInt(1, 2);
            assertSqlState("23505", ins::executeUpdate); // name
            ins.setInt(1, 1);
            ins.setString(2, "b");
            assertSqlState("23505", ins::executeUpdate); // primary key
            ins.setInt(1, 3);
            ins.setNull(2, Types.VARCHAR);
            assertSqlState("23502", ins::executeUpdate);
            assertEquals(1, count(c, t));
        }
    }

    @Test
    void commitPersistsAndRollbackDiscards() throws Exception {
        String t = freshTable("java_tx", "id INTEGER PRIMARY KEY, name TEXT");
        try (Connection c = server.connect(); Connection other = server.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
                ins.setInt(1, 1);
                ins.setString(2, "kept");
                ins.executeUpdate();
                assertEquals(0, count(other, t));
                c.commit();
                assertEquals(1, count(other, t));
                ins.setInt(1, 2);
                ins.setString(2, "discarded");
                ins.executeUpdate();
                assertEquals(2, count(c, t));
                c.rollback();
            }
            assertEquals(1, count(c, t));
            assertEquals(1, count(other, t));
            c.commit();
        }
    }

    @Test
    void anErrorAbortsTheTransactionUntilRollback() throws Exception {
        String t = freshTable("java_tx_abort", "id INTEGER PRIMARY KEY, name TEXT");
        try (Connection c = server.connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO " + t + " VALUES (1, 'lost')");
                assertSqlState("42P01", () -> s.executeQuery("SELECT * FROM java_tx_abort_missing"));
                assertSqlState("25P02", () -> s.executeQuery("SELECT 1"));
                c.rollback();
                assertEquals(0, count(c, t));
                c.commit();
            }
        }
    }

    @Test
    void savepointRecoversFromAnError() throws Exception {
        String t = freshTable("java_savepoints", "id INTEGER PRIMARY KEY, name TEXT");
        try (Connection c = server.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
                ins.setInt(1, 1);
                ins.setString(2, "before");
                ins.executeUpdate();
                Savepoint sp = c.setSavepoint("sp1");
                ins.setInt(1, 2);
                ins.setString(2, "in sp");
                ins.executeUpdate();
                ins.setInt(1, 1);
                ins.setString(2, "dup");
                assertSqlState("23505", ins::executeUpdate);
                c.rollback(sp);
                ins.setInt(1, 3);
                ins.setString(2, "after");
                ins.executeUpdate();
                c.releaseSavepoint(sp);
                c.commit();
            }
            List<Integer> ids = new ArrayList<>();
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT id FROM " + t + " ORDER BY id")) {
                while (rs.next()) {
                    ids.add(rs.getInt(1));
                }
            }
            assertEquals(List.of(1, 3), ids);
            c.commit();
        }
    }

    @Test
    void serverPreparedStatementReturnsFreshResults() throws Exception {
        String t = freshTable("java_prepared", "id INTEGER PRIMARY KEY, name TEXT, score REAL");
        try (Connection c = server.connect();
                PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?, ?)");
                PreparedStatement q = c.prepareStatement(
                        "SELECT count(*), sum(score) FROM " + t + " WHERE score >= ?")) {
            // pgjdbc switches to a named server-side statement after prepareThreshold (5) runs.
            for (int i = 1; i <= 8; i++) {
                ins.setInt(1, i);
                ins.setString(2, "n" + i);
                ins.setDouble(3, i);
                assertEquals(1, ins.executeUpdate());
                q.setDouble(1, 2.0);
                try (ResultSet rs = q.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(i - 1, rs.getLong(1), "count after insert " + i);
                    assertEquals(i * (i + 1) / 2 - 1, rs.getDouble(2), 1e-9, "sum after insert " + i);
                }
            }
            assertTrue(q.unwrap(PGStatement.class).isUseServerPrepare());
            try (Statement s = c.createStatement()) {
                assertEquals(8, s.executeUpdate("UPDATE " + t + " SET score = 0"));
            }
            q.setDouble(1, 2.0);
            try (ResultSet rs = q.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(0, rs.getLong(1));
                assertNull(rs.getObject(2));
            }
        }
    }

    @Test
    void batchInsert() throws Exception {
        String t = freshTable("java_batch", "id INTEGER PRIMARY KEY, name TEXT");
        try (Connection c = server.connect();
                PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
            for (int i = 0; i < 10; i++) {
                ins.setInt(1, i);
                ins.setString(2, "b" + i);
                ins.addBatch();
            }
            int[] counts = ins.executeBatch();
            assertEquals(10, counts.length);
            for (int n : counts) {
                assertEquals(1, n);
            }
            assertEquals(10, count(c, t));
        }
    }

    @Test
    void generatedKeysComeBackThroughReturning() throws Exception {
        // pgjdbc appends RETURNING "id". The ids are explicit: SQLite's INTEGER PRIMARY KEY
        // numbers rows by itself, PostgreSQL's does not.
        String t = freshTable("java_keys", "id INTEGER PRIMARY KEY, name TEXT");
        try (Connection c = server.connect();
                PreparedStatement ins = c.prepareStatement(
                        "INSERT INTO " + t + "(id, name) VALUES (?, ?)", new String[] {"id"})) {
            for (int i = 1; i <= 2; i++) {
                ins.setInt(1, i * 10);
                ins.setString(2, "k" + i);
                assertEquals(1, ins.executeUpdate());
                try (ResultSet keys = ins.getGeneratedKeys()) {
                    assertTrue(keys.next());
                    assertEquals(i * 10, keys.getLong(1));
                    assertFalse(keys.next());
                }
            }
        }
    }

    @Test
    void showDatabasesListsHaDb() throws Exception {
        assumeTrue(server.isHa(), "ha-specific: not on real PostgreSQL");
        boolean found = false;
        try (Connection c = server.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW DATABASES")) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= columns; i++) {
                    String v = rs.getString(i);
                    found |= v != null && v.contains("ha.db");
                }
            }
        }
        assertTrue(found, "no row mentions ha.db");
    }
}
