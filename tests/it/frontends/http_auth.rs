//! `--token`: API calls need `Authorization: <token>` or `Authorization: Bearer <token>`; probes
//! and the API description stay open (SPEC §4.1).

use ha_test_harness::TestNode;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{assert_error, curl, read_json, start};

async fn call(
    node: &TestNode,
    method: Method,
    path: &str,
    authorization: Option<&str>,
) -> (u16, String) {
    let mut request = node.client().request(method.clone(), node.url(path));
    if method == Method::POST {
        request = request.json(&json!({ "sql": "SELECT 1" }));
    }
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_calls_need_the_token() {
    let node = start(&["-m", "--token", "secret"]).await;
    let api = [
        (Method::POST, "/query"),
        (Method::POST, "/"),
        (Method::POST, "/databases/ha.db"),
        (Method::POST, "/databases/ha.db/query"),
        (Method::GET, "/databases"),
        (Method::GET, "/download"),
        (Method::GET, "/databases/ha.db/download"),
        (Method::DELETE, "/databases/ha.db"),
    ];
    for (method, path) in &api {
        for authorization in [
            None,
            Some("wrong"),
            Some("Bearer wrong"),
            Some("secretx"),
            Some("Bearer"),
            Some(""),
        ] {
            let (status, text) = call(&node, method.clone(), path, authorization).await;
            let body: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
            assert_error(status, &body, 401, "unauthorized");
        }
    }
    // The refused DELETE dropped nothing (checked below: ha.db is still listed).
    for authorization in ["secret", "Bearer secret"] {
        let (status, text) = call(&node, Method::POST, "/query", Some(authorization)).await;
        assert_eq!(
            (status, serde_json::from_str::<Value>(&text).unwrap()),
            (200, json!({ "columns": ["1"], "rows": [[1]] }))
        );
        let (status, text) = call(&node, Method::GET, "/databases", Some(authorization)).await;
        assert_eq!(
            (status, serde_json::from_str::<Value>(&text).unwrap()),
            (200, json!({ "databases": ["ha.db"] }))
        );
        let (status, _) = call(&node, Method::GET, "/download", Some(authorization)).await;
        assert_eq!(status, 200);
    }

    // Probes and the API description are open.
    for path in ["/healthz", "/readyz", "/openapi.yaml"] {
        let (status, _) = call(&node, Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}");
    }
    // An unknown route still needs the token before anything else is told.
    let (status, text) = call(&node, Method::GET, "/made/up", None).await;
    assert_error(
        status,
        &serde_json::from_str(&text).unwrap(),
        401,
        "unauthorized",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_with_curl() {
    let node = start(&["-m", "--token", "secret"]).await;
    let url = node.url("/query");
    let body = r#"{"sql": "SELECT 'in' AS x"}"#;
    let out = curl(&["-w", "\n%{http_code}", "-d", body, &url]).await;
    let (json, status) = out.rsplit_once('\n').unwrap();
    assert_eq!(status, "401");
    assert_error(
        401,
        &serde_json::from_str(json).unwrap(),
        401,
        "unauthorized",
    );

    let out = curl(&["-H", "Authorization: Bearer secret", "-d", body, &url]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({ "columns": ["x"], "rows": [["in"]] })
    );
    let out = curl(&["-H", "Authorization: secret", "-d", body, &url]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({ "columns": ["x"], "rows": [["in"]] })
    );
    let (status, body) = read_json(
        node.client()
            .get(node.url("/healthz"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body), (200, json!({ "status": "ok" })));
}
