package ha.jdbc;

import java.sql.SQLException;
import java.sql.Savepoint;

/** A savepoint: a name given, or {@code ha_sp_<id>} for an unnamed one. */
final class HaSavepoint implements Savepoint {
    private final int id;
    private final String name;

    HaSavepoint(int id, String name) {
        this.id = id;
        this.name = name;
    }

    static HaSavepoint of(Savepoint savepoint) throws SQLException {
        if (!(savepoint instanceof HaSavepoint)) {
            throw Errors.badArgument("not a savepoint of this driver: " + savepoint);
        }
        return (HaSavepoint) savepoint;
    }

    @Override
    public int getSavepointId() throws SQLException {
        if (name != null) {
            throw new SQLException("a named savepoint has no id", "HY000");
        }
        return id;
    }

    @Override
    public String getSavepointName() throws SQLException {
        if (name == null) {
            throw new SQLException("an unnamed savepoint has no name", "HY000");
        }
        return name;
    }

    /** The name as an SQL identifier. */
    String quoted() {
        return quote(name != null ? name : "ha_sp_" + id);
    }

    /** An SQL identifier in double quotes, inner quotes doubled. */
    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    @Override
    public String toString() {
        return name != null ? name : "ha_sp_" + id;
    }
}
