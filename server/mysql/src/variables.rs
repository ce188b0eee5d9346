//! The session variables drivers read at connect (`SELECT @@...`, `SHOW VARIABLES`): MySQL 8's
//! names with the values that describe this server, overridden by the connection's own `SET`s.

use std::collections::BTreeMap;

/// The MySQL version the server reports (drivers pick features by it).
pub(crate) const SERVER_VERSION: &str = "8.0.36";

pub(crate) fn defaults() -> BTreeMap<String, String> {
    let version = format!("{SERVER_VERSION}-ha-{}", env!("CARGO_PKG_VERSION"));
    let pairs: [(&str, &str); 34] = [
        ("version", &version),
        ("version_comment", "ha (SQLite)"),
        ("autocommit", "1"),
        ("sql_mode", "STRICT_TRANS_TABLES"),
        ("character_set_client", "utf8mb4"),
        ("character_set_connection", "utf8mb4"),
        ("character_set_results", "utf8mb4"),
        ("character_set_server", "utf8mb4"),
        ("character_set_database", "utf8mb4"),
        ("character_set_system", "utf8mb3"),
        ("collation_connection", "utf8mb4_0900_ai_ci"),
        ("collation_server", "utf8mb4_0900_ai_ci"),
        ("collation_database", "utf8mb4_0900_ai_ci"),
        ("max_allowed_packet", "67108864"),
        ("net_buffer_length", "16384"),
        ("lower_case_table_names", "0"),
        ("transaction_isolation", "SERIALIZABLE"),
        ("tx_isolation", "SERIALIZABLE"),
        ("transaction_read_only", "0"),
        ("tx_read_only", "0"),
        ("time_zone", "SYSTEM"),
        ("system_time_zone", "UTC"),
        ("wait_timeout", "28800"),
        ("interactive_timeout", "28800"),
        ("net_write_timeout", "60"),
        ("sql_auto_is_null", "0"),
        ("auto_increment_increment", "1"),
        ("license", "Apache-2.0"),
        ("init_connect", ""),
        ("query_cache_size", "0"),
        ("query_cache_type", "OFF"),
        ("performance_schema", "0"),
        ("have_ssl", "DISABLED"),
        ("default_storage_engine", "SQLite"),
    ];
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}
