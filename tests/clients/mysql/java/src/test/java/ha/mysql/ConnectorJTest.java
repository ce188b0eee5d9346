package ha.mysql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLSyntaxErrorException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ha's MySQL front end driven by MySQL Connector/J. */
class ConnectorJTest {
    /** Connector/J's two ways to run a PreparedStatement. */
    private static final String CLIENT_PREP = "useServerPrepStmts=false";
    private static final String SERVER_PREP = "useServerPrepStmts=true&cachePrepStmts=true";

    private static HaServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = HaServer.start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            boolean alive = server.alive();
            server.close();
            assertTrue(alive, "the ha process died during the suite");
        }
    }

    /** Drops and creates a table (reruns against a persistent server start clean). */
    private static String freshTable(String name, String columns) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + name);
            s.execute("CREATE TABLE " + name + "(" + columns.replace("{autoinc}", server.autoinc()) + ")");
        }
        return name;
    }

    private static SQLException assertMysqlError(int errno, String sqlState, Executable action) {
        SQLException e = assertThrows(SQLException.class, action);
        String got = e.getErrorCode() + " " + e.getSQLState() + ": " + e.getMessage();
        assertEquals(errno, e.getErrorCode(), () -> "error code of: " + got);
        assertEquals(sqlState, e.getSQLState(), () -> "SQLSTATE of: " + got);
        return e;
    }

    private static List<List<Object>> rows(Connection c, String sql) throws SQLException {
        List<List<Object>> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getObject(i));
                }
                out.add(row);
            }
        }
        return out;
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            assertTrue(rs.next());
            return rs.getLong(1);
        }
    }

    @Test
    void connectsAndRefusesAWrongPasswordWith1045() throws Exception {
        try (Connection c = server.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 1, DATABASE()")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1));
            assertEquals("ha.db", rs.getString(2));
            assertEquals("ha.db", c.getCatalog());
            assertTrue(c.getAutoCommit());
            assertFalse(c.getMetaData().getDatabaseProductVersion().isEmpty());
        }
        assertMysqlError(1045, "28000", () -> server.connect("not-the-password", "").close());
    }

    @Test
    void statementCrudReportsUpdateCounts() throws Exception {
        String t = freshTable("jdbc_stmt", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, score DOUBLE");
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            assertEquals(3, s.executeUpdate(
                    "INSERT INTO " + t + " VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', 3.5)"));
            assertEquals(2, s.executeUpdate("UPDATE " + t + " SET score = 10 WHERE id >= 2"));
            assertEquals(0, s.executeUpdate("UPDATE " + t + " SET name = 'zz' WHERE id = 99"));
            assertEquals(1, s.executeUpdate("DELETE FROM " + t + " WHERE name = 'a'"));
            assertFalse(s.execute("UPDATE " + t + " SET name = 'B' WHERE id = 2"));
            assertEquals(1, s.getUpdateCount());
            assertTrue(s.execute("SELECT id, name, score FROM " + t + " ORDER BY id"));
            try (ResultSet rs = s.getResultSet()) {
                assertTrue(rs.next());
                assertEquals(2, rs.getInt("id"));
                assertEquals("B", rs.getString("name"));
                assertEquals(10.0, rs.getDouble("score"));
                assertTrue(rs.next());
                assertEquals(3, rs.getInt(1));
                assertFalse(rs.next());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {CLIENT_PREP, SERVER_PREP})
    void preparedStatementCrudWithParameters(String mode) throws Exception {
        String t = freshTable("jdbc_prep", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, qty INTEGER, score DOUBLE");
        try (Connection c = server.connect(mode)) {
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?, ?, ?)")) {
                for (int i = 1; i <= 4; i++) {
                    ins.setInt(1, i);
                    ins.setString(2, "n" + i);
                    ins.setLong(3, i * 10L);
                    if (i == 4) {
                        ins.setNull(4, Types.DOUBLE);
                    } else {
                        ins.setDouble(4, i * 0.5);
                    }
                    assertEquals(1, ins.executeUpdate());
                }
            }
            try (PreparedStatement upd = c.prepareStatement("UPDATE " + t + " SET score = ? WHERE qty >= ? AND score IS NOT NULL")) {
                upd.setDouble(1, 9.25);
                upd.setInt(2, 20);
                assertEquals(2, upd.executeUpdate());
                upd.setDouble(1, 1.0);
                upd.setInt(2, 1000);
                assertEquals(0, upd.executeUpdate());
            }
            try (PreparedStatement del = c.prepareStatement("DELETE FROM " + t + " WHERE name = ?")) {
                del.setString(1, "n1");
                assertEquals(1, del.executeUpdate());
            }
            try (PreparedStatement sel = c.prepareStatement(
                    "SELECT id, name, qty, score FROM " + t + " WHERE qty >= ? ORDER BY id")) {
                sel.setInt(1, 20);
                try (ResultSet rs = sel.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(2, rs.getInt(1));
                    assertEquals("n2", rs.getString(2));
                    assertEquals(20L, rs.getLong(3));
                    assertEquals(9.25, rs.getDouble(4));
                    assertTrue(rs.next());
                    assertEquals(3, rs.getInt(1));
                    assertEquals(9.25, rs.getDouble(4));
                    assertTrue(rs.next());
                    assertEquals(4, rs.getInt(1));
                    rs.getDouble(4);
                    assertTrue(rs.wasNull());
                    assertFalse(rs.next());
                }
                // The same statement again with another parameter.
                sel.setInt(1, 40);
                try (ResultSet rs = sel.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(4, rs.getInt(1));
                    assertFalse(rs.next());
                }
            }
        }
    }

    @Test
    void serverPreparedSelectOfAParameter() throws Exception {
        try (Connection c = server.connect(SERVER_PREP);
                PreparedStatement ps = c.prepareStatement("SELECT ? AS v, ? AS s")) {
            ps.setInt(1, 1);
            ps.setString(2, "héllo");
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(1, rs.getInt(1));
                assertEquals("héllo", rs.getString(2));
                assertFalse(rs.next());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {CLIENT_PREP, SERVER_PREP})
    void valuesAtTheEdgesRoundTripExactly(String mode) throws Exception {
        String t = freshTable("jdbc_edges", "id INTEGER PRIMARY KEY, big BIGINT, dbl DOUBLE, txt TEXT, bin BLOB");
        byte[] bytes = {0x00, (byte) 0xff, 0x00, 'a', 'b', (byte) 0xff, (byte) 0x80};
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        String unicode = "héllo wörld ✓ 日本語 🎉";
        Object[][] values = {
            {1, Long.MAX_VALUE, 3.141592653589793, unicode, bytes},
            {2, Long.MIN_VALUE, -0.5, "", new byte[0]},
            {3, -1L, 1e300, "quote ' and \\ backslash", all},
            {4, null, null, null, null},
        };
        try (Connection c = server.connect(mode)) {
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?, ?, ?, ?)")) {
                for (Object[] v : values) {
                    ins.setInt(1, (Integer) v[0]);
                    if (v[1] == null) {
                        ins.setNull(2, Types.BIGINT);
                        ins.setNull(3, Types.DOUBLE);
                        ins.setNull(4, Types.VARCHAR);
                        ins.setNull(5, Types.BLOB);
                    } else {
                        ins.setLong(2, (Long) v[1]);
                        ins.setDouble(3, (Double) v[2]);
                        ins.setString(4, (String) v[3]);
                        ins.setBytes(5, (byte[]) v[4]);
                    }
                    ins.executeUpdate();
                }
            }
            try (PreparedStatement sel = c.prepareStatement("SELECT big, dbl, txt, bin FROM " + t + " WHERE id = ?")) {
                for (Object[] v : values) {
                    sel.setInt(1, (Integer) v[0]);
                    try (ResultSet rs = sel.executeQuery()) {
                        assertTrue(rs.next());
                        if (v[1] == null) {
                            for (int i = 1; i <= 4; i++) {
                                assertNull(rs.getObject(i), "column " + i + " of row " + v[0]);
                            }
                        } else {
                            assertEquals((long) (Long) v[1], rs.getLong(1));
                            assertEquals((double) (Double) v[2], rs.getDouble(2));
                            assertEquals(v[3], rs.getString(3));
                            assertArrayEquals((byte[]) v[4], rs.getBytes(4));
                        }
                    }
                }
            }
            try (PreparedStatement find = c.prepareStatement("SELECT id FROM " + t + " WHERE big = ? AND bin = ?")) {
                find.setLong(1, Long.MAX_VALUE);
                find.setBytes(2, bytes);
                try (ResultSet rs = find.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(1, rs.getInt(1));
                }
            }
        }
    }

    @Test
    void resultColumnsAreTypedFromDeclaredTypes() throws Exception {
        String t = freshTable("jdbc_meta", "id INTEGER PRIMARY KEY, big BIGINT, dbl DOUBLE, name VARCHAR(50), bin BLOB");
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO " + t + " VALUES (1, 2, 0.5, 'n', x'00ff')");
            try (ResultSet rs = s.executeQuery("SELECT id, big, dbl, name, bin FROM " + t)) {
                ResultSetMetaData md = rs.getMetaData();
                assertEquals("id", md.getColumnLabel(1));
                assertTrue(md.getColumnType(1) == Types.INTEGER || md.getColumnType(1) == Types.BIGINT,
                        () -> "id is " + safeTypeName(md, 1));
                assertEquals(Types.BIGINT, md.getColumnType(2), () -> "big is " + safeTypeName(md, 2));
                assertEquals(Types.DOUBLE, md.getColumnType(3), () -> "dbl is " + safeTypeName(md, 3));
                assertEquals(Types.VARCHAR, md.getColumnType(4), () -> "name is " + safeTypeName(md, 4));
                int bin = md.getColumnType(5);
                assertTrue(bin == Types.LONGVARBINARY || bin == Types.BLOB || bin == Types.VARBINARY,
                        () -> "bin is " + safeTypeName(md, 5));
                assertTrue(rs.next());
                assertInstanceOf(Long.class, rs.getObject(2));
                assertInstanceOf(Double.class, rs.getObject(3));
                assertInstanceOf(String.class, rs.getObject(4));
                assertInstanceOf(byte[].class, rs.getObject(5));
                assertArrayEquals(new byte[] {0x00, (byte) 0xff}, rs.getBytes(5));
            }
        }
    }

    private static String safeTypeName(ResultSetMetaData md, int column) {
        try {
            return md.getColumnTypeName(column) + " (" + md.getColumnType(column) + ")";
        } catch (SQLException e) {
            return e.toString();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {CLIENT_PREP, SERVER_PREP})
    void generatedKeysOfInserts(String mode) throws Exception {
        String t = freshTable("jdbc_keys", "id {autoinc}, name VARCHAR(50)");
        try (Connection c = server.connect(mode)) {
            try (Statement s = c.createStatement()) {
                assertEquals(1, s.executeUpdate("INSERT INTO " + t + "(name) VALUES ('first')",
                        Statement.RETURN_GENERATED_KEYS));
                try (ResultSet keys = s.getGeneratedKeys()) {
                    assertTrue(keys.next());
                    assertEquals(1L, keys.getLong(1));
                    assertFalse(keys.next());
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t + "(name) VALUES (?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                for (long want = 2; want <= 3; want++) {
                    ps.setString(1, "row" + want);
                    assertEquals(1, ps.executeUpdate());
                    try (ResultSet keys = ps.getGeneratedKeys()) {
                        assertTrue(keys.next());
                        assertEquals(want, keys.getLong(1));
                    }
                }
            }
            assertEquals(List.of(List.of(3L)), rows(c, "SELECT LAST_INSERT_ID()").stream()
                    .map(r -> List.<Object>of(((Number) r.get(0)).longValue())).toList());
        }
    }

    @Test
    void batchesOfPreparedInserts() throws Exception {
        String t = freshTable("jdbc_batch", "id INTEGER PRIMARY KEY, name VARCHAR(50)");
        try (Connection c = server.connect(); PreparedStatement ps =
                c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
            for (int i = 0; i < 25; i++) {
                ps.setInt(1, i);
                ps.setString(2, "b" + i);
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            assertEquals(25, counts.length);
            for (int n : counts) {
                assertTrue(n == 1 || n == Statement.SUCCESS_NO_INFO, "batch count " + n);
            }
            assertEquals(25, count(c, t));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {CLIENT_PREP, SERVER_PREP})
    void commitKeepsAndRollbackDiscards(String mode) throws Exception {
        String t = freshTable("jdbc_tx", "id INTEGER PRIMARY KEY, name VARCHAR(50)");
        try (Connection c = server.connect(mode); Connection other = server.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
                ins.setInt(1, 1);
                ins.setString(2, "kept");
                ins.executeUpdate();
                c.commit();
                ins.setInt(1, 2);
                ins.setString(2, "discarded");
                ins.executeUpdate();
                assertEquals(2, count(c, t));
                assertEquals(1, count(other, t));
                c.rollback();
                ins.setInt(1, 3);
                ins.setString(2, "kept too");
                ins.executeUpdate();
                c.commit();
            }
            c.setAutoCommit(true);
            assertEquals(List.of(List.of(1), List.of(3)), rows(other, "SELECT id FROM " + t + " ORDER BY id")
                    .stream().map(r -> List.<Object>of(((Number) r.get(0)).intValue())).toList());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {CLIENT_PREP, SERVER_PREP})
    void errorsCarryMysqlNumbersAndSqlStates(String mode) throws Exception {
        String t = freshTable("jdbc_errors", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE");
        try (Connection c = server.connect(mode)) {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO " + t + " VALUES (1, 'a')");
                SQLException e = assertMysqlError(1064, "42000", () -> s.execute("SELEC 1"));
                assertInstanceOf(SQLSyntaxErrorException.class, e);
                e = assertMysqlError(1146, "42S02", () -> s.executeQuery("SELECT * FROM jdbc_no_such_table"));
                assertInstanceOf(SQLSyntaxErrorException.class, e);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
                ps.setInt(1, 1);
                ps.setString(2, "b");
                SQLException e = assertMysqlError(1062, "23000", ps::executeUpdate);
                assertInstanceOf(SQLIntegrityConstraintViolationException.class, e);
                ps.setInt(1, 2);
                ps.setString(2, "a");
                assertMysqlError(1062, "23000", ps::executeUpdate);
                ps.setInt(1, 3);
                ps.setNull(2, Types.VARCHAR);
                e = assertMysqlError(1048, "23000", ps::executeUpdate);
                assertInstanceOf(SQLIntegrityConstraintViolationException.class, e);
            }
            // A prepare that fails on the server: Connector/J reports it at prepare, or (falling
            // back to client-side preparation, as it does by default) at execute.
            assertMysqlError(1146, "42S02", () -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT * FROM jdbc_no_such_table WHERE id = ?")) {
                    ps.setInt(1, 1);
                    ps.executeQuery().close();
                }
            });
            // The connection is still usable and nothing of the failed statements landed.
            assertEquals(1, count(c, t));
        }
    }

    @Test
    void unknownDatabaseIs1049AndTheConnectionStaysUsable() throws Exception {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            assertMysqlError(1049, "42000", () -> s.execute("USE `jdbc_no_such.db`"));
            assertMysqlError(1049, "42000", () -> c.setCatalog("jdbc_no_such.db"));
            try (ResultSet rs = s.executeQuery("SELECT DATABASE(), 3")) {
                assertTrue(rs.next());
                assertEquals("ha.db", rs.getString(1));
                assertEquals(3, rs.getInt(2));
            }
        }
        String url = server.url("").replace("/" + HaServer.DATABASE + "?", "/jdbc_no_such.db?");
        assertMysqlError(1049, "42000",
                () -> java.sql.DriverManager.getConnection(url, HaServer.USER, HaServer.PASSWORD).close());
    }

    @Test
    void showDatabasesAndShowTables() throws Exception {
        String t = freshTable("jdbc_listed", "id INTEGER PRIMARY KEY");
        try (Connection c = server.connect()) {
            List<Object> dbs = rows(c, "SHOW DATABASES").stream().map(r -> r.get(0)).toList();
            assertTrue(dbs.contains("ha.db"), dbs::toString);
            List<Object> tables = rows(c, "SHOW TABLES").stream().map(r -> r.get(0)).toList();
            assertTrue(tables.contains(t), tables::toString);
            c.setCatalog("ha.db");
            assertEquals("ha.db", c.getCatalog());
        }
    }

    @Test
    void textIsUtf8BothWays() throws Exception {
        String t = freshTable("jdbc_text", "id INTEGER PRIMARY KEY, txt TEXT");
        String text = "ünïcödé ✓ 日本語 🎉";
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO " + t + " VALUES (1, '" + text + "')");
            try (ResultSet rs = s.executeQuery("SELECT txt FROM " + t)) {
                assertTrue(rs.next());
                assertEquals(text, rs.getString(1));
                assertArrayEquals(text.getBytes(StandardCharsets.UTF_8),
                        rs.getString(1).getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
