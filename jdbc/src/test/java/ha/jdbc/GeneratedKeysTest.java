package ha.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** getGeneratedKeys: the row id of each row an INSERT made. */
@ExtendWith(ClusterExtension.class)
class GeneratedKeysTest {
    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void rowIdsOfInserts(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind)) {
            String t = Db.table("keys");
            Db.run(c, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY, v TEXT)");
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO " + t + "(id, v) VALUES (41, 'a')");
                s.executeUpdate("INSERT INTO " + t + "(v) VALUES ('b')", Statement.RETURN_GENERATED_KEYS);
                try (ResultSet keys = s.getGeneratedKeys()) {
                    assertTrue(keys.next());
                    assertEquals(42, keys.getLong(1));
                    assertEquals(42, keys.getLong("GENERATED_KEY"));
                    assertFalse(keys.next());
                }
                s.executeUpdate("UPDATE " + t + " SET v = 'c'");
                try (ResultSet keys = s.getGeneratedKeys()) {
                    assertFalse(keys.next(), "an UPDATE generates no key");
                }
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO " + t + "(v) VALUES (?)", new String[] {"id"})) {
                p.setString(1, "d");
                p.executeUpdate();
                try (ResultSet keys = p.getGeneratedKeys()) {
                    assertTrue(keys.next());
                    assertEquals(43, keys.getLong("id"));
                }
                p.setString(1, "e");
                p.addBatch();
                p.setString(1, "f");
                p.addBatch();
                p.executeBatch();
                try (ResultSet keys = p.getGeneratedKeys()) {
                    assertTrue(keys.next());
                    assertEquals(44, keys.getLong(1));
                    assertTrue(keys.next());
                    assertEquals(45, keys.getLong(1));
                    assertFalse(keys.next());
                }
            }
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO " + t + "(v) VALUES (?)", Statement.RETURN_GENERATED_KEYS)) {
                p.setString(1, "in a transaction");
                p.executeUpdate();
                try (ResultSet keys = p.getGeneratedKeys()) {
                    assertTrue(keys.next());
                    assertEquals(46, keys.getLong(1));
                }
            }
            c.commit();
        }
    }
}
