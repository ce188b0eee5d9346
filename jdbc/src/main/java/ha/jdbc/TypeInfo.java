package ha.jdbc;

import java.sql.DatabaseMetaData;
import java.sql.Types;

/**
 * {@code getTypeInfo()}: the type names worth offering in a tool's column editor, each with the
 * JDBC type {@link ColumnType} reads it as. SQLite accepts any name; these are the usual ones.
 */
final class TypeInfo {
    private TypeInfo() {}

    static MetaTable rows() {
        MetaTable t = MetaColumns.typeInfo();
        int unbounded = ColumnType.UNBOUNDED;
        // name, type, precision, prefix, suffix, create params, case sensitive, auto increment, max scale
        type(t, "INTEGER", Types.BIGINT, 19, null, null, null, false, true, 0);
        type(t, "NUMERIC", Types.NUMERIC, 38, null, null, "precision,scale", false, false, 38);
        type(t, "DECIMAL", Types.DECIMAL, 38, null, null, "precision,scale", false, false, 38);
        type(t, "REAL", Types.DOUBLE, 17, null, null, null, false, false, 0);
        type(t, "TEXT", Types.VARCHAR, unbounded, "'", "'", null, true, false, 0);
        type(t, "VARCHAR", Types.VARCHAR, unbounded, "'", "'", "length", true, false, 0);
        type(t, "BOOLEAN", Types.BOOLEAN, 1, null, null, null, false, false, 0);
        type(t, "DATE", Types.DATE, 10, "'", "'", null, false, false, 0);
        type(t, "TIME", Types.TIME, 12, "'", "'", null, false, false, 0);
        type(t, "TIMESTAMP", Types.TIMESTAMP, 23, "'", "'", null, false, false, 0);
        type(t, "DATETIME", Types.TIMESTAMP, 23, "'", "'", null, false, false, 0);
        type(t, "BLOB", Types.BLOB, unbounded, "X'", "'", null, false, false, 0);
        return t;
    }

    private static void type(MetaTable t, String name, int sqlType, int precision, String prefix, String suffix,
            String createParams, boolean caseSensitive, boolean autoIncrement, int maxScale) {
        boolean numeric = sqlType == Types.BIGINT || sqlType == Types.NUMERIC || sqlType == Types.DECIMAL
                || sqlType == Types.DOUBLE;
        t.add(name, sqlType, precision, prefix, suffix, createParams, DatabaseMetaData.typeNullable, caseSensitive,
                DatabaseMetaData.typeSearchable, false, false, autoIncrement, name, 0, maxScale, null, null,
                numeric ? 10 : null);
    }
}
