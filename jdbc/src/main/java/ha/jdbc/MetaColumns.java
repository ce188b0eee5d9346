package ha.jdbc;

import static java.sql.Types.BOOLEAN;
import static java.sql.Types.INTEGER;
import static java.sql.Types.SMALLINT;
import static java.sql.Types.VARCHAR;

/** The columns of each {@link java.sql.DatabaseMetaData} answer, as JDBC names and types them. */
final class MetaColumns {
    private MetaColumns() {}

    static MetaTable catalogs() {
        return new MetaTable("TABLE_CAT", VARCHAR);
    }

    static MetaTable schemas() {
        return new MetaTable("TABLE_SCHEM", VARCHAR, "TABLE_CATALOG", VARCHAR);
    }

    static MetaTable tableTypes() {
        return new MetaTable("TABLE_TYPE", VARCHAR);
    }

    static MetaTable tables() {
        return new MetaTable("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "TABLE_TYPE", VARCHAR, "REMARKS", VARCHAR, "TYPE_CAT", VARCHAR, "TYPE_SCHEM", VARCHAR,
                "TYPE_NAME", VARCHAR, "SELF_REFERENCING_COL_NAME", VARCHAR, "REF_GENERATION", VARCHAR);
    }

    static MetaTable columns() {
        return new MetaTable("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "COLUMN_NAME", VARCHAR, "DATA_TYPE", INTEGER, "TYPE_NAME", VARCHAR, "COLUMN_SIZE", INTEGER,
                "BUFFER_LENGTH", INTEGER, "DECIMAL_DIGITS", INTEGER, "NUM_PREC_RADIX", INTEGER,
                "NULLABLE", INTEGER, "REMARKS", VARCHAR, "COLUMN_DEF", VARCHAR, "SQL_DATA_TYPE", INTEGER,
                "SQL_DATETIME_SUB", INTEGER, "CHAR_OCTET_LENGTH", INTEGER, "ORDINAL_POSITION", INTEGER,
                "IS_NULLABLE", VARCHAR, "SCOPE_CATALOG", VARCHAR, "SCOPE_SCHEMA", VARCHAR,
                "SCOPE_TABLE", VARCHAR, "SOURCE_DATA_TYPE", SMALLINT, "IS_AUTOINCREMENT", VARCHAR,
                "IS_GENERATEDCOLUMN", VARCHAR);
    }

    static MetaTable primaryKeys() {
        return new MetaTable("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "COLUMN_NAME", VARCHAR, "KEY_SEQ", SMALLINT, "PK_NAME", VARCHAR);
    }

    static MetaTable indexInfo() {
        return new MetaTable("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "NON_UNIQUE", BOOLEAN, "INDEX_QUALIFIER", VARCHAR, "INDEX_NAME", VARCHAR, "TYPE", SMALLINT,
                "ORDINAL_POSITION", SMALLINT, "COLUMN_NAME", VARCHAR, "ASC_OR_DESC", VARCHAR,
                "CARDINALITY", java.sql.Types.BIGINT, "PAGES", java.sql.Types.BIGINT, "FILTER_CONDITION", VARCHAR);
    }

    static MetaTable keys() {
        return new MetaTable("PKTABLE_CAT", VARCHAR, "PKTABLE_SCHEM", VARCHAR, "PKTABLE_NAME", VARCHAR,
                "PKCOLUMN_NAME", VARCHAR, "FKTABLE_CAT", VARCHAR, "FKTABLE_SCHEM", VARCHAR,
                "FKTABLE_NAME", VARCHAR, "FKCOLUMN_NAME", VARCHAR, "KEY_SEQ", SMALLINT,
                "UPDATE_RULE", SMALLINT, "DELETE_RULE", SMALLINT, "FK_NAME", VARCHAR, "PK_NAME", VARCHAR,
                "DEFERRABILITY", SMALLINT);
    }

    static MetaTable typeInfo() {
        return new MetaTable("TYPE_NAME", VARCHAR, "DATA_TYPE", INTEGER, "PRECISION", INTEGER,
                "LITERAL_PREFIX", VARCHAR, "LITERAL_SUFFIX", VARCHAR, "CREATE_PARAMS", VARCHAR,
                "NULLABLE", SMALLINT, "CASE_SENSITIVE", BOOLEAN, "SEARCHABLE", SMALLINT,
                "UNSIGNED_ATTRIBUTE", BOOLEAN, "FIXED_PREC_SCALE", BOOLEAN, "AUTO_INCREMENT", BOOLEAN,
                "LOCAL_TYPE_NAME", VARCHAR, "MINIMUM_SCALE", SMALLINT, "MAXIMUM_SCALE", SMALLINT,
                "SQL_DATA_TYPE", INTEGER, "SQL_DATETIME_SUB", INTEGER, "NUM_PREC_RADIX", INTEGER);
    }

    static MetaTable procedures() {
        return new MetaTable("PROCEDURE_CAT", VARCHAR, "PROCEDURE_SCHEM", VARCHAR, "PROCEDURE_NAME", VARCHAR,
                "RESERVED1", VARCHAR, "RESERVED2", VARCHAR, "RESERVED3", VARCHAR, "REMARKS", VARCHAR,
                "PROCEDURE_TYPE", SMALLINT, "SPECIFIC_NAME", VARCHAR);
    }

    static MetaTable procedureColumns() {
        return new MetaTable("PROCEDURE_CAT", VARCHAR, "PROCEDURE_SCHEM", VARCHAR, "PROCEDURE_NAME", VARCHAR,
                "COLUMN_NAME", VARCHAR, "COLUMN_TYPE", SMALLINT, "DATA_TYPE", INTEGER, "TYPE_NAME", VARCHAR,
                "PRECISION", INTEGER, "LENGTH", INTEGER, "SCALE", SMALLINT, "RADIX", SMALLINT,
                "NULLABLE", SMALLINT, "REMARKS", VARCHAR, "COLUMN_DEF", VARCHAR, "SQL_DATA_TYPE", INTEGER,
                "SQL_DATETIME_SUB", INTEGER, "CHAR_OCTET_LENGTH", INTEGER, "ORDINAL_POSITION", INTEGER,
                "IS_NULLABLE", VARCHAR, "SPECIFIC_NAME", VARCHAR);
    }

    static MetaTable functions() {
        return new MetaTable("FUNCTION_CAT", VARCHAR, "FUNCTION_SCHEM", VARCHAR, "FUNCTION_NAME", VARCHAR,
                "REMARKS", VARCHAR, "FUNCTION_TYPE", SMALLINT, "SPECIFIC_NAME", VARCHAR);
    }

    static MetaTable functionColumns() {
        return new MetaTable("FUNCTION_CAT", VARCHAR, "FUNCTION_SCHEM", VARCHAR, "FUNCTION_NAME", VARCHAR,
                "COLUMN_NAME", VARCHAR, "COLUMN_TYPE", SMALLINT, "DATA_TYPE", INTEGER, "TYPE_NAME", VARCHAR,
                "PRECISION", INTEGER, "LENGTH", INTEGER, "SCALE", SMALLINT, "RADIX", SMALLINT,
                "NULLABLE", SMALLINT, "REMARKS", VARCHAR, "CHAR_OCTET_LENGTH", INTEGER,
                "ORDINAL_POSITION", INTEGER, "IS_NULLABLE", VARCHAR, "SPECIFIC_NAME", VARCHAR);
    }

    static MetaTable udts() {
        return new MetaTable("TYPE_CAT", VARCHAR, "TYPE_SCHEM", VARCHAR, "TYPE_NAME", VARCHAR,
                "CLASS_NAME", VARCHAR, "DATA_TYPE", INTEGER, "REMARKS", VARCHAR, "BASE_TYPE", SMALLINT);
    }

    static MetaTable superTypes() {
        return new MetaTable("TYPE_CAT", VARCHAR, "TYPE_SCHEM", VARCHAR, "TYPE_NAME", VARCHAR,
                "SUPERTYPE_CAT", VARCHAR, "SUPERTYPE_SCHEM", VARCHAR, "SUPERTYPE_NAME", VARCHAR);
    }

    static MetaTable superTables() {
        return new MetaTable("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "SUPERTABLE_NAME", VARCHAR);
    }

    static MetaTable attributes() {
        return new MetaTable("TYPE_CAT", VARCHAR, "TYPE_SCHEM", VARCHAR, "TYPE_NAME", VARCHAR,
                "ATTR_NAME", VARCHAR, "DATA_TYPE", INTEGER, "ATTR_TYPE_NAME", VARCHAR, "ATTR_SIZE", INTEGER,
                "DECIMAL_DIGITS", INTEGER, "NUM_PREC_RADIX", INTEGER, "NULLABLE", INTEGER, "REMARKS", VARCHAR,
                "ATTR_DEF", VARCHAR, "SQL_DATA_TYPE", INTEGER, "SQL_DATETIME_SUB", INTEGER,
                "CHAR_OCTET_LENGTH", INTEGER, "ORDINAL_POSITION", INTEGER, "IS_NULLABLE", VARCHAR,
                "SCOPE_CATALOG", VARCHAR, "SCOPE_SCHEMA", VARCHAR, "SCOPE_TABLE", VARCHAR,
                "SOURCE_DATA_TYPE", SMALLINT);
    }

    static MetaTable pseudoColumns() {
        return new MetaTable("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "COLUMN_NAME", VARCHAR, "DATA_TYPE", INTEGER, "COLUMN_SIZE", INTEGER, "DECIMAL_DIGITS", INTEGER,
                "NUM_PREC_RADIX", INTEGER, "COLUMN_USAGE", VARCHAR, "REMARKS", VARCHAR,
                "CHAR_OCTET_LENGTH", INTEGER, "IS_NULLABLE", VARCHAR);
    }

    static MetaTable clientInfoProperties() {
        return new MetaTable("NAME", VARCHAR, "MAX_LEN", INTEGER, "DEFAULT_VALUE", VARCHAR, "DESCRIPTION", VARCHAR);
    }

    /** getVersionColumns and getBestRowIdentifier share these. */
    static MetaTable rowColumns() {
        return new MetaTable("SCOPE", SMALLINT, "COLUMN_NAME", VARCHAR, "DATA_TYPE", INTEGER, "TYPE_NAME", VARCHAR,
                "COLUMN_SIZE", INTEGER, "BUFFER_LENGTH", INTEGER, "DECIMAL_DIGITS", SMALLINT,
                "PSEUDO_COLUMN", SMALLINT);
    }

    static MetaTable columnPrivileges() {
        return new MetaTable("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "COLUMN_NAME", VARCHAR, "GRANTOR", VARCHAR, "GRANTEE", VARCHAR, "PRIVILEGE", VARCHAR,
                "IS_GRANTABLE", VARCHAR);
    }

    static MetaTable tablePrivileges() {
        return new MetaTable("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "GRANTOR", VARCHAR, "GRANTEE", VARCHAR, "PRIVILEGE", VARCHAR, "IS_GRANTABLE", VARCHAR);
    }
}
