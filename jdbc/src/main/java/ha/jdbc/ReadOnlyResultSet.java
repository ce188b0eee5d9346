package ha.jdbc;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.NClob;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLXML;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.Map;

/**
 * What every result set of the driver shares: getters by label (through
 * {@link #findColumn(String)}), the types it does not have (REF, ARRAY, ROWID, SQLXML, URL),
 * and refusing every change (results are read-only copies of the answer).
 */
abstract class ReadOnlyResultSet implements ResultSet {
    static SQLFeatureNotSupportedException readOnly() {
        return Errors.notSupported("changing a result set (it is read-only)");
    }

    @Override public int getConcurrency() throws SQLException { return CONCUR_READ_ONLY; }
    @Override public boolean rowUpdated() throws SQLException { return false; }
    @Override public boolean rowInserted() throws SQLException { return false; }
    @Override public boolean rowDeleted() throws SQLException { return false; }
    @Override public void insertRow() throws SQLException { throw readOnly(); }
    @Override public void deleteRow() throws SQLException { throw readOnly(); }
    @Override public void refreshRow() throws SQLException { throw readOnly(); }
    @Override public void cancelRowUpdates() throws SQLException { throw readOnly(); }
    @Override public void moveToInsertRow() throws SQLException { throw readOnly(); }
    @Override public void moveToCurrentRow() throws SQLException { throw readOnly(); }
    @Override public String getCursorName() throws SQLException { throw Errors.notSupported("named cursors"); }

    @Override public Ref getRef(int column) throws SQLException { throw Errors.notSupported("REF"); }
    @Override public Array getArray(int column) throws SQLException { throw Errors.notSupported("ARRAY"); }
    @Override public RowId getRowId(int column) throws SQLException { throw Errors.notSupported("ROWID"); }
    @Override public SQLXML getSQLXML(int column) throws SQLException { throw Errors.notSupported("SQLXML"); }
    @Override public Object getObject(int column, Map<String, Class<?>> map) throws SQLException { return getObject(column); }

    @Override public URL getURL(int column) throws SQLException {
        String text = getString(column);
        try {
            return text == null ? null : new java.net.URI(text).toURL();
        } catch (java.net.URISyntaxException | java.net.MalformedURLException | IllegalArgumentException e) {
            throw Errors.conversion("not a URL: " + text);
        }
    }

    @Override public String getNString(int column) throws SQLException { return getString(column); }
    @Override public Reader getNCharacterStream(int column) throws SQLException { return getCharacterStream(column); }
    @Override public NClob getNClob(int column) throws SQLException { throw Errors.notSupported("NCLOB"); }

    @Deprecated
    @Override public BigDecimal getBigDecimal(int column, int scale) throws SQLException {
        BigDecimal value = getBigDecimal(column);
        return value == null ? null : value.setScale(scale, java.math.RoundingMode.HALF_UP);
    }

    @Deprecated
    @Override public InputStream getUnicodeStream(int column) throws SQLException {
        throw Errors.notSupported("getUnicodeStream");
    }

    @Override public String getString(String label) throws SQLException { return getString(findColumn(label)); }
    @Override public String getNString(String label) throws SQLException { return getNString(findColumn(label)); }
    @Override public boolean getBoolean(String label) throws SQLException { return getBoolean(findColumn(label)); }
    @Override public byte getByte(String label) throws SQLException { return getByte(findColumn(label)); }
    @Override public short getShort(String label) throws SQLException { return getShort(findColumn(label)); }
    @Override public int getInt(String label) throws SQLException { return getInt(findColumn(label)); }
    @Override public long getLong(String label) throws SQLException { return getLong(findColumn(label)); }
    @Override public float getFloat(String label) throws SQLException { return getFloat(findColumn(label)); }
    @Override public double getDouble(String label) throws SQLException { return getDouble(findColumn(label)); }
    @Override public BigDecimal getBigDecimal(String label) throws SQLException { return getBigDecimal(findColumn(label)); }
    @Deprecated
    @Override public BigDecimal getBigDecimal(String label, int scale) throws SQLException { return getBigDecimal(findColumn(label), scale); }
    @Override public byte[] getBytes(String label) throws SQLException { return getBytes(findColumn(label)); }
    @Override public Date getDate(String label) throws SQLException { return getDate(findColumn(label)); }
    @Override public Date getDate(String label, Calendar cal) throws SQLException { return getDate(findColumn(label), cal); }
    @Override public Time getTime(String label) throws SQLException { return getTime(findColumn(label)); }
    @Override public Time getTime(String label, Calendar cal) throws SQLException { return getTime(findColumn(label), cal); }
    @Override public Timestamp getTimestamp(String label) throws SQLException { return getTimestamp(findColumn(label)); }
    @Override public Timestamp getTimestamp(String label, Calendar cal) throws SQLException { return getTimestamp(findColumn(label), cal); }
    @Override public InputStream getAsciiStream(String label) throws SQLException { return getAsciiStream(findColumn(label)); }
    @Deprecated
    @Override public InputStream getUnicodeStream(String label) throws SQLException { return getUnicodeStream(findColumn(label)); }
    @Override public InputStream getBinaryStream(String label) throws SQLException { return getBinaryStream(findColumn(label)); }
    @Override public Reader getCharacterStream(String label) throws SQLException { return getCharacterStream(findColumn(label)); }
    @Override public Reader getNCharacterStream(String label) throws SQLException { return getNCharacterStream(findColumn(label)); }
    @Override public Object getObject(String label) throws SQLException { return getObject(findColumn(label)); }
    @Override public Object getObject(String label, Map<String, Class<?>> map) throws SQLException { return getObject(findColumn(label), map); }
    @Override public <T> T getObject(String label, Class<T> type) throws SQLException { return getObject(findColumn(label), type); }
    @Override public Ref getRef(String label) throws SQLException { return getRef(findColumn(label)); }
    @Override public Blob getBlob(String label) throws SQLException { return getBlob(findColumn(label)); }
    @Override public Clob getClob(String label) throws SQLException { return getClob(findColumn(label)); }
    @Override public NClob getNClob(String label) throws SQLException { return getNClob(findColumn(label)); }
    @Override public Array getArray(String label) throws SQLException { return getArray(findColumn(label)); }
    @Override public URL getURL(String label) throws SQLException { return getURL(findColumn(label)); }
    @Override public RowId getRowId(String label) throws SQLException { return getRowId(findColumn(label)); }
    @Override public SQLXML getSQLXML(String label) throws SQLException { return getSQLXML(findColumn(label)); }

    @Override public void updateArray(int a, Array b) throws SQLException { throw readOnly(); }
    @Override public void updateArray(String a, Array b) throws SQLException { throw readOnly(); }
    @Override public void updateAsciiStream(int a, InputStream b) throws SQLException { throw readOnly(); }
    @Override public void updateAsciiStream(int a, InputStream b, int c) throws SQLException { throw readOnly(); }
    @Override public void updateAsciiStream(int a, InputStream b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateAsciiStream(String a, InputStream b) throws SQLException { throw readOnly(); }
    @Override public void updateAsciiStream(String a, InputStream b, int c) throws SQLException { throw readOnly(); }
    @Override public void updateAsciiStream(String a, InputStream b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateBigDecimal(int a, BigDecimal b) throws SQLException { throw readOnly(); }
    @Override public void updateBigDecimal(String a, BigDecimal b) throws SQLException { throw readOnly(); }
    @Override public void updateBinaryStream(int a, InputStream b) throws SQLException { throw readOnly(); }
    @Override public void updateBinaryStream(int a, InputStream b, int c) throws SQLException { throw readOnly(); }
    @Override public void updateBinaryStream(int a, InputStream b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateBinaryStream(String a, InputStream b) throws SQLException { throw readOnly(); }
    @Override public void updateBinaryStream(String a, InputStream b, int c) throws SQLException { throw readOnly(); }
    @Override public void updateBinaryStream(String a, InputStream b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateBlob(int a, InputStream b) throws SQLException { throw readOnly(); }
    @Override public void updateBlob(int a, InputStream b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateBlob(int a, Blob b) throws SQLException { throw readOnly(); }
    @Override public void updateBlob(String a, InputStream b) throws SQLException { throw readOnly(); }
    @Override public void updateBlob(String a, InputStream b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateBlob(String a, Blob b) throws SQLException { throw readOnly(); }
    @Override public void updateBoolean(int a, boolean b) throws SQLException { throw readOnly(); }
    @Override public void updateBoolean(String a, boolean b) throws SQLException { throw readOnly(); }
    @Override public void updateByte(int a, byte b) throws SQLException { throw readOnly(); }
    @Override public void updateByte(String a, byte b) throws SQLException { throw readOnly(); }
    @Override public void updateBytes(int a, byte[] b) throws SQLException { throw readOnly(); }
    @Override public void updateBytes(String a, byte[] b) throws SQLException { throw readOnly(); }
    @Override public void updateCharacterStream(int a, Reader b) throws SQLException { throw readOnly(); }
    @Override public void updateCharacterStream(int a, Reader b, int c) throws SQLException { throw readOnly(); }
    @Override public void updateCharacterStream(int a, Reader b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateCharacterStream(String a, Reader b) throws SQLException { throw readOnly(); }
    @Override public void updateCharacterStream(String a, Reader b, int c) throws SQLException { throw readOnly(); }
    @Override public void updateCharacterStream(String a, Reader b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateClob(int a, Reader b) throws SQLException { throw readOnly(); }
    @Override public void updateClob(int a, Reader b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateClob(int a, Clob b) throws SQLException { throw readOnly(); }
    @Override public void updateClob(String a, Reader b) throws SQLException { throw readOnly(); }
    @Override public void updateClob(String a, Reader b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateClob(String a, Clob b) throws SQLException { throw readOnly(); }
    @Override public void updateDate(int a, Date b) throws SQLException { throw readOnly(); }
    @Override public void updateDate(String a, Date b) throws SQLException { throw readOnly(); }
    @Override public void updateDouble(int a, double b) throws SQLException { throw readOnly(); }
    @Override public void updateDouble(String a, double b) throws SQLException { throw readOnly(); }
    @Override public void updateFloat(int a, float b) throws SQLException { throw readOnly(); }
    @Override public void updateFloat(String a, float b) throws SQLException { throw readOnly(); }
    @Override public void updateInt(int a, int b) throws SQLException { throw readOnly(); }
    @Override public void updateInt(String a, int b) throws SQLException { throw readOnly(); }
    @Override public void updateLong(int a, long b) throws SQLException { throw readOnly(); }
    @Override public void updateLong(String a, long b) throws SQLException { throw readOnly(); }
    @Override public void updateNCharacterStream(int a, Reader b) throws SQLException { throw readOnly(); }
    @Override public void updateNCharacterStream(int a, Reader b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateNCharacterStream(String a, Reader b) throws SQLException { throw readOnly(); }
    @Override public void updateNCharacterStream(String a, Reader b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateNClob(int a, Reader b) throws SQLException { throw readOnly(); }
    @Override public void updateNClob(int a, Reader b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateNClob(int a, NClob b) throws SQLException { throw readOnly(); }
    @Override public void updateNClob(String a, Reader b) throws SQLException { throw readOnly(); }
    @Override public void updateNClob(String a, Reader b, long c) throws SQLException { throw readOnly(); }
    @Override public void updateNClob(String a, NClob b) throws SQLException { throw readOnly(); }
    @Override public void updateNString(int a, String b) throws SQLException { throw readOnly(); }
    @Override public void updateNString(String a, String b) throws SQLException { throw readOnly(); }
    @Override public void updateNull(int a) throws SQLException { throw readOnly(); }
    @Override public void updateNull(String a) throws SQLException { throw readOnly(); }
    @Override public void updateObject(int a, Object b) throws SQLException { throw readOnly(); }
    @Override public void updateObject(int a, Object b, int c) throws SQLException { throw readOnly(); }
    @Override public void updateObject(String a, Object b) throws SQLException { throw readOnly(); }
    @Override public void updateObject(String a, Object b, int c) throws SQLException { throw readOnly(); }
    @Override public void updateRef(int a, Ref b) throws SQLException { throw readOnly(); }
    @Override public void updateRef(String a, Ref b) throws SQLException { throw readOnly(); }
    @Override public void updateRow() throws SQLException { throw readOnly(); }
    @Override public void updateRowId(int a, RowId b) throws SQLException { throw readOnly(); }
    @Override public void updateRowId(String a, RowId b) throws SQLException { throw readOnly(); }
    @Override public void updateSQLXML(int a, SQLXML b) throws SQLException { throw readOnly(); }
    @Override public void updateSQLXML(String a, SQLXML b) throws SQLException { throw readOnly(); }
    @Override public void updateShort(int a, short b) throws SQLException { throw readOnly(); }
    @Override public void updateShort(String a, short b) throws SQLException { throw readOnly(); }
    @Override public void updateString(int a, String b) throws SQLException { throw readOnly(); }
    @Override public void updateString(String a, String b) throws SQLException { throw readOnly(); }
    @Override public void updateTime(int a, Time b) throws SQLException { throw readOnly(); }
    @Override public void updateTime(String a, Time b) throws SQLException { throw readOnly(); }
    @Override public void updateTimestamp(int a, Timestamp b) throws SQLException { throw readOnly(); }
    @Override public void updateTimestamp(String a, Timestamp b) throws SQLException { throw readOnly(); }
}
