package ha.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pgjdbc's DatabaseMetaData over ha's PostgreSQL catalog (pg_catalog and information_schema,
 * computed from SQLite's schema), called the way a database tool such as DBeaver does when it
 * opens a database and expands a table. The answers are PostgreSQL's own for the same DDL.
 */
class CatalogTest {
    private static HaServer server;

    @BeforeAll
    static void startServerAndCreateSchema() throws Exception {
        server = HaServer.start();
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            // Dropped first: reruns against a persistent server start clean.
            s.execute("DROP VIEW IF EXISTS md_recent");
            s.execute("DROP TABLE IF EXISTS md_posts");
            s.execute("DROP TABLE IF EXISTS md_users");
            s.execute("CREATE TABLE md_users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, "
                    + "name VARCHAR(50), score DOUBLE PRECISION DEFAULT 0)");
            s.execute("CREATE TABLE md_posts(id INTEGER PRIMARY KEY, "
                    + "user_id BIGINT NOT NULL REFERENCES md_users(id) ON DELETE CASCADE, "
                    + "title TEXT, published BOOLEAN DEFAULT false)");
            s.execute("CREATE INDEX md_posts_user ON md_posts(user_id, title)");
            s.execute("CREATE VIEW md_recent AS SELECT id, title FROM md_posts");
        }
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    /** The named columns of every row, as getString values (null for SQL NULL). */
    private static List<List<String>> rows(ResultSet rs, String... columns) throws SQLException {
        try (rs) {
            List<List<String>> rows = new ArrayList<>();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (String col : columns) {
                    row.add(rs.getString(col));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    /** One named column of every row. */
    private static List<String> column(ResultSet rs, String column) throws SQLException {
        List<String> values = new ArrayList<>();
        for (List<String> row : rows(rs, column)) {
            values.add(row.get(0));
        }
        return values;
    }

    /** An expected row: its values as getString gives them (numbers in decimal, nulls kept). */
    private static List<String> row(Object... values) {
        List<String> row = new ArrayList<>();
        for (Object v : values) {
            row.add(v == null ? null : v.toString());
        }
        return row;
    }

    /** The database's name as pgjdbc reports it (it asks for current_catalog): ha's database id. */
    private static String catalog(Connection c) throws SQLException {
        String cat = c.getCatalog();
        assertNotNull(cat, "Connection.getCatalog()");
        assertFalse(cat.isEmpty(), "Connection.getCatalog() is empty");
        return cat;
    }

    @Test
    void schemasListPublicWithInformationSchemaAndPgCatalog() throws Exception {
        try (Connection c = server.connect()) {
            String cat = catalog(c);
            List<List<String>> schemas = rows(c.getMetaData().getSchemas(), "TABLE_SCHEM", "TABLE_CATALOG");
            List<List<String>> expected = List.of(
                    List.of("information_schema", cat),
                    List.of("pg_catalog", cat),
                    List.of("public", cat));
            if (server.isHa()) {
                assertEquals(expected, schemas);
            } else {
                // A real PostgreSQL may hold other schemas of its own.
                assertTrue(schemas.containsAll(expected), () -> "schemas: " + schemas);
            }
            assertEquals("public", c.getSchema());
        }
    }

    @Test
    void catalogsNameTheConnectedDatabase() throws Exception {
        try (Connection c = server.connect()) {
            String cat = catalog(c);
            List<String> catalogs = column(c.getMetaData().getCatalogs(), "TABLE_CAT");
            if (server.isHa()) {
                assertEquals(List.of(cat), catalogs); // ha's database id, e.g. ha.db
            } else {
                // PostgreSQL lists every database that allows connections (postgres, template1...).
                assertTrue(catalogs.contains(cat), () -> "catalogs " + catalogs + " lack " + cat);
            }
        }
    }

    private static final String[] TABLE_COLUMNS = {"TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS"};

    @Test
    void tablesViewsAndIndexesByType() throws Exception {
        try (Connection c = server.connect()) {
            String cat = catalog(c);
            DatabaseMetaData md = c.getMetaData();
            List<String> mdPosts = row(cat, "public", "md_posts", "TABLE", null);
            List<String> mdUsers = row(cat, "public", "md_users", "TABLE", null);
            List<String> mdRecent = row(cat, "public", "md_recent", "VIEW", null);
            assertEquals(List.of(mdPosts, mdUsers),
                    rows(md.getTables(null, "public", "md_%", new String[] {"TABLE"}), TABLE_COLUMNS));
            assertEquals(List.of(mdRecent),
                    rows(md.getTables(null, "public", "md_%", new String[] {"VIEW"}), TABLE_COLUMNS));
            assertEquals(List.of(mdPosts, mdUsers, mdRecent),
                    rows(md.getTables(null, "public", "md_%", new String[] {"TABLE", "VIEW"}), TABLE_COLUMNS));
            // All types: the indexes too, the primary key's and the unique constraint's named as
            // PostgreSQL names them. Ordered by type, then name.
            assertEquals(List.of(
                    row(cat, "public", "md_posts_pkey", "INDEX", null),
                    row(cat, "public", "md_posts_user", "INDEX", null),
                    row(cat, "public", "md_users_email_key", "INDEX", null),
                    row(cat, "public", "md_users_pkey", "INDEX", null),
                    mdPosts, mdUsers, mdRecent),
                    rows(md.getTables(null, "public", "md_%", null), TABLE_COLUMNS));
            // A table by its exact name, any schema.
            assertEquals(List.of(mdUsers), rows(md.getTables(null, null, "md_users", null), TABLE_COLUMNS));
        }
    }

    private static final String[] COLUMN_COLUMNS = {"TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME",
        "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "DECIMAL_DIGITS", "NUM_PREC_RADIX", "NULLABLE", "COLUMN_DEF",
        "CHAR_OCTET_LENGTH", "ORDINAL_POSITION", "IS_NULLABLE", "IS_AUTOINCREMENT", "IS_GENERATEDCOLUMN"};

    private static final int NO_NULLS = DatabaseMetaData.columnNoNulls;
    private static final int NULLABLE = DatabaseMetaData.columnNullable;

    @Test
    void columnsOfATableInOrderWithTypesNullabilityAndDefaults() throws Exception {
        try (Connection c = server.connect()) {
            String cat = catalog(c);
            DatabaseMetaData md = c.getMetaData();
            assertEquals(List.of(
                    row(cat, "public", "md_users", "id", Types.INTEGER, "int4", 10, 0, 10, NO_NULLS, null,
                            null, 1, "NO", "NO", "NO"),
                    row(cat, "public", "md_users", "email", Types.VARCHAR, "text", Integer.MAX_VALUE, 0, 10,
                            NO_NULLS, null, Integer.MAX_VALUE, 2, "NO", "NO", "NO"),
                    row(cat, "public", "md_users", "name", Types.VARCHAR, "varchar", 50, 0, 10, NULLABLE, null,
                            50, 3, "YES", "NO", "NO"),
                    row(cat, "public", "md_users", "score", Types.DOUBLE, "float8", 17, 17, 10, NULLABLE, "0",
                            null, 4, "YES", "NO", "NO")),
                    rows(md.getColumns(null, "public", "md_users", "%"), COLUMN_COLUMNS));
            // A column name pattern.
            assertEquals(List.of("email"), column(md.getColumns(null, "public", "md_users", "e%"), "COLUMN_NAME"));
        }
    }

    @Test
    void columnsOfAReferencingTable() throws Exception {
        try (Connection c = server.connect()) {
            String cat = catalog(c);
            assertEquals(List.of(
                    row(cat, "public", "md_posts", "id", Types.INTEGER, "int4", 10, 0, 10, NO_NULLS, null,
                            null, 1, "NO", "NO", "NO"),
                    row(cat, "public", "md_posts", "user_id", Types.BIGINT, "int8", 19, 0, 10, NO_NULLS, null,
                            null, 2, "NO", "NO", "NO"),
                    row(cat, "public", "md_posts", "title", Types.VARCHAR, "text", Integer.MAX_VALUE, 0, 10,
                            NULLABLE, null, Integer.MAX_VALUE, 3, "YES", "NO", "NO"),
                    row(cat, "public", "md_posts", "published", Types.BIT, "bool", 1, 0, 10, NULLABLE, "false",
                            null, 4, "YES", "NO", "NO")),
                    rows(c.getMetaData().getColumns(null, "public", "md_posts", "%"), COLUMN_COLUMNS));
        }
    }

    @Test
    void columnsOfAViewTakeTheirTablesTypesAndAreNullable() throws Exception {
        try (Connection c = server.connect()) {
            String cat = catalog(c);
            assertEquals(List.of(
                    row(cat, "public", "md_recent", "id", Types.INTEGER, "int4", 10, 0, 10, NULLABLE, null,
                            null, 1, "YES", "NO", "NO"),
                    row(cat, "public", "md_recent", "title", Types.VARCHAR, "text", Integer.MAX_VALUE, 0, 10,
                            NULLABLE, null, Integer.MAX_VALUE, 2, "YES", "NO", "NO")),
                    rows(c.getMetaData().getColumns(null, "public", "md_recent", "%"), COLUMN_COLUMNS));
        }
    }

    private static final String[] KEY_COLUMNS = {"PKTABLE_CAT", "PKTABLE_SCHEM", "PKTABLE_NAME", "PKCOLUMN_NAME",
        "FKTABLE_CAT", "FKTABLE_SCHEM", "FKTABLE_NAME", "FKCOLUMN_NAME", "KEY_SEQ", "UPDATE_RULE", "DELETE_RULE",
        "FK_NAME", "PK_NAME", "DEFERRABILITY"};

    /** md_posts.user_id REFERENCES md_users(id) ON DELETE CASCADE, as every foreign key call reports it. */
    private static List<String> postsUserFk(String cat) {
        return row(cat, "public", "md_users", "id", cat, "public", "md_posts", "user_id", 1,
                DatabaseMetaData.importedKeyNoAction, DatabaseMetaData.importedKeyCascade,
                "md_posts_user_id_fkey", "md_users_pkey", DatabaseMetaData.importedKeyNotDeferrable);
    }

    @Test
    void importedKeysOfTheReferencingTable() throws Exception {
        try (Connection c = server.connect()) {
            String cat = catalog(c);
            DatabaseMetaData md = c.getMetaData();
            assertEquals(List.of(postsUserFk(cat)), rows(md.getImportedKeys(null, "public", "md_posts"), KEY_COLUMNS));
            assertEquals(List.of(), rows(md.getImportedKeys(null, "public", "md_users"), KEY_COLUMNS));
        }
    }

    @Test
    void exportedKeysOfTheReferencedTable() throws Exception {
        try (Connection c = server.connect()) {
            String cat = catalog(c);
            DatabaseMetaData md = c.getMetaData();
            assertEquals(List.of(postsUserFk(cat)), rows(md.getExportedKeys(null, "public", "md_users"), KEY_COLUMNS));
            assertEquals(List.of(), rows(md.getExportedKeys(null, "public", "md_posts"), KEY_COLUMNS));
        }
    }

    @Test
    void crossReferenceBetweenTheTwoTables() throws Exception {
        try (Connection c = server.connect()) {
            String cat = catalog(c);
            DatabaseMetaData md = c.getMetaData();
            assertEquals(List.of(postsUserFk(cat)), rows(
                    md.getCrossReference(null, "public", "md_users", null, "public", "md_posts"), KEY_COLUMNS));
            assertEquals(List.of(), rows(
                    md.getCrossReference(null, "public", "md_posts", null, "public", "md_users"), KEY_COLUMNS));
        }
    }

    @Test
    void resultSetMetaDataNamesEachColumnsTable() throws Exception {
        // RowDescription carries each column's table OID and attribute number; pgjdbc looks
        // them up in pg_class / pg_attribute (what DBeaver's result editor relies on).
        try (Connection c = server.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT u.email AS mail, u.name, p.title, 1 AS one FROM md_users u "
                        + "JOIN md_posts p ON p.user_id = u.id")) {
            java.sql.ResultSetMetaData md = rs.getMetaData();
            org.postgresql.PGResultSetMetaData pg = md.unwrap(org.postgresql.PGResultSetMetaData.class);
            assertEquals("md_users", md.getTableName(1));
            assertEquals("email", pg.getBaseColumnName(1));
            assertEquals("mail", md.getColumnLabel(1));
            assertEquals("md_posts", md.getTableName(3));
            assertEquals("public", pg.getBaseSchemaName(3));
            assertEquals("", md.getTableName(4));
            assertEquals(java.sql.ResultSetMetaData.columnNoNulls, md.isNullable(1));
            assertEquals(java.sql.ResultSetMetaData.columnNullable, md.isNullable(2));
        }
    }

    @Test
    void primaryKeysOfATable() throws Exception {
        try (Connection c = server.connect()) {
            DatabaseMetaData md = c.getMetaData();
            assertEquals(
                    List.of(row("md_users", "id", 1, "md_users_pkey")),
                    rows(md.getPrimaryKeys(null, "public", "md_users"),
                            "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME"));
        }
    }

    @Test
    void indexesOfATableWithTheirColumnsInOrder() throws Exception {
        try (Connection c = server.connect()) {
            DatabaseMetaData md = c.getMetaData();
            List<List<String>> indexes = new ArrayList<>();
            try (ResultSet rs = md.getIndexInfo(null, "public", "md_posts", false, false)) {
                while (rs.next()) {
                    indexes.add(row(rs.getString("INDEX_NAME"), rs.getBoolean("NON_UNIQUE"),
                            rs.getString("COLUMN_NAME"), rs.getInt("ORDINAL_POSITION"),
                            rs.getShort("TYPE"), rs.getString("ASC_OR_DESC")));
                }
            }
            assertEquals(List.of(
                    row("md_posts_pkey", false, "id", 1, 3, "A"),
                    row("md_posts_user", true, "user_id", 1, 3, "A"),
                    row("md_posts_user", true, "title", 2, 3, "A")), indexes);
            // Unique indexes only: the primary key's.
            assertEquals(List.of("md_posts_pkey"),
                    column(md.getIndexInfo(null, "public", "md_posts", true, false), "INDEX_NAME"));
        }
    }
}
