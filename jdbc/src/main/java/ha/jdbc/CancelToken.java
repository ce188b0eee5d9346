package ha.jdbc;

import ha.jdbc.core.Native;
import java.lang.ref.Cleaner;

/**
 * A statement's native cancel token ({@code Statement.cancel()}, query timeouts). Another
 * thread may cancel while the statement runs and close it meanwhile: the token is freed when
 * both the statement is closed and no call uses it.
 */
final class CancelToken {
    private static final class Handle implements Runnable {
        final long token;

        Handle(long token) {
            this.token = token;
        }

        @Override
        public void run() {
            Native.freeCancel(token);
        }
    }

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    private int users;
    private boolean closed;
    private boolean cancelled;

    CancelToken(Object owner) {
        this.handle = new Handle(Native.newCancel());
        this.cleanable = Client.CLEANER.register(owner, handle);
    }

    /** The token for one call, made usable again; pair with {@link #end()}. */
    synchronized long begin() {
        users++;
        if (cancelled) {
            Native.resetCancel(handle.token);
            cancelled = false;
        }
        return handle.token;
    }

    synchronized void end() {
        users--;
        if (closed && users == 0) {
            cleanable.clean();
        }
    }

    synchronized void cancel() {
        if (!closed) {
            cancelled = true;
            Native.cancel(handle.token);
        }
    }

    /** Whether a cancel arrived since the last {@link #begin()}. */
    synchronized boolean wasCancelled() {
        return cancelled;
    }

    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (users > 0) {
            // The running call gives up; it frees the token when it returns.
            Native.cancel(handle.token);
        } else {
            cleanable.clean();
        }
    }
}
