//! Connection properties given as names and texts (JDBC's `Properties`, a URL's query): the
//! one reading of them into [`ClientOptions`], so drivers only pass them on.

use std::time::Duration;

use ha_client::{ClientError, ClientOptions};

/// The URL to open and its options, from a driver's URL and properties. A remote URL's query
/// parameters (`http://host:8080/db?token=...`) are properties too; a replica's (`file:`) are
/// read by the client itself. `password` is the token when no `token` is given (a GUI's
/// password field); names a driver passes for everyone (`user`) are ignored.
pub fn options_from_properties<'a>(
    url: &str,
    properties: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(String, ClientOptions), ClientError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut url = url.to_string();
    if (url.starts_with("http://") || url.starts_with("https://"))
        && let Some((base, query)) = url.split_once('?')
    {
        pairs.extend(query.split('&').filter(|p| !p.is_empty()).map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, "true"));
            (name.to_string(), value.to_string())
        }));
        url = base.to_string();
    }
    // Properties beside the URL win over its query.
    pairs.extend(
        properties
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.to_string())),
    );
    let bad = |why: String| ClientError::BadUrl(why);
    let mut options = ClientOptions::default();
    let mut password = None;
    for (name, value) in pairs {
        match name.as_str() {
            "token" => options.token = Some(value).filter(|v| !v.is_empty()),
            "password" => password = Some(value).filter(|v| !v.is_empty()),
            "database" => options.database = Some(value).filter(|v| !v.is_empty()),
            "replication_url" => options.replication_url = Some(value),
            "node" => options.node = Some(value),
            "read_only" => {
                options.read_only = match value.as_str() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    _ => return Err(bad(format!("read_only takes true or false, not {value}"))),
                }
            }
            "timeout_ms" => {
                let millis = value
                    .parse()
                    .map_err(|_| bad(format!("timeout_ms takes milliseconds, not {value}")))?;
                options.timeout = Some(Duration::from_millis(millis));
            }
            "tls_ca_file" => options.tls_ca_file = Some(value.into()),
            _ => {}
        }
    }
    if options.token.is_none() {
        options.token = password;
    }
    Ok((url, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_urls_query_is_properties_and_properties_win() {
        let (url, options) = options_from_properties(
            "http://h:8080/db?token=a&database=x",
            [("database", "y"), ("user", "me")],
        )
        .unwrap();
        assert_eq!(url, "http://h:8080/db");
        assert_eq!(options.token.as_deref(), Some("a"));
        assert_eq!(options.database.as_deref(), Some("y"));
    }

    #[test]
    fn the_password_is_the_token_when_none_is_given() {
        let (_, options) =
            options_from_properties("http://h:1", [("password", "p"), ("user", "u")]).unwrap();
        assert_eq!(options.token.as_deref(), Some("p"));
        let (_, options) =
            options_from_properties("http://h:1", [("password", "p"), ("token", "t")]).unwrap();
        assert_eq!(options.token.as_deref(), Some("t"));
    }

    #[test]
    fn a_replica_url_keeps_its_query_and_bad_values_are_refused() {
        let (url, options) =
            options_from_properties("file:/a.db?node=n", [("read_only", "true")]).unwrap();
        assert_eq!(url, "file:/a.db?node=n");
        assert!(options.read_only);
        assert!(options_from_properties("file:/a.db", [("read_only", "maybe")]).is_err());
        assert!(options_from_properties("file:/a.db", [("timeout_ms", "soon")]).is_err());
    }
}
