package ha.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Savepoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Auto-commit, commit, rollback and savepoints, seen from a second connection. */
@ExtendWith(ClusterExtension.class)
class TransactionTest {
    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void commitAndRollback(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind); Connection other = Db.open(cluster, kind)) {
            String t = Db.table("tx");
            Db.run(c, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY)");
            // Before the transaction: while one is open a replica's writer is its, and the
            // replica applies nothing from the log.
            other.unwrap(HaConnection.class).waitFor(c.unwrap(HaConnection.class).getLastSeq(), 10_000);
            assertTrue(c.getAutoCommit());
            c.setAutoCommit(false);
            Db.run(c, "INSERT INTO " + t + " VALUES (1)");
            Db.run(c, "INSERT INTO " + t + " VALUES (2)");
            assertEquals(2, Db.count(c, t), "the transaction sees its own writes");
            assertEquals(0, Db.count(other, t), "nobody else sees them before the commit");
            c.commit();
            other.unwrap(HaConnection.class).waitFor(c.unwrap(HaConnection.class).getLastSeq(), 10_000);
            assertEquals(2, Db.count(other, t));

            Db.run(c, "INSERT INTO " + t + " VALUES (3)");
            c.rollback();
            assertEquals(2, Db.count(c, t));

            // A failing statement does not end the transaction; its rows are not written.
            Db.run(c, "INSERT INTO " + t + " VALUES (4)");
            assertThrows(SQLIntegrityConstraintViolationException.class, () -> Db.run(c, "INSERT INTO " + t + " VALUES (1)"));
            c.commit();
            assertEquals(3, Db.count(c, t));

            // Switching auto-commit back on commits what is open.
            Db.run(c, "INSERT INTO " + t + " VALUES (5)");
            c.setAutoCommit(true);
            assertTrue(c.getAutoCommit());
            other.unwrap(HaConnection.class).waitFor(c.unwrap(HaConnection.class).getLastSeq(), 10_000);
            assertEquals(4, Db.count(other, t));
            assertThrows(SQLException.class, c::commit, "commit() with auto-commit on");
        }
    }

    @Test
    void explicitBeginWithAutoCommitOn(TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, "remote")) {
            String t = Db.table("begin");
            Db.run(c, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY)");
            Db.run(c, "BEGIN");
            Db.run(c, "INSERT INTO " + t + " VALUES (1)");
            Db.run(c, "ROLLBACK");
            assertEquals(0, Db.count(c, t));
            Db.run(c, "BEGIN");
            Db.run(c, "INSERT INTO " + t + " VALUES (2)");
            Db.run(c, "COMMIT");
            assertEquals(1, Db.count(c, t));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void savepoints(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind)) {
            String t = Db.table("sp");
            Db.run(c, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY)");
            assertThrows(SQLException.class, c::setSavepoint, "savepoints need auto-commit off");
            c.setAutoCommit(false);
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + t + " VALUES (?)")) {
                insert.setInt(1, 1);
                insert.executeUpdate();
                Savepoint first = c.setSavepoint();
                insert.setInt(1, 2);
                insert.executeUpdate();
                Savepoint named = c.setSavepoint("after two");
                assertEquals("after two", named.getSavepointName());
                insert.setInt(1, 3);
                insert.executeUpdate();
                c.rollback(named);
                assertEquals(2, Db.count(c, t));
                c.rollback(first);
                assertEquals(1, Db.count(c, t));
                insert.setInt(1, 4);
                insert.executeUpdate();
                Savepoint kept = c.setSavepoint("kept");
                insert.setInt(1, 5);
                insert.executeUpdate();
                c.releaseSavepoint(kept);
                c.commit();
            }
            c.setAutoCommit(true);
            assertEquals(3, Db.count(c, t));
            assertFalse(c.unwrap(HaConnection.class).getLastSeq() < 0);
        }
    }

    @Test
    void isolationIsSerializableOnly(TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, "remote")) {
            assertEquals(Connection.TRANSACTION_SERIALIZABLE, c.getTransactionIsolation());
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            assertThrows(java.sql.SQLFeatureNotSupportedException.class,
                    () -> c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED));
        }
    }
}
