package ha.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ha.jdbc.core.NativeException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLInvalidAuthorizationSpecException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The SQLState (and exception class) of each kind of failure. */
@ExtendWith(ClusterExtension.class)
class ErrorStateTest {
    /** A read that never ends on its own. */
    private static final String ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
            + "SELECT count(*) FROM c";

    @Test
    void sqlErrors(TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, "remote"); Statement s = c.createStatement()) {
            String t = Db.table("errors");
            s.execute("CREATE TABLE " + t + "(id INTEGER PRIMARY KEY, v TEXT UNIQUE NOT NULL)");
            s.execute("INSERT INTO " + t + " VALUES (1, 'a')");
            SQLIntegrityConstraintViolationException unique = assertThrows(SQLIntegrityConstraintViolationException.class,
                    () -> s.execute("INSERT INTO " + t + " VALUES (2, 'a')"));
            assertEquals("23505", unique.getSQLState());
            assertEquals("sql_constraint", ((NativeException) unique.getCause()).code);
            assertEquals("23502", assertThrows(SQLIntegrityConstraintViolationException.class,
                    () -> s.execute("INSERT INTO " + t + " VALUES (3, NULL)")).getSQLState());
            SQLSyntaxErrorException syntax = assertThrows(SQLSyntaxErrorException.class, () -> s.execute("SELEC 1"));
            assertTrue(syntax.getSQLState().startsWith("42"), syntax.getSQLState());
            assertEquals("42P01", assertThrows(SQLSyntaxErrorException.class,
                    () -> s.executeQuery("SELECT * FROM no_such_table")).getSQLState());
            assertEquals("42703", assertThrows(SQLSyntaxErrorException.class,
                    () -> s.executeQuery("SELECT nope FROM " + t)).getSQLState());
            // The connection goes on after errors.
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + t)) {
                assertTrue(rs.next());
                assertEquals(1, rs.getInt(1));
            }
        }
    }

    @Test
    void badAndUnreachableUrls(TestCluster cluster) {
        SQLException bad = assertThrows(SQLException.class, () -> DriverManager.getConnection("jdbc:ha:ftp://example.com"));
        assertTrue(bad.getSQLState().startsWith("08"), bad.getSQLState());
        assertInstanceOf(SQLNonTransientConnectionException.class, bad);
        SQLException noNode = assertThrows(SQLException.class, () -> DriverManager.getConnection("jdbc:ha:file:/tmp/x.db"));
        assertEquals("08001", noNode.getSQLState(), noNode.getMessage());
        SQLException unreachable = assertThrows(SQLException.class,
                () -> DriverManager.getConnection("jdbc:ha:http://127.0.0.1:1/ha.db"));
        assertTrue(unreachable.getSQLState().startsWith("08"), unreachable.getSQLState());
        assertInstanceOf(SQLTransientConnectionException.class, unreachable);
    }

    @Test
    void closedObjects(TestCluster cluster) throws Exception {
        Connection c = Db.open(cluster, "remote");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 1");
        PreparedStatement p = c.prepareStatement("SELECT ?");
        c.close();
        assertTrue(c.isClosed());
        assertTrue(s.isClosed(), "closing a connection closes its statements");
        assertTrue(rs.isClosed());
        c.close();
        SQLException closed = assertThrows(SQLNonTransientConnectionException.class, c::createStatement);
        assertEquals("08003", closed.getSQLState());
        assertEquals("HY010", assertThrows(SQLException.class, () -> s.executeQuery("SELECT 1")).getSQLState());
        assertEquals("HY010", assertThrows(SQLException.class, () -> p.setInt(1, 1)).getSQLState());
        assertEquals("HY010", assertThrows(SQLException.class, rs::next).getSQLState());
        assertFalse(c.isValid(1));
    }

    @Test
    void tokens(TestCluster cluster) throws Exception {
        String url = "jdbc:ha:http://" + cluster.tokenNode.address();
        try (Connection wrong = DriverManager.getConnection(url, "ha", "wrong"); Statement s = wrong.createStatement()) {
            SQLInvalidAuthorizationSpecException refused = assertThrows(SQLInvalidAuthorizationSpecException.class,
                    () -> s.executeQuery("SELECT 1"));
            assertEquals("28000", refused.getSQLState());
        }
        // The password is the token; so is a `token` property or URL parameter.
        try (Connection right = DriverManager.getConnection(url, "anyone", TestCluster.TOKEN)) {
            assertTrue(right.isValid(5));
        }
        Properties properties = new Properties();
        properties.setProperty("token", TestCluster.TOKEN);
        try (Connection right = DriverManager.getConnection(url, properties)) {
            assertTrue(right.isValid(5));
        }
        try (Connection right = DriverManager.getConnection(url + "?token=" + TestCluster.TOKEN)) {
            assertTrue(right.isValid(5));
        }
    }

    @Test
    void queryTimeoutAndCancel(TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, "replica"); Statement s = c.createStatement()) {
            s.setQueryTimeout(1);
            SQLTimeoutException timeout = assertThrows(SQLTimeoutException.class, () -> s.executeQuery(ENDLESS));
            assertEquals("57014", timeout.getSQLState());
            s.setQueryTimeout(0);
            try (ResultSet rs = s.executeQuery("SELECT 42")) {
                assertTrue(rs.next(), "the statement runs again after a timeout");
                assertEquals(42, rs.getInt(1));
            }
            CompletableFuture<SQLException> running = CompletableFuture.supplyAsync(() -> {
                try {
                    s.executeQuery(ENDLESS);
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            // Cancel until the running statement gives up (a cancel before it starts is forgotten).
            TestCluster.eventually("the statement is cancelled", java.time.Duration.ofSeconds(20), () -> {
                s.cancel();
                return running.isDone();
            });
            SQLException cancelled = running.get(1, TimeUnit.SECONDS);
            assertEquals("57014", cancelled.getSQLState());
        }
    }
}
