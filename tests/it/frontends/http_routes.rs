//! The route table as users see it: probes, the OpenAPI document (every documented operation is
//! served, with a documented status), and JSON errors for unknown routes and methods.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{assert_error, get, read_json, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_answer() {
    let node = start(&["-m"]).await;
    assert_eq!(
        get(&node, "/healthz").await,
        (200, json!({ "status": "ok" }))
    );
    let (status, body) = get(&node, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_served() {
    let node = start(&["-m"]).await;
    let response = node
        .client()
        .get(node.url("/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("the document is YAML");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "not OpenAPI 3"
    );
    let paths = doc["paths"].as_mapping().expect("paths");

    // A database that the DELETE operation may remove.
    assert_eq!(
        node.post("/databases", &json!({ "dsn": "doomed.db" }))
            .await
            .unwrap()
            .0,
        201
    );

    let mut operations = 0;
    for (path, item) in paths {
        let path = path.as_str().unwrap();
        for (method, operation) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if method == "parameters" {
                continue;
            }
            operations += 1;
            let method: Method = method.to_uppercase().parse().unwrap();
            let id = if method == Method::DELETE && path == "/databases/{id}" {
                "doomed.db"
            } else {
                "ha.db"
            };
            let url = node.url(&path.replace("{id}", id).replace("{since}", "1"));
            let mut request = node.client().request(method.clone(), &url);
            if method == Method::POST {
                let body = if path == "/databases" {
                    json!({ "dsn": "made.db" })
                } else {
                    json!({ "sql": "SELECT 1" })
                };
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_ne!(
                status, 405,
                "{method} {path}: the route does not take this method: {text}"
            );
            let code = serde_json::from_str::<Value>(&text)
                .ok()
                .map(|v| v["code"].clone());
            assert!(
                !(status == 404 && code == Some(json!("not_found"))),
                "{method} {path}: documented but not served: {text}"
            );
            let documented = operation["responses"]
                .as_mapping()
                .unwrap_or_else(|| panic!("{method} {path} documents no responses"))
                .keys()
                .any(|k| {
                    k.as_str() == Some(&status.to_string()) || k.as_u64() == Some(u64::from(status))
                });
            assert!(
                documented,
                "{method} {path} answered {status}, which is not documented: {text}"
            );
            // This node runs without replication, so it has no consumer to name: those routes
            // answer their own 404 (the cluster tests cover them working).
            let no_such_consumer = path.contains("{name}")
                && status == 404
                && code == Some(json!("unknown_replication"));
            // Nor a broker to store snapshots in: those routes say so (409; the cluster tests
            // cover them working).
            let no_snapshot_store = path.ends_with("/snapshot")
                && status == 409
                && text.contains("without replication");
            // Nor a log to read history from (the cluster tests cover history and undo).
            let no_log =
                path.contains("{since}") && status == 501 && code == Some(json!("not_supported"));
            // Nor leader mode (the cluster tests cover /leader).
            let leaderless = path == "/leader" && status == 409;
            assert!(
                status < 300 || no_such_consumer || no_snapshot_store || no_log || leaderless,
                "{method} {path} failed with {status}: {text}"
            );
        }
    }
    assert!(operations >= 12, "only {operations} operations documented");
    // The DELETE and the POST /databases of the walk did their work.
    assert_eq!(
        get(&node, "/databases").await.1,
        json!({ "databases": ["ha.db", "made.db"] })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_answer_json_errors() {
    let node = start(&["-m"]).await;
    for path in [
        "/made/up",
        "/databases/ha.db/nope",
        "/querys",
        "/download/x",
    ] {
        let (status, body) = get(&node, path).await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = read_json(
            node.client()
                .post(node.url(path))
                .json(&json!({ "sql": "SELECT 1" }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(status, &body, 404, "not_found");
    }
    for (method, path) in [
        (Method::GET, "/query"),
        (Method::PUT, "/"),
        (Method::GET, "/databases/ha.db"),
        (Method::POST, "/healthz"),
        (Method::DELETE, "/databases"),
        (Method::POST, "/download"),
    ] {
        let (status, body) = read_json(
            node.client()
                .request(method.clone(), node.url(path))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(status, &body, 405, "method_not_allowed");
    }
    // Named routes with an unknown database.
    for path in ["/databases/nope.db", "/databases/nope.db/query"] {
        let (status, body) = node
            .post(path, &json!({ "sql": "SELECT 1" }))
            .await
            .unwrap();
        assert_error(status, &body, 404, "unknown_database");
    }
}
