//! Durations as users write them: `300ms`, `15s`, `5m`, `24h`, `1h30m`, `1.5h`, `0s`, `0`
//! (the Go `time.ParseDuration` forms the replaced system accepted, without negatives).

use std::time::Duration;

const NANOS_PER_UNIT: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("h", 3_600 * 1_000_000_000),
];

/// Parses a duration; used as clap's value parser, so the message is shown after the flag name.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration (write e.g. 15s, 300ms, 1h30m)".into());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = s;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() {
            return Err(format!(
                "'{s}' is not a duration (write e.g. 15s, 300ms, 1h30m)"
            ));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!(
                "'{s}' lacks a unit (ns, us, ms, s, m or h), e.g. 15s"
            ));
        }
        let Some(&(_, per_unit)) = NANOS_PER_UNIT.iter().find(|(name, _)| *name == unit) else {
            return Err(format!(
                "unknown unit '{unit}' in '{s}' (use ns, us, ms, s, m or h)"
            ));
        };
        let nanos = scaled(number, per_unit)
            .ok_or_else(|| format!("'{s}' is not a duration (bad number '{number}')"))?;
        total = total
            .checked_add(nanos)
            .ok_or_else(|| format!("'{s}' is too long"))?;
        rest = after;
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| format!("'{s}' is too long"))?;
    // The remainder is below 10^9 and fits in u32.
    let sub = (total % 1_000_000_000) as u32;
    Ok(Duration::new(secs, sub))
}

/// `number` (digits with at most one '.') times `per_unit` nanoseconds, truncated to whole nanos.
fn scaled(number: &str, per_unit: u128) -> Option<u128> {
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if (whole.is_empty() && frac.is_empty()) || frac.contains('.') {
        return None;
    }
    let mut nanos: u128 = 0;
    if !whole.is_empty() {
        nanos = whole.parse::<u128>().ok()?.checked_mul(per_unit)?;
    }
    // Digits past 10^-9 of an hour cannot change the result beyond a nanosecond; cap them so
    // the power of ten stays small.
    let frac = &frac[..frac.len().min(18)];
    if !frac.is_empty() {
        let digits = frac.parse::<u128>().ok()?;
        let scale = 10u128.pow(frac.len() as u32);
        nanos = nanos.checked_add(digits.checked_mul(per_unit)? / scale)?;
    }
    Some(nanos)
}

/// Writes a duration in the shortest of the forms [`parse_duration`] reads (for docs and logs).
pub fn format_duration(d: Duration) -> String {
    if d.is_zero() {
        return "0s".into();
    }
    let nanos = d.as_nanos();
    if !nanos.is_multiple_of(1_000_000_000) {
        return if nanos.is_multiple_of(1_000_000) {
            format!("{}ms", nanos / 1_000_000)
        } else {
            format!("{nanos}ns")
        };
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Duration {
        parse_duration(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_every_documented_form() {
        assert_eq!(ok("300ms"), Duration::from_millis(300));
        assert_eq!(ok("15s"), Duration::from_secs(15));
        assert_eq!(ok("5m"), Duration::from_secs(300));
        assert_eq!(ok("24h"), Duration::from_secs(86_400));
        assert_eq!(ok("1h30m"), Duration::from_secs(5_400));
        assert_eq!(ok("1h30m15s500ms"), Duration::from_millis(5_415_500));
        assert_eq!(ok("0s"), Duration::ZERO);
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok(" 2s "), Duration::from_secs(2));
    }

    #[test]
    fn parses_small_units_and_fractions() {
        assert_eq!(ok("10ns"), Duration::from_nanos(10));
        assert_eq!(ok("10us"), Duration::from_micros(10));
        assert_eq!(ok("10µs"), Duration::from_micros(10));
        assert_eq!(ok("1.5h"), Duration::from_secs(5_400));
        assert_eq!(ok("0.5s"), Duration::from_millis(500));
        assert_eq!(ok(".25s"), Duration::from_millis(250));
        assert_eq!(ok("2.s"), Duration::from_secs(2));
    }

    #[test]
    fn refuses_bad_values_with_a_reason() {
        for (input, reason) in [
            ("", "empty"),
            ("15", "lacks a unit"),
            ("5 m", "unknown unit"),
            ("5d", "unknown unit 'd'"),
            ("-5s", "not a duration"),
            ("abc", "not a duration"),
            ("s", "not a duration"),
            ("1.2.3s", "bad number"),
            (".s", "bad number"),
            ("1h30", "lacks a unit"),
            ("99999999999999999999h", "too long"),
            ("99999999999999999999999999999999999999999h", "bad number"),
        ] {
            let err = parse_duration(input).expect_err(input);
            assert!(err.contains(reason), "{input:?}: {err}");
        }
    }

    #[test]
    fn formats_back_to_a_parsable_form() {
        for s in ["0s", "300ms", "15s", "5m", "24h", "1h30m", "1h0m1s", "7ns"] {
            let d = ok(s);
            assert_eq!(ok(&format_duration(d)), d, "{s}");
        }
        assert_eq!(format_duration(Duration::from_secs(5_400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(300)), "300ms");
    }
}
