package ha.jdbc;

import java.sql.DatabaseMetaData;
import java.util.List;
import java.util.Locale;

/**
 * Foreign keys as JDBC's key answers (imported, exported, cross reference), from the catalog's
 * rows (table, id, position, column_name, parent_table, parent_column, on_update, on_delete).
 * SQLite keeps no constraint names: a key is named {@code fk_<table>_<id>}.
 */
final class ForeignKeys {
    private ForeignKeys() {}

    /** The keys of these rows; only those referencing {@code parent} when it is given. */
    static MetaTable table(List<Object[]> rows, String catalog, String parent) {
        MetaTable t = MetaColumns.keys();
        for (Object[] k : rows) {
            String parentTable = Cells.string(k[4]);
            if (parent != null && !parent.equalsIgnoreCase(parentTable)) {
                continue;
            }
            String table = Cells.string(k[0]);
            t.add(catalog, null, parentTable, k[5], catalog, null, table, k[3],
                    (int) HaDatabaseMetaData.number(k[2]), rule(k[6]), rule(k[7]),
                    "fk_" + table + "_" + HaDatabaseMetaData.number(k[1]), null,
                    DatabaseMetaData.importedKeyNotDeferrable);
        }
        return t;
    }

    /** SQLite's ON UPDATE / ON DELETE action as JDBC's rule code. */
    static int rule(Object action) {
        String text = action == null ? "" : Cells.string(action).trim().toUpperCase(Locale.ROOT);
        switch (text) {
            case "CASCADE":
                return DatabaseMetaData.importedKeyCascade;
            case "SET NULL":
                return DatabaseMetaData.importedKeySetNull;
            case "SET DEFAULT":
                return DatabaseMetaData.importedKeySetDefault;
            case "RESTRICT":
                return DatabaseMetaData.importedKeyRestrict;
            default:
                return DatabaseMetaData.importedKeyNoAction;
        }
    }
}
