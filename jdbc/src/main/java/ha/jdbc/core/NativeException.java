package ha.jdbc.core;

/** A failure of the native client: its core code, SQLState and vendor code decided in Rust. */
public final class NativeException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The core's stable code ("sql_constraint", "unavailable", ...). */
    public final String code;
    public final String sqlState;
    public final int vendorCode;
    /** For a batch: the index of the failing statement, else -1. */
    public final int statementIndex;

    public NativeException(String message, String code, String sqlState, int vendorCode, int statementIndex) {
        super(message);
        this.code = code;
        this.sqlState = sqlState;
        this.vendorCode = vendorCode;
        this.statementIndex = statementIndex;
    }
}
