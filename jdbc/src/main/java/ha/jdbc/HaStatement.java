package ha.jdbc;

import ha.jdbc.core.NativeException;
import ha.jdbc.core.Result;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A statement: one answer at a time (a result set or an update count; SQLite statements have
 * one), batches as one transaction when auto-commit is on, a query timeout as a timer that
 * cancels the native call through the statement's cancel token.
 */
class HaStatement implements Statement {
    /** One daemon thread fires every statement's query timeout. */
    private static final ScheduledExecutorService TIMERS = timers();

    final HaConnection connection;
    private final CancelToken cancel;
    private final int scrolling;
    private final List<String> batch = new ArrayList<>();
    private HaResultSet resultSet;
    private long updateCount = -1;
    /** Row ids of the rows the last execution inserted (getGeneratedKeys). */
    private long[] generatedIds = new long[0];
    private String keyLabel = "GENERATED_KEY";
    private int maxRows;
    private int maxFieldSize;
    private int queryTimeout;
    private int fetchSize;
    private boolean closeOnCompletion;
    private boolean poolable;
    private volatile boolean closed;

    HaStatement(HaConnection connection, int scrolling) {
        this.connection = connection;
        this.scrolling = scrolling;
        this.cancel = new CancelToken(this);
    }

    private static ScheduledExecutorService timers() {
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "ha-jdbc-query-timeout");
            thread.setDaemon(true);
            return thread;
        });
        timers.setRemoveOnCancelPolicy(true);
        return timers;
    }

    // -- running ------------------------------------------------------------------------------

    /**
     * Runs one statement and keeps its answer as this statement's current result; the
     * generated keys' column is {@code keyLabel} (GENERATED_KEY when null).
     */
    final boolean run(String sql, Object[] params, String keyLabel) throws SQLException {
        return run(sql, params, keyLabel, null);
    }

    /** {@link #run(String, Object[], String)} through a prepared statement's native side. */
    final boolean run(String sql, Object[] params, String keyLabel, PreparedNative prepared) throws SQLException {
        checkOpen();
        if (sql == null) {
            throw Errors.badArgument("the SQL is null");
        }
        forgetResults();
        this.keyLabel = keyLabel == null ? "GENERATED_KEY" : keyLabel;
        Result result;
        Execution execution = new Execution();
        try {
            result = connection.client().run(sql, params, execution.token, connection.autoCommit(), prepared);
        } catch (SQLException e) {
            throw execution.mapped(e);
        } finally {
            execution.end();
        }
        if (result.columns.length > 0) {
            resultSet = HaResultSet.of(this, result, maxRows, scrolling);
            return true;
        }
        updateCount = result.rowsAffected;
        if (result.rowsAffected > 0 && StatementKinds.setsLastRowId(sql)) {
            generatedIds = new long[] {result.lastInsertId};
        }
        return false;
    }

    /** Runs a batch (see {@link Client#runBatch}); the update counts, or BatchUpdateException. */
    final long[] runBatch(String[] sql, Object[][] params, String keyLabel) throws SQLException {
        checkOpen();
        forgetResults();
        this.keyLabel = keyLabel == null ? "GENERATED_KEY" : keyLabel;
        if (sql.length == 0) {
            return new long[0];
        }
        Result[] results;
        Execution execution = new Execution();
        try {
            results = connection.client().runBatch(sql, params, execution.token, connection.autoCommit());
        } catch (Client.BatchFailed failed) {
            long[] counts = new long[failed.index];
            for (int i = 0; i < counts.length; i++) {
                // Undone with the failing one (one transaction): their counts mean nothing now.
                counts[i] = failed.done == null ? SUCCESS_NO_INFO : countOf(failed.done[i]);
            }
            throw Errors.batch(execution.mapped(failed.sqlException()), counts);
        } finally {
            execution.end();
        }
        long[] counts = new long[results.length];
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < results.length; i++) {
            counts[i] = countOf(results[i]);
            if (results[i].columns.length == 0 && results[i].rowsAffected > 0 && StatementKinds.setsLastRowId(sql[i])) {
                ids.add(results[i].lastInsertId);
            }
        }
        generatedIds = ids.stream().mapToLong(Long::longValue).toArray();
        return counts;
    }

    private static long countOf(Result result) {
        return result.columns.length > 0 ? SUCCESS_NO_INFO : result.rowsAffected;
    }

    /** One native call's cancel token and query timeout. */
    private final class Execution {
        final long token = cancel.begin();
        final int timeout = queryTimeout;
        volatile boolean timedOut;
        final ScheduledFuture<?> timer = timeout <= 0 ? null : TIMERS.schedule(() -> {
            timedOut = true;
            cancel.cancel();
        }, timeout, TimeUnit.SECONDS);

        /** A cancellation by the timer is a timeout (SQLTimeoutException). */
        SQLException mapped(SQLException e) {
            if (timedOut && Errors.CANCELLED.equals(e.getSQLState()) && e.getCause() instanceof NativeException) {
                return Errors.timedOut((NativeException) e.getCause(), timeout);
            }
            return e;
        }

        void end() {
            if (timer != null) {
                timer.cancel(false);
            }
            cancel.end();
        }
    }

    private void forgetResults() throws SQLException {
        if (resultSet != null) {
            HaResultSet previous = resultSet;
            resultSet = null;
            previous.closeQuietly();
        }
        updateCount = -1;
        generatedIds = new long[0];
    }

    /** Called by a result set of this statement when it closes ({@link #closeOnCompletion}). */
    void resultSetClosed(HaResultSet closedSet) throws SQLException {
        if (closedSet == resultSet) {
            resultSet = null;
            if (closeOnCompletion) {
                close();
            }
        }
    }

    // -- java.sql.Statement -------------------------------------------------------------------

    @Override
    public ResultSet executeQuery(String sql) throws SQLException {
        if (!run(sql, null, null)) {
            throw noResultSet();
        }
        return resultSet;
    }

    static SQLException noResultSet() {
        return new SQLException("the statement returned no result set (use executeUpdate or execute)", "02000");
    }

    static SQLException unexpectedRows() {
        return new SQLException("executeUpdate ran a statement that returns rows (use executeQuery or execute)", "07000");
    }

    final long update(String sql, Object[] params, String keyLabel) throws SQLException {
        return update(sql, params, keyLabel, null);
    }

    final long update(String sql, Object[] params, String keyLabel, PreparedNative prepared) throws SQLException {
        if (run(sql, params, keyLabel, prepared)) {
            throw unexpectedRows();
        }
        return updateCount;
    }

    static String keyLabel(String[] columns) {
        return columns == null || columns.length == 0 ? null : columns[0];
    }

    @Override public int executeUpdate(String sql) throws SQLException { return (int) update(sql, null, null); }
    @Override public int executeUpdate(String sql, int keys) throws SQLException { return (int) update(sql, null, null); }
    @Override public int executeUpdate(String sql, int[] columns) throws SQLException { return (int) update(sql, null, null); }
    @Override public int executeUpdate(String sql, String[] columns) throws SQLException { return (int) update(sql, null, keyLabel(columns)); }
    @Override public long executeLargeUpdate(String sql) throws SQLException { return update(sql, null, null); }
    @Override public long executeLargeUpdate(String sql, int keys) throws SQLException { return update(sql, null, null); }
    @Override public long executeLargeUpdate(String sql, int[] columns) throws SQLException { return update(sql, null, null); }
    @Override public long executeLargeUpdate(String sql, String[] columns) throws SQLException { return update(sql, null, keyLabel(columns)); }
    @Override public boolean execute(String sql) throws SQLException { return run(sql, null, null); }
    @Override public boolean execute(String sql, int keys) throws SQLException { return run(sql, null, null); }
    @Override public boolean execute(String sql, int[] columns) throws SQLException { return run(sql, null, null); }
    @Override public boolean execute(String sql, String[] columns) throws SQLException { return run(sql, null, keyLabel(columns)); }

    @Override public ResultSet getResultSet() throws SQLException { checkOpen(); return resultSet; }
    @Override public int getUpdateCount() throws SQLException { checkOpen(); return (int) Math.min(updateCount, Integer.MAX_VALUE); }
    @Override public long getLargeUpdateCount() throws SQLException { checkOpen(); return updateCount; }
    @Override public boolean getMoreResults() throws SQLException { return getMoreResults(CLOSE_CURRENT_RESULT); }

    @Override
    public boolean getMoreResults(int current) throws SQLException {
        checkOpen();
        // One answer per statement: after it, nothing more.
        if (current != KEEP_CURRENT_RESULT) {
            forgetResults();
        } else {
            resultSet = null;
        }
        updateCount = -1;
        return false;
    }

    @Override
    public ResultSet getGeneratedKeys() throws SQLException {
        checkOpen();
        Object[] cells = new Object[generatedIds.length];
        for (int i = 0; i < cells.length; i++) {
            cells[i] = generatedIds[i];
        }
        return new HaResultSet(this, new String[] {keyLabel}, new ColumnType[] {ColumnType.of(java.sql.Types.BIGINT)},
                cells, cells.length, ResultSet.TYPE_FORWARD_ONLY);
    }

    @Override
    public void addBatch(String sql) throws SQLException {
        checkOpen();
        if (sql == null) {
            throw Errors.badArgument("the SQL is null");
        }
        batch.add(sql);
    }

    @Override public void clearBatch() throws SQLException { checkOpen(); batch.clear(); }

    @Override
    public int[] executeBatch() throws SQLException {
        long[] counts = executeLargeBatch();
        int[] narrow = new int[counts.length];
        for (int i = 0; i < counts.length; i++) {
            narrow[i] = (int) Math.min(counts[i], Integer.MAX_VALUE);
        }
        return narrow;
    }

    @Override
    public long[] executeLargeBatch() throws SQLException {
        String[] sql = batch.toArray(new String[0]);
        batch.clear();
        return runBatch(sql, new Object[sql.length][], null);
    }

    @Override public void cancel() throws SQLException { checkOpen(); cancel.cancel(); }

    @Override
    public void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        HaResultSet open = resultSet;
        resultSet = null;
        if (open != null) {
            open.closeQuietly();
        }
        cancel.close();
        connection.statementClosed(this);
    }

    @Override public boolean isClosed() { return closed; }
    @Override public Connection getConnection() throws SQLException { checkOpen(); return connection; }
    @Override public int getMaxRows() throws SQLException { checkOpen(); return maxRows; }
    @Override public long getLargeMaxRows() throws SQLException { checkOpen(); return maxRows; }
    @Override public void setLargeMaxRows(long max) throws SQLException { setMaxRows((int) Math.min(max, Integer.MAX_VALUE)); }

    @Override
    public void setMaxRows(int max) throws SQLException {
        checkOpen();
        if (max < 0) {
            throw Errors.badArgument("maxRows must be >= 0");
        }
        maxRows = max;
    }

    @Override public int getMaxFieldSize() throws SQLException { checkOpen(); return maxFieldSize; }
    @Override public void setMaxFieldSize(int max) throws SQLException { checkOpen(); maxFieldSize = Math.max(0, max); }
    @Override public int getQueryTimeout() throws SQLException { checkOpen(); return queryTimeout; }

    @Override
    public void setQueryTimeout(int seconds) throws SQLException {
        checkOpen();
        if (seconds < 0) {
            throw Errors.badArgument("the query timeout must be >= 0 seconds");
        }
        queryTimeout = seconds;
    }

    @Override public void setFetchSize(int rows) throws SQLException { checkOpen(); fetchSize = Math.max(0, rows); }
    @Override public int getFetchSize() throws SQLException { checkOpen(); return fetchSize; }
    @Override public void setFetchDirection(int direction) throws SQLException { checkOpen(); }
    @Override public int getFetchDirection() throws SQLException { checkOpen(); return ResultSet.FETCH_FORWARD; }
    @Override public int getResultSetConcurrency() throws SQLException { checkOpen(); return ResultSet.CONCUR_READ_ONLY; }
    @Override public int getResultSetType() throws SQLException { checkOpen(); return scrolling; }
    @Override public int getResultSetHoldability() throws SQLException { checkOpen(); return ResultSet.HOLD_CURSORS_OVER_COMMIT; }
    @Override public void setEscapeProcessing(boolean enable) throws SQLException { checkOpen(); }
    @Override public void setCursorName(String name) throws SQLException { throw Errors.notSupported("named cursors"); }
    @Override public SQLWarning getWarnings() throws SQLException { checkOpen(); return null; }
    @Override public void clearWarnings() throws SQLException { checkOpen(); }
    @Override public void setPoolable(boolean value) throws SQLException { checkOpen(); poolable = value; }
    @Override public boolean isPoolable() throws SQLException { checkOpen(); return poolable; }
    @Override public void closeOnCompletion() throws SQLException { checkOpen(); closeOnCompletion = true; }
    @Override public boolean isCloseOnCompletion() throws SQLException { checkOpen(); return closeOnCompletion; }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw Errors.unwrap(type, this);
    }

    @Override public boolean isWrapperFor(Class<?> type) { return type.isInstance(this); }

    final void checkOpen() throws SQLException {
        if (closed) {
            throw Errors.statementClosed();
        }
        connection.checkOpen();
    }

}
