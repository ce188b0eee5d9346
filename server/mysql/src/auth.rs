//! `mysql_native_password`: the client proves it knows the password by sending
//! `SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password)))` for this connection's random
//! scramble; the password never crosses the wire.

use ring::digest::{Context, SHA1_FOR_LEGACY_USE_ONLY, digest};

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

/// Whether `response` proves `password` for `scramble`. An empty password is proven by an
/// empty response only.
pub(crate) fn verify(password: &str, scramble: &[u8], response: &[u8]) -> bool {
    if password.is_empty() {
        return response.is_empty();
    }
    if response.len() != 20 {
        return false;
    }
    let stage1 = digest(&SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
    let stage2 = digest(&SHA1_FOR_LEGACY_USE_ONLY, stage1.as_ref());
    let mut context = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
    context.update(scramble);
    context.update(stage2.as_ref());
    let mask = context.finish();
    // Constant-time: no early exit on the first wrong byte.
    let mut difference = 0u8;
    for ((r, m), s) in response.iter().zip(mask.as_ref()).zip(stage1.as_ref()) {
        difference |= r ^ m ^ s;
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client computes.
    fn respond(password: &str, scramble: &[u8]) -> Vec<u8> {
        let stage1 = digest(&SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
        let stage2 = digest(&SHA1_FOR_LEGACY_USE_ONLY, stage1.as_ref());
        let mut context = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
        context.update(scramble);
        context.update(stage2.as_ref());
        let mask = context.finish();
        stage1
            .as_ref()
            .iter()
            .zip(mask.as_ref())
            .map(|(a, b)| a ^ b)
            .collect()
    }

    #[test]
    fn the_right_password_passes_and_others_do_not() {
        let scramble = scramble();
        assert!(!scramble.contains(&0) && !scramble.contains(&b'$'));
        assert!(verify("secret", &scramble, &respond("secret", &scramble)));
        assert!(!verify("secret", &scramble, &respond("Secret", &scramble)));
        assert!(!verify("secret", &scramble, &[]));
        assert!(verify("", &scramble, &[]));
        assert!(!verify("", &scramble, &respond("x", &scramble)));
        let other = super::scramble();
        assert!(!verify("secret", &other, &respond("secret", &scramble)) || other == scramble);
    }
}
