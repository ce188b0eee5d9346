package ha.jdbc;

import ha.jdbc.core.Native;
import ha.jdbc.core.NativeException;
import ha.jdbc.core.Result;
import java.lang.ref.Cleaner;
import java.sql.SQLException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One connection's native client and its session, and where each statement goes (as the
 * Python SDK's {@code Connection._run}): outside a transaction through the client (a replica
 * answers a read on the calling thread, a node in one call); transaction commands, {@code USE}
 * and everything inside a transaction through the session, opened at the first need. With
 * auto-commit off a transaction begins before the first statement that is not a transaction
 * command or {@code USE} (JDBC: every statement belongs to a transaction). After a {@code USE}
 * the session keeps that database, so every later statement goes through it.
 *
 * <p>Handles are freed once: by {@link #close()} when no call is using them (a read-write
 * lock: calls share it, freeing takes it alone), or by a {@link Cleaner} when the connection
 * is dropped without closing.
 */
final class Client {
    /** Frees the native handles of connections and statements dropped without close(). */
    static final Cleaner CLEANER = Cleaner.create();

    /** The native handles, reachable from the cleaner without the connection. */
    private static final class Handles implements Runnable {
        final long client;
        volatile long session;
        volatile boolean closed;

        Handles(long client) {
            this.client = client;
        }

        @Override
        public void run() {
            long s = session;
            session = 0;
            if (s != 0) {
                Native.sessionFree(s);
            }
            if (!closed) {
                closed = true;
                try {
                    Native.close(client);
                } catch (NativeException e) {
                    // Dropped without close(): nobody is left to tell.
                }
            }
            Native.free(client);
        }
    }

    private final Handles handles;
    private final Cleaner.Cleanable cleanable;
    private final ReentrantReadWriteLock lifetime = new ReentrantReadWriteLock();
    private boolean sticky;
    private volatile long lastSeq = -1;

    Client(Object owner, long client) {
        this.handles = new Handles(client);
        this.cleanable = CLEANER.register(owner, handles);
    }

    boolean isClosed() {
        return handles.closed;
    }

    /** The log sequence of this connection's last committed write, or -1. */
    long lastSeq() {
        return lastSeq;
    }

    /** Runs one statement where it belongs. */
    Result run(String sql, Object[] params, long cancel, boolean autocommit) throws SQLException {
        return run(sql, params, cancel, autocommit, null);
    }

    /** {@link #run}, through {@code prepared}'s native side when it runs outside a session. */
    Result run(String sql, Object[] params, long cancel, boolean autocommit, PreparedNative prepared)
            throws SQLException {
        synchronized (this) {
            int kind = StatementKinds.kind(sql);
            if (kind == StatementKinds.SESSION_STATE) {
                Result result = inSession(sql, params, cancel);
                sticky = true;
                return result;
            }
            if (kind == StatementKinds.TRANSACTION_CONTROL || inTransaction()) {
                return inSession(sql, params, cancel);
            }
            if (!autocommit) {
                begin(cancel);
                return inSession(sql, params, cancel);
            }
            if (sticky) {
                return inSession(sql, params, cancel);
            }
        }
        if (prepared != null) {
            return outsidePrepared(prepared, params, cancel);
        }
        return outside(new String[] {sql}, new Object[][] {params}, cancel)[0];
    }

    /**
     * Runs statements all or none, in one call when no transaction is open and none of them
     * is a transaction command or {@code USE}; null when they must run one by one instead.
     */
    Result[] runAtOnce(String[] sql, Object[][] params, long cancel, boolean autocommit) throws SQLException {
        synchronized (this) {
            if (!autocommit || sticky || inTransaction() || hasControl(sql)) {
                return null;
            }
        }
        return outside(sql, params, cancel);
    }

    /** A batch stopped at {@code index}; {@code done} holds the answers before it, null when they were undone. */
    static final class BatchFailed extends Exception {
        final int index;
        final Result[] done;

        BatchFailed(int index, Result[] done, SQLException cause) {
            super(cause.getMessage(), cause);
            this.index = index;
            this.done = done;
        }

        SQLException sqlException() {
            return (SQLException) getCause();
        }
    }

    /**
     * Runs a batch. Outside a transaction with auto-commit on it is one transaction (all or
     * none): one call when it can ({@link #runAtOnce}), else BEGIN, one by one, COMMIT. Inside
     * a transaction, or when it holds transaction commands, its statements run one by one.
     */
    Result[] runBatch(String[] sql, Object[][] params, long cancel, boolean autocommit) throws BatchFailed {
        try {
            Result[] once = runAtOnce(sql, params, cancel, autocommit);
            if (once != null) {
                return once;
            }
        } catch (SQLException e) {
            NativeException cause = e.getCause() instanceof NativeException ? (NativeException) e.getCause() : null;
            int index = cause == null || cause.statementIndex < 0 ? 0 : cause.statementIndex;
            throw new BatchFailed(index, null, e);
        }
        synchronized (this) {
            boolean wrap = autocommit && !hasControl(sql) && !inTransaction();
            Result[] done = new Result[sql.length];
            int i = 0;
            try {
                if (wrap) {
                    begin(cancel);
                }
                for (; i < sql.length; i++) {
                    done[i] = run(sql[i], params[i], cancel, autocommit);
                }
                if (wrap) {
                    inSession("COMMIT", null, cancel);
                }
                return done;
            } catch (SQLException e) {
                if (wrap) {
                    try {
                        rollback(0);
                    } catch (SQLException ignored) {
                        // The batch's own failure is the one to report.
                    }
                }
                // Wrapped in a transaction of its own, what ran before the failure was undone too.
                throw new BatchFailed(Math.min(i, sql.length - 1), wrap ? null : java.util.Arrays.copyOf(done, i), e);
            }
        }
    }

    private static boolean hasControl(String[] sql) {
        for (String s : sql) {
            int kind = StatementKinds.kind(s);
            if (kind == StatementKinds.TRANSACTION_CONTROL || kind == StatementKinds.SESSION_STATE) {
                return true;
            }
        }
        return false;
    }

    synchronized boolean inTransaction() {
        lifetime.readLock().lock();
        try {
            long s = handles.session;
            return !handles.closed && s != 0 && Native.sessionInTransaction(s);
        } finally {
            lifetime.readLock().unlock();
        }
    }

    synchronized void commit(long cancel) throws SQLException {
        checkOpen();
        if (inTransaction()) {
            inSession("COMMIT", null, cancel);
        }
    }

    synchronized void rollback(long cancel) throws SQLException {
        checkOpen();
        if (inTransaction()) {
            inSession("ROLLBACK", null, cancel);
        }
    }

    /** A transaction command of the connection (SAVEPOINT, RELEASE, ROLLBACK TO, BEGIN). */
    synchronized void control(String sql, long cancel) throws SQLException {
        inSession(sql, null, cancel);
    }

    /** A statement the driver sends on its own through the session ({@code USE x}). */
    synchronized void sessionState(String sql, long cancel) throws SQLException {
        inSession(sql, null, cancel);
        sticky = true;
    }

    /** The catalog of the database statements go to: the session's after a {@code USE}. */
    Result catalog(String what, String table) throws SQLException {
        lifetime.readLock().lock();
        try {
            checkOpen();
            long s = handles.session;
            synchronized (this) {
                if (sticky && s != 0) {
                    return Native.sessionCatalog(s, what, table);
                }
            }
            return Native.catalog(handles.client, what, table);
        } catch (NativeException e) {
            throw Errors.from(e);
        } finally {
            lifetime.readLock().unlock();
        }
    }

    void waitFor(long seq, long timeoutMillis) throws SQLException {
        lifetime.readLock().lock();
        try {
            checkOpen();
            Native.waitFor(handles.client, seq, timeoutMillis);
        } catch (NativeException e) {
            throw Errors.from(e);
        } finally {
            lifetime.readLock().unlock();
        }
    }

    /**
     * Closes the client (a replica stops following and flushes its writes) and frees the
     * handles once no call uses them; an open transaction is rolled back by freeing its session.
     */
    void close() throws SQLException {
        if (handles.closed) {
            return;
        }
        handles.closed = true;
        NativeException failed = null;
        try {
            Native.close(handles.client);
        } catch (NativeException e) {
            failed = e;
        }
        lifetime.writeLock().lock();
        try {
            cleanable.clean();
        } finally {
            lifetime.writeLock().unlock();
        }
        if (failed != null) {
            throw Errors.from(failed);
        }
    }

    void checkOpen() throws SQLException {
        if (handles.closed) {
            throw Errors.connectionClosed();
        }
    }

    private Result[] outside(String[] sql, Object[][] params, long cancel) throws SQLException {
        lifetime.readLock().lock();
        try {
            checkOpen();
            return tracked(Native.execute(handles.client, sql, params, cancel));
        } catch (NativeException e) {
            throw Errors.from(e);
        } finally {
            lifetime.readLock().unlock();
        }
    }

    private Result outsidePrepared(PreparedNative prepared, Object[] params, long cancel) throws SQLException {
        lifetime.readLock().lock();
        try {
            checkOpen();
            return tracked(prepared.execute(handles.client, params, cancel));
        } catch (NativeException e) {
            throw Errors.from(e);
        } finally {
            lifetime.readLock().unlock();
        }
    }

    /** BEGIN; a session that broke while idle (a node restarted) is replaced once, as no transaction was open. */
    private void begin(long cancel) throws SQLException {
        boolean hadSession = handles.session != 0;
        try {
            inSession("BEGIN", null, cancel);
        } catch (SQLException e) {
            if (!hadSession || handles.session != 0 || !isUnavailable(e)) {
                throw e;
            }
            inSession("BEGIN", null, cancel);
        }
    }

    private Result inSession(String sql, Object[] params, long cancel) throws SQLException {
        lifetime.readLock().lock();
        try {
            checkOpen();
            long s = handles.session;
            if (s == 0) {
                s = Native.session(handles.client);
                handles.session = s;
            }
            try {
                return tracked(Native.sessionExecute(s, sql, params, cancel));
            } catch (NativeException e) {
                // A session broken outside a transaction is replaced by the next call; inside
                // one the transaction is lost and the error says so.
                if ("unavailable".equals(e.code) && !sticky && !Native.sessionInTransaction(s)) {
                    handles.session = 0;
                    Native.sessionFree(s);
                }
                throw e;
            }
        } catch (NativeException e) {
            throw Errors.from(e);
        } finally {
            lifetime.readLock().unlock();
        }
    }

    private Result tracked(Result result) {
        if (result.seq >= 0) {
            lastSeq = result.seq;
        }
        return result;
    }

    private Result[] tracked(Result[] results) {
        for (Result result : results) {
            tracked(result);
        }
        return results;
    }

    private static boolean isUnavailable(SQLException e) {
        return e.getCause() instanceof NativeException && "unavailable".equals(((NativeException) e.getCause()).code);
    }
}
