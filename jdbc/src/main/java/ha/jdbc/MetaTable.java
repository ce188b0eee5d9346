package ha.jdbc;

import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A small in-memory table for the metadata's result sets: columns typed by JDBC (so
 * {@code getObject} answers Short for KEY_SEQ, Boolean for NON_UNIQUE...), rows of Java
 * values stored as SQLite cells.
 */
final class MetaTable {
    private final String[] names;
    private final ColumnType[] types;
    private final List<Object[]> rows = new ArrayList<>();

    /** Columns as name, {@link java.sql.Types} code pairs: {@code "TABLE_CAT", Types.VARCHAR, ...}. */
    MetaTable(Object... columns) {
        int n = columns.length / 2;
        names = new String[n];
        types = new ColumnType[n];
        for (int i = 0; i < n; i++) {
            names[i] = (String) columns[2 * i];
            types[i] = ColumnType.of((Integer) columns[2 * i + 1]);
        }
    }

    int width() {
        return names.length;
    }

    /** One row, a value per column: String, a whole number, Boolean or null. */
    MetaTable add(Object... values) {
        if (values.length != names.length) {
            throw new IllegalArgumentException("a row of " + values.length + " values for " + names.length + " columns");
        }
        Object[] row = new Object[values.length];
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            if (v instanceof Boolean) {
                row[i] = (Boolean) v ? 1L : 0L;
            } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
                row[i] = ((Number) v).longValue();
            } else {
                row[i] = v;
            }
        }
        rows.add(row);
        return this;
    }

    /** Sorts the rows by the named columns (NULL first), as JDBC orders each metadata answer. */
    MetaTable sortBy(String... columns) {
        Comparator<Object[]> order = null;
        for (String column : columns) {
            int at = indexOf(column);
            Comparator<Object[]> by = Comparator.comparing(row -> row[at], MetaTable::compareCells);
            order = order == null ? by : order.thenComparing(by);
        }
        if (order != null) {
            rows.sort(order);
        }
        return this;
    }

    private int indexOf(String column) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(column)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no column " + column);
    }

    @SuppressWarnings("unchecked")
    private static int compareCells(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (a instanceof String && b instanceof String) {
            return ((String) a).compareToIgnoreCase((String) b);
        }
        if (a.getClass() == b.getClass() && a instanceof Comparable) {
            return ((Comparable<Object>) a).compareTo(b);
        }
        return String.valueOf(a).compareTo(String.valueOf(b));
    }

    HaResultSet resultSet() {
        Object[] cells = new Object[rows.size() * names.length];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, cells, r * names.length, names.length);
        }
        return new HaResultSet(null, names, types, cells, rows.size(), ResultSet.TYPE_SCROLL_INSENSITIVE);
    }
}
