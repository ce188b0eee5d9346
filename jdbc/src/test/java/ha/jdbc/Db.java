package ha.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/** What the integration tests share: connections of each kind, fresh table names. */
final class Db {
    private static final AtomicInteger TABLES = new AtomicInteger();

    private Db() {}

    /** A connection to node 0 ("remote") or to an in-process replica of ha.db ("replica"). */
    static Connection open(TestCluster cluster, String kind) throws SQLException {
        switch (kind) {
            case "remote":
                return DriverManager.getConnection(cluster.nodes.get(0).url());
            case "replica":
                return DriverManager.getConnection(cluster.replicaUrl("java-" + kind, null));
            default:
                throw new IllegalArgumentException(kind);
        }
    }

    /** A table name no other test uses (the tests share ha.db). */
    static String table(String prefix) {
        return prefix + "_" + TABLES.incrementAndGet() + "_" + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    static void run(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
