package ha.jdbc;

import ha.jdbc.core.Result;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A statement's rows, whole in memory (they arrive with the answer, as with most remote
 * drivers' default fetch). Forward-only or scrollable, read-only. Cells are SQLite's values
 * (Long, Double, String, byte[], null); getters convert them ({@link Cells}).
 */
final class HaResultSet extends ReadOnlyResultSet {
    private final Statement statement;
    private final String[] labels;
    private final ColumnType[] types;
    private final Object[] cells;
    private final int columnCount;
    private final int rowCount;
    private final int scrolling;
    private Map<String, Integer> byLabel;
    /** 0: before the first row; rowCount + 1: after the last. */
    private int row;
    private boolean lastWasNull;
    private boolean closed;
    private int fetchSize;

    HaResultSet(Statement statement, String[] labels, ColumnType[] types, Object[] cells, int rowCount, int scrolling) {
        this.statement = statement;
        this.labels = labels;
        this.types = types;
        this.cells = cells;
        this.columnCount = labels.length;
        this.rowCount = rowCount;
        this.scrolling = scrolling;
    }

    /** A statement's answer; at most {@code maxRows} rows when that is above 0. */
    static HaResultSet of(Statement statement, Result result, int maxRows, int scrolling) {
        int rows = result.rowCount();
        if (maxRows > 0 && rows > maxRows) {
            rows = maxRows;
        }
        return new HaResultSet(statement, result.columns, typesOf(result), result.cells, rows, scrolling);
    }

    /** Declared types by SQLite's rules; an expression's by its first value that is not NULL. */
    static ColumnType[] typesOf(Result result) {
        int n = result.columns.length;
        ColumnType[] types = new ColumnType[n];
        for (int c = 0; c < n; c++) {
            String declared = result.declaredTypes == null ? null : result.declaredTypes[c];
            if (declared != null && !declared.isBlank()) {
                types[c] = ColumnType.declared(declared);
                continue;
            }
            Object first = null;
            for (int at = c; at < result.cells.length && first == null; at += n) {
                first = result.cells[at];
            }
            types[c] = ColumnType.ofValue(first);
        }
        return types;
    }

    // -- navigation ---------------------------------------------------------------------------

    @Override
    public boolean next() throws SQLException {
        checkOpen();
        if (row <= rowCount) {
            row++;
        }
        return row <= rowCount;
    }

    @Override public boolean previous() throws SQLException { scrollable(); return move(row - 1); }
    @Override public boolean first() throws SQLException { scrollable(); return move(1); }
    @Override public boolean last() throws SQLException { scrollable(); return move(rowCount); }
    @Override public void beforeFirst() throws SQLException { scrollable(); row = 0; }
    @Override public void afterLast() throws SQLException { scrollable(); row = rowCount + 1; }
    @Override public boolean relative(int rows) throws SQLException { scrollable(); return move(row + rows); }

    @Override
    public boolean absolute(int target) throws SQLException {
        scrollable();
        return move(target >= 0 ? target : rowCount + 1 + target);
    }

    private boolean move(int target) {
        row = Math.max(0, Math.min(rowCount + 1, target));
        return row >= 1 && row <= rowCount;
    }

    @Override public boolean isBeforeFirst() throws SQLException { checkOpen(); return row == 0 && rowCount > 0; }
    @Override public boolean isAfterLast() throws SQLException { checkOpen(); return row > rowCount && rowCount > 0; }
    @Override public boolean isFirst() throws SQLException { checkOpen(); return row == 1 && rowCount > 0; }
    @Override public boolean isLast() throws SQLException { checkOpen(); return row == rowCount && rowCount > 0; }
    @Override public int getRow() throws SQLException { checkOpen(); return row >= 1 && row <= rowCount ? row : 0; }
    @Override public int getType() throws SQLException { checkOpen(); return scrolling; }

    @Override
    public void setFetchDirection(int direction) throws SQLException {
        checkOpen();
        if (direction != FETCH_FORWARD && scrolling == TYPE_FORWARD_ONLY) {
            throw Errors.badArgument("a forward-only result set fetches forward");
        }
    }

    @Override public int getFetchDirection() throws SQLException { checkOpen(); return FETCH_FORWARD; }
    @Override public void setFetchSize(int rows) throws SQLException { checkOpen(); fetchSize = Math.max(0, rows); }
    @Override public int getFetchSize() throws SQLException { checkOpen(); return fetchSize; }
    @Override public int getHoldability() throws SQLException { checkOpen(); return HOLD_CURSORS_OVER_COMMIT; }
    @Override public Statement getStatement() throws SQLException { checkOpen(); return statement; }
    @Override public SQLWarning getWarnings() throws SQLException { checkOpen(); return null; }
    @Override public void clearWarnings() throws SQLException { checkOpen(); }
    @Override public boolean isClosed() { return closed; }

    @Override
    public void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        if (statement instanceof HaStatement) {
            ((HaStatement) statement).resultSetClosed(this);
        }
    }

    /** Closed by its statement (a new execution, or the statement's close). */
    void closeQuietly() {
        closed = true;
    }

    @Override
    public ResultSetMetaData getMetaData() throws SQLException {
        checkOpen();
        return new HaResultSetMetaData(labels, types);
    }

    @Override
    public int findColumn(String label) throws SQLException {
        checkOpen();
        if (byLabel == null) {
            Map<String, Integer> map = new HashMap<>();
            for (int c = labels.length - 1; c >= 0; c--) {
                map.put(labels[c].toLowerCase(Locale.ROOT), c + 1);
            }
            byLabel = map;
        }
        Integer index = label == null ? null : byLabel.get(label.toLowerCase(Locale.ROOT));
        if (index == null) {
            throw new SQLException("no column " + label + " in the result", "42S22");
        }
        return index;
    }

    @Override public boolean wasNull() throws SQLException { checkOpen(); return lastWasNull; }

    // -- getters ------------------------------------------------------------------------------

    /** The current row's cell; {@link #wasNull()} says whether it was NULL. */
    private Object cell(int column) throws SQLException {
        checkOpen();
        if (row < 1 || row > rowCount) {
            throw new SQLException("the result set is not on a row (call next() first)", "24000");
        }
        if (column < 1 || column > columnCount) {
            throw new SQLException("no column " + column + " (the result has " + columnCount + ")", "07009");
        }
        Object value = cells[(row - 1) * columnCount + column - 1];
        lastWasNull = value == null;
        return value;
    }

    @Override
    public String getString(int column) throws SQLException {
        Object v = cell(column);
        return v == null ? null : Cells.string(v);
    }

    @Override
    public boolean getBoolean(int column) throws SQLException {
        Object v = cell(column);
        return v != null && Cells.booleanValue(v);
    }

    @Override
    public byte getByte(int column) throws SQLException {
        Object v = cell(column);
        return v == null ? 0 : (byte) Cells.ranged(v, Byte.MIN_VALUE, Byte.MAX_VALUE, "byte");
    }

    @Override
    public short getShort(int column) throws SQLException {
        Object v = cell(column);
        return v == null ? 0 : (short) Cells.ranged(v, Short.MIN_VALUE, Short.MAX_VALUE, "short");
    }

    @Override
    public int getInt(int column) throws SQLException {
        Object v = cell(column);
        return v == null ? 0 : (int) Cells.ranged(v, Integer.MIN_VALUE, Integer.MAX_VALUE, "int");
    }

    @Override
    public long getLong(int column) throws SQLException {
        Object v = cell(column);
        return v == null ? 0 : Cells.longValue(v);
    }

    @Override
    public float getFloat(int column) throws SQLException {
        Object v = cell(column);
        return v == null ? 0 : (float) Cells.doubleValue(v);
    }

    @Override
    public double getDouble(int column) throws SQLException {
        Object v = cell(column);
        return v == null ? 0 : Cells.doubleValue(v);
    }

    @Override
    public BigDecimal getBigDecimal(int column) throws SQLException {
        Object v = cell(column);
        return v == null ? null : Cells.bigDecimal(v);
    }

    @Override
    public byte[] getBytes(int column) throws SQLException {
        Object v = cell(column);
        return v == null ? null : Cells.bytes(v);
    }

    @Override public Date getDate(int column) throws SQLException { return getDate(column, null); }
    @Override public Time getTime(int column) throws SQLException { return getTime(column, null); }
    @Override public Timestamp getTimestamp(int column) throws SQLException { return getTimestamp(column, null); }

    @Override
    public Date getDate(int column, Calendar calendar) throws SQLException {
        Object v = cell(column);
        return v == null ? null : Cells.date(v, calendar);
    }

    @Override
    public Time getTime(int column, Calendar calendar) throws SQLException {
        Object v = cell(column);
        return v == null ? null : Cells.time(v, calendar);
    }

    @Override
    public Timestamp getTimestamp(int column, Calendar calendar) throws SQLException {
        Object v = cell(column);
        return v == null ? null : Cells.timestamp(v, calendar);
    }

    @Override
    public Object getObject(int column) throws SQLException {
        Object v = cell(column);
        return Cells.object(v, types[column - 1]);
    }

    @Override
    public <T> T getObject(int column, Class<T> type) throws SQLException {
        if (type == null) {
            throw Errors.badArgument("getObject needs a type");
        }
        return Cells.as(cell(column), type);
    }

    @Override
    public InputStream getAsciiStream(int column) throws SQLException {
        String text = getString(column);
        return text == null ? null : new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public InputStream getBinaryStream(int column) throws SQLException {
        byte[] bytes = getBytes(column);
        return bytes == null ? null : new ByteArrayInputStream(bytes);
    }

    @Override
    public Reader getCharacterStream(int column) throws SQLException {
        String text = getString(column);
        return text == null ? null : new StringReader(text);
    }

    @Override
    public Blob getBlob(int column) throws SQLException {
        byte[] bytes = getBytes(column);
        return bytes == null ? null : new javax.sql.rowset.serial.SerialBlob(bytes);
    }

    @Override
    public Clob getClob(int column) throws SQLException {
        String text = getString(column);
        return text == null ? null : new javax.sql.rowset.serial.SerialClob(text.toCharArray());
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw Errors.unwrap(type, this);
    }

    @Override public boolean isWrapperFor(Class<?> type) { return type.isInstance(this); }

    private void checkOpen() throws SQLException {
        if (closed) {
            throw Errors.resultSetClosed();
        }
    }

    private void scrollable() throws SQLException {
        checkOpen();
        if (scrolling == TYPE_FORWARD_ONLY) {
            throw new SQLException("the result set is forward-only (create the statement with TYPE_SCROLL_INSENSITIVE)", "HY106");
        }
    }
}
