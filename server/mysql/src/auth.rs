//! The client proves it knows the password for this connection's random scramble; the password
//! never crosses the wire. `mysql_native_password` sends
//! `SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password)))`; `caching_sha2_password` (MySQL
//! 8's default) sends `SHA256(password) XOR SHA256(SHA256(SHA256(password)) + scramble)`. The
//! node knows the password itself, so caching_sha2's "fast" path always applies: its slow path
//! (the password in clear over TLS or RSA) is never needed.

use ring::digest::{Algorithm, Context, SHA1_FOR_LEGACY_USE_ONLY, SHA256, digest};

/// The authentication methods the MySQL door verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plugin {
    NativePassword,
    CachingSha2Password,
}

impl Plugin {
    pub(crate) fn from_name(name: &str) -> Option<Plugin> {
        match name {
            "mysql_native_password" => Some(Plugin::NativePassword),
            "caching_sha2_password" => Some(Plugin::CachingSha2Password),
            _ => None,
        }
    }
}

/// A fresh scramble for one connection: 20 printable bytes, none of them NUL or `$` (clients
/// read the handshake's scramble as a NUL-terminated string).
pub(crate) fn scramble() -> [u8; 20] {
    let mut scramble = [0u8; 20];
    for byte in &mut scramble {
        *byte = loop {
            let candidate = rand::random_range(0x21u8..0x7f);
            if candidate != b'$' {
                break candidate;
            }
        };
    }
    scramble
}

/// Whether `response` proves `password` for `scramble` under `plugin`. An empty password is
/// proven by an empty response only.
pub(crate) fn verify(plugin: Plugin, password: &str, scramble: &[u8], response: &[u8]) -> bool {
    if password.is_empty() {
        return response.is_empty();
    }
    let expected = proof(plugin, password, scramble);
    if response.len() != expected.len() {
        return false;
    }
    // Constant-time: no early exit on the first wrong byte.
    let difference = response
        .iter()
        .zip(&expected)
        .fold(0u8, |acc, (r, e)| acc | (r ^ e));
    difference == 0
}

/// What a client that knows `password` answers to `scramble`.
fn proof(plugin: Plugin, password: &str, scramble: &[u8]) -> Vec<u8> {
    let (algorithm, scramble_first): (&'static Algorithm, bool) = match plugin {
        Plugin::NativePassword => (&SHA1_FOR_LEGACY_USE_ONLY, true),
        Plugin::CachingSha2Password => (&SHA256, false),
    };
    let stage1 = digest(algorithm, password.as_bytes());
    let stage2 = digest(algorithm, stage1.as_ref());
    let mut context = Context::new(algorithm);
    if scramble_first {
        context.update(scramble);
        context.update(stage2.as_ref());
    } else {
        context.update(stage2.as_ref());
        context.update(scramble);
    }
    let mask = context.finish();
    stage1
        .as_ref()
        .iter()
        .zip(mask.as_ref())
        .map(|(a, b)| a ^ b)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_password_passes_and_others_do_not() {
        for plugin in [Plugin::NativePassword, Plugin::CachingSha2Password] {
            let scramble = scramble();
            assert!(!scramble.contains(&0) && !scramble.contains(&b'$'));
            let right = proof(plugin, "secret", &scramble);
            assert!(verify(plugin, "secret", &scramble, &right));
            let wrong = proof(plugin, "Secret", &scramble);
            assert!(!verify(plugin, "secret", &scramble, &wrong));
            assert!(!verify(plugin, "secret", &scramble, &[]));
            assert!(!verify(
                plugin,
                "secret",
                &scramble,
                &right[..right.len() - 1]
            ));
            assert!(verify(plugin, "", &scramble, &[]));
            assert!(!verify(
                plugin,
                "",
                &scramble,
                &proof(plugin, "x", &scramble)
            ));
        }
        let scramble = scramble();
        let native = proof(Plugin::NativePassword, "secret", &scramble);
        assert!(!verify(
            Plugin::CachingSha2Password,
            "secret",
            &scramble,
            &native
        ));
    }

    /// A known answer, worked out independently with Python's hashlib:
    /// `sha256(pw) XOR sha256(sha256(sha256(pw)) + nonce)`.
    #[test]
    fn caching_sha2_matches_the_published_formula() {
        let nonce = b"abcdefghijklmnopqrst";
        let expected = vec![
            199, 110, 40, 152, 97, 42, 76, 240, 66, 199, 127, 168, 196, 112, 44, 76, 100, 192, 194,
            197, 87, 197, 60, 77, 117, 89, 90, 170, 106, 186, 232, 9,
        ];
        assert_eq!(
            proof(Plugin::CachingSha2Password, "secret", nonce),
            expected
        );
    }
}
