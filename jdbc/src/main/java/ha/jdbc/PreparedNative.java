package ha.jdbc;

import ha.jdbc.core.Native;
import ha.jdbc.core.NativeException;
import ha.jdbc.core.Result;
import java.sql.SQLException;

/**
 * A PreparedStatement's native side ({@link Native#prepare}): its SQL crosses into Rust once,
 * and an answer's column names and types only when they change; the ones last received are
 * kept here. Freed by {@link #close()} or, for a statement dropped unclosed, by the cleaner.
 */
final class PreparedNative {
    private static final class Handle implements Runnable {
        volatile long prepared;

        Handle(long prepared) {
            this.prepared = prepared;
        }

        @Override
        public void run() {
            long p = prepared;
            prepared = 0;
            if (p != 0) {
                Native.freePrepared(p);
            }
        }
    }

    private final Handle handle;
    private final java.lang.ref.Cleaner.Cleanable cleanable;
    private String[] columns = new String[0];
    private String[] declaredTypes = new String[0];

    PreparedNative(Object owner, String sql) throws SQLException {
        try {
            this.handle = new Handle(Native.prepare(sql));
        } catch (NativeException e) {
            throw Errors.from(e);
        }
        this.cleanable = Client.CLEANER.register(owner, handle);
    }

    /** Runs it through {@code client} (the caller holds the client's lifetime lock). */
    synchronized Result execute(long client, Object[] params, long cancel) throws NativeException {
        Result result = Native.executePrepared(client, handle.prepared, params, cancel);
        if (result.columns == null) {
            return result.withColumns(columns, declaredTypes);
        }
        if (result.columns.length > 0) {
            columns = result.columns;
            declaredTypes = result.declaredTypes;
        }
        return result;
    }

    synchronized void close() {
        cleanable.clean();
    }
}
