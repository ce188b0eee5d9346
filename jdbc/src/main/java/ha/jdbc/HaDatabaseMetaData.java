package ha.jdbc;

import ha.jdbc.core.Native;
import ha.jdbc.core.Result;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The connection's catalog for tools (DBeaver and the like): tables, views, columns, keys and
 * indexes of the connection's database, read by the native client's catalog queries (the core
 * writes them over SQLite's schema; a replica answers locally) and shaped here into JDBC's
 * result sets. The database is the only catalog tables are listed under; there are no schemas.
 */
final class HaDatabaseMetaData extends MetaCapabilities {
    private static final Pattern WITHOUT_ROWID = Pattern.compile("\\)\\s*(?:STRICT\\s*,\\s*)?WITHOUT\\s+ROWID",
            Pattern.CASE_INSENSITIVE);

    private final HaConnection connection;

    HaDatabaseMetaData(HaConnection connection) {
        this.connection = connection;
    }

    // -- the product --------------------------------------------------------------------------

    @Override public String getDatabaseProductName() { return "ha"; }

    @Override
    public String getDatabaseProductVersion() {
        return Native.version() + " (SQLite " + Native.sqliteVersion() + ")";
    }

    @Override public int getDatabaseMajorVersion() { return versionPart(Native.version(), 0); }
    @Override public int getDatabaseMinorVersion() { return versionPart(Native.version(), 1); }
    @Override public String getDriverName() { return "ha JDBC driver"; }
    @Override public String getDriverVersion() { return HaDriver.VERSION; }
    @Override public int getDriverMajorVersion() { return HaDriver.MAJOR_VERSION; }
    @Override public int getDriverMinorVersion() { return HaDriver.MINOR_VERSION; }
    @Override public String getURL() { return connection.url(); }
    @Override public String getUserName() { return ""; }
    @Override public boolean isReadOnly() throws SQLException { return connection.isReadOnly(); }
    @Override public Connection getConnection() { return connection; }

    private static int versionPart(String version, int index) {
        String[] parts = version.split("[.\\-+ ]");
        try {
            return parts.length > index ? Integer.parseInt(parts[index]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // -- catalogs, schemas, tables ------------------------------------------------------------

    /** The database statements go to now (the URL's, or the last setCatalog's). */
    private String currentCatalog() {
        return connection.currentCatalog();
    }

    /** Whether a catalog argument names the connection's database (null, "" and unknown: yes). */
    private boolean ours(String catalog) {
        String database = currentCatalog();
        return catalog == null || catalog.isEmpty() || database == null || catalog.equalsIgnoreCase(database);
    }

    /**
     * The databases the client reaches; none while it names no database (the catalog queries
     * then read the node's default database, whose name the client does not know).
     */
    @Override
    public ResultSet getCatalogs() throws SQLException {
        MetaTable t = MetaColumns.catalogs();
        if (currentCatalog() == null) {
            return t.resultSet();
        }
        for (Object[] row : rows(catalog("databases", null))) {
            t.add(Cells.string(row[0]));
        }
        return t.sortBy("TABLE_CAT").resultSet();
    }

    @Override public ResultSet getSchemas() throws SQLException { return MetaColumns.schemas().resultSet(); }
    @Override public ResultSet getSchemas(String catalog, String pattern) throws SQLException { return MetaColumns.schemas().resultSet(); }

    @Override
    public ResultSet getTableTypes() throws SQLException {
        return MetaColumns.tableTypes().add("TABLE").add("VIEW").resultSet();
    }

    @Override
    public ResultSet getTables(String catalog, String schemaPattern, String namePattern, String[] types) throws SQLException {
        MetaTable t = MetaColumns.tables();
        if (!ours(catalog)) {
            return t.resultSet();
        }
        for (Object[] row : tables(namePattern)) {
            String type = "view".equals(row[1]) ? "VIEW" : "TABLE";
            if (types == null || contains(types, type)) {
                t.add(currentCatalog(), null, row[0], type, null, null, null, null, null, null);
            }
        }
        return t.sortBy("TABLE_TYPE", "TABLE_NAME").resultSet();
    }

    private static boolean contains(String[] types, String type) {
        for (String t : types) {
            if (type.equalsIgnoreCase(t)) {
                return true;
            }
        }
        return false;
    }

    // -- columns and keys ---------------------------------------------------------------------

    @Override
    public ResultSet getColumns(String catalog, String schemaPattern, String tablePattern, String columnPattern)
            throws SQLException {
        MetaTable t = MetaColumns.columns();
        if (!ours(catalog)) {
            return t.resultSet();
        }
        Map<String, Object[]> tables = new HashMap<>();
        for (Object[] row : tables(tablePattern)) {
            tables.put((String) row[0], row);
        }
        // One matching table (the usual question, whose name's `_` is a wildcard too): ask
        // for its columns only; else for all of them, filtered here.
        String only = tables.size() == 1 ? tables.keySet().iterator().next() : null;
        List<Object[]> columns = only != null ? rows(catalog("columns", only))
                : tables.isEmpty() ? List.of() : matching(catalog("columns", null), tablePattern, "columns");
        Map<String, Integer> keyWidth = new HashMap<>();
        for (Object[] c : columns) {
            if (number(c[6]) > 0) {
                keyWidth.merge((String) c[0], 1, Integer::sum);
            }
        }
        LikePattern names = LikePattern.of(columnPattern);
        for (Object[] c : columns) {
            String table = (String) c[0];
            String name = (String) c[2];
            long hidden = number(c[7]);
            if (hidden == 1 || !names.matches(name)) {
                continue;
            }
            String declared = c[3] == null ? "" : (String) c[3];
            ColumnType type = ColumnType.declared(declared);
            boolean rowidAlias = declared.trim().equalsIgnoreCase("INTEGER") && number(c[6]) == 1
                    && keyWidth.getOrDefault(table, 0) == 1 && hasRowid(tables.get(table));
            boolean notNull = number(c[4]) != 0 || rowidAlias;
            boolean text = type.sqlType() == java.sql.Types.VARCHAR || type.sqlType() == java.sql.Types.BLOB;
            Integer digits = type.sqlType() == java.sql.Types.BIGINT ? Integer.valueOf(0)
                    : (type.sqlType() == java.sql.Types.DECIMAL || type.sqlType() == java.sql.Types.NUMERIC)
                    ? Integer.valueOf(type.scale()) : null;
            t.add(currentCatalog(), null, table, name, type.sqlType(), declared.isEmpty() ? "" : declared.trim(),
                    type.precision(), null, digits, 10,
                    notNull ? java.sql.DatabaseMetaData.columnNoNulls : java.sql.DatabaseMetaData.columnNullable,
                    null, c[5], null, null, text ? type.precision() : null, (int) number(c[1]),
                    notNull ? "NO" : "YES", null, null, null, null, rowidAlias ? "YES" : "NO",
                    hidden == 2 || hidden == 3 ? "YES" : "NO");
        }
        return t.resultSet();
    }

    /** A table's rowid (an INTEGER PRIMARY KEY is an alias for it) unless WITHOUT ROWID or a view. */
    private static boolean hasRowid(Object[] tableRow) {
        if (tableRow == null || !"table".equals(tableRow[1])) {
            return false;
        }
        return tableRow[2] == null || !WITHOUT_ROWID.matcher((String) tableRow[2]).find();
    }

    @Override
    public ResultSet getPrimaryKeys(String catalog, String schema, String table) throws SQLException {
        MetaTable t = MetaColumns.primaryKeys();
        String real = ours(catalog) ? realName(table) : null;
        if (real == null) {
            return t.resultSet();
        }
        String pkName = null;
        for (Object[] i : rows(catalog("indexes", real))) {
            if ("pk".equals(i[3])) {
                pkName = (String) i[1];
            }
        }
        for (Object[] c : rows(catalog("columns", real))) {
            if (number(c[6]) > 0) {
                t.add(currentCatalog(), null, c[0], c[2], (int) number(c[6]), pkName);
            }
        }
        return t.sortBy("COLUMN_NAME").resultSet();
    }

    @Override
    public ResultSet getIndexInfo(String catalog, String schema, String table, boolean unique, boolean approximate)
            throws SQLException {
        MetaTable t = MetaColumns.indexInfo();
        String real = ours(catalog) ? realName(table) : null;
        if (real == null) {
            return t.resultSet();
        }
        for (Object[] i : rows(catalog("indexes", real))) {
            boolean isUnique = number(i[2]) != 0;
            if (unique && !isUnique) {
                continue;
            }
            t.add(currentCatalog(), null, i[0], !isUnique, null, i[1], java.sql.DatabaseMetaData.tableIndexOther,
                    (int) number(i[4]), i[5], "A", 0L, 0L, null);
        }
        return t.sortBy("NON_UNIQUE", "TYPE", "INDEX_NAME", "ORDINAL_POSITION").resultSet();
    }

    @Override
    public ResultSet getImportedKeys(String catalog, String schema, String table) throws SQLException {
        String real = ours(catalog) ? realName(table) : null;
        if (real == null) {
            return MetaColumns.keys().resultSet();
        }
        return ForeignKeys.table(rows(catalog("foreign_keys", real)), currentCatalog(), null)
                .sortBy("PKTABLE_NAME", "KEY_SEQ").resultSet();
    }

    @Override
    public ResultSet getExportedKeys(String catalog, String schema, String table) throws SQLException {
        if (!ours(catalog) || table == null) {
            return MetaColumns.keys().resultSet();
        }
        return ForeignKeys.table(rows(catalog("foreign_keys", null)), currentCatalog(), table)
                .sortBy("FKTABLE_NAME", "FK_NAME", "KEY_SEQ").resultSet();
    }

    @Override
    public ResultSet getCrossReference(String parentCatalog, String parentSchema, String parentTable,
            String foreignCatalog, String foreignSchema, String foreignTable) throws SQLException {
        String real = ours(parentCatalog) && ours(foreignCatalog) ? realName(foreignTable) : null;
        if (real == null) {
            return MetaColumns.keys().resultSet();
        }
        List<Object[]> rows = rows(catalog("foreign_keys", real));
        return ForeignKeys.table(rows, currentCatalog(), parentTable).sortBy("FKTABLE_NAME", "FK_NAME", "KEY_SEQ").resultSet();
    }

    @Override public ResultSet getTypeInfo() throws SQLException { return TypeInfo.rows().resultSet(); }

    // -- what SQLite has not: empty answers with JDBC's columns ----------------------------------

    @Override public ResultSet getProcedures(String c, String s, String p) { return MetaColumns.procedures().resultSet(); }
    @Override public ResultSet getProcedureColumns(String c, String s, String p, String col) { return MetaColumns.procedureColumns().resultSet(); }
    @Override public ResultSet getFunctions(String c, String s, String f) { return MetaColumns.functions().resultSet(); }
    @Override public ResultSet getFunctionColumns(String c, String s, String f, String col) { return MetaColumns.functionColumns().resultSet(); }
    @Override public ResultSet getUDTs(String c, String s, String t, int[] types) { return MetaColumns.udts().resultSet(); }
    @Override public ResultSet getSuperTypes(String c, String s, String t) { return MetaColumns.superTypes().resultSet(); }
    @Override public ResultSet getSuperTables(String c, String s, String t) { return MetaColumns.superTables().resultSet(); }
    @Override public ResultSet getAttributes(String c, String s, String t, String a) { return MetaColumns.attributes().resultSet(); }
    @Override public ResultSet getPseudoColumns(String c, String s, String t, String col) { return MetaColumns.pseudoColumns().resultSet(); }
    @Override public ResultSet getClientInfoProperties() { return MetaColumns.clientInfoProperties().resultSet(); }
    @Override public ResultSet getVersionColumns(String c, String s, String t) { return MetaColumns.rowColumns().resultSet(); }
    @Override public ResultSet getBestRowIdentifier(String c, String s, String t, int scope, boolean nullable) { return MetaColumns.rowColumns().resultSet(); }
    @Override public ResultSet getColumnPrivileges(String c, String s, String t, String col) { return MetaColumns.columnPrivileges().resultSet(); }
    @Override public ResultSet getTablePrivileges(String c, String s, String t) { return MetaColumns.tablePrivileges().resultSet(); }

    // -- reading the native catalog -----------------------------------------------------------

    private Result catalog(String what, String table) throws SQLException {
        return connection.client().catalog(what, table);
    }

    /** The tables and views whose names match, as (name, type, sql) rows. */
    private List<Object[]> tables(String namePattern) throws SQLException {
        return matching(catalog("tables", exact(namePattern)), namePattern, "tables");
    }

    /** A table's name as the schema spells it (names ignore case), or null when there is none. */
    private String realName(String table) throws SQLException {
        if (table == null) {
            return null;
        }
        List<Object[]> rows = tables(table.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"));
        return rows.isEmpty() ? null : (String) rows.get(0)[0];
    }

    /** A pattern without wildcards asks the catalog for that one table. */
    private static String exact(String pattern) {
        return pattern == null ? null : LikePattern.of(pattern).exactName();
    }

    /**
     * The rows whose first column (the table) matches the pattern. The catalog compares an
     * exact name as written, SQLite's names ignore case: when an exact question finds nothing,
     * all rows are read and matched here.
     */
    private List<Object[]> matching(Result result, String pattern, String what) throws SQLException {
        List<Object[]> rows = rows(result);
        if (rows.isEmpty() && exact(pattern) != null) {
            rows = rows(catalog(what, null));
        }
        LikePattern like = LikePattern.of(pattern);
        List<Object[]> kept = new ArrayList<>();
        for (Object[] row : rows) {
            if (like.matches(Cells.string(row[0]))) {
                kept.add(row);
            }
        }
        return kept;
    }

    private static List<Object[]> rows(Result result) {
        int n = result.columns.length;
        List<Object[]> rows = new ArrayList<>(result.rowCount());
        for (int r = 0; r < result.rowCount(); r++) {
            Object[] row = new Object[n];
            System.arraycopy(result.cells, r * n, row, 0, n);
            rows.add(row);
        }
        return rows;
    }

    static long number(Object cell) {
        if (cell instanceof Long) {
            return (Long) cell;
        }
        if (cell instanceof Double) {
            return (long) (double) (Double) cell;
        }
        if (cell instanceof String) {
            try {
                return Long.parseLong(((String) cell).trim().toLowerCase(Locale.ROOT));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }
}
