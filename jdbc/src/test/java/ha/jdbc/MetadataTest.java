package ha.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The calls DBeaver makes when it opens a connection and expands a table, on a schema with a
 * view, a composite primary key, a unique index, a foreign key with ON DELETE CASCADE and a
 * generated column.
 */
@ExtendWith(ClusterExtension.class)
class MetadataTest {
    @ParameterizedTest
    @ValueSource(strings = {"remote", "replica"})
    void whatDbeaverAsks(String kind, TestCluster cluster) throws Exception {
        try (Connection c = Db.open(cluster, kind)) {
            String p = Db.table("meta");
            String parent = p + "_parent";
            String child = p + "_child";
            String view = p + "_view";
            Db.run(c, "CREATE TABLE " + parent + "(a INTEGER NOT NULL, b TEXT NOT NULL, "
                    + "label VARCHAR(40) DEFAULT 'none', PRIMARY KEY (a, b))");
            Db.run(c, "CREATE TABLE " + child + "(id INTEGER PRIMARY KEY, pa INTEGER, pb TEXT, price DECIMAL(10,2), "
                    + "total REAL GENERATED ALWAYS AS (price * 2) VIRTUAL, "
                    + "FOREIGN KEY (pa, pb) REFERENCES " + parent + "(a, b) ON DELETE CASCADE)");
            Db.run(c, "CREATE UNIQUE INDEX " + child + "_price ON " + child + "(price)");
            Db.run(c, "CREATE VIEW " + view + " AS SELECT id, price FROM " + child);

            DatabaseMetaData meta = c.getMetaData();
            assertEquals("ha", meta.getDatabaseProductName());
            assertTrue(meta.getDatabaseProductVersion().contains("(SQLite 3."), meta.getDatabaseProductVersion());
            assertEquals("\"", meta.getIdentifierQuoteString());
            assertTrue(meta.supportsTransactions());
            assertTrue(meta.supportsSavepoints());
            assertTrue(meta.supportsBatchUpdates());
            assertTrue(meta.supportsGetGeneratedKeys());
            assertFalse(meta.supportsMultipleResultSets());
            assertFalse(meta.supportsSchemasInTableDefinitions());
            assertFalse(meta.supportsCatalogsInDataManipulation());
            assertEquals("ha.db", c.getCatalog());

            assertTrue(column(meta.getCatalogs(), "TABLE_CAT").contains("ha.db"));
            try (ResultSet schemas = meta.getSchemas()) {
                assertEquals(2, schemas.getMetaData().getColumnCount());
                assertFalse(schemas.next());
            }
            assertEquals(List.of("TABLE", "VIEW"), column(meta.getTableTypes(), "TABLE_TYPE"));

            try (ResultSet tables = meta.getTables("ha.db", null, p + "%", new String[] {"TABLE", "VIEW"})) {
                assertEquals(10, tables.getMetaData().getColumnCount());
                assertTrue(tables.next());
                assertEquals(child, tables.getString("TABLE_NAME"));
                assertEquals("TABLE", tables.getString("TABLE_TYPE"));
                assertEquals("ha.db", tables.getString("TABLE_CAT"));
                assertNull(tables.getString("TABLE_SCHEM"));
                assertTrue(tables.next());
                assertEquals(parent, tables.getString("TABLE_NAME"));
                assertTrue(tables.next());
                assertEquals(view, tables.getString("TABLE_NAME"));
                assertEquals("VIEW", tables.getString("TABLE_TYPE"));
                assertFalse(tables.next());
            }
            assertEquals(List.of(view), column(meta.getTables(null, null, p + "%", new String[] {"VIEW"}), "TABLE_NAME"));
            assertEquals(List.of(), column(meta.getTables("other.db", null, p + "%", null), "TABLE_NAME"));
            assertEquals(List.of(parent), column(meta.getTables(null, null, parent.toUpperCase(Locale.ROOT), null), "TABLE_NAME"));

            try (ResultSet columns = meta.getColumns("ha.db", null, child, "%")) {
                assertEquals(24, columns.getMetaData().getColumnCount());
                assertTrue(columns.next());
                assertEquals("id", columns.getString("COLUMN_NAME"));
                assertEquals(Types.BIGINT, columns.getInt("DATA_TYPE"));
                assertEquals("INTEGER", columns.getString("TYPE_NAME"));
                assertEquals(1, columns.getInt("ORDINAL_POSITION"));
                assertEquals("YES", columns.getString("IS_AUTOINCREMENT"));
                assertEquals(DatabaseMetaData.columnNoNulls, columns.getInt("NULLABLE"));
                assertTrue(columns.next());
                assertEquals("pa", columns.getString("COLUMN_NAME"));
                assertEquals("NO", columns.getString("IS_AUTOINCREMENT"));
                assertEquals("YES", columns.getString("IS_NULLABLE"));
                assertTrue(columns.next());
                assertEquals("pb", columns.getString("COLUMN_NAME"));
                assertEquals(Types.VARCHAR, columns.getInt("DATA_TYPE"));
                assertTrue(columns.next());
                assertEquals("price", columns.getString("COLUMN_NAME"));
                assertEquals(Types.DECIMAL, columns.getInt("DATA_TYPE"));
                assertEquals(10, columns.getInt("COLUMN_SIZE"));
                assertEquals(2, columns.getInt("DECIMAL_DIGITS"));
                assertEquals("NO", columns.getString("IS_GENERATEDCOLUMN"));
                assertTrue(columns.next());
                assertEquals("total", columns.getString("COLUMN_NAME"));
                assertEquals("YES", columns.getString("IS_GENERATEDCOLUMN"));
                assertEquals(5, columns.getInt("ORDINAL_POSITION"));
                assertFalse(columns.next());
            }
            try (ResultSet columns = meta.getColumns(null, null, parent, "label")) {
                assertTrue(columns.next());
                assertEquals(40, columns.getInt("COLUMN_SIZE"));
                assertEquals("'none'", columns.getString("COLUMN_DEF"));
                assertEquals(Types.VARCHAR, columns.getInt("DATA_TYPE"));
                assertFalse(columns.next());
            }

            try (ResultSet keys = meta.getPrimaryKeys("ha.db", null, parent)) {
                assertTrue(keys.next());
                assertEquals("a", keys.getString("COLUMN_NAME"));
                assertEquals((short) 1, keys.getObject("KEY_SEQ"));
                assertTrue(keys.next());
                assertEquals("b", keys.getString("COLUMN_NAME"));
                assertEquals(2, keys.getShort("KEY_SEQ"));
                assertFalse(keys.next());
            }
            assertEquals(List.of("id"), column(meta.getPrimaryKeys(null, null, child.toUpperCase(Locale.ROOT)), "COLUMN_NAME"));

            try (ResultSet indexes = meta.getIndexInfo("ha.db", null, child, false, true)) {
                assertEquals(13, indexes.getMetaData().getColumnCount());
                assertTrue(indexes.next());
                assertEquals(child + "_price", indexes.getString("INDEX_NAME"));
                assertEquals(Boolean.FALSE, indexes.getObject("NON_UNIQUE"));
                assertEquals("price", indexes.getString("COLUMN_NAME"));
                assertEquals(1, indexes.getInt("ORDINAL_POSITION"));
                assertFalse(indexes.next());
            }
            List<String> parentIndex = column(meta.getIndexInfo(null, null, parent, true, true), "COLUMN_NAME");
            assertEquals(List.of("a", "b"), parentIndex, "the primary key's index");

            for (ResultSet keys : new ResultSet[] {meta.getImportedKeys("ha.db", null, child),
                    meta.getExportedKeys("ha.db", null, parent), meta.getCrossReference(null, null, parent, null, null, child)}) {
                try (keys) {
                    assertEquals(14, keys.getMetaData().getColumnCount());
                    assertTrue(keys.next());
                    assertEquals(parent, keys.getString("PKTABLE_NAME"));
                    assertEquals("a", keys.getString("PKCOLUMN_NAME"));
                    assertEquals(child, keys.getString("FKTABLE_NAME"));
                    assertEquals("pa", keys.getString("FKCOLUMN_NAME"));
                    assertEquals(1, keys.getShort("KEY_SEQ"));
                    assertEquals(DatabaseMetaData.importedKeyCascade, keys.getShort("DELETE_RULE"));
                    assertEquals(DatabaseMetaData.importedKeyNoAction, keys.getShort("UPDATE_RULE"));
                    String name = keys.getString("FK_NAME");
                    assertTrue(keys.next());
                    assertEquals("b", keys.getString("PKCOLUMN_NAME"));
                    assertEquals("pb", keys.getString("FKCOLUMN_NAME"));
                    assertEquals(2, keys.getShort("KEY_SEQ"));
                    assertEquals(name, keys.getString("FK_NAME"), "one key, one name");
                    assertFalse(keys.next());
                }
            }
            assertEquals(List.of(), column(meta.getImportedKeys(null, null, parent), "PKTABLE_NAME"));
            assertEquals(List.of(), column(meta.getCrossReference(null, null, child, null, null, parent), "PKTABLE_NAME"));

            try (ResultSet types = meta.getTypeInfo()) {
                assertEquals(18, types.getMetaData().getColumnCount());
                List<String> names = new ArrayList<>();
                int previous = Integer.MIN_VALUE;
                while (types.next()) {
                    names.add(types.getString("TYPE_NAME"));
                    assertTrue(types.getInt("DATA_TYPE") >= previous, "ordered by DATA_TYPE");
                    previous = types.getInt("DATA_TYPE");
                }
                assertTrue(names.containsAll(List.of("INTEGER", "REAL", "TEXT", "BLOB", "NUMERIC", "BOOLEAN", "DATE", "TIMESTAMP", "VARCHAR")), names.toString());
            }

            // What SQLite has not: empty, with JDBC's columns.
            assertEmpty(meta.getProcedures(null, null, "%"), 9);
            assertEmpty(meta.getFunctions(null, null, "%"), 6);
            assertEmpty(meta.getUDTs(null, null, "%", null), 7);
            assertEmpty(meta.getSuperTypes(null, null, "%"), 6);
            assertEmpty(meta.getAttributes(null, null, "%", "%"), 21);
            assertEmpty(meta.getPseudoColumns(null, null, "%", "%"), 12);
            assertEmpty(meta.getClientInfoProperties(), 4);
            assertEmpty(meta.getVersionColumns(null, null, child), 8);
            assertEmpty(meta.getBestRowIdentifier(null, null, child, DatabaseMetaData.bestRowSession, true), 8);
            assertEmpty(meta.getColumnPrivileges(null, null, child, "%"), 8);
            assertEmpty(meta.getTablePrivileges(null, null, "%"), 7);
        }
    }

    /** After setCatalog (USE), statements and the metadata both describe the chosen database. */
    @Test
    void metadataFollowsTheCatalog(TestCluster cluster) throws Exception {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("password", TestCluster.TOKEN);
        String other = Db.table("catalog") + ".db";
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:ha:http://" + cluster.tokenNode.address(), properties)) {
            Db.run(c, "CREATE DATABASE " + other);
            c.setCatalog(other);
            assertTrue(column(c.getMetaData().getCatalogs(), "TABLE_CAT").contains(other));
            assertEquals(other, c.getCatalog());
            Db.run(c, "CREATE TABLE only_here(id INTEGER PRIMARY KEY, v TEXT)");
            DatabaseMetaData meta = c.getMetaData();
            assertEquals(List.of("only_here"), column(meta.getTables(null, null, "only_here", null), "TABLE_NAME"));
            assertEquals(List.of("id", "v"), column(meta.getColumns(null, null, "only_here", "%"), "COLUMN_NAME"));
        }
    }

    private static List<String> column(ResultSet rs, String name) throws SQLException {
        List<String> values = new ArrayList<>();
        try (rs) {
            while (rs.next()) {
                values.add(rs.getString(name));
            }
        }
        return values;
    }

    private static void assertEmpty(ResultSet rs, int columns) throws SQLException {
        try (rs) {
            assertEquals(columns, rs.getMetaData().getColumnCount());
            assertFalse(rs.next());
        }
    }
}
