//! Flags from the environment (`HA_*`) and the config file (`-c`), and their precedence:
//! command line > environment > config file (SPEC §1). Checked through --token, whose effect is
//! visible over HTTP.

use std::path::Path;

use ha_test_harness::TestNode;
use serde_json::json;

use crate::support::{assert_error, builder, files_in, read_json};

/// The status of `POST /query` with this Authorization header (none when `None`).
async fn status_with(node: &TestNode, token: Option<&str>) -> u16 {
    let mut request = node
        .client()
        .post(node.url("/query"))
        .json(&json!({ "sql": "SELECT 1" }));
    if let Some(token) = token {
        request = request.header("authorization", token);
    }
    let (status, body) = read_json(request.send().await.unwrap()).await;
    if status == 401 {
        assert_error(status, &body, 401, "unauthorized");
    } else {
        assert_eq!(body, json!({ "columns": ["1"], "rows": [[1]] }));
    }
    status
}

/// Asserts `accepted` is the only one of the tokens that works.
async fn assert_only_token(node: &TestNode, accepted: &str) {
    assert_eq!(status_with(node, None).await, 401);
    assert_eq!(
        status_with(node, Some(accepted)).await,
        200,
        "token {accepted} refused"
    );
    for other in ["clitok", "envtok", "filetok"] {
        if other != accepted {
            assert_eq!(
                status_with(node, Some(other)).await,
                401,
                "token {other} accepted"
            );
        }
    }
}

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("ha.conf");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_from_its_environment_variable() {
    let node = builder()
        .arg("-m")
        .env("HA_TOKEN", "envtok")
        .start()
        .await
        .unwrap();
    assert_only_token(&node, "envtok").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boolean_flag_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let node = builder()
        .env("HA_MEMORY", "1")
        .dir(dir.path())
        .start()
        .await
        .unwrap();
    node.sql("CREATE TABLE t(x)").await.unwrap();
    assert_eq!(
        files_in(dir.path()),
        Vec::<String>::new(),
        "HA_MEMORY=1 still wrote ha.db"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_from_the_config_file() {
    let conf = tempfile::tempdir().unwrap();
    let path = write_config(
        conf.path(),
        "# the node's settings\n\ntoken filetok\nmemory\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let node = builder()
        .args(["-c", &path])
        .dir(dir.path())
        .start()
        .await
        .unwrap();
    assert_only_token(&node, "filetok").await;
    assert_eq!(
        files_in(dir.path()),
        Vec::<String>::new(),
        "the bare `memory` line was not taken"
    );

    // HA_CONFIG names the file too.
    let node = builder().env("HA_CONFIG", &path).start().await.unwrap();
    assert_only_token(&node, "filetok").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_beats_environment_beats_file() {
    let conf = tempfile::tempdir().unwrap();
    let path = write_config(conf.path(), "token filetok\nmemory\n");

    let node = builder()
        .args(["-c", &path, "--token", "clitok"])
        .env("HA_TOKEN", "envtok")
        .start()
        .await
        .unwrap();
    assert_only_token(&node, "clitok").await;

    let node = builder()
        .args(["-c", &path])
        .env("HA_TOKEN", "envtok")
        .start()
        .await
        .unwrap();
    assert_only_token(&node, "envtok").await;

    let node = builder()
        .args(["-c", &path, "--token=clitok"])
        .start()
        .await
        .unwrap();
    assert_only_token(&node, "clitok").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_config_file_names_the_line() {
    let conf = tempfile::tempdir().unwrap();
    let path = write_config(conf.path(), "memory\nno-such-setting 1\n");
    let finished = builder().args(["-c", &path]).run_to_exit().await.unwrap();
    assert_ne!(finished.code, Some(0), "{finished:?}");
    assert!(
        finished.stderr.contains(":2"),
        "the line is not named: {}",
        finished.stderr
    );
    assert!(
        finished.stderr.contains("no-such-setting"),
        "{}",
        finished.stderr
    );
    assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);

    let path = write_config(conf.path(), "memory\nconcurrent-queries lots\n");
    let finished = builder().args(["-c", &path]).run_to_exit().await.unwrap();
    assert_ne!(finished.code, Some(0), "{finished:?}");
    assert!(
        finished.stderr.contains(":2") && finished.stderr.contains("concurrent-queries"),
        "{}",
        finished.stderr
    );

    let finished = builder()
        .args(["-c", "/nonexistent/ha.conf"])
        .run_to_exit()
        .await
        .unwrap();
    assert_ne!(finished.code, Some(0), "{finished:?}");
    assert!(
        finished.stderr.contains("/nonexistent/ha.conf"),
        "{}",
        finished.stderr
    );
}
