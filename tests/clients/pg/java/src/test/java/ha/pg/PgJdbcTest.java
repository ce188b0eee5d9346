package ha.pg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
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

    /** A fetch size in a transaction: pgjdbc reads the result three rows per Execute. */
    @Test
    void aFetchSizeReadsTheRowsAFewAtATime() throws Exception {
        String t = freshTable("java_fetched", "id INTEGER PRIMARY KEY, name TEXT");
        try (Connection c = server.connect()) {
            try (Statement s = c.createStatement()) {
                StringBuilder values = new StringBuilder();
                for (int i = 1; i <= 10; i++) {
                    values.append(i == 1 ? "" : ", ").append("(").append(i).append(", 'row ").append(i).append("')");
                }
                assertEquals(10, s.executeUpdate("INSERT INTO " + t + " VALUES " + values));
            }
            c.setAutoCommit(false);
            for (int round = 0; round < 2; round++) {
                try (PreparedStatement q = c.prepareStatement(
                        "SELECT id, name FROM " + t + " WHERE id > ? ORDER BY id")) {
                    q.setFetchSize(3);
                    q.setInt(1, 2);
                    List<Long> ids = new ArrayList<>();
                    try (ResultSet rs = q.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getLong(1));
                            assertEquals("row " + rs.getLong(1), rs.getString(2));
                        }
                    }
                    assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), ids);
                }
            }
            c.commit();
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

    // SQLite's dynamic typing: a column holds whatever each row stored, whatever its declared
    // type. ha describes a result column after seeing its values when it can (the simple
    // protocol, and portals it describes in the extended protocol): in its declared type when
    // every value fits it, else in the one type its values share (integers with reals: float8),
    // else as text, which carries any value. A real PostgreSQL refuses to store such data, hence
    // ha-only.
    private static final String DYNAMIC_TYPING = "ha-specific: SQLite dynamic typing, not on real PostgreSQL";

    /**
     * A table whose columns hold values of several storage classes. SQLite keeps: i = integer 1,
     * real 2.5, text 'z', integer 2; r = real 1.5, text 'zz', real 2.0, NULL; t = 'a', '3', blob
     * x'41', NULL; b = blob 00ff, text 'text', integer 7, NULL; n = 1, 2.5, 'n', NULL; u = 1, 'z',
     * 2.5, blob 0102.
     */
    private static String mixedTable(String name) throws SQLException {
        freshTable(name, "i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC, u");
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO " + name + " VALUES (1, 1.5, 'a', x'00ff', 1, 1), "
                    + "(2.5, 'zz', 3, 'text', 2.5, 'z'), ('z', 2, x'41', 7, 'n', 2.5), "
                    + "(2.0, NULL, NULL, NULL, NULL, x'0102')");
        }
        return name;
    }

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    /** Every row of a result as getString values. */
    private static List<List<String>> strings(ResultSet rs) throws SQLException {
        int columns = rs.getMetaData().getColumnCount();
        List<List<String>> rows = new ArrayList<>();
        while (rs.next()) {
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= columns; i++) {
                row.add(rs.getString(i));
            }
            rows.add(row);
        }
        return rows;
    }

    private static List<String> typeNames(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            names.add(md.getColumnTypeName(i));
        }
        return names;
    }

    @ParameterizedTest
    @ValueSource(strings = {"extended", "simple"})
    void columnsWhoseValuesShareNoTypeComeBackAsText(String queryMode) throws Exception {
        assumeTrue(server.isHa(), DYNAMIC_TYPING);
        String t = mixedTable("java_dyn_text");
        try (Connection c = server.connect(HaServer.PASSWORD, props("preferQueryMode", queryMode));
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT i, r, t, b, n, u FROM " + t + " ORDER BY rowid")) {
            assertEquals(List.of("text", "text", "text", "text", "text", "text"), typeNames(rs));
            // Integers in decimal, reals as SQLite writes them, blobs as PostgreSQL's bytea text.
            assertEquals(List.of(
                    List.of("1", "1.5", "a", "\\x00ff", "1", "1"),
                    List.of("2.5", "zz", "3", "text", "2.5", "z"),
                    List.of("z", "2.0", "\\x41", "7", "n", "2.5"),
                    Arrays.asList("2", null, null, null, null, "\\x0102")), strings(rs));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"extended", "simple"})
    void columnsWhoseValuesAllFitATypeComeBackInIt(String queryMode) throws Exception {
        assumeTrue(server.isHa(), DYNAMIC_TYPING);
        String t = mixedTable("java_dyn_typed");
        try (Connection c = server.connect(HaServer.PASSWORD, props("preferQueryMode", queryMode));
                Statement s = c.createStatement()) {
            Object[][] cases = {
                {"SELECT i FROM " + t + " WHERE rowid IN (1,4) ORDER BY rowid", "int8", List.of(1L, 2L)},
                // integers with reals: float8
                {"SELECT i FROM " + t + " WHERE rowid IN (1,2) ORDER BY rowid", "float8", List.of(1.0, 2.5)},
                {"SELECT r FROM " + t + " WHERE rowid IN (1,3) ORDER BY rowid", "float8", List.of(1.5, 2.0)},
            };
            for (Object[] k : cases) {
                String sql = (String) k[0];
                try (ResultSet rs = s.executeQuery(sql)) {
                    assertEquals(List.of(k[1]), typeNames(rs), sql);
                    List<Object> values = new ArrayList<>();
                    while (rs.next()) {
                        values.add(rs.getObject(1));
                    }
                    assertEquals(k[2], values, sql);
                }
            }
            // A blob column with a text value: text fits bytea.
            try (ResultSet rs = s.executeQuery(
                    "SELECT b FROM " + t + " WHERE rowid IN (1,2) ORDER BY rowid")) {
                assertEquals(List.of("bytea"), typeNames(rs));
                assertTrue(rs.next());
                assertArrayEquals(new byte[] {0, (byte) 0xff},
                        assertInstanceOf(byte[].class, rs.getObject(1)));
                assertTrue(rs.next());
                assertArrayEquals("text".getBytes(StandardCharsets.UTF_8), rs.getBytes(1));
                assertFalse(rs.next());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"extended", "simple"})
    void expressionsMixingStorageClassesComeBackAsText(String queryMode) throws Exception {
        assumeTrue(server.isHa(), DYNAMIC_TYPING);
        try (Connection c = server.connect(HaServer.PASSWORD, props("preferQueryMode", queryMode));
                Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT 1 UNION ALL SELECT 'x'")) {
                assertEquals(List.of("text"), typeNames(rs));
                assertEquals(List.of(List.of("1"), List.of("x")), strings(rs));
            }
            try (ResultSet rs = s.executeQuery("SELECT 'x' UNION ALL SELECT 1")) {
                assertEquals(List.of("text"), typeNames(rs));
                assertEquals(List.of(List.of("x"), List.of("1")), strings(rs));
            }
            try (ResultSet rs = s.executeQuery("SELECT a, CASE WHEN a > 1 THEN 'big' ELSE a END AS c "
                    + "FROM (SELECT 1 AS a UNION ALL SELECT 2) ORDER BY a")) {
                assertEquals(List.of("int8", "text"), typeNames(rs));
                assertTrue(rs.next());
                assertEquals(1L, rs.getObject(1));
                assertEquals("1", rs.getObject(2));
                assertTrue(rs.next());
                assertEquals(2L, rs.getObject(1));
                assertEquals("big", rs.getObject(2));
                assertFalse(rs.next());
            }
        }
    }

    /**
     * Runs {@code SELECT i, r FROM t WHERE rowid = ?} for rowids 1 to 4, three times over, and
     * checks each row's values; returns the statement's last {@link PGStatement#isUseServerPrepare}.
     */
    private static boolean selectEachRowThreeTimes(Connection c, String t) throws SQLException {
        List<List<String>> expected = List.of(
                List.of("1", "1.5"),
                List.of("2.5", "zz"),
                List.of("z", "2.0"),
                Arrays.asList("2", null));
        try (PreparedStatement q = c.prepareStatement("SELECT i, r FROM " + t + " WHERE rowid = ?")) {
            for (int round = 1; round <= 3; round++) {
                for (int id = 1; id <= 4; id++) {
                    q.setInt(1, id);
                    List<String> types;
                    List<List<String>> rows;
                    try (ResultSet rs = q.executeQuery()) {
                        types = typeNames(rs);
                        rows = strings(rs);
                    }
                    String what = "round " + round + ", rowid " + id + ", columns " + types;
                    List<String> want = expected.get(id - 1);
                    // The real 2.0 reads "2" as float8 text (PostgreSQL's spelling, a portal ha
                    // describes from its values) and "2.0" as text (SQLite's, once pgjdbc's
                    // re-prepared statement has text columns).
                    if (id == 3 && types.get(1).equals("float8")) {
                        want = List.of("z", "2");
                    }
                    assertEquals(List.of(want), rows, what);
                }
            }
            return q.unwrap(PGStatement.class).isUseServerPrepare();
        }
    }

    // pgjdbc describes a named server-prepared statement once (prepareThreshold executions in: 1,
    // or 5 by default) and no longer describes its portals. When a later row does not fit the
    // types it was told, ha answers like PostgreSQL does for a changed result type ("cached plan
    // must not change result type", 0A000): pgjdbc prepares the statement again by itself and
    // retries, and ha then describes its columns as text. No execution fails.
    @ParameterizedTest
    @CsvSource({"1, true", "1, false", "default, true", "default, false"})
    void aServerPreparedStatementSurvivesRowsOfOtherTypes(String prepareThreshold, boolean autoCommit)
            throws Exception {
        assumeTrue(server.isHa(), DYNAMIC_TYPING);
        String t = mixedTable("java_dyn_prepared");
        Properties p = prepareThreshold.equals("default") ? new Properties()
                : props("prepareThreshold", prepareThreshold);
        try (Connection c = server.connect(HaServer.PASSWORD, p)) {
            c.setAutoCommit(autoCommit);
            assertTrue(selectEachRowThreeTimes(c, t), "server-prepared by the end");
            if (!autoCommit) {
                c.commit();
            }
        }
    }

    @Test
    void anUnpreparedStatementFollowsEachRowsTypes() throws Exception {
        assumeTrue(server.isHa(), DYNAMIC_TYPING);
        String t = mixedTable("java_dyn_unprepared");
        // prepareThreshold=0: never server-prepared, every portal described: types follow each row.
        try (Connection c = server.connect(HaServer.PASSWORD, props("prepareThreshold", "0"));
                PreparedStatement q = c.prepareStatement("SELECT i, r FROM " + t + " WHERE rowid = ?")) {
            List<List<Object>> expected = List.of(
                    List.of(1L, 1.5),
                    List.of(2.5, "zz"),
                    List.of("z", 2.0),
                    Arrays.asList(2L, null));
            for (int round = 1; round <= 3; round++) {
                for (int id = 1; id <= 4; id++) {
                    q.setInt(1, id);
                    try (ResultSet rs = q.executeQuery()) {
                        assertTrue(rs.next());
                        String what = "round " + round + ", rowid " + id;
                        // equals also checks the classes: Long, Double, String.
                        assertEquals(expected.get(id - 1),
                                Arrays.asList(rs.getObject(1), rs.getObject(2)), what);
                        assertFalse(rs.next());
                    }
                }
            }
            assertFalse(q.unwrap(PGStatement.class).isUseServerPrepare());
        }
    }

    @Test
    void aReturningWriteWhoseValueDoesNotFitIsNotWrittenTwice() throws Exception {
        assumeTrue(server.isHa(), DYNAMIC_TYPING);
        String t = freshTable("java_dyn_returning", "id INTEGER PRIMARY KEY, v INTEGER");
        try (Connection c = server.connect(HaServer.PASSWORD, props("prepareThreshold", "1"));
                PreparedStatement ins = c.prepareStatement(
                        "INSERT INTO " + t + "(v) VALUES (?) RETURNING id, v")) {
            Object[] values = {1, 2.5, "z", 3, 4.0};
            List<String> expected = List.of("1", "2.5", "z", "3", "4");
            for (int k = 0; k < values.length; k++) {
                ins.setObject(1, values[k]);
                try (ResultSet rs = ins.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(k + 1, rs.getLong(1), "id of " + values[k]);
                    assertEquals(expected.get(k), rs.getString(2), "v of " + values[k]);
                    assertFalse(rs.next());
                }
            }
            // ha rolls back the attempt whose value does not fit before pgjdbc retries it.
            assertEquals(5, count(c, t));
            List<String> types = new ArrayList<>();
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT typeof(v) FROM " + t + " ORDER BY id")) {
                while (rs.next()) {
                    types.add(rs.getString(1));
                }
            }
            assertEquals(List.of("integer", "real", "text", "integer", "integer"), types);
        }
    }
}
