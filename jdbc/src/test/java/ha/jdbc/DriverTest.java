package ha.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The driver as tools find it: service loading, URLs, properties, a connection's basics. */
@ExtendWith(ClusterExtension.class)
class DriverTest {
    @Test
    void foundThroughServiceLoading(TestCluster cluster) throws Exception {
        boolean listed = ServiceLoader.load(Driver.class).stream().anyMatch(p -> p.type() == HaDriver.class);
        assertTrue(listed, "META-INF/services/java.sql.Driver names ha.jdbc.HaDriver");
        Driver driver = DriverManager.getDriver("jdbc:ha:http://localhost:8080/ha.db");
        assertInstanceOf(HaDriver.class, driver);
        assertTrue(driver.acceptsURL("jdbc:ha:file:/tmp/a.db"));
        assertFalse(driver.acceptsURL("jdbc:sqlite:a.db"));
        assertNull(driver.connect("jdbc:postgresql://localhost/x", new Properties()));
        List<String> names = Arrays.stream(driver.getPropertyInfo("jdbc:ha:http://h:1", new Properties()))
                .map(p -> p.name).collect(Collectors.toList());
        assertTrue(names.containsAll(List.of("token", "replication_url", "node", "database", "read_only")), names.toString());
        DriverPropertyInfo readOnly = Arrays.stream(driver.getPropertyInfo("jdbc:ha:http://h:1", null))
                .filter(p -> p.name.equals("read_only")).findFirst().orElseThrow();
        assertEquals("false", readOnly.value);
    }

    @Test
    void connectionBasics(TestCluster cluster) throws Exception {
        String t = Db.table("use");
        try (Connection c = DriverManager.getConnection(cluster.nodes.get(0).url())) {
            assertTrue(c.isValid(5));
            assertEquals("ha.db", c.getCatalog());
            assertNull(c.getSchema());
            assertNull(c.getWarnings());
            assertEquals("SELECT 1", c.nativeSQL("SELECT 1"));
            assertEquals(ResultSet.HOLD_CURSORS_OVER_COMMIT, c.getHoldability());
            assertFalse(c.isReadOnly());
            c.setReadOnly(true);
            assertTrue(c.isReadOnly());
            c.setReadOnly(false);
            assertTrue(c.isWrapperFor(HaConnection.class));
            c.setClientInfo("ApplicationName", "tests");
            c.setCatalog("ha.db");
            // USE keeps the session's database for the statements after it.
            try (Statement s = c.createStatement()) {
                s.execute("USE ha.db");
                s.execute("CREATE TABLE " + t + "(x)");
                s.execute("INSERT INTO " + t + " VALUES (1)");
            }
            assertEquals(1, Db.count(c, t));
        }
        try (Connection other = DriverManager.getConnection(cluster.nodes.get(0).url())) {
            assertEquals(1, Db.count(other, t), "auto-commit committed it");
        }
    }

    @Test
    void setCatalogSwitchesTheDatabase(TestCluster cluster) throws Exception {
        String node = "jdbc:ha:http://" + cluster.nodes.get(0).address();
        try (Connection c = DriverManager.getConnection(node + "/ha.db")) {
            Db.run(c, "CREATE DATABASE jdbc_other.db");
            c.setCatalog("jdbc_other.db");
            assertEquals("jdbc_other.db", c.getCatalog());
            Db.run(c, "CREATE TABLE only_there(x)");
            c.setAutoCommit(false);
            Db.run(c, "INSERT INTO only_there VALUES (1)");
            c.commit();
            // After the transaction the statements still go to the database USE chose.
            Db.run(c, "INSERT INTO only_there VALUES (2)");
            c.commit();
            c.setAutoCommit(true);
            assertEquals(2, Db.count(c, "only_there"));
        }
        try (Connection other = DriverManager.getConnection(node + "/jdbc_other.db")) {
            assertEquals(2, Db.count(other, "only_there"));
        }
        try (Connection home = DriverManager.getConnection(node + "/ha.db")) {
            assertEquals("42P01", org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                    () -> Db.count(home, "only_there")).getSQLState());
        }
    }
}
