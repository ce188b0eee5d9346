package ha.jdbc;

import ha.jdbc.core.NativeException;
import java.sql.BatchUpdateException;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLInvalidAuthorizationSpecException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransactionRollbackException;
import java.sql.SQLTransientConnectionException;
import java.sql.SQLTransientException;

/**
 * The one mapping of the native client's failures onto {@link SQLException}s: the SQLState and
 * vendor code come from Rust; here only the exception class is chosen by the SQLState's class.
 * The {@link NativeException} stays the cause (its {@code code} is the core's stable code).
 * Failures of the driver's own use (closed objects, bad arguments) are made here.
 */
final class Errors {
    /** The SQLState of a statement cancelled (by {@code cancel()} or a query timeout). */
    static final String CANCELLED = "57014";

    private Errors() {}

    static SQLException from(NativeException e) {
        SQLException mapped = byState(e.getMessage(), e.sqlState, e.vendorCode, e.code);
        mapped.initCause(e);
        return mapped;
    }

    private static SQLException byState(String message, String state, int vendor, String code) {
        String kind = state == null || state.length() < 2 ? "" : state.substring(0, 2);
        if ("57P03".equals(state)) {
            // The database is not served right now (restoring, catching up): try again later.
            return new SQLTransientConnectionException(message, state, vendor);
        }
        if ("53".equals(kind) || "55P03".equals(state)) {
            return new SQLTransientException(message, state, vendor);
        }
        switch (kind) {
            case "23":
                return new SQLIntegrityConstraintViolationException(message, state, vendor);
            case "42":
                return new SQLSyntaxErrorException(message, state, vendor);
            case "08":
                // Unreachable now, reachable later: the pool may retry; anything else will not heal.
                if ("unavailable".equals(code) || "busy".equals(code)) {
                    return new SQLTransientConnectionException(message, state, vendor);
                }
                return new SQLNonTransientConnectionException(message, state, vendor);
            case "0A":
                return new SQLFeatureNotSupportedException(message, state, vendor);
            case "40":
                return new SQLTransactionRollbackException(message, state, vendor);
            case "28":
                return new SQLInvalidAuthorizationSpecException(message, state, vendor);
            case "22":
                return new SQLDataException(message, state, vendor);
            default:
                return new SQLException(message, state, vendor);
        }
    }

    /** A statement given up by its query timeout. */
    static SQLTimeoutException timedOut(NativeException e, int seconds) {
        SQLTimeoutException timeout = new SQLTimeoutException(
                "the statement was cancelled by its query timeout (" + seconds + " s): " + e.getMessage(),
                CANCELLED, e.vendorCode);
        timeout.initCause(e);
        return timeout;
    }

    /** A batch that failed at {@code counts.length}: what ran before it and why it stopped. */
    static BatchUpdateException batch(SQLException cause, long[] counts) {
        return new BatchUpdateException(cause.getMessage(), cause.getSQLState(), cause.getErrorCode(),
                counts, cause);
    }

    static SQLException connectionClosed() {
        return new SQLNonTransientConnectionException("the connection is closed", "08003");
    }

    static SQLException statementClosed() {
        return new SQLException("the statement is closed", "HY010");
    }

    static SQLException resultSetClosed() {
        return new SQLException("the result set is closed", "HY010");
    }

    static SQLFeatureNotSupportedException notSupported(String what) {
        return new SQLFeatureNotSupportedException(what + " is not supported by the ha driver", "0A000");
    }

    /** A value the driver cannot convert (a getter or setter's type, text that is no number). */
    static SQLDataException conversion(String message) {
        return new SQLDataException(message, "22018");
    }

    static SQLException badArgument(String message) {
        return new SQLException(message, "HY009");
    }

    static SQLException unwrap(Class<?> type, Object from) {
        return new SQLException(from.getClass().getName() + " does not wrap " + type.getName(), "HY000");
    }
}
