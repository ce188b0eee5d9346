//! Byte sizes for `--max-body-size`: a plain number of bytes or one with a `B`, `KiB`, `MiB` or
//! `GiB` suffix (binary multiples; `KB`/`MB`/`GB` are refused so nobody is surprised by 1000 vs 1024).

const UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
];

/// Parses a byte size; used as clap's value parser.
pub fn parse_byte_size(text: &str) -> Result<usize, String> {
    let s = text.trim();
    let digits_len = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(digits_len);
    if number.is_empty() {
        return Err(format!(
            "'{s}' is not a size (write bytes, or e.g. 512KiB, 32MiB, 1GiB)"
        ));
    }
    let unit = unit.trim().to_ascii_lowercase();
    let multiplier = if unit.is_empty() {
        1
    } else {
        match UNITS.iter().find(|(name, _)| *name == unit) {
            Some(&(_, m)) => m,
            None => {
                return Err(format!(
                    "unknown size unit in '{s}' (use B, KiB, MiB or GiB)"
                ));
            }
        }
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("'{s}' is too large"))
}

/// Writes a size in the largest unit that divides it (for docs and logs).
pub fn format_byte_size(bytes: usize) -> String {
    let bytes = bytes as u64;
    for &(name, m) in UNITS.iter().rev() {
        if m > 1 && bytes != 0 && bytes.is_multiple_of(m) {
            let unit = match name {
                "kib" => "KiB",
                "mib" => "MiB",
                _ => "GiB",
            };
            return format!("{}{unit}", bytes / m);
        }
    }
    format!("{bytes}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_bytes_and_binary_suffixes() {
        assert_eq!(parse_byte_size("1024"), Ok(1024));
        assert_eq!(parse_byte_size("0"), Ok(0));
        assert_eq!(parse_byte_size("10B"), Ok(10));
        assert_eq!(parse_byte_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_byte_size("32MiB"), Ok(32 * 1024 * 1024));
        assert_eq!(parse_byte_size("32mib"), Ok(32 * 1024 * 1024));
        assert_eq!(parse_byte_size("2 GiB"), Ok(2 << 30));
    }

    #[test]
    fn refuses_bad_sizes() {
        for s in [
            "",
            "MiB",
            "-1",
            "1.5MiB",
            "32MB",
            "32M",
            "99999999999999999999",
            "18446744073709551615GiB",
        ] {
            assert!(parse_byte_size(s).is_err(), "{s}");
        }
    }

    #[test]
    fn formats_in_the_largest_unit() {
        assert_eq!(format_byte_size(32 << 20), "32MiB");
        assert_eq!(format_byte_size(1536), "1536");
        assert_eq!(format_byte_size(2048), "2KiB");
        assert_eq!(format_byte_size(0), "0");
    }
}
