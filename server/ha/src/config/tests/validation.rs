//! Defaults, help and version, ranges, pairs and the "not supported yet" rule.

use super::*;

#[test]
fn defaults_match_the_spec() {
    let c = ok(&[], &[]);
    assert_eq!(c.port, 8080);
    assert_eq!(c.bind_address, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    assert_eq!(c.name, default_node_name());
    assert!(!c.memory);
    assert_eq!(c.db_params, DEFAULT_DB_PARAMS);
    assert_eq!(c.snapshot_interval, Duration::ZERO);
    assert_eq!(c.nats_port, 4222);
    assert_eq!(
        (c.mysql_port, c.mysql_user.as_str(), c.mysql_pass.as_str()),
        (0, "ha", "")
    );
    assert_eq!(
        (c.pg_port, c.pg_user.as_str(), c.pg_pass.as_str()),
        (0, "ha", "ha")
    );
    assert_eq!(
        (c.pg_publication.as_str(), c.pg_slot.as_str()),
        ("ha_publication", "ha_slot")
    );
    assert_eq!(
        (c.mysql_include.as_str(), c.mysql_proxy_id.as_str()),
        ("^db.*", "sqlite-ha")
    );
    assert_eq!(c.proxy_local, "ha.db");
    assert_eq!(c.concurrent_queries, 50);
    assert_eq!(c.concurrent_queries_wait, Duration::from_secs(5));
    assert_eq!(c.max_body_size, 32 << 20);
    assert_eq!(c.replicas, 1);
    assert_eq!(c.replication_timeout, Duration::from_secs(15));
    assert_eq!(c.replication_stream, "ha_replication");
    assert_eq!(c.replication_max_age, Duration::from_secs(24 * 3600));
    assert_eq!(c.replication_policy, None);
    assert_eq!(c.row_identify, RowIdentify::Pk);
    assert_eq!(
        (c.log_level, c.log_format),
        (LogLevel::Info, LogFormat::Text)
    );
    assert!(c.databases.is_empty() && c.extensions.is_empty() && c.debezium_topics.is_empty());
    assert!(c.explicit.is_empty());
    assert!(c.validate().is_ok());
}

#[test]
fn every_flag_has_its_ha_env_var() {
    for arg in Config::command().get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        let expected = format!("HA_{}", long.to_uppercase().replace('-', "_"));
        assert_eq!(
            arg.get_env().and_then(|e| e.to_str()),
            Some(expected.as_str()),
            "--{long}"
        );
    }
}

#[test]
fn not_supported_list_names_real_flags() {
    let longs: Vec<String> = Config::command()
        .get_arguments()
        .filter_map(|a| a.get_long().map(String::from))
        .collect();
    for u in NOT_SUPPORTED_YET {
        assert!(
            longs.iter().any(|l| l == u.flag),
            "{} is not a flag",
            u.flag
        );
    }
}

#[test]
fn for_tests_is_in_memory_on_port_zero_and_valid() {
    let c = Config::for_tests();
    assert!(c.memory);
    assert_eq!((c.port, c.nats_port), (0, 0));
    assert_eq!(c.bind_address, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(c.concurrent_queries, 50);
    assert!(c.validate().is_ok());
}

#[test]
fn help_and_version_are_not_failures() {
    for flag in ["--help", "-h", "--version", "-V"] {
        let e = load(&[flag], &[]).unwrap_err();
        assert!(e.is_help_or_version(), "{flag}");
        assert_eq!(e.exit_code(), 0);
    }
    let ConfigError::Cli(help) = load(&["--help"], &[]).unwrap_err() else {
        panic!()
    };
    let help = help.to_string();
    assert!(
        help.contains("[env: HA_NATS_PORT]")
            && help.contains("(not supported yet)")
            && help.contains("[env: HA_MYSQL_PORT]"),
        "{help}"
    );
    let ConfigError::Cli(version) = load(&["--version"], &[]).unwrap_err() else {
        panic!()
    };
    assert_eq!(version.to_string().trim(), version_string());
    assert!(version_string().starts_with(&format!("ha {} (commit ", env!("CARGO_PKG_VERSION"))));
    let e = load(&["--no-such-flag"], &[]).unwrap_err();
    assert!(!e.is_help_or_version() && e.exit_code() == 2);
    assert!(e.to_string().contains("--no-such-flag"), "{e}");
}

#[test]
fn not_supported_yet_only_when_explicit() {
    // Defaults of unbuilt features (mysql-include, ...) are fine when not given.
    assert!(ok(&[], &[]).validate().is_ok());
    let e = ok(&["--mysql-include", "x"], &[]).validate().unwrap_err();
    assert_eq!(e.to_string(), "not supported yet: --mysql-include");
    let e = ok(
        &["--mysql-proxied", "mysql://x"],
        &[("HA_INTERCEPTOR", "x.rhai")],
    )
    .validate()
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "not supported yet: --mysql-proxied, --interceptor"
    );
    // Built features validate.
    assert!(
        ok(&["--pg-port", "5432", "--pg-user", "x"], &[])
            .validate()
            .is_ok()
    );
    assert!(
        ok(&["--mysql-port", "3306", "--mysql-user", "x"], &[])
            .validate()
            .is_ok()
    );
    let file = TempFile::new("interceptor x.rhai\n");
    let e = ok(&["-c", file.path()], &[]).validate().unwrap_err();
    assert_eq!(e.to_string(), "not supported yet: --interceptor");
    // Leader mode is built; --leader-addr needs the broker it is elected through.
    assert!(ok(&["--leader-static", "x:1"], &[]).validate().is_ok());
    assert!(ok(&["--grpc-insecure"], &[]).validate().is_ok());
    let e = ok(&["--leader-addr", "x:1", "--nats-port", "0"], &[])
        .validate()
        .unwrap_err();
    assert!(e.to_string().contains("needs replication"), "{e}");
    // Client mode is built (`ha -r`, the shell in server/ha/src/shell).
    assert!(ok(&["-r", "http://x:8080"], &[]).validate().is_ok());
}

#[test]
fn off_values_of_doors_are_allowed() {
    let c = ok(
        &["--nats-port", "0", "--mysql-port=0", "--pg-port", "0"],
        &[("HA_SNAPSHOT_INTERVAL", "0s")],
    );
    assert!(c.is_explicit("nats-port") && c.is_explicit("snapshot-interval"));
    assert!(c.validate().is_ok());
    let e = ok(&["--mysql-port", "3306", "--interceptor", "x"], &[])
        .validate()
        .unwrap_err();
    assert_eq!(e.to_string(), "not supported yet: --interceptor");
}

#[test]
fn snapshots_need_replication() {
    assert!(ok(&["--snapshot-interval", "1m"], &[]).validate().is_ok());
    let e = ok(&["--nats-port", "0", "--snapshot-interval", "1m"], &[])
        .validate()
        .unwrap_err();
    assert!(e.to_string().contains("--snapshot-interval"), "{e}");
    let e = ok(&["--nats-port", "0", "--from-latest-snapshot"], &[])
        .validate()
        .unwrap_err();
    assert!(e.to_string().contains("needs replication"), "{e}");
}

#[test]
fn supported_flags_validate() {
    let c = ok(
        &[
            "-n",
            "n1",
            "-p",
            "0",
            "--bind-address",
            "::1",
            "--token",
            "t",
            "-m",
            "--db-params",
            "x=1",
            "--create-db-dir",
            "/tmp",
            "--concurrent-queries",
            "3",
            "--concurrent-queries-wait",
            "1s",
            "--max-body-size",
            "1KiB",
            "--log-level",
            "debug",
            "--log-format",
            "json",
            "a.db",
        ],
        &[],
    );
    assert!(c.validate().is_ok(), "{:?}", c.validate());
}

#[test]
fn ranges_and_pairs() {
    for n in ["0", "6"] {
        let e = ok(&["--replicas", n], &[]).validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("--replicas: must be between 1 and 5, got {n}")
        );
    }
    assert!(err(&["--replicas", "300"], &[]).contains("--replicas"));
    let e = ok(&["--concurrent-queries", "0"], &[])
        .validate()
        .unwrap_err();
    assert_eq!(e.to_string(), "--concurrent-queries: must be at least 1");
    let e = ok(&["--workers", "100000"], &[]).validate().unwrap_err();
    assert_eq!(
        e.to_string(),
        "--workers: must be at most 1024 (0: one per core)"
    );
    assert!(ok(&["--workers", "1024"], &[]).validate().is_ok());
    let e = ok(&["--pg-cert", "c.pem"], &[]).validate().unwrap_err();
    assert_eq!(e.to_string(), "--pg-cert: needs --pg-key too");
    let e = ok(&["--pg-key", "k.pem"], &[]).validate().unwrap_err();
    assert_eq!(e.to_string(), "--pg-key: needs --pg-cert too");
    let e = ok(&["--tls-cert", "c.pem"], &[]).validate().unwrap_err();
    assert_eq!(e.to_string(), "--tls-cert: needs --tls-key too");
    let e = ok(&["--tls-key", "k.pem"], &[]).validate().unwrap_err();
    assert_eq!(e.to_string(), "--tls-key: needs --tls-cert too");
    let e = ok(&["--leader-addr", "a:1", "--leader-static", "b:1"], &[])
        .validate()
        .unwrap_err();
    assert!(e.to_string().starts_with("--leader-static"), "{e}");
    let mut c = Config::for_tests();
    c.max_body_size = 0;
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .starts_with("--max-body-size")
    );
    assert!(err(&["--port", "70000"], &[]).contains("--port"));
}

#[test]
fn hand_built_configs_validate_field_values() {
    let mut c = Config::for_tests();
    c.token = Some("secret".into());
    c.databases = vec!["a.db".into()];
    c.create_db_dir = Some(PathBuf::from("/tmp"));
    assert!(c.validate().is_ok());
    c.replicas = 9;
    assert!(c.validate().is_err());
}
