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
