//! Checks of `Schedule:` files: what the SDK's `Schedule.load_yaml` refuses, and what
//! `Schedule.create` (`ScheduleRecurrence.validate`) refuses later.

use crate::check::{conflicting_keys, invalid_value, missing_key, suspicious_value, unknown_datastore};
use crate::diagnostic::{Diagnostics, Label};
use crate::ir::DatastoreKind;
use crate::lower::{Loader, read_with};
use crate::source::{FileId, Span};
use crate::syntax::common::Scalar;
use crate::syntax::v1::schedule::{Frequency, RECURRENCE_KEYS, Recurrence, Schedule, ScheduleFile};
use crate::yaml::Node;

/// Reads and checks a schedule file.
pub fn check_schedule(loader: &mut dyn Loader, file: FileId, node: &Node) {
    // Read from the node itself, so a malformed value elsewhere does not hide it.
    let mut sink = Diagnostics::new();
    absent_recurrence_keys(file, node, &mut sink);
    let Some(doc) = read_with::<ScheduleFile>(loader, file, node, super::READ) else {
        loader.report(sink.into_vec());
        return;
    };
    let path = loader.sources().get(file).path.clone();
    let workspace = loader.workspace_for(&path);
    let s = &doc.schedule.value;
    let schedule_key = node.entry("Schedule").map(|(k, _)| k.span).unwrap_or(Span::point(0));
    if let Some(r) = &s.recurrence {
        let key =
            node.get("Schedule").and_then(|n| n.entry("recurrence")).map(|(k, _)| k.span).unwrap_or(r.span);
        recurrence(file, key, &r.value, &mut sink);
    }
    datastore_schedule(file, schedule_key, s, &mut sink);
    if let Some(ds) = &s.datastore_name {
        match workspace.datastore(&ds.value) {
            None if workspace.file.is_some() => sink.push(
                unknown_datastore::RULE
                    .at(file, ds.span, format!("datastore `{}` is not declared in the workspace", ds.value))
                    .with_help_opt(crate::suggest::did_you_mean(
                        &ds.value,
                        workspace.datastores.iter().map(|d| d.name.as_str()),
                    )),
            ),
            Some(d) if workspace.file.is_some() && d.kind != DatastoreKind::AzureBlob => {
                sink.push(invalid_value::RULE.at(
                    file,
                    ds.span,
                    format!(
                        "datastore `{}` is of type {}; a schedule watches an Azure Blob datastore",
                        ds.value,
                        d.kind.as_str()
                    ),
                ))
            }
            _ => {}
        }
    }
    if let Some(c) = &s.continue_on_step_failure {
        match &c.value {
            Scalar::Bool(_) => {}
            Scalar::Str(t) if t == "None" => sink.push(
                suspicious_value::RULE
                    .at(
                        file,
                        c.span,
                        "`None` is text in YAML, not Python's None: the service gets the text `None`",
                    )
                    .with_help(
                        "write `~` (or leave the key out) to keep the pipeline's setting, or `true`/`false`",
                    ),
            ),
            other => sink.push(invalid_value::RULE.at(
                file,
                c.span,
                format!(
                    "`continue_on_step_failure` is `{}`; expected `true`, `false` or `~`",
                    other.to_text()
                ),
            )),
        }
    }
    loader.report(sink.into_vec());
}

/// The recurrence keys left out: the SDK reads each of the eight with `[]`, so one left out
/// fails the load.
fn absent_recurrence_keys(file: FileId, node: &Node, sink: &mut Diagnostics) {
    let Some((key, rec)) = node.get("Schedule").and_then(|n| n.entry("recurrence")) else { return };
    if !matches!(rec.value, crate::yaml::Value::Map(_)) {
        return; // A recurrence of the wrong kind is the typed read's to report.
    }
    let absent: Vec<&str> = RECURRENCE_KEYS.iter().copied().filter(|k| rec.get(k).is_none()).collect();
    if let Some(first) = absent.first() {
        let listed = absent.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        sink.push(
            missing_key::RULE
                .at(file, key.span, format!("the recurrence leaves out {listed}"))
                .with_help(format!(
                    "the SDK reads all eight recurrence keys: write each, `~` where it is not used (first missing: `{first}: ~`)"
                )),
        );
    }
}

/// The checks of `ScheduleRecurrence` (at load) and its `validate` (at create).
fn recurrence(file: FileId, key: Span, r: &Recurrence, sink: &mut Diagnostics) {
    let bad = |span: Span, message: String| invalid_value::RULE.at(file, span, message);
    let Some(frequency) = &r.frequency else {
        sink.push(
            missing_key::RULE
                .at(file, key, "the recurrence has no `frequency`")
                .with_help("give `Minute`, `Hour`, `Day`, `Week` or `Month`"),
        );
        return;
    };
    match &r.interval {
        None => sink.push(
            missing_key::RULE
                .at(file, key, "the recurrence has no `interval`")
                .with_help("give how many units between runs, e.g. `interval: 1`"),
        ),
        Some(i) if i.value < 1 => {
            sink.push(bad(i.span, format!("`interval` is {}; it must be 1 or more", i.value)))
        }
        Some(_) => {}
    }
    if let Some(t) = &r.start_time
        && !start_time_ok(&t.value.0)
    {
        sink.push(
            bad(t.span, format!("`start_time` `{}` is not `YYYY-MM-DDThh:mm:ss`", t.value.0)).with_help(
                "write the time without a zone (the SDK refuses one) and give the zone as `time_zone`",
            ),
        );
    }
    let day_or_week = matches!(frequency.value, Frequency::Day | Frequency::Week);
    if let Some(t) = &r.time_of_day {
        if r.hours.is_some() || r.minutes.is_some() {
            sink.push(
                conflicting_keys::RULE
                    .at(file, t.span, "`time_of_day` with `hours` or `minutes`")
                    .with_help("give `time_of_day`, or `hours` and `minutes`"),
            );
        }
        match parse_time_of_day(&t.value) {
            Some((h, m)) if h <= 23 && m <= 59 => {}
            Some(_) => sink.push(bad(
                t.span,
                format!("`time_of_day` `{}` is not a time of day (hours 0-23, minutes 0-59)", t.value),
            )),
            None => sink.push(bad(t.span, format!("`time_of_day` `{}` is not `hh:mm`", t.value))),
        }
    }
    for (k, list, max) in [("hours", &r.hours, 23), ("minutes", &r.minutes, 59)] {
        let Some(list) = list else { continue };
        if !day_or_week && let Some(first) = list.first() {
            sink.push(
                bad(
                    first.span,
                    format!("`{k}` apply to a `Day` or `Week` frequency, not `{:?}`", frequency.value),
                )
                .with_label(Label::with_message(
                    file,
                    frequency.span,
                    "frequency given here",
                )),
            );
        }
        for v in list.iter().filter(|v| !(0..=max).contains(&v.value)) {
            sink.push(bad(v.span, format!("{} is not one of the {k} (0-{max})", v.value)));
        }
    }
    if let Some(days) = &r.week_days
        && frequency.value != Frequency::Week
        && let Some(first) = days.first()
    {
        sink.push(
            bad(first.span, format!("`week_days` apply to a `Week` frequency, not `{:?}`", frequency.value))
                .with_label(Label::with_message(file, frequency.span, "frequency given here")),
        );
    }
}

/// The rules of a datastore-triggered schedule.
fn datastore_schedule(file: FileId, key: Span, s: &Schedule, sink: &mut Diagnostics) {
    match (&s.recurrence, &s.datastore_name) {
        (Some(r), Some(d)) => sink.push(
            conflicting_keys::RULE
                .at(file, d.span, "a schedule runs on a `recurrence` or when a datastore changes, not both")
                .with_label(Label::with_message(file, r.span, "recurrence given here")),
        ),
        (None, None) => sink.push(
            missing_key::RULE
                .at(file, key, "the schedule has neither a `recurrence` nor a `datastore_name`")
                .with_help(
                    "give `recurrence:` to run on a timetable, or `datastore_name:` to run when blobs change",
                ),
        ),
        _ => {}
    }
    if s.datastore_name.is_none() {
        for (k, v) in [
            ("data_path_parameter_name", s.data_path_parameter_name.as_ref().map(|v| v.span)),
            ("path_on_datastore", s.path_on_datastore.as_ref().map(|v| v.span)),
            ("polling_interval", s.polling_interval.as_ref().map(|v| v.span)),
        ] {
            if let Some(at) = v {
                sink.push(
                    conflicting_keys::RULE
                        .at(file, at, format!("`{k}` applies only to a schedule with `datastore_name`"))
                        .with_help(format!("remove `{k}`, or give `datastore_name:`")),
                );
            }
        }
    }
    if let Some(p) = &s.polling_interval
        && p.value < 0
    {
        sink.push(invalid_value::RULE.at(
            file,
            p.span,
            format!("`polling_interval` is {}; it must be 0 or more minutes", p.value),
        ));
    }
}

/// `hh:mm` (one or two hour digits) as the SDK's pattern `[0-9]{1,2}:[0-9]{2}$` reads it.
fn parse_time_of_day(t: &str) -> Option<(u32, u32)> {
    let (h, m) = t.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    (digits(h) && h.len() <= 2 && digits(m) && m.len() == 2)
        .then(|| Some((h.parse().ok()?, m.parse().ok()?)))?
}

/// `YYYY-MM-DDThh:mm:ss` (a space instead of `T` too, fractions allowed, and a `Z` or `±hh:mm`
/// offset, which the SDK's YAML reader turns into UTC), or a date alone.
fn start_time_ok(t: &str) -> bool {
    let b = t.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let date =
        (0..4).all(d) && b.get(4) == Some(&b'-') && d(5) && d(6) && b.get(7) == Some(&b'-') && d(8) && d(9);
    if date && b.len() == 10 {
        return true;
    }
    let time = matches!(b.get(10), Some(b'T' | b't' | b' '))
        && d(11)
        && d(12)
        && b.get(13) == Some(&b':')
        && d(14)
        && d(15)
        && b.get(16) == Some(&b':')
        && d(17)
        && d(18);
    if !(date && time) {
        return false;
    }
    let mut rest = &t[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    let offset = |o: &str| {
        let o = o.as_bytes();
        o.len() == 5
            && o[0].is_ascii_digit()
            && o[1].is_ascii_digit()
            && o[2] == b':'
            && o[3].is_ascii_digit()
            && o[4].is_ascii_digit()
    };
    match rest.as_bytes().first() {
        None => true,
        Some(b'Z' | b'z') => rest.len() == 1,
        Some(b'+' | b'-') => offset(&rest[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time_of_day("9:30"), Some((9, 30)));
        assert_eq!(parse_time_of_day("25:99"), Some((25, 99)));
        assert_eq!(parse_time_of_day("9:3"), None);
        assert!(start_time_ok("2019-06-07T10:50:00"));
        assert!(start_time_ok("2019-06-07"));
        assert!(start_time_ok("2019-06-07T10:50:00Z"));
        assert!(start_time_ok("2019-06-07T10:50:00.5+01:00"));
        assert!(!start_time_ok("2019-06-07T10:50:00+1"));
        assert!(!start_time_ok("2019-06-07T10:50"));
        assert!(!start_time_ok("next week"));
    }
}
