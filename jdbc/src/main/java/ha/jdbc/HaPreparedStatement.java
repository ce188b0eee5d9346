package ha.jdbc;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.JDBCType;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLXML;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.List;

/**
 * A statement with positional {@code ?} parameters. The SQL text goes to SQLite as it is
 * (SQLite prepares it, and the node keeps its statement cache); values are converted by
 * {@link Parameters}. A batch is the same SQL with each parameter set, run as one
 * transaction when auto-commit is on.
 */
final class HaPreparedStatement extends HaStatement implements PreparedStatement {
    private final String sql;
    /** The generated keys' column label (from prepareStatement(sql, columnNames)), or null. */
    private final String keyLabel;
    private final Parameters parameters = new Parameters();
    private final List<Object[]> batch = new ArrayList<>();
    /** Its native side, made at the first run. */
    private PreparedNative prepared;

    HaPreparedStatement(HaConnection connection, String sql, int scrolling, String keyLabel) throws SQLException {
        super(connection, scrolling);
        if (sql == null) {
            throw Errors.badArgument("the SQL is null");
        }
        this.sql = sql;
        this.keyLabel = keyLabel;
    }

    private synchronized PreparedNative prepared() throws SQLException {
        checkOpen();
        if (prepared == null) {
            prepared = new PreparedNative(this, sql);
        }
        return prepared;
    }

    @Override
    public void close() throws SQLException {
        super.close();
        PreparedNative p;
        synchronized (this) {
            p = prepared;
            prepared = null;
        }
        if (p != null) {
            p.close();
        }
    }

    private void set(int index, Object nativeValue) throws SQLException {
        checkOpen();
        parameters.set(index, nativeValue);
    }

    // -- running ------------------------------------------------------------------------------

    @Override
    public ResultSet executeQuery() throws SQLException {
        if (!run(sql, parameters.snapshot(), keyLabel, prepared())) {
            throw noResultSet();
        }
        return getResultSet();
    }

    @Override public int executeUpdate() throws SQLException { return (int) executeLargeUpdate(); }
    @Override public long executeLargeUpdate() throws SQLException { return update(sql, parameters.snapshot(), keyLabel, prepared()); }
    @Override public boolean execute() throws SQLException { return run(sql, parameters.snapshot(), keyLabel, prepared()); }

    @Override
    public void addBatch() throws SQLException {
        checkOpen();
        batch.add(parameters.snapshot());
    }

    @Override
    public void clearBatch() throws SQLException {
        checkOpen();
        batch.clear();
    }

    @Override
    public long[] executeLargeBatch() throws SQLException {
        Object[][] params = batch.toArray(new Object[0][]);
        batch.clear();
        String[] statements = new String[params.length];
        java.util.Arrays.fill(statements, sql);
        return runBatch(statements, params, keyLabel);
    }

    @Override public void clearParameters() throws SQLException { checkOpen(); parameters.clear(); }

    /** The columns are known once it runs: SQLite describes a statement when it prepares it, in Rust. */
    @Override public ResultSetMetaData getMetaData() throws SQLException { checkOpen(); return null; }

    @Override public ParameterMetaData getParameterMetaData() throws SQLException { throw Errors.notSupported("parameter metadata"); }

    // A prepared statement runs its own SQL only (JDBC).
    private static SQLException ownSqlOnly() {
        return new SQLException("a PreparedStatement runs the SQL it was prepared with", "HY000");
    }

    @Override public boolean execute(String other) throws SQLException { throw ownSqlOnly(); }
    @Override public boolean execute(String other, int keys) throws SQLException { throw ownSqlOnly(); }
    @Override public boolean execute(String other, int[] columns) throws SQLException { throw ownSqlOnly(); }
    @Override public boolean execute(String other, String[] columns) throws SQLException { throw ownSqlOnly(); }
    @Override public ResultSet executeQuery(String other) throws SQLException { throw ownSqlOnly(); }
    @Override public int executeUpdate(String other) throws SQLException { throw ownSqlOnly(); }
    @Override public int executeUpdate(String other, int keys) throws SQLException { throw ownSqlOnly(); }
    @Override public int executeUpdate(String other, int[] columns) throws SQLException { throw ownSqlOnly(); }
    @Override public int executeUpdate(String other, String[] columns) throws SQLException { throw ownSqlOnly(); }
    @Override public long executeLargeUpdate(String other) throws SQLException { throw ownSqlOnly(); }
    @Override public void addBatch(String other) throws SQLException { throw ownSqlOnly(); }

    // -- parameters ---------------------------------------------------------------------------

    @Override public void setNull(int i, int sqlType) throws SQLException { set(i, null); }
    @Override public void setNull(int i, int sqlType, String typeName) throws SQLException { set(i, null); }
    @Override public void setBoolean(int i, boolean x) throws SQLException { set(i, x ? 1L : 0L); }
    @Override public void setByte(int i, byte x) throws SQLException { set(i, (long) x); }
    @Override public void setShort(int i, short x) throws SQLException { set(i, (long) x); }
    @Override public void setInt(int i, int x) throws SQLException { set(i, (long) x); }
    @Override public void setLong(int i, long x) throws SQLException { set(i, x); }
    @Override public void setFloat(int i, float x) throws SQLException { set(i, (double) x); }
    @Override public void setDouble(int i, double x) throws SQLException { set(i, x); }
    @Override public void setBigDecimal(int i, BigDecimal x) throws SQLException { set(i, x == null ? null : x.toPlainString()); }
    @Override public void setString(int i, String x) throws SQLException { set(i, x); }
    @Override public void setNString(int i, String x) throws SQLException { set(i, x); }
    @Override public void setBytes(int i, byte[] x) throws SQLException { set(i, x == null ? null : x.clone()); }
    @Override public void setDate(int i, Date x) throws SQLException { set(i, Parameters.temporal(x, null)); }
    @Override public void setDate(int i, Date x, Calendar cal) throws SQLException { set(i, Parameters.temporal(x, cal)); }
    @Override public void setTime(int i, Time x) throws SQLException { set(i, Parameters.temporal(x, null)); }
    @Override public void setTime(int i, Time x, Calendar cal) throws SQLException { set(i, Parameters.temporal(x, cal)); }
    @Override public void setTimestamp(int i, Timestamp x) throws SQLException { set(i, Parameters.temporal(x, null)); }
    @Override public void setTimestamp(int i, Timestamp x, Calendar cal) throws SQLException { set(i, Parameters.temporal(x, cal)); }
    @Override public void setObject(int i, Object x) throws SQLException { set(i, Parameters.toNative(x)); }
    @Override public void setObject(int i, Object x, int sqlType) throws SQLException { set(i, Parameters.toNative(x, sqlType)); }

    @Override
    public void setObject(int i, Object x, int sqlType, int scaleOrLength) throws SQLException {
        if (x instanceof BigDecimal && (sqlType == java.sql.Types.DECIMAL || sqlType == java.sql.Types.NUMERIC)) {
            x = ((BigDecimal) x).setScale(scaleOrLength, java.math.RoundingMode.HALF_UP);
        }
        setObject(i, x, sqlType);
    }

    @Override
    public void setObject(int i, Object x, SQLType type) throws SQLException {
        if (type instanceof JDBCType) {
            setObject(i, x, type.getVendorTypeNumber());
        } else {
            setObject(i, x);
        }
    }

    @Override
    public void setObject(int i, Object x, SQLType type, int scaleOrLength) throws SQLException {
        if (type instanceof JDBCType) {
            setObject(i, x, type.getVendorTypeNumber(), scaleOrLength);
        } else {
            setObject(i, x);
        }
    }

    @Override public void setAsciiStream(int i, InputStream x) throws SQLException { setAsciiStream(i, x, -1L); }
    @Override public void setAsciiStream(int i, InputStream x, int length) throws SQLException { setAsciiStream(i, x, (long) length); }

    @Override
    public void setAsciiStream(int i, InputStream x, long length) throws SQLException {
        set(i, x == null ? null : new String(Parameters.bytes(x, length), java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Override public void setBinaryStream(int i, InputStream x) throws SQLException { setBinaryStream(i, x, -1L); }
    @Override public void setBinaryStream(int i, InputStream x, int length) throws SQLException { setBinaryStream(i, x, (long) length); }
    @Override public void setBinaryStream(int i, InputStream x, long length) throws SQLException { set(i, x == null ? null : Parameters.bytes(x, length)); }
    @Override public void setCharacterStream(int i, Reader x) throws SQLException { setCharacterStream(i, x, -1L); }
    @Override public void setCharacterStream(int i, Reader x, int length) throws SQLException { setCharacterStream(i, x, (long) length); }
    @Override public void setCharacterStream(int i, Reader x, long length) throws SQLException { set(i, x == null ? null : Parameters.text(x, length)); }
    @Override public void setNCharacterStream(int i, Reader x) throws SQLException { setCharacterStream(i, x, -1L); }
    @Override public void setNCharacterStream(int i, Reader x, long length) throws SQLException { setCharacterStream(i, x, length); }
    @Override public void setBlob(int i, Blob x) throws SQLException { set(i, Parameters.toNative(x)); }
    @Override public void setBlob(int i, InputStream x) throws SQLException { setBinaryStream(i, x, -1L); }
    @Override public void setBlob(int i, InputStream x, long length) throws SQLException { setBinaryStream(i, x, length); }
    @Override public void setClob(int i, Clob x) throws SQLException { set(i, Parameters.toNative(x)); }
    @Override public void setClob(int i, Reader x) throws SQLException { setCharacterStream(i, x, -1L); }
    @Override public void setClob(int i, Reader x, long length) throws SQLException { setCharacterStream(i, x, length); }
    @Override public void setNClob(int i, NClob x) throws SQLException { set(i, Parameters.toNative(x)); }
    @Override public void setNClob(int i, Reader x) throws SQLException { setCharacterStream(i, x, -1L); }
    @Override public void setNClob(int i, Reader x, long length) throws SQLException { setCharacterStream(i, x, length); }
    @Override public void setURL(int i, URL x) throws SQLException { set(i, x == null ? null : x.toString()); }

    @Deprecated
    @Override public void setUnicodeStream(int i, InputStream x, int length) throws SQLException { throw Errors.notSupported("setUnicodeStream"); }

    @Override public void setRef(int i, Ref x) throws SQLException { throw Errors.notSupported("REF parameters"); }
    @Override public void setArray(int i, Array x) throws SQLException { throw Errors.notSupported("ARRAY parameters"); }
    @Override public void setRowId(int i, RowId x) throws SQLException { throw Errors.notSupported("ROWID parameters"); }
    @Override public void setSQLXML(int i, SQLXML x) throws SQLException { throw Errors.notSupported("SQLXML parameters"); }
}
