//! `Schedule:` files (`Schedule.load_yaml`): when a published pipeline runs, on a recurrence or
//! when blobs change on a datastore. sluice reads and checks them; the workspace service will run
//! them (DESIGN section 8).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

use crate::syntax::common::Scalar;
use crate::yaml::{Map, Spanned};

/// A schedule file: its root holds one `Schedule` key.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Azure ML SDK v1 pipeline schedule (sluice)", rename = "ScheduleFileV1")]
pub struct ScheduleFile {
    /// Editor schema reference; ignored.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// The schedule.
    #[serde(rename = "Schedule")]
    pub schedule: Spanned<Schedule>,
}

/// A schedule: a recurrence, or a datastore to watch.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// What the schedule is for.
    pub description: Option<Spanned<String>>,
    /// When the pipeline runs, for a recurring schedule (not with `datastore_name`).
    pub recurrence: Option<Spanned<Recurrence>>,
    /// Values of the pipeline's parameters for the runs.
    #[serde(default)]
    pub pipeline_parameters: Map<Scalar>,
    /// Wait until the schedule is provisioned.
    pub wait_for_provisioning: Option<Spanned<bool>>,
    /// Seconds to wait for provisioning (default 3600).
    pub wait_timeout: Option<Spanned<i64>>,
    /// The datastore to watch for added or changed blobs (an Azure Blob datastore), for a
    /// datastore-triggered schedule.
    pub datastore_name: Option<Spanned<String>>,
    /// Minutes between polls of the datastore (default 5).
    pub polling_interval: Option<Spanned<i64>>,
    /// The `datapath` pipeline parameter set to the changed blob's path.
    pub data_path_parameter_name: Option<Spanned<String>>,
    /// Go on with other steps after a step fails (overrides the pipeline's setting).
    pub continue_on_step_failure: Option<Spanned<Scalar>>,
    /// The folder of the datastore to watch (default: its container).
    pub path_on_datastore: Option<Spanned<String>>,
}

/// When a recurring schedule runs. The SDK reads every key, so each must be written (`~` when
/// not used).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// The unit of time.
    pub frequency: Option<Spanned<Frequency>>,
    /// How many units between runs (1 or more).
    pub interval: Option<Spanned<i64>>,
    /// When the first run may start: `YYYY-MM-DDThh:mm:ss`, in `time_zone` (or with an offset,
    /// which the SDK turns into UTC).
    pub start_time: Option<Spanned<StartTime>>,
    /// The time zone of `start_time` (default UTC).
    pub time_zone: Option<Spanned<TimeZone>>,
    /// Hours of the day (0-23) to run at, with `frequency` `Day` or `Week`.
    pub hours: Option<Vec<Spanned<i64>>>,
    /// Minutes of the hour (0-59) to run at, with `frequency` `Day` or `Week`.
    pub minutes: Option<Vec<Spanned<i64>>>,
    /// Time of day `hh:mm` to run at, with `frequency` `Day` or `Week`; not with `hours` or
    /// `minutes`.
    pub time_of_day: Option<Spanned<String>>,
    /// Days of the week to run on, with `frequency` `Week`.
    pub week_days: Option<Vec<Spanned<WeekDay>>>,
}

/// A start time as written: the SDK's reader takes it for a time stamp, which is what it wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartTime(pub String);

impl<'de> Deserialize<'de> for StartTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StartTime;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a date and time, `YYYY-MM-DDThh:mm:ss`")
            }
            fn visit_str<E>(self, v: &str) -> Result<StartTime, E> {
                Ok(StartTime(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for StartTime {
    fn schema_name() -> Cow<'static, str> {
        "StartTime".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"description": "A date and time, `YYYY-MM-DDThh:mm:ss`.", "type": "string"})
    }
}

/// The keys of a recurrence, in the order the SDK reads them.
pub const RECURRENCE_KEYS: [&str; 8] =
    ["time_zone", "frequency", "interval", "start_time", "hours", "minutes", "time_of_day", "week_days"];

/// The unit of a recurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Frequency {
    /// Every `interval` minutes.
    Minute,
    /// Every `interval` hours.
    Hour,
    /// Every `interval` days.
    Day,
    /// Every `interval` weeks.
    Week,
    /// Every `interval` months.
    Month,
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum WeekDay {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

/// A time zone as the SDK's `TimeZone` enum names it (`UTC`, `Pacific Standard Time`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZone(pub String);

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if TIME_ZONES.contains(&s.as_str()) {
            Ok(TimeZone(s))
        } else {
            Err(serde::de::Error::unknown_variant(&s, &TIME_ZONES))
        }
    }
}

impl JsonSchema for TimeZone {
    fn schema_name() -> Cow<'static, str> {
        "TimeZone".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"description": "A time zone as the SDK's TimeZone names it.", "enum": TIME_ZONES.to_vec()})
    }
}

/// The values of the SDK's `TimeZone` enum (azureml-pipeline-core 1.62.0).
pub const TIME_ZONES: [&str; 131] = [
    "Dateline Standard Time",
    "UTC-11",
    "Aleutian Standard Time",
    "Hawaiian Standard Time",
    "Marquesas Standard Time",
    "Alaskan Standard Time",
    "UTC-09",
    "Pacific Standard Time (Mexico)",
    "UTC-08",
    "Pacific Standard Time",
    "US Mountain Standard Time",
    "Mountain Standard Time (Mexico)",
    "Mountain Standard Time",
    "Central America Standard Time",
    "Central Standard Time",
    "Easter Island Standard Time",
    "Central Standard Time (Mexico)",
    "Canada Central Standard Time",
    "SA Pacific Standard Time",
    "Eastern Standard Time (Mexico)",
    "Eastern Standard Time",
    "Haiti Standard Time",
    "Cuba Standard Time",
    "US Eastern Standard Time",
    "Paraguay Standard Time",
    "Atlantic Standard Time",
    "Venezuela Standard Time",
    "Central Brazilian Standard Time",
    "SA Western Standard Time",
    "Pacific SA Standard Time",
    "Turks And Caicos Standard Time",
    "Newfoundland Standard Time",
    "Tocantins Standard Time",
    "E. South America Standard Time",
    "SA Eastern Standard Time",
    "Argentina Standard Time",
    "Greenland Standard Time",
    "Montevideo Standard Time",
    "Saint Pierre Standard Time",
    "Bahia Standard Time",
    "UTC-02",
    "Mid-Atlantic Standard Time",
    "Azores Standard Time",
    "Cape Verde Standard Time",
    "UTC",
    "Morocco Standard Time",
    "GMT Standard Time",
    "Greenwich Standard Time",
    "W. Europe Standard Time",
    "Central Europe Standard Time",
    "Romance Standard Time",
    "Central European Standard Time",
    "W. Central Africa Standard Time",
    "Namibia Standard Time",
    "Jordan Standard Time",
    "GTB Standard Time",
    "Middle East Standard Time",
    "Egypt Standard Time",
    "E. Europe Standard Time",
    "Syria Standard Time",
    "West Bank Standard Time",
    "South Africa Standard Time",
    "FLE Standard Time",
    "Turkey Standard Time",
    "Israel Standard Time",
    "Kaliningrad Standard Time",
    "Libya Standard Time",
    "Arabic Standard Time",
    "Arab Standard Time",
    "Belarus Standard Time",
    "Russian Standard Time",
    "E. Africa Standard Time",
    "Iran Standard Time",
    "Arabian Standard Time",
    "Astrakhan Standard Time",
    "Azerbaijan Standard Time",
    "Russia Time Zone 3",
    "Mauritius Standard Time",
    "Georgian Standard Time",
    "Caucasus Standard Time",
    "Afghanistan Standard Time",
    "West Asia Standard Time",
    "Ekaterinburg Standard Time",
    "Pakistan Standard Time",
    "India Standard Time",
    "Sri Lanka Standard Time",
    "Nepal Standard Time",
    "Central Asia Standard Time",
    "Bangladesh Standard Time",
    "N. Central Asia Standard Time",
    "Myanmar Standard Time",
    "SE Asia Standard Time",
    "Altai Standard Time",
    "W. Mongolia Standard Time",
    "North Asia Standard Time",
    "Tomsk Standard Time",
    "China Standard Time",
    "North Asia East Standard Time",
    "Singapore Standard Time",
    "W. Australia Standard Time",
    "Taipei Standard Time",
    "Ulaanbaatar Standard Time",
    "North Korea Standard Time",
    "Aus Central W. Standard Time",
    "Transbaikal Standard Time",
    "Tokyo Standard Time",
    "Korea Standard Time",
    "Yakutsk Standard Time",
    "Cen. Australia Standard Time",
    "AUS Central Standard Time",
    "E. Australia Standard Time",
    "AUS Eastern Standard Time",
    "West Pacific Standard Time",
    "Tasmania Standard Time",
    "Vladivostok Standard Time",
    "Lord Howe Standard Time",
    "Bougainville Standard Time",
    "Russia Time Zone 10",
    "Magadan Standard Time",
    "Norfolk Standard Time",
    "Sakhalin Standard Time",
    "Central Pacific Standard Time",
    "Russia Time Zone 11",
    "New Zealand Standard Time",
    "UTC+12",
    "Fiji Standard Time",
    "Kamchatka Standard Time",
    "Chatham Islands Standard Time",
    "Tonga Standard Time",
    "Samoa Standard Time",
    "Line Islands Standard Time",
];
