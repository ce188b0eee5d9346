//! A declared SQLite type as PostgreSQL names it: the catalog's `pg_attribute.atttypid` /
//! `atttypmod` and the PostgreSQL door's result descriptions read the one answer.

/// The PostgreSQL type (OID, typmod) a declared SQLite type names, as close to what was
/// written as PostgreSQL has (`VARCHAR(50)` is `character varying(50)`); text for no type.
pub fn postgres_type(declared: &str) -> (i64, i64) {
    let upper = declared.trim().to_ascii_uppercase();
    let (base, arguments) = match upper.split_once('(') {
        Some((base, rest)) => (base.trim(), rest.trim_end_matches(')')),
        None => (upper.as_str(), ""),
    };
    let numbers: Vec<i64> = arguments
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let length = numbers.first().map_or(-1, |n| n.saturating_add(4));
    let oid = match base {
        "INT" | "INTEGER" | "INT4" | "MEDIUMINT" => 23,
        "BIGINT" | "INT8" | "UNSIGNED BIG INT" => 20,
        "SMALLINT" | "INT2" | "TINYINT" => 21,
        "REAL" | "FLOAT4" => 700,
        "DOUBLE" | "DOUBLE PRECISION" | "FLOAT" | "FLOAT8" => 701,
        "NUMERIC" | "DECIMAL" => {
            let typmod = match numbers.as_slice() {
                [precision] => precision.saturating_mul(1 << 16).saturating_add(4),
                [precision, scale, ..] => {
                    (precision.saturating_mul(1 << 16) | scale).saturating_add(4)
                }
                [] => -1,
            };
            return (1700, typmod);
        }
        "VARCHAR" | "CHARACTER VARYING" | "NVARCHAR" | "VARYING CHARACTER" => {
            return (1043, length);
        }
        "CHAR" | "CHARACTER" | "NCHAR" | "NATIVE CHARACTER" | "BPCHAR" => return (1042, length),
        "BLOB" | "BYTEA" => 17,
        "BOOL" | "BOOLEAN" => 16,
        "DATE" => 1082,
        "TIME" => 1083,
        "TIMESTAMP" | "DATETIME" => 1114,
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => 1184,
        "JSON" => 114,
        "JSONB" => 3802,
        "UUID" => 2950,
        _ => match crate::ColumnType::declared(&upper) {
            Some(crate::ColumnType::Integer) => 20,
            Some(crate::ColumnType::Real) => 701,
            Some(crate::ColumnType::Blob) => 17,
            Some(crate::ColumnType::Boolean) => 16,
            _ => 25,
        },
    };
    (oid, -1)
}
