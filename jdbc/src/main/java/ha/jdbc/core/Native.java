package ha.jdbc.core;

/**
 * The native library's functions (crate ha-jdbc-native, jdbc/native): thin wrappers over the
 * shared Rust client (ha-client / ha-ffi). Handles are Rust objects kept as {@code long}s; every
 * function that can fail throws {@link NativeException} (code, SQLState and vendor code decided
 * in Rust). A handle is used from any thread; {@code close*} ends its use (later calls fail
 * with a closed-connection error), {@code free*} releases its memory and must be called once,
 * when no thread can use the handle any more (a {@link java.lang.ref.Cleaner} action).
 */
public final class Native {
    private Native() {}

    static {
        NativeLibrary.load();
    }

    /** Ensures the library is loaded (the static initializer ran). */
    public static void init() {}

    /**
     * Opens a client. {@code url} is what follows {@code jdbc:ha:} ({@code http(s)://host:port[/db][?k=v]}
     * or {@code file:/path/app.db?replication_url=...&node=...&database=...[&read_only=true]});
     * {@code keys}/{@code values}: the connection properties (token, password = token,
     * database, replication_url, node, read_only, timeout_ms, tls_ca_file; others are ignored).
     * {@code cancel}: a token from {@link #newCancel()} that gives up waiting, or 0.
     */
    public static native long open(String url, String[] keys, String[] values, long cancel)
            throws NativeException;

    /** Closes the client (idempotent): a replica stops following and flushes its writes. */
    public static native void close(long client) throws NativeException;

    /** Releases the client's memory (after {@link #close}, once). */
    public static native void free(long client);

    /**
     * Runs statements outside any session: one alone, or several in one transaction (all or
     * none). {@code params[i]} may be null (no parameters); a value is null, Long, Integer,
     * Short, Byte, Double, Float, String, byte[] or Boolean (1/0). One {@link Result} per statement.
     */
    public static native Result[] execute(long client, String[] sql, Object[][] params, long cancel)
            throws NativeException;

    /**
     * A prepared statement's native side: its SQL text, converted once, and the columns last
     * sent for it. Not tied to a client: {@link #executePrepared} names the client.
     */
    public static native long prepare(String sql) throws NativeException;

    /**
     * Runs a prepared statement outside any session, as {@link #execute} runs one statement.
     * The answer's {@code columns} and {@code declaredTypes} are null when they are the same as
     * the last answer of this prepared statement carried (the caller keeps those).
     */
    public static native Result executePrepared(long client, long prepared, Object[] params, long cancel)
            throws NativeException;

    /** Releases a prepared statement's memory, once. */
    public static native void freePrepared(long prepared);

    /** Opens a session: its statements run one by one, BEGIN/COMMIT/SAVEPOINT keep state. */
    public static native long session(long client) throws NativeException;

    public static native Result sessionExecute(long session, String sql, Object[] params, long cancel)
            throws NativeException;

    public static native boolean sessionInTransaction(long session);

    /** Releases the session's memory (rolls back an open transaction), once. */
    public static native void sessionFree(long session);

    /** Read-your-writes across connections: waits until this client has applied {@code seq}. */
    public static native void waitFor(long client, long seq, long timeoutMillis) throws NativeException;

    /** A cancel token for {@code Statement.cancel()} and query timeouts. */
    public static native long newCancel();

    public static native void cancel(long cancel);

    /** Makes a cancelled token usable again (before the next statement). */
    public static native void resetCancel(long cancel);

    public static native void freeCancel(long cancel);

    /**
     * What a statement is to a connection: 0 transaction control (BEGIN, COMMIT, SAVEPOINT...),
     * 1 session state (USE, SET DATABASE), 2 changes data (INSERT/UPDATE/DELETE/REPLACE, also
     * after WITH), 3 anything else.
     */
    public static native int statementKind(String sql);

    /** Whether the statement sets the last inserted row id (INSERT, REPLACE). */
    public static native boolean setsLastRowId(String sql);

    /** The SQLite version of the library ("3.54.0"). */
    public static native String sqliteVersion();

    /** The library's (ha's) version. */
    public static native String version();

    /**
     * The catalog of the client's database as results with named columns, run through the
     * client (remote or replica); see {@code ha_client::catalog}. {@code what}: "tables"
     * (name, type 'table'|'view', sql), "columns" (table, position, name, declared_type,
     * not_null, default_value, primary_key (position in the key, 0 if none), hidden (0 plain,
     * 2/3 generated)), "indexes" (table, index_name, unique, origin, position, column_name,
     * partial, descending), "foreign_keys" (table, id, position, column_name, parent_table, parent_column,
     * on_update, on_delete), "databases" (database). {@code table}: one table, or null for all.
     */
    public static native Result catalog(long client, String what, String table) throws NativeException;

    /** {@link #catalog} through a session: of the database it is on (after {@code USE}). */
    public static native Result sessionCatalog(long session, String what, String table) throws NativeException;
}
