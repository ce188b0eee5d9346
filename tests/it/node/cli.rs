//! The command line: --version, --help, flags of features not built yet, and bad values.

use ha_test_harness::Finished;

use crate::support::{assert_serving, builder, run_to_exit, start};

fn assert_refused(finished: &Finished, needle: &str) {
    assert!(finished.code.is_some(), "killed by a signal: {finished:?}");
    assert_ne!(
        finished.code,
        Some(0),
        "accepted although it should not: {finished:?}"
    );
    assert!(
        finished.stderr.contains(needle),
        "stderr does not contain {needle:?}: {}",
        finished.stderr
    );
    assert!(
        !finished.stderr.contains("panicked"),
        "panic: {}",
        finished.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_prints_the_name_and_version() {
    let finished = run_to_exit(&["--version"]).await;
    assert_eq!(finished.code, Some(0), "{finished:?}");
    let expected = format!("ha {}", env!("CARGO_PKG_VERSION"));
    assert!(
        finished.stdout.starts_with(&expected),
        "{:?} does not start with {expected:?}",
        finished.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_the_flags_and_their_environment_variables() {
    let finished = run_to_exit(&["--help"]).await;
    assert_eq!(finished.code, Some(0), "{finished:?}");
    for needle in [
        "--port",
        "HA_PORT",
        "--token",
        "HA_TOKEN",
        "--create-db-dir",
        "HA_CREATE_DB_DIR",
        "--memory",
        "--config",
    ] {
        assert!(
            finished.stdout.contains(needle),
            "--help does not mention {needle}:\n{}",
            finished.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_of_features_not_built_are_refused_at_start() {
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 5] = [
        (
            &["--leader-addr", "x:1"],
            &[],
            "the leader is elected through the broker: it needs replication",
        ),
        (
            &[],
            &[("HA_MYSQL_PROXIED", "mysql://x")],
            "not supported yet: --mysql-proxied",
        ),
        (
            &["--interceptor", "x.rhai"],
            &[],
            "not supported yet: --interceptor",
        ),
        (
            &["--grpc-port", "9090"],
            &[],
            "not supported yet: --grpc-port",
        ),
        (
            &[],
            &[("HA_EXTENSIONS", "x.so")],
            "not supported yet: --extensions",
        ),
    ];
    for (args, env, needle) in cases {
        let mut command = builder().args(args.iter().copied());
        for (name, value) in env {
            command = command.env(*name, *value);
        }
        let finished = command.run_to_exit().await.unwrap();
        assert_refused(&finished, needle);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_off_value_of_a_door_is_accepted() {
    let node = start(&[
        "-m",
        "--nats-port",
        "0",
        "--pg-port",
        "0",
        "--mysql-port=0",
        "--snapshot-interval=0s",
    ])
    .await;
    assert_serving(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_name_the_flag_and_never_panic() {
    let cases: [(&[&str], &str); 7] = [
        (&["--port", "abc"], "--port"),
        (&["--port", "70000"], "--port"),
        (&["--concurrent-queries", "0"], "--concurrent-queries"),
        (&["--replication-timeout", "5x"], "--replication-timeout"),
        (
            &["--concurrent-queries-wait", "soon"],
            "--concurrent-queries-wait",
        ),
        (&["--max-body-size", "1KB"], "--max-body-size"),
        (&["--bind-address", "not-an-ip"], "--bind-address"),
    ];
    for (args, flag) in cases {
        assert_refused(&run_to_exit(args).await, flag);
    }
    // The same from the environment names the variable. (Not HA_PORT: the harness passes
    // --port on the command line, which wins.)
    let finished = builder()
        .env("HA_CONCURRENT_QUERIES", "abc")
        .run_to_exit()
        .await
        .unwrap();
    assert_refused(&finished, "HA_CONCURRENT_QUERIES");
    let finished = builder()
        .env("HA_CONCURRENT_QUERIES_WAIT", "5x")
        .run_to_exit()
        .await
        .unwrap();
    assert_refused(&finished, "HA_CONCURRENT_QUERIES_WAIT");
    let finished = builder()
        .env("HA_MEMORY", "maybe")
        .run_to_exit()
        .await
        .unwrap();
    assert_refused(&finished, "HA_MEMORY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_flag_is_refused() {
    assert_refused(&run_to_exit(&["--no-such-flag"]).await, "--no-such-flag");
}
