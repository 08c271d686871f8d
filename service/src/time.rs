//! Times on the wire: ISO 8601 in UTC with milliseconds, as Azure ML writes them; durations
//! given on the command line (`90d`, `12h`).

/// `2026-05-01T12:03:04.250Z` for a Unix time in milliseconds.
pub fn iso(ms: i64) -> String {
    let base = sluice_runtime::time::format_utc(ms);
    // format_utc gives `2026-05-01 12:03:04Z`.
    let date_time = base.trim_end_matches('Z').replacen(' ', "T", 1);
    format!("{date_time}.{:03}Z", ms.rem_euclid(1000))
}

/// Milliseconds of a duration written `<number><unit>` with unit `s`, `m`, `h` or `d`.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| {
        format!("`{text}` is not a duration: write a number and a unit, like 90d, 12h or 30m")
    })?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{text}`: the unit must be s, m, h or d (like 90d)")),
    };
    n.checked_mul(unit_ms).filter(|ms| *ms > 0).ok_or_else(|| format!("`{text}` is not a usable duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_have_milliseconds() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_777_638_184_250), "2026-05-01T12:23:04.250Z");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d"), Ok(90 * 86_400_000));
        assert_eq!(parse_duration("2s"), Ok(2000));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-3h").is_err());
    }
}
