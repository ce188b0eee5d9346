package ha.mysql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Connector/J's DatabaseMetaData, the calls a GUI tool (DBeaver's MySQL connection) makes when it
 * opens a database and expands a table: both of the driver's ways, SHOW commands (its default)
 * and INFORMATION_SCHEMA queries (useInformationSchema=true), which ha answers from one catalog.
 */
class MetaDataTest {
    private static HaServer server;

    @BeforeAll
    static void start() throws Exception {
        server = HaServer.start();
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            for (String drop : new String[] {"VIEW IF EXISTS md_recent", "TABLE IF EXISTS md_posts",
                    "TABLE IF EXISTS md_users"}) {
                s.execute("DROP " + drop);
            }
            s.execute("CREATE TABLE md_users(id " + server.autoinc() + ", email VARCHAR(100) NOT NULL UNIQUE,"
                    + " name TEXT, score DECIMAL(10,2) DEFAULT 0)");
            s.execute("CREATE TABLE md_posts(id " + server.autoinc() + ", user_id BIGINT NOT NULL,"
                    + " title VARCHAR(200), FOREIGN KEY (user_id) REFERENCES md_users(id) ON DELETE CASCADE)");
            s.execute("CREATE INDEX md_posts_user ON md_posts(user_id, title DESC)");
            s.execute("CREATE VIEW md_recent AS SELECT id, title FROM md_posts");
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static List<Map<String, Object>> rows(ResultSet rs) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 1; i <= n; i++) {
                row.put(rs.getMetaData().getColumnLabel(i).toUpperCase(), rs.getObject(i));
            }
            out.add(row);
        }
        rs.close();
        return out;
    }

    private static List<Object> column(List<Map<String, Object>> rows, String name) {
        List<Object> out = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            out.add(row.get(name) == null ? null : row.get(name).toString());
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"useInformationSchema=false", "useInformationSchema=true"})
    void tablesAndViews(String mode) throws SQLException {
        try (Connection c = server.connect(mode)) {
            DatabaseMetaData md = c.getMetaData();
            List<Object> tables = column(rows(md.getTables(HaServer.DATABASE, null, "md\\_%", new String[] {"TABLE"})),
                    "TABLE_NAME");
            assertEquals(List.of("md_posts", "md_users"), tables);
            List<Object> views = column(rows(md.getTables(HaServer.DATABASE, null, "%", new String[] {"VIEW"})),
                    "TABLE_NAME");
            assertTrue(views.contains("md_recent"), views::toString);
            List<Object> all = column(rows(md.getTables(HaServer.DATABASE, null, "%", null)), "TABLE_NAME");
            assertTrue(all.stream().noneMatch(t -> t.toString().startsWith("_ha_")), all::toString);
            List<Object> catalogs = column(rows(md.getCatalogs()), "TABLE_CAT");
            assertTrue(catalogs.contains(HaServer.DATABASE), catalogs::toString);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"useInformationSchema=false", "useInformationSchema=true"})
    void columnsWithTypesNullabilityAndDefaults(String mode) throws SQLException {
        try (Connection c = server.connect(mode)) {
            List<Map<String, Object>> columns = rows(c.getMetaData().getColumns(HaServer.DATABASE, null, "md_users", "%"));
            assertEquals(List.of("id", "email", "name", "score"), column(columns, "COLUMN_NAME"));
            Map<String, Object> email = columns.get(1);
            assertEquals(Types.VARCHAR, ((Number) email.get("DATA_TYPE")).intValue(), email::toString);
            assertEquals(100, ((Number) email.get("COLUMN_SIZE")).intValue(), email::toString);
            assertEquals(DatabaseMetaData.columnNoNulls, ((Number) email.get("NULLABLE")).intValue());
            assertEquals(DatabaseMetaData.columnNullable, ((Number) columns.get(2).get("NULLABLE")).intValue());
            Map<String, Object> score = columns.get(3);
            assertEquals(Types.DECIMAL, ((Number) score.get("DATA_TYPE")).intValue(), score::toString);
            assertEquals(2, ((Number) score.get("DECIMAL_DIGITS")).intValue(), score::toString);
            assertEquals("0", score.get("COLUMN_DEF"), score::toString);
            assertEquals("YES", columns.get(0).get("IS_AUTOINCREMENT"), columns.get(0)::toString);
            assertEquals("NO", email.get("IS_AUTOINCREMENT"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"useInformationSchema=false", "useInformationSchema=true"})
    void primaryKeysAndIndexes(String mode) throws SQLException {
        try (Connection c = server.connect(mode)) {
            DatabaseMetaData md = c.getMetaData();
            List<Map<String, Object>> key = rows(md.getPrimaryKeys(HaServer.DATABASE, null, "md_posts"));
            assertEquals(List.of("id"), column(key, "COLUMN_NAME"));
            List<Map<String, Object>> indexes = rows(md.getIndexInfo(HaServer.DATABASE, null, "md_posts", false, false));
            List<String> described = new ArrayList<>();
            for (Map<String, Object> i : indexes) {
                described.add(i.get("INDEX_NAME") + ":" + i.get("ORDINAL_POSITION") + ":" + i.get("COLUMN_NAME")
                        + ":" + i.get("ASC_OR_DESC") + ":" + i.get("NON_UNIQUE"));
            }
            assertTrue(described.contains("PRIMARY:1:id:A:false"), described::toString);
            assertTrue(described.contains("md_posts_user:1:user_id:A:true"), described::toString);
            assertTrue(described.contains("md_posts_user:2:title:D:true"), described::toString);
            List<Map<String, Object>> unique = rows(md.getIndexInfo(HaServer.DATABASE, null, "md_users", true, false));
            assertTrue(column(unique, "COLUMN_NAME").contains("email"), unique::toString);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"useInformationSchema=false", "useInformationSchema=true"})
    void foreignKeysBothWays(String mode) throws SQLException {
        try (Connection c = server.connect(mode)) {
            DatabaseMetaData md = c.getMetaData();
            for (ResultSet keys : new ResultSet[] {md.getImportedKeys(HaServer.DATABASE, null, "md_posts"),
                    md.getExportedKeys(HaServer.DATABASE, null, "md_users")}) {
                List<Map<String, Object>> fks = rows(keys);
                // Connector/J's INFORMATION_SCHEMA query joins every UNIQUE constraint of the
                // parent for PK_NAME (md_users has two), as it does against MySQL itself.
                assertEquals(List.of("md_posts_ibfk_1"), column(fks, "FK_NAME").stream().distinct().toList(),
                        fks::toString);
                Map<String, Object> fk = fks.get(0);
                assertEquals("md_users", fk.get("PKTABLE_NAME"), fk::toString);
                assertEquals("id", fk.get("PKCOLUMN_NAME"), fk::toString);
                assertEquals("md_posts", fk.get("FKTABLE_NAME"), fk::toString);
                assertEquals("user_id", fk.get("FKCOLUMN_NAME"), fk::toString);
                assertEquals(DatabaseMetaData.importedKeyCascade, ((Number) fk.get("DELETE_RULE")).intValue(),
                        fk::toString);
            }
        }
    }

    @Test
    void resultSetMetaDataNamesTheTableAndNullability() throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id, email, name, 1 + 1 AS two FROM md_users")) {
            java.sql.ResultSetMetaData md = rs.getMetaData();
            assertEquals("md_users", md.getTableName(1));
            assertEquals("md_users", md.getTableName(2));
            assertEquals("", md.getTableName(4));
            assertTrue(md.isAutoIncrement(1));
            assertEquals(java.sql.ResultSetMetaData.columnNoNulls, md.isNullable(2));
            assertEquals(java.sql.ResultSetMetaData.columnNullable, md.isNullable(3));
            assertEquals(java.sql.ResultSetMetaData.columnNullable, md.isNullable(4));
        }
    }

    @Test
    void informationSchemaQueriedDirectly() throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            List<Map<String, Object>> tables = rows(s.executeQuery(
                    "SELECT TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES"
                    + " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'md%' ORDER BY TABLE_NAME"));
            assertEquals(List.of("md_posts", "md_recent", "md_users"), column(tables, "TABLE_NAME"));
            assertEquals(List.of("BASE TABLE", "VIEW", "BASE TABLE"), column(tables, "TABLE_TYPE"));
            List<Map<String, Object>> keys = rows(s.executeQuery(
                    "SELECT kc.COLUMN_NAME, kc.REFERENCED_TABLE_NAME, tc.CONSTRAINT_TYPE"
                    + " FROM information_schema.key_column_usage kc JOIN information_schema.table_constraints tc"
                    + " USING (CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_NAME)"
                    + " WHERE kc.TABLE_NAME = 'md_posts' ORDER BY tc.CONSTRAINT_TYPE"));
            assertEquals(List.of("user_id", "id"), column(keys, "COLUMN_NAME"));
            assertEquals(List.of("FOREIGN KEY", "PRIMARY KEY"), column(keys, "CONSTRAINT_TYPE"));
        }
    }
}
