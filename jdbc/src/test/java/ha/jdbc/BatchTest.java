package ha.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Batches: one transaction with auto-commit on (all or nothing), statement by statement inside one. */
@ExtendWith(ClusterExtension.class)
class BatchTest {
    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void preparedBatchIsAllOrNothing(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind)) {
            String t = Db.table("batch");
            Db.run(c, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY, v TEXT)");
            try (PreparedStatement p = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
                for (int i = 1; i <= 3; i++) {
                    p.setInt(1, i);
                    p.setString(2, "v" + i);
                    p.addBatch();
                }
                assertArrayEquals(new int[] {1, 1, 1}, p.executeBatch());
                assertEquals(0, p.executeBatch().length, "the batch is emptied");

                p.setInt(1, 10);
                p.setString(2, "new");
                p.addBatch();
                p.setInt(1, 2);
                p.setString(2, "duplicate");
                p.addBatch();
                p.setInt(1, 11);
                p.setString(2, "after");
                p.addBatch();
                BatchUpdateException failed = assertThrows(BatchUpdateException.class, p::executeBatch);
                assertEquals("23505", failed.getSQLState());
                assertEquals(1, failed.getUpdateCounts().length, "one statement ran before the failing one");
                assertTrue(failed.getCause() instanceof SQLIntegrityConstraintViolationException);
            }
            assertEquals(3, Db.count(c, t), "a failed batch writes nothing");
        }
    }

    @Test
    void statementBatch(TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, "remote"); Statement s = c.createStatement()) {
            String t = Db.table("sbatch");
            s.addBatch("CREATE TABLE " + t + "(id INTEGER PRIMARY KEY)");
            s.addBatch("INSERT INTO " + t + " VALUES (1), (2)");
            s.addBatch("UPDATE " + t + " SET id = id + 10");
            long[] counts = s.executeLargeBatch();
            assertEquals(3, counts.length);
            assertEquals(2, counts[1]);
            assertEquals(2, counts[2]);
            assertEquals(2, Db.count(c, t));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void batchInsideATransaction(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind)) {
            String t = Db.table("txbatch");
            Db.run(c, "CREATE TABLE " + t + "(id INTEGER PRIMARY KEY)");
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO " + t + " VALUES (?)")) {
                for (int id : new int[] {1, 2, 1, 3}) {
                    p.setInt(1, id);
                    p.addBatch();
                }
                BatchUpdateException failed = assertThrows(BatchUpdateException.class, p::executeBatch);
                assertArrayEquals(new long[] {1, 1}, failed.getLargeUpdateCounts());
                // Inside a transaction the statements before the failing one stay, until rollback.
                assertEquals(2, Db.count(c, t));
                c.rollback();
                assertEquals(0, Db.count(c, t));
                p.setInt(1, 7);
                p.addBatch();
                p.setInt(1, 8);
                p.addBatch();
                assertArrayEquals(new int[] {1, 1}, p.executeBatch());
                c.commit();
            }
            assertEquals(2, Db.count(c, t));
        }
    }
}
