//! The four layers and their precedence, the config file, booleans, durations, lists.

use super::*;

#[test]
fn precedence_command_line_then_env_then_file_then_default() {
    let file = TempFile::new("port 9001\ntoken from-file\nname file-node\nlog-level warn\n");
    let env = [
        ("HA_PORT", "9002"),
        ("HA_TOKEN", "from-env"),
        ("HA_CONFIG", file.path()),
    ];

    let c = ok(&["--port", "9003"], &env);
    assert_eq!(c.port, 9003, "command line beats env and file");
    assert_eq!(c.token.as_deref(), Some("from-env"), "env beats file");
    assert_eq!(c.name, "file-node", "file beats default");
    assert_eq!(c.log_level, LogLevel::Warn);
    assert_eq!(c.log_format, LogFormat::Text, "default when nobody sets it");
    assert_eq!(c.config.as_deref(), Some(std::path::Path::new(file.path())));
    let explicit: Vec<&str> = c.explicit.iter().map(String::as_str).collect();
    assert_eq!(explicit, ["config", "log-level", "name", "port", "token"]);

    let c = ok(&["-c", file.path()], &[]);
    assert_eq!((c.port, c.token.as_deref()), (9001, Some("from-file")));
}

#[test]
fn command_line_config_path_beats_env_config_path() {
    let used = TempFile::new("port 1111\n");
    let ignored = TempFile::new("port 2222\n");
    let c = ok(&["--config", used.path()], &[("HA_CONFIG", ignored.path())]);
    assert_eq!(c.port, 1111);
}

#[test]
fn repeatable_flags_from_the_command_line_replace_the_file() {
    let file = TempFile::new("debezium-topics a\ndebezium-topics b,c\nextensions x.so\n");
    let c = ok(&["-c", file.path()], &[]);
    assert_eq!(c.debezium_topics, ["a", "b", "c"]);
    assert_eq!(c.extensions, ["x.so"]);
    let c = ok(
        &["-c", file.path(), "--debezium-topics", "z"],
        &[("HA_EXTENSIONS", "p.so,q.so")],
    );
    assert_eq!(c.debezium_topics, ["z"]);
    assert_eq!(c.extensions, ["p.so", "q.so"]);
}

#[test]
fn config_file_name_forms_and_quotes() {
    let file = TempFile::new(
        "# node settings\n\n--port 9000\nHA_TOKEN \"a b # c\"\n-n node-7\nmemory\nnats_port=0\n\
         replication-policy by_start_time=2024-01-02 03:04:05\nmax-body-size 1MiB\n",
    );
    let c = ok(&["-c", file.path(), "app.db"], &[]);
    assert_eq!(c.port, 9000);
    assert_eq!(c.token.as_deref(), Some("a b # c"));
    assert_eq!(c.name, "node-7");
    assert!(c.memory);
    assert_eq!(c.nats_port, 0);
    assert_eq!(
        c.replication_policy,
        Some(ReplicationPolicy::ByStartTime("2024-01-02 03:04:05".into()))
    );
    assert_eq!(c.max_body_size, 1 << 20);
    assert_eq!(c.databases, ["app.db"]);
}

#[test]
fn config_file_errors_name_the_file_and_line() {
    let cases = [
        ("port 1\n\nbogus 3\n", 3, "unknown setting 'bogus'"),
        ("port abc\n", 1, "invalid value 'abc' for '--port"),
        ("port\n", 1, "--port needs a value"),
        ("port 1\nport 2\n", 2, "--port is already set on line 1"),
        (
            "config other.conf\n",
            1,
            "cannot be set inside a config file",
        ),
        ("memory maybe\n", 1, "--memory"),
        ("snapshot-interval 5 m\n", 1, "unknown unit"),
        ("token \"open\n", 1, "unterminated"),
        ("help\n", 1, "unknown setting"),
        ("---port 1\n", 1, "unknown setting"),
    ];
    for (text, line, fragment) in cases {
        let file = TempFile::new(text);
        let e = err(&["-c", file.path()], &[]);
        let prefix = format!("{}:{line}: ", file.path());
        assert!(
            e.starts_with(&prefix) && e.contains(fragment),
            "{text:?}: {e}"
        );
    }
}

#[test]
fn bad_value_in_file_is_reported_even_when_overridden() {
    let file = TempFile::new("port abc\n");
    let e = err(&["-c", file.path(), "--port", "1"], &[]);
    assert!(e.contains(":1: "), "{e}");
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let e = err(&["-c", "/nonexistent/ha.conf"], &[]);
    assert!(
        e.starts_with("cannot read config file /nonexistent/ha.conf"),
        "{e}"
    );
}

#[test]
fn booleans_bare_with_values_and_from_env() {
    assert!(ok(&["-m"], &[]).memory);
    assert!(ok(&["--memory"], &[]).memory);
    assert!(!ok(&["--memory=false"], &[]).memory);
    assert!(ok(&["--memory=1"], &[]).memory);
    for (value, expected) in [("true", true), ("1", true), ("false", false), ("0", false)] {
        let c = ok(&[], &[("HA_MEMORY", value), ("HA_NATS_LOGS", value)]);
        assert_eq!((c.memory, c.nats_logs), (expected, expected), "{value}");
        assert!(c.is_explicit("memory"));
    }
    assert!(
        !ok(&["--memory=false"], &[("HA_MEMORY", "true")]).memory,
        "command line wins"
    );
    let e = err(&[], &[("HA_MEMORY", "maybe")]);
    assert!(
        e.starts_with("environment variable HA_MEMORY: invalid value 'maybe'"),
        "{e}"
    );
    assert!(
        !ok(&[], &[("HA_MEMORY", "")]).is_explicit("memory"),
        "empty env is unset"
    );
}

#[test]
fn a_bare_boolean_does_not_eat_the_next_database() {
    let c = ok(&["-m", "app.db", "other.db"], &[]);
    assert!(c.memory);
    assert_eq!(c.databases, ["app.db", "other.db"]);
    let c = ok(&["--memory", "--", "--weird.db"], &[]);
    assert_eq!(c.databases, ["--weird.db"]);
}

#[test]
fn durations_and_sizes_from_every_source() {
    let c = ok(
        &[
            "--replication-timeout",
            "1h30m",
            "--concurrent-queries-wait=300ms",
        ],
        &[],
    );
    assert_eq!(c.replication_timeout, Duration::from_secs(5400));
    assert_eq!(c.concurrent_queries_wait, Duration::from_millis(300));
    let c = ok(
        &[],
        &[("HA_SNAPSHOT_INTERVAL", "0"), ("HA_MAX_BODY_SIZE", "1024")],
    );
    assert_eq!(
        (c.snapshot_interval, c.max_body_size),
        (Duration::ZERO, 1024)
    );
    let e = err(&["--replication-timeout", "15"], &[]);
    assert!(
        e.contains("--replication-timeout") && e.contains("lacks a unit"),
        "{e}"
    );
    let e = err(&[], &[("HA_REPLICATION_MAX_AGE", "1d")]);
    assert!(
        e.contains("HA_REPLICATION_MAX_AGE") && e.contains("unknown unit 'd'"),
        "{e}"
    );
    let e = err(&["--max-body-size", "32MB"], &[]);
    assert!(e.contains("--max-body-size"), "{e}");
}

#[test]
fn enums_and_lists_parse() {
    let c = ok(
        &[
            "--log-level",
            "trace",
            "--log-format",
            "json",
            "--row-identify",
            "full",
            "--replication-policy",
            "by_start_sequence=9",
            "--extensions",
            "a.so,b.so",
            "--debezium-topics",
            "t1",
            "--debezium-topics",
            "t2,t3",
        ],
        &[],
    );
    assert_eq!(
        (c.log_level, c.log_format, c.row_identify),
        (LogLevel::Trace, LogFormat::Json, RowIdentify::Full)
    );
    assert_eq!(
        c.replication_policy,
        Some(ReplicationPolicy::ByStartSequence(9))
    );
    assert_eq!(c.extensions, ["a.so", "b.so"]);
    assert_eq!(c.debezium_topics, ["t1", "t2", "t3"]);
    assert!(err(&["--log-level", "loud"], &[]).contains("--log-level"));
    assert!(err(&["--log-format", "xml"], &[]).contains("--log-format"));
    assert!(err(&["--replication-policy", "first"], &[]).contains("--replication-policy"));
    assert!(err(&["--bind-address", "localhost"], &[]).contains("--bind-address"));
}

#[test]
fn last_occurrence_wins_on_the_command_line() {
    assert_eq!(ok(&["--port", "1", "--port", "2"], &[]).port, 2);
}
