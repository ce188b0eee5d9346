package ha.jdbc;

import java.sql.ResultSetMetaData;
import java.sql.SQLException;

/**
 * A result's columns: names and types as {@link ColumnType} read them. The answer does not say
 * which table a column comes from, nor whether it may be NULL: those are unknown.
 */
final class HaResultSetMetaData implements ResultSetMetaData {
    private final String[] labels;
    private final ColumnType[] types;

    HaResultSetMetaData(String[] labels, ColumnType[] types) {
        this.labels = labels;
        this.types = types;
    }

    private ColumnType type(int column) throws SQLException {
        if (column < 1 || column > types.length) {
            throw new SQLException("no column " + column + " (the result has " + types.length + ")", "07009");
        }
        return types[column - 1];
    }

    @Override public int getColumnCount() { return labels.length; }
    @Override public String getColumnLabel(int column) throws SQLException { type(column); return labels[column - 1]; }
    @Override public String getColumnName(int column) throws SQLException { return getColumnLabel(column); }
    @Override public int getColumnType(int column) throws SQLException { return type(column).sqlType(); }
    @Override public String getColumnTypeName(int column) throws SQLException { return type(column).name(); }
    @Override public String getColumnClassName(int column) throws SQLException { return type(column).className(); }
    @Override public int getPrecision(int column) throws SQLException { return type(column).precision(); }
    @Override public int getScale(int column) throws SQLException { return type(column).scale(); }
    @Override public boolean isSigned(int column) throws SQLException { return type(column).signed(); }
    @Override public int isNullable(int column) throws SQLException { type(column); return columnNullableUnknown; }

    @Override
    public int getColumnDisplaySize(int column) throws SQLException {
        int precision = type(column).precision();
        // A text without a declared length: a width a table view can use.
        return precision <= 0 || precision == ColumnType.UNBOUNDED ? 80 : precision;
    }

    @Override
    public boolean isCaseSensitive(int column) throws SQLException {
        int t = type(column).sqlType();
        return t == java.sql.Types.VARCHAR || t == java.sql.Types.OTHER;
    }

    @Override public boolean isAutoIncrement(int column) throws SQLException { type(column); return false; }
    @Override public boolean isSearchable(int column) throws SQLException { type(column); return true; }
    @Override public boolean isCurrency(int column) throws SQLException { type(column); return false; }
    @Override public String getSchemaName(int column) throws SQLException { type(column); return ""; }
    @Override public String getTableName(int column) throws SQLException { type(column); return ""; }
    @Override public String getCatalogName(int column) throws SQLException { type(column); return ""; }
    @Override public boolean isReadOnly(int column) throws SQLException { type(column); return false; }
    @Override public boolean isWritable(int column) throws SQLException { type(column); return true; }
    @Override public boolean isDefinitelyWritable(int column) throws SQLException { type(column); return false; }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw Errors.unwrap(type, this);
    }

    @Override public boolean isWrapperFor(Class<?> type) { return type.isInstance(this); }
}
