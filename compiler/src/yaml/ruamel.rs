//! How the Azure ML SDK v1 types a plain scalar: it reads YAML with ruamel.yaml in its YAML 1.2
//! round-trip mode, which also makes dates and time stamps (`2024-01-31`), and numbers with `_`
//! (`1_000`), of scalars that sluice's YAML 1.2 reader keeps as text. Where the SDK wants text,
//! such a scalar fails (`name: 2024-01-31`, a date as an argument), so v1 files are checked
//! against these rules.

/// What ruamel makes of a plain scalar that sluice reads as text, when it is not text: `"a date"`,
/// `"a time stamp"` or `"a number"`.
pub fn non_text(plain: &str) -> Option<&'static str> {
    if is_date(plain) {
        return Some("a date");
    }
    if is_timestamp(plain) {
        return Some("a time stamp");
    }
    (is_int(plain) || is_float(plain)).then_some("a number")
}

fn digits(s: &str, min: usize, max: usize) -> Option<&str> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    (n >= min).then(|| &s[n..])
}

/// `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// `YYYY-M-DThh:mm:ss[.f][ ][Z|±h[:mm]]` (also with spaces instead of `T`).
fn is_timestamp(s: &str) -> bool {
    let parse = || -> Option<()> {
        let s = digits(s, 4, 4)?.strip_prefix('-')?;
        let s = digits(s, 1, 2)?.strip_prefix('-')?;
        let s = digits(s, 1, 2)?;
        let s = match s.strip_prefix(['T', 't']) {
            Some(rest) => rest,
            None => {
                let rest = s.trim_start_matches([' ', '\t']);
                (rest.len() < s.len()).then_some(rest)?
            }
        };
        let s = digits(s, 1, 2)?.strip_prefix(':')?;
        let s = digits(s, 2, 2)?.strip_prefix(':')?;
        let mut s = digits(s, 2, 2)?;
        if let Some(rest) = s.strip_prefix('.') {
            s = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        let s = s.trim_start_matches([' ', '\t']);
        if s.is_empty() || s == "Z" {
            return Some(());
        }
        let s = digits(s.strip_prefix(['+', '-'])?, 1, 2)?;
        let s = match s.strip_prefix(':') {
            Some(rest) => digits(rest, 2, 2)?,
            None => s,
        };
        s.is_empty().then_some(())
    };
    parse().is_some()
}

fn unsigned(s: &str) -> &str {
    s.strip_prefix(['+', '-']).unwrap_or(s)
}

/// ruamel's YAML 1.2 integers: `0b1_0`, `0o17`, `017`, `1_000`, `0x1F`.
fn is_int(s: &str) -> bool {
    let u = unsigned(s);
    let all = |t: &str, f: fn(char) -> bool| !t.is_empty() && t.chars().all(|c| c == '_' || f(c));
    if let Some(rest) = u.strip_prefix("0b") {
        return all(rest, |c| c == '0' || c == '1');
    }
    if let Some(rest) = u.strip_prefix("0x") {
        return all(rest, |c| c.is_ascii_hexdigit());
    }
    if let Some(rest) = u.strip_prefix("0o") {
        return all(rest, |c| ('0'..='7').contains(&c));
    }
    all(u, |c| c.is_ascii_digit()) && u.chars().any(|c| c.is_ascii_digit())
}

/// ruamel's YAML 1.2 floats: `1.5`, `1_000.5`, `1e3`, `.5`, `.inf`, `.nan`.
fn is_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") || matches!(unsigned(s), ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let u = unsigned(s);
    let (mantissa, exponent) = match u.find(['e', 'E']) {
        Some(i) => (&u[..i], Some(&u[i + 1..])),
        None => (u, None),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = unsigned(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    let body_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            let int_ok = int.is_empty() || int.starts_with(|c: char| c.is_ascii_digit());
            int_ok
                && int.chars().all(|c| c.is_ascii_digit() || c == '_')
                && frac.chars().all(|c| c.is_ascii_digit() || c == '_')
                && (!int.is_empty() || !frac.is_empty())
        }
        None => {
            exponent.is_some()
                && mantissa.starts_with(|c: char| c.is_ascii_digit())
                && mantissa.chars().all(|c| c.is_ascii_digit() || c == '_')
        }
    };
    body_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_ruamel_does_not_read_as_text() {
        for (s, what) in [
            ("2024-01-01", "a date"),
            ("2024-01-01T10:00:00", "a time stamp"),
            ("2024-1-1 10:00:00.5 +01:00", "a time stamp"),
            ("2024-01-01t10:00:00Z", "a time stamp"),
            ("1_000", "a number"),
            ("0o17", "a number"),
            ("0x1F", "a number"),
            ("1_000.5", "a number"),
            ("1e3", "a number"),
            (".inf", "a number"),
        ] {
            assert_eq!(non_text(s), Some(what), "{s}");
        }
        for s in ["2024-1-1", "1:30", "v1", "--since", "yes", "1.2.3", "2024-01-01x", "e3", "_"] {
            assert_eq!(non_text(s), None, "{s}");
        }
    }
}
