package ha.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** In-process replicas: they and the nodes see each other's writes; a read-only one refuses writes. */
@ExtendWith(ClusterExtension.class)
class ReplicaTest {
    @Test
    void replicaAndNodesConverge(TestCluster cluster) throws Exception {
        String t = Db.table("mutual");
        try (Connection node = DriverManager.getConnection(cluster.nodes.get(0).url());
                Connection replica = DriverManager.getConnection(
                        "jdbc:ha:file:" + cluster.replicas.resolve("j-1.db") + "?replication_url=" + cluster.brokerUrl
                                + "&node=j-1&database=ha.db");
                Connection other = DriverManager.getConnection(cluster.nodes.get(1).url())) {
            Db.run(node, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY, origin TEXT)");
            TestCluster.eventually("the table reaches the replica", Duration.ofSeconds(20), () -> {
                Db.count(replica, t);
                return true;
            });
            try (PreparedStatement onNode = node.prepareStatement("INSERT INTO " + t + " VALUES (?, 'node')");
                    PreparedStatement onReplica = replica.prepareStatement("INSERT INTO " + t + " VALUES (?, 'replica')")) {
                for (int i = 0; i < 20; i++) {
                    onNode.setInt(1, i);
                    onNode.executeUpdate();
                    onReplica.setInt(1, 1000 + i);
                    onReplica.executeUpdate();
                }
            }
            for (Connection c : new Connection[] {node, replica, other}) {
                TestCluster.eventually("40 rows everywhere", Duration.ofSeconds(20), () -> Db.count(c, t) == 40);
            }
            // Read-your-writes across connections, without polling.
            Db.run(replica, "INSERT INTO " + t + " VALUES (5000, 'replica')");
            other.unwrap(HaConnection.class).waitFor(replica.unwrap(HaConnection.class).getLastSeq(), 10_000);
            assertEquals(41, Db.count(other, t));
        }
    }

    /** Threads share one replica connection; statements closing while others run break nothing. */
    @Test
    void threadsShareOneReplicaConnection(TestCluster cluster) throws Exception {
        String t = Db.table("threads");
        try (Connection replica = DriverManager.getConnection(cluster.replicaUrl("j-threads", null))) {
            Db.run(replica, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY, worker INTEGER, v TEXT)");
            int workers = 4;
            int each = 200;
            java.util.List<Thread> threads = new java.util.ArrayList<>();
            java.util.concurrent.ConcurrentLinkedQueue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                Thread thread = new Thread(() -> {
                    try {
                        for (int i = 0; i < each; i++) {
                            try (PreparedStatement insert = replica.prepareStatement(
                                    "INSERT INTO " + t + "(worker, v) VALUES (?, ?)");
                                    PreparedStatement read = replica.prepareStatement(
                                            "SELECT count(*) FROM " + t + " WHERE worker = ?")) {
                                insert.setInt(1, worker);
                                insert.setString(2, "w" + worker + "-" + i);
                                assertEquals(1, insert.executeUpdate());
                                read.setInt(1, worker);
                                try (java.sql.ResultSet rs = read.executeQuery()) {
                                    assertTrue(rs.next());
                                    assertEquals(i + 1, rs.getInt(1));
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            assertEquals(workers * each, Db.count(replica, t));
        }
    }

    @Test
    void readOnlyReplicaRefusesWrites(TestCluster cluster) throws Exception {
        String t = Db.table("reader");
        Properties properties = new Properties();
        properties.setProperty("replication_url", cluster.brokerUrl);
        properties.setProperty("node", "j-reader");
        properties.setProperty("database", "ha.db");
        properties.setProperty("read_only", "true");
        try (Connection node = DriverManager.getConnection(cluster.nodes.get(0).url());
                Connection replica = DriverManager.getConnection("jdbc:ha:file:" + cluster.replicas.resolve("reader.db"), properties)) {
            Db.run(node, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY)");
            Db.run(node, "INSERT INTO " + t + " VALUES (1)");
            replica.unwrap(HaConnection.class).waitFor(node.unwrap(HaConnection.class).getLastSeq(), 10_000);
            assertEquals(1, Db.count(replica, t));
            SQLException refused = assertThrows(SQLException.class, () -> Db.run(replica, "INSERT INTO " + t + " VALUES (2)"));
            assertEquals("25006", refused.getSQLState(), refused.getMessage());
            assertTrue(refused.getMessage().toLowerCase(java.util.Locale.ROOT).contains("read"), refused.getMessage());
        }
    }
}
