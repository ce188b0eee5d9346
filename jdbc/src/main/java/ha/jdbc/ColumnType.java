package ha.jdbc;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a column is to JDBC: its {@link java.sql.Types} code, type name, precision and scale.
 * From a declared type, SQLite's affinity rules decide (a name containing INT is an integer,
 * CHAR/CLOB/TEXT text, BLOB or nothing bytes, REAL/FLOA/DOUB a double), after the names that
 * carry a meaning SQLite does not see but JDBC tools do (BOOLEAN, DATE, TIME, DATETIME,
 * TIMESTAMP, DECIMAL, NUMERIC). Integers are BIGINT (SQLite's are 64-bit). A name of NUMERIC
 * affinity that names no number (JSON, UUID...) is VARCHAR: such columns hold text.
 * An expression has no declared type: its first value decides.
 */
record ColumnType(int sqlType, String name, int precision, int scale) {
    private static final Pattern SIZE = Pattern.compile("\\(\\s*([0-9]+)\\s*(?:,\\s*([0-9]+)\\s*)?\\)");
    /** The size of text and bytes without a declared length: SQLite's limit is the only one. */
    static final int UNBOUNDED = Integer.MAX_VALUE;

    static ColumnType declared(String declared) {
        if (declared == null || declared.isBlank()) {
            return new ColumnType(java.sql.Types.OTHER, "", 0, 0);
        }
        String upper = declared.trim().toUpperCase(Locale.ROOT);
        int open = upper.indexOf('(');
        String base = (open < 0 ? upper : upper.substring(0, open)).trim();
        int declaredSize = 0;
        int declaredScale = 0;
        Matcher size = SIZE.matcher(upper);
        if (size.find()) {
            declaredSize = parse(size.group(1));
            declaredScale = size.group(2) == null ? 0 : parse(size.group(2));
        }
        int type = sqlTypeOf(base);
        int precision = declaredSize > 0 ? declaredSize : defaultPrecision(type);
        return new ColumnType(type, base, precision, declaredSize > 0 ? declaredScale : 0);
    }

    /** An expression's column: by its value's storage class. */
    static ColumnType ofValue(Object value) {
        if (value instanceof Long) {
            return new ColumnType(java.sql.Types.BIGINT, "INTEGER", 19, 0);
        }
        if (value instanceof Double) {
            return new ColumnType(java.sql.Types.DOUBLE, "REAL", 17, 0);
        }
        if (value instanceof byte[]) {
            return new ColumnType(java.sql.Types.BLOB, "BLOB", UNBOUNDED, 0);
        }
        return new ColumnType(java.sql.Types.VARCHAR, "TEXT", UNBOUNDED, 0);
    }

    /** A column of the driver's own result sets (metadata), typed by JDBC. */
    static ColumnType of(int sqlType) {
        return new ColumnType(sqlType, java.sql.JDBCType.valueOf(sqlType).getName(), defaultPrecision(sqlType), 0);
    }

    static int sqlTypeOf(String base) {
        if (base.isEmpty()) {
            return java.sql.Types.OTHER;
        }
        if (base.contains("INT")) {
            return java.sql.Types.BIGINT;
        }
        if (base.contains("CHAR") || base.contains("CLOB") || base.contains("TEXT")) {
            return java.sql.Types.VARCHAR;
        }
        if (base.contains("BLOB")) {
            return java.sql.Types.BLOB;
        }
        if (base.contains("REAL") || base.contains("FLOA") || base.contains("DOUB")) {
            return java.sql.Types.DOUBLE;
        }
        if (base.startsWith("BOOL")) {
            return java.sql.Types.BOOLEAN;
        }
        if (base.equals("DATETIME") || base.startsWith("TIMESTAMP")) {
            return java.sql.Types.TIMESTAMP;
        }
        if (base.equals("DATE")) {
            return java.sql.Types.DATE;
        }
        if (base.equals("TIME")) {
            return java.sql.Types.TIME;
        }
        if (base.startsWith("DEC")) {
            return java.sql.Types.DECIMAL;
        }
        if (base.startsWith("NUM") || base.equals("MONEY")) {
            return java.sql.Types.NUMERIC;
        }
        return java.sql.Types.VARCHAR;
    }

    static int defaultPrecision(int sqlType) {
        switch (sqlType) {
            case java.sql.Types.BIGINT:
                return 19;
            case java.sql.Types.INTEGER:
                return 10;
            case java.sql.Types.SMALLINT:
                return 5;
            case java.sql.Types.DOUBLE:
                return 17;
            case java.sql.Types.BOOLEAN:
                return 1;
            case java.sql.Types.DATE:
                return 10;
            case java.sql.Types.TIME:
                return 12;
            case java.sql.Types.TIMESTAMP:
                return 23;
            case java.sql.Types.VARCHAR:
            case java.sql.Types.BLOB:
                return UNBOUNDED;
            default:
                return 0;
        }
    }

    /** The class {@code getObject} answers for this type (when the value converts). */
    String className() {
        switch (sqlType) {
            case java.sql.Types.BIGINT:
                return Long.class.getName();
            case java.sql.Types.INTEGER:
                return Integer.class.getName();
            case java.sql.Types.SMALLINT:
                return Short.class.getName();
            case java.sql.Types.DOUBLE:
                return Double.class.getName();
            case java.sql.Types.BOOLEAN:
                return Boolean.class.getName();
            case java.sql.Types.DATE:
                return java.sql.Date.class.getName();
            case java.sql.Types.TIME:
                return java.sql.Time.class.getName();
            case java.sql.Types.TIMESTAMP:
                return java.sql.Timestamp.class.getName();
            case java.sql.Types.DECIMAL:
            case java.sql.Types.NUMERIC:
                return java.math.BigDecimal.class.getName();
            case java.sql.Types.VARCHAR:
                return String.class.getName();
            case java.sql.Types.BLOB:
                return byte[].class.getName();
            default:
                return Object.class.getName();
        }
    }

    boolean signed() {
        switch (sqlType) {
            case java.sql.Types.BIGINT:
            case java.sql.Types.INTEGER:
            case java.sql.Types.SMALLINT:
            case java.sql.Types.DOUBLE:
            case java.sql.Types.DECIMAL:
            case java.sql.Types.NUMERIC:
                return true;
            default:
                return false;
        }
    }

    private static int parse(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return UNBOUNDED;
        }
    }
}
