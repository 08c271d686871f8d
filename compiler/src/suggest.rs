//! "Did you mean" suggestions from edit distance.

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn closest<'a, I, S>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    let lower = name.to_lowercase();
    let lower_chars = lower.chars().count();
    let limit = (name.chars().count().max(3) / 3).max(1);
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        let c = c.as_ref();
        if c == name {
            continue;
        }
        let cl = c.to_lowercase();
        // A case-only difference is always a typo worth naming.
        let score = if cl == lower { 1.0 } else { strsim::jaro_winkler(&lower, &cl) };
        // The edit distance is at least the difference in length: most candidates are ruled out
        // without computing it (it costs a table per pair, and a file can hold a million keys).
        let close = score >= 0.85
            || (lower_chars.abs_diff(cl.chars().count()) <= limit
                && !letters_differ_by_more_than(&lower, &cl, limit)
                && strsim::damerau_levenshtein(&lower, &cl) <= limit);
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// True when ASCII `a` and `b` cannot be within `limit` edits: an edit changes at most two
/// letters of the count of each letter (a substitution takes one and adds one), a transposition
/// none. Non-ASCII text is never ruled out here.
fn letters_differ_by_more_than(a: &str, b: &str, limit: usize) -> bool {
    if !a.is_ascii() || !b.is_ascii() {
        return false;
    }
    let mut counts = [0i32; 128];
    a.bytes().for_each(|c| counts[usize::from(c)] += 1);
    b.bytes().for_each(|c| counts[usize::from(c)] -= 1);
    let differ: u32 = counts.iter().map(|n| n.unsigned_abs()).sum();
    differ as usize > 2 * limit
}

/// A help line "did you mean `x`?" when a close candidate exists.
pub fn did_you_mean<'a, I, S>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// "a" or "an" for a word, by its first letter.
pub fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// Lists names for a help line: "`a`, `b` or `c`", at most `max` of them.
pub fn list_names<S: AsRef<str>>(names: &[S], max: usize) -> String {
    let shown: Vec<String> = names.iter().take(max).map(|n| format!("`{}`", n.as_ref())).collect();
    let more = names.len().saturating_sub(max);
    match (shown.len(), more) {
        (0, _) => "none".to_string(),
        (1, 0) => shown[0].clone(),
        (_, 0) => {
            let (last, rest) = shown.split_last().map(|(l, r)| (l.clone(), r.join(", "))).unwrap_or_default();
            format!("{rest} or {last}")
        }
        _ => format!("{} and {more} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos() {
        let names = ["script_name", "source_directory", "arguments"];
        assert_eq!(closest("scrpt_name", &names), Some("script_name"));
        assert_eq!(closest("argments", &names), Some("arguments"));
        assert_eq!(closest("Arguments", &names), Some("arguments"));
        assert_eq!(closest("zzz", &names), None);
    }

    #[test]
    fn the_letter_count_bound_never_rules_out_a_close_name() {
        // Each pair is within its edit distance of the bound; the bound must let it through.
        for (a, b) in [("ab", "ba"), ("abc", "abd"), ("abc", "ab"), ("abcd", "badc"), ("k1", "name")] {
            let d = strsim::damerau_levenshtein(a, b);
            assert!(!letters_differ_by_more_than(a, b, d), "{a} {b}");
        }
        assert!(letters_differ_by_more_than("k12345", "inputs", 2));
    }

    #[test]
    fn lists_names() {
        assert_eq!(list_names(&["a"], 5), "`a`");
        assert_eq!(list_names(&["a", "b", "c"], 5), "`a`, `b` or `c`");
        assert_eq!(list_names(&["a", "b", "c"], 2), "`a`, `b` and 1 more");
    }
}
