//! MySQL's `information_schema`, as temporary views over the same helper tables the PostgreSQL
//! catalog reads ([`super::helpers`]), with MySQL's names: upper-case columns, the database as
//! the schema (`TABLE_SCHEMA = DATABASE()`), `PRIMARY` for a primary key, `_ibfk_` foreign keys,
//! types as the MySQL door's `SHOW COLUMNS` writes them (`ha_types::MysqlType`).
//!
//! The MySQL door writes `information_schema.x` as `mysql_information_schema_x`. Its `SHOW
//! COLUMNS` and `SHOW INDEX` read these views too, so every MySQL answer about the schema is
//! one answer.

/// The views, in dependency order.
pub(super) const VIEWS: &[&str] = &[
    // Indexes with MySQL's names: `PRIMARY`, a UNIQUE constraint after its first column; a
    // unique index is a UNIQUE constraint in MySQL.
    r#"CREATE TEMP VIEW IF NOT EXISTS ha_mysql_indexes(oid, tbl, tbl_oid, name, is_unique,
        constraint_type) AS
      SELECT x.oid, x.tbl, x.tbl_oid,
        CASE WHEN x.is_primary THEN 'PRIMARY'
          WHEN x.origin = 'u' THEN (SELECT k.name FROM ha_index_columns k
                                    WHERE k.index_oid = x.oid ORDER BY k.ord LIMIT 1)
          ELSE x.name END,
        x.is_unique,
        CASE WHEN x.is_primary THEN 'PRIMARY KEY' WHEN x.is_unique AND NOT x.partial
          AND NOT EXISTS (SELECT 1 FROM ha_index_columns k WHERE k.index_oid = x.oid
                          AND k.name IS NULL) THEN 'UNIQUE' END
      FROM ha_indexes x"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS ha_mysql_foreign_keys(oid, name, tbl, seq, from_col,
        ref_table, to_col, on_update, on_delete) AS
      SELECT f.oid, f.tbl || '_ibfk_' || (f.id + 1), f.tbl, f.seq, f.from_col, f.ref_table,
        f.to_col, f.on_update, f.on_delete
      FROM ha_foreign_keys f"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_schemata(CATALOG_NAME,
        SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME, SQL_PATH,
        DEFAULT_ENCRYPTION) AS
      SELECT 'def', database(), 'utf8mb4', 'utf8mb4_0900_ai_ci', NULL, 'NO'
      UNION ALL SELECT 'def', 'information_schema', 'utf8mb3', 'utf8mb3_general_ci', NULL, 'NO'"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_tables(TABLE_CATALOG,
        TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, VERSION, ROW_FORMAT, TABLE_ROWS,
        AVG_ROW_LENGTH, DATA_LENGTH, MAX_DATA_LENGTH, INDEX_LENGTH, DATA_FREE, AUTO_INCREMENT,
        CREATE_TIME, UPDATE_TIME, CHECK_TIME, TABLE_COLLATION, CHECKSUM, CREATE_OPTIONS,
        TABLE_COMMENT) AS
      SELECT 'def', database(), t.name, CASE t.kind WHEN 'view' THEN 'VIEW' ELSE 'BASE TABLE' END,
        CASE t.kind WHEN 'view' THEN NULL ELSE 'SQLite' END,
        CASE t.kind WHEN 'view' THEN NULL ELSE 10 END,
        CASE t.kind WHEN 'view' THEN NULL ELSE 'Dynamic' END,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        CASE t.kind WHEN 'view' THEN NULL ELSE 'utf8mb4_0900_ai_ci' END, NULL,
        CASE t.kind WHEN 'view' THEN NULL ELSE '' END,
        CASE t.kind WHEN 'view' THEN 'VIEW' ELSE '' END
      FROM ha_tables t"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_views(TABLE_CATALOG,
        TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE, DEFINER,
        SECURITY_TYPE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION) AS
      SELECT 'def', database(), t.name, ha_view_definition(t.sql), 'NONE', 'NO', 'ha@%',
        'DEFINER', 'utf8mb4', 'utf8mb4_0900_ai_ci'
      FROM ha_tables t WHERE t.kind = 'view'"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_columns(TABLE_CATALOG,
        TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE,
        DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION,
        NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_TYPE,
        COLUMN_KEY, EXTRA, PRIVILEGES, COLUMN_COMMENT, GENERATION_EXPRESSION, SRS_ID) AS
      SELECT 'def', database(), c.rel, c.name, c.attnum,
        CASE WHEN c.default_value LIKE '''%''' THEN
          replace(substr(c.default_value, 2, length(c.default_value) - 2), '''''', '''')
        ELSE c.default_value END,
        CASE WHEN c.not_null OR c.pk > 0 THEN 'NO' ELSE 'YES' END,
        ha_mysql_type(c.declared, 'data_type'),
        ha_mysql_type(c.declared, 'character_maximum_length'),
        ha_mysql_type(c.declared, 'character_octet_length'),
        ha_mysql_type(c.declared, 'numeric_precision'),
        ha_mysql_type(c.declared, 'numeric_scale'),
        ha_mysql_type(c.declared, 'datetime_precision'),
        ha_mysql_type(c.declared, 'character_set_name'),
        ha_mysql_type(c.declared, 'collation_name'),
        ha_mysql_type(c.declared, 'column_type'),
        CASE WHEN c.pk > 0 THEN 'PRI'
          WHEN EXISTS (SELECT 1 FROM ha_indexes x JOIN ha_index_columns k ON k.index_oid = x.oid
                       WHERE x.tbl_oid = c.rel_oid AND x.is_unique AND k.attnum = c.attnum
                         AND (SELECT count(*) FROM ha_index_columns n
                              WHERE n.index_oid = x.oid) = 1) THEN 'UNI'
          WHEN EXISTS (SELECT 1 FROM ha_indexes x JOIN ha_index_columns k ON k.index_oid = x.oid
                       WHERE x.tbl_oid = c.rel_oid AND k.ord = 1 AND k.attnum = c.attnum)
            THEN 'MUL'
          ELSE '' END,
        CASE c.hidden WHEN 2 THEN 'VIRTUAL GENERATED' WHEN 3 THEN 'STORED GENERATED'
          ELSE CASE WHEN c.kind = 'table' AND ha_rowid_alias(c.declared, c.pk,
              (SELECT count(*) FROM ha_columns k WHERE k.rel_oid = c.rel_oid AND k.pk > 0))
            THEN 'auto_increment' ELSE '' END END,
        'select,insert,update,references', '',
        CASE WHEN c.hidden IN (2, 3) THEN
          coalesce(ha_generated_expression(
            (SELECT t.sql FROM ha_tables t WHERE t.oid = c.rel_oid), c.name), '')
        ELSE '' END,
        NULL
      FROM ha_columns c WHERE c.hidden <> 1"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_statistics(TABLE_CATALOG,
        TABLE_SCHEMA, TABLE_NAME, NON_UNIQUE, INDEX_SCHEMA, INDEX_NAME, SEQ_IN_INDEX,
        COLUMN_NAME, COLLATION, CARDINALITY, SUB_PART, PACKED, NULLABLE, INDEX_TYPE, COMMENT,
        INDEX_COMMENT, IS_VISIBLE, EXPRESSION) AS
      SELECT 'def', database(), m.tbl, CASE WHEN m.is_unique THEN 0 ELSE 1 END, database(),
        m.name, k.ord, k.name, CASE k.descending WHEN 1 THEN 'D' ELSE 'A' END, NULL, NULL, NULL,
        CASE WHEN c.not_null OR c.pk > 0 THEN '' ELSE 'YES' END, 'BTREE', '', '', 'YES', NULL
      FROM ha_mysql_indexes m JOIN ha_index_columns k ON k.index_oid = m.oid
        LEFT JOIN ha_columns c ON c.rel_oid = m.tbl_oid AND c.attnum = k.attnum"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_table_constraints(
        CONSTRAINT_CATALOG, CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_SCHEMA, TABLE_NAME,
        CONSTRAINT_TYPE, ENFORCED) AS
      SELECT 'def', database(), m.name, database(), m.tbl, m.constraint_type, 'YES'
      FROM ha_mysql_indexes m WHERE m.constraint_type IS NOT NULL
      UNION ALL
      SELECT 'def', database(), f.name, database(), f.tbl, 'FOREIGN KEY', 'YES'
      FROM ha_mysql_foreign_keys f GROUP BY f.oid"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_key_column_usage(
        CONSTRAINT_CATALOG, CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_CATALOG, TABLE_SCHEMA,
        TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, POSITION_IN_UNIQUE_CONSTRAINT,
        REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME) AS
      SELECT 'def', database(), m.name, 'def', database(), m.tbl, k.name, k.ord, NULL, NULL,
        NULL, NULL
      FROM ha_mysql_indexes m JOIN ha_index_columns k ON k.index_oid = m.oid
      WHERE m.constraint_type IS NOT NULL
      UNION ALL
      SELECT 'def', database(), f.name, 'def', database(), f.tbl, f.from_col, f.seq, f.seq,
        database(), f.ref_table, f.to_col
      FROM ha_mysql_foreign_keys f"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_referential_constraints(
        CONSTRAINT_CATALOG, CONSTRAINT_SCHEMA, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_CATALOG,
        UNIQUE_CONSTRAINT_SCHEMA, UNIQUE_CONSTRAINT_NAME, MATCH_OPTION, UPDATE_RULE,
        DELETE_RULE, TABLE_NAME, REFERENCED_TABLE_NAME) AS
      SELECT 'def', database(), f.name, 'def', database(),
        coalesce((SELECT m.name FROM ha_mysql_indexes m JOIN ha_tables t ON t.oid = m.tbl_oid
                  WHERE t.name = f.ref_table AND m.constraint_type = 'PRIMARY KEY'), 'PRIMARY'),
        'NONE', f.on_update, f.on_delete, f.tbl, f.ref_table
      FROM ha_mysql_foreign_keys f GROUP BY f.oid"#,
    // What SQLite has no counterpart of (stored routines, events, partitions), and CHECK
    // constraints, which the catalog does not read: there, empty, so that queries joining them
    // work.
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_check_constraints(
        CONSTRAINT_CATALOG, CONSTRAINT_SCHEMA, CONSTRAINT_NAME, CHECK_CLAUSE) AS
      SELECT '', '', '', '' WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_routines(SPECIFIC_NAME,
        ROUTINE_CATALOG, ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, DATA_TYPE, DTD_IDENTIFIER,
        ROUTINE_BODY, ROUTINE_DEFINITION, EXTERNAL_NAME, EXTERNAL_LANGUAGE, PARAMETER_STYLE,
        IS_DETERMINISTIC, SQL_DATA_ACCESS, SQL_PATH, SECURITY_TYPE, CREATED, LAST_ALTERED,
        SQL_MODE, ROUTINE_COMMENT, DEFINER) AS
      SELECT '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', ''
      WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_parameters(SPECIFIC_CATALOG,
        SPECIFIC_SCHEMA, SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME,
        DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DTD_IDENTIFIER,
        ROUTINE_TYPE) AS
      SELECT '', '', '', 0, '', '', '', 0, 0, 0, '', '' WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_events(EVENT_CATALOG,
        EVENT_SCHEMA, EVENT_NAME, DEFINER, EVENT_TYPE, STATUS) AS
      SELECT '', '', '', '', '', '' WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS mysql_information_schema_partitions(TABLE_CATALOG,
        TABLE_SCHEMA, TABLE_NAME, PARTITION_NAME, PARTITION_ORDINAL_POSITION, TABLE_ROWS) AS
      SELECT '', '', '', '', 0, 0 WHERE 0"#,
];
