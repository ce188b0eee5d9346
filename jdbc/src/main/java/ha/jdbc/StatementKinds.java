package ha.jdbc;

import ha.jdbc.core.Native;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a statement is to a connection, decided by the native library ({@link Native#statementKind},
 * the core's own parsers) and remembered per SQL text, as drivers keep a statement cache, so a
 * repeated statement costs a map look-up rather than a native call.
 */
final class StatementKinds {
    static final int TRANSACTION_CONTROL = 0;
    static final int SESSION_STATE = 1;
    static final int CHANGES_DATA = 2;
    static final int OTHER = 3;

    private static final int KEPT = 1024;
    private static final ConcurrentHashMap<String, Integer> KINDS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Boolean> SETS_ROW_ID = new ConcurrentHashMap<>();

    private StatementKinds() {}

    static int kind(String sql) {
        Integer known = KINDS.get(sql);
        if (known == null) {
            known = Native.statementKind(sql);
            if (KINDS.size() >= KEPT) {
                KINDS.clear();
            }
            KINDS.put(sql, known);
        }
        return known;
    }

    /** Whether the statement sets the last inserted row id (INSERT, REPLACE). */
    static boolean setsLastRowId(String sql) {
        Boolean known = SETS_ROW_ID.get(sql);
        if (known == null) {
            known = Native.setsLastRowId(sql);
            if (SETS_ROW_ID.size() >= KEPT) {
                SETS_ROW_ID.clear();
            }
            SETS_ROW_ID.put(sql, known);
        }
        return known;
    }
}
