package ha.jdbc.core;

/**
 * One statement's answer, built by the native library. Rows are flat, row-major:
 * the cell of row r and column c is {@code cells[r * columns.length + c]}, a Long, Double,
 * String, byte[] or null.
 */
public final class Result {
    /** Column names; empty for a statement without rows. */
    public final String[] columns;
    /** Declared types (SQLite's, e.g. "INTEGER", "VARCHAR(20)"); an entry is null for an expression. */
    public final String[] declaredTypes;
    public final Object[] cells;
    public final long rowsAffected;
    public final long lastInsertId;
    /** The log sequence of the write, or -1 (a read, or a write not yet sequenced). */
    public final long seq;

    public Result(String[] columns, String[] declaredTypes, Object[] cells, long rowsAffected,
            long lastInsertId, long seq) {
        this.columns = columns;
        this.declaredTypes = declaredTypes;
        this.cells = cells;
        this.rowsAffected = rowsAffected;
        this.lastInsertId = lastInsertId;
        this.seq = seq;
    }

    /** This answer with the columns it left out ({@link Native#executePrepared}). */
    public Result withColumns(String[] columns, String[] declaredTypes) {
        return new Result(columns, declaredTypes, cells, rowsAffected, lastInsertId, seq);
    }

    public int rowCount() {
        return columns.length == 0 ? 0 : cells.length / columns.length;
    }
}
