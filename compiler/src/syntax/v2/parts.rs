//! The pieces jobs and components share: environment, resources, distribution, identity,
//! services, limits, sweep settings, parallel tasks and Spark entries.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::value::{Bindable, Json};
use crate::syntax::common::Scalar;
use crate::yaml::{Map, Spanned};

pub use super::environment::{
    BuildContext, Environment, INLINE_ENVIRONMENT_FIELDS, InlineEnvironment, PathOrInline,
};

/// Machines a job runs on.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Number of nodes.
    pub instance_count: Option<Bindable<i64>>,
    /// VM size (Spark: `standard_e4s_v3` ... `standard_e64s_v3`).
    pub instance_type: Option<Spanned<String>>,
    /// Spark runtime version (serverless Spark).
    pub runtime_version: Option<Spanned<Scalar>>,
    /// Upper bound of nodes for elastic training.
    pub max_instance_count: Option<Bindable<i64>>,
    /// Shared memory of the container (`<number><unit>`, e.g. `2g`).
    pub shm_size: Option<Spanned<String>>,
    /// Extra arguments of `docker run`.
    pub docker_args: Option<Json>,
    /// Regions the job may run in.
    pub locations: Option<Vec<String>>,
    /// More settings passed to the compute.
    #[serde(default)]
    pub properties: Map<Json>,
}

/// How a job is spread over processes and nodes.
// `type` in any case, as azure-ai-ml reads it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename = "$sluice::case=lower")]
#[schemars(rename = "Distribution", tag = "type")]
pub enum Distribution {
    /// MPI.
    #[serde(rename = "mpi")]
    Mpi(MpiDistribution),
    /// PyTorch distributed.
    #[serde(rename = "pytorch")]
    Pytorch(MpiDistribution),
    /// TensorFlow parameter servers and workers.
    #[serde(rename = "tensorflow")]
    Tensorflow(TensorflowDistribution),
    /// Ray (preview).
    #[serde(rename = "ray")]
    Ray(RayDistribution),
}

/// MPI and PyTorch distribution.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MpiDistribution {
    /// Processes on each node.
    pub process_count_per_instance: Option<Bindable<i64>>,
}

/// TensorFlow distribution.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TensorflowDistribution {
    /// Parameter servers.
    pub parameter_server_count: Option<Bindable<i64>>,
    /// Workers.
    pub worker_count: Option<Bindable<i64>>,
}

/// Ray distribution.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RayDistribution {
    /// Port of the head node.
    pub port: Option<Bindable<i64>>,
    /// Address of an existing cluster.
    pub address: Option<String>,
    /// Start the dashboard.
    pub include_dashboard: Option<Bindable<bool>>,
    /// Port of the dashboard.
    pub dashboard_port: Option<Bindable<i64>>,
    /// Extra arguments of the head node.
    pub head_node_additional_args: Option<String>,
    /// Extra arguments of worker nodes.
    pub worker_node_additional_args: Option<String>,
}

/// The identity a job acts as towards data and other services.
// `type` in snake_case or CamelCase: azure-ai-ml reads it through `camel_to_snake`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename = "$sluice::case=snake")]
#[schemars(rename = "Identity", tag = "type")]
pub enum Identity {
    /// A managed identity of the compute.
    #[serde(rename = "managed")]
    Managed(ManagedIdentity),
    /// A managed identity (the REST spelling).
    #[serde(rename = "managed_identity")]
    ManagedIdentity(ManagedIdentity),
    /// The workspace's AML token.
    #[serde(rename = "aml_token")]
    AmlToken(NoFields),
    /// The submitting user's identity.
    #[serde(rename = "user_identity")]
    UserIdentity(NoFields),
}

/// A managed identity, optionally a user-assigned one.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagedIdentity {
    /// Client id of a user-assigned identity.
    pub client_id: Option<String>,
    /// Object id of a user-assigned identity.
    pub object_id: Option<String>,
    /// Resource id of a user-assigned identity.
    pub msi_resource_id: Option<String>,
}

/// A variant with no keys besides `type`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// An interactive service of a job (Jupyter, VS Code, TensorBoard, SSH).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// `jupyter_lab`, `vs_code`, `tensor_board`, `ssh`, or a custom service.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Port.
    pub port: Option<i64>,
    /// Nodes to run on (`all`).
    pub nodes: Option<String>,
    /// TensorBoard log folder.
    pub log_dir: Option<String>,
    /// SSH public keys.
    pub ssh_public_keys: Option<String>,
    /// More settings.
    #[serde(default)]
    pub properties: Map<Json>,
}

/// Limits of a command job.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandLimits {
    /// Seconds before the job is cancelled.
    pub timeout: Option<Bindable<i64>>,
}

/// Limits of a sweep.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepLimits {
    /// Trials in all.
    pub max_total_trials: Option<Bindable<i64>>,
    /// Trials at once.
    pub max_concurrent_trials: Option<Bindable<i64>>,
    /// Seconds before the sweep is cancelled.
    pub timeout: Option<Bindable<i64>>,
    /// Seconds before a trial is cancelled.
    pub trial_timeout: Option<Bindable<i64>>,
}

/// Limits of a `do_while` loop.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoWhileLimits {
    /// Iterations at most (1 to 1000).
    pub max_iteration_count: Spanned<Bindable<i64>>,
}

/// Where a job waits in the queue.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSettings {
    /// `spot`, `basic`, `standard`, `premium` or `null`.
    pub job_tier: Option<String>,
    /// `low`, `medium` or `high`.
    pub priority: Option<String>,
}

/// How a sweep picks trial values: a name, or settings.
#[derive(Debug, Clone)]
pub enum SamplingAlgorithm {
    /// `random`, `grid` or `bayesian`.
    Name(String),
    /// `{type: random, seed: 1, rule: sobol}` and the like.
    Settings(SamplingSettings),
}

/// Sampling settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SamplingSettings {
    /// `random`, `grid` or `bayesian`.
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    /// Random seed (random).
    pub seed: Option<i64>,
    /// Base of logarithmic sampling (random).
    pub logbase: Option<Json>,
    /// `random` or `sobol` (random).
    pub rule: Option<String>,
}

impl<'de> Deserialize<'de> for SamplingAlgorithm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SamplingAlgorithm;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`random`, `grid`, `bayesian`, or a mapping with `type`")
            }
            fn visit_str<E>(self, v: &str) -> Result<SamplingAlgorithm, E> {
                Ok(SamplingAlgorithm::Name(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SamplingAlgorithm, A::Error> {
                SamplingSettings::deserialize(MapAccessDeserializer::new(map))
                    .map(SamplingAlgorithm::Settings)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for SamplingAlgorithm {
    fn schema_name() -> Cow<'static, str> {
        "SamplingAlgorithm".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let settings = generator.subschema_for::<SamplingSettings>();
        json_schema!({
            "description": "How trial values are picked.",
            "anyOf": [{"type": "string", "enum": ["random", "grid", "bayesian"]}, settings]
        })
    }
}

/// One swept parameter and the distribution its values are drawn from.
// `type` in any case, as azure-ai-ml reads it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename = "$sluice::case=lower")]
#[schemars(rename = "SearchSpace", tag = "type")]
pub enum SearchSpace {
    /// One of `values`.
    #[serde(rename = "choice")]
    Choice(Choice),
    /// Uniform between `min_value` and `max_value`.
    #[serde(rename = "uniform")]
    Uniform(Range),
    /// Log-uniform between `min_value` and `max_value`.
    #[serde(rename = "loguniform")]
    LogUniform(Range),
    /// Uniform, rounded to multiples of `q`.
    #[serde(rename = "quniform")]
    QUniform(QRange),
    /// Log-uniform, rounded to multiples of `q`.
    #[serde(rename = "qloguniform")]
    QLogUniform(QRange),
    /// Normal with mean `mu` and deviation `sigma`.
    #[serde(rename = "normal")]
    Normal(Gauss),
    /// Log-normal.
    #[serde(rename = "lognormal")]
    LogNormal(Gauss),
    /// Normal, rounded to multiples of `q`.
    #[serde(rename = "qnormal")]
    QNormal(QGauss),
    /// Log-normal, rounded to multiples of `q`.
    #[serde(rename = "qlognormal")]
    QLogNormal(QGauss),
    /// An integer from 0 up to (not including) `upper`.
    #[serde(rename = "randint")]
    RandInt(RandInt),
}

/// Choice values.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The values.
    pub values: Vec<Json>,
}

/// A range.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Lower bound.
    pub min_value: Spanned<f64>,
    /// Upper bound.
    pub max_value: Spanned<f64>,
}

/// A quantized range.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QRange {
    /// Lower bound.
    pub min_value: Spanned<f64>,
    /// Upper bound.
    pub max_value: Spanned<f64>,
    /// Step.
    pub q: f64,
}

/// A normal distribution.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gauss {
    /// Mean.
    pub mu: f64,
    /// Standard deviation.
    pub sigma: f64,
}

/// A quantized normal distribution.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QGauss {
    /// Mean.
    pub mu: f64,
    /// Standard deviation.
    pub sigma: f64,
    /// Step.
    pub q: f64,
}

/// A random integer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandInt {
    /// Upper bound (excluded).
    pub upper: i64,
}

/// The metric a sweep optimises.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// `minimize` or `maximize`.
    pub goal: Spanned<Goal>,
    /// Metric the trials log.
    pub primary_metric: Spanned<String>,
}

/// Direction of optimisation.
// Through `camel_to_snake`, as azure-ai-ml reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename = "$sluice::case=snake", rename_all = "snake_case")]
#[schemars(rename = "Goal")]
pub enum Goal {
    /// Smaller is better.
    Minimize,
    /// Larger is better.
    Maximize,
}

/// When a sweep stops poor trials early.
// `type` through `camel_to_snake`, as azure-ai-ml reads it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename = "$sluice::case=snake")]
#[schemars(rename = "EarlyTermination", tag = "type")]
pub enum EarlyTermination {
    /// Stop trials whose metric falls behind the best by a slack.
    #[serde(rename = "bandit")]
    Bandit(Bandit),
    /// Stop trials below the median of running averages.
    #[serde(rename = "median_stopping")]
    MedianStopping(Interval),
    /// Stop the worst percentage of trials at each interval.
    #[serde(rename = "truncation_selection")]
    TruncationSelection(Truncation),
}

/// Bandit policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bandit {
    /// Allowed slack as a ratio.
    pub slack_factor: Option<f64>,
    /// Allowed slack as an amount.
    pub slack_amount: Option<f64>,
    /// Evaluate every this many intervals.
    pub evaluation_interval: Option<i64>,
    /// Intervals to wait before the first evaluation.
    pub delay_evaluation: Option<i64>,
}

/// Median stopping policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    /// Evaluate every this many intervals.
    pub evaluation_interval: Option<i64>,
    /// Intervals to wait before the first evaluation.
    pub delay_evaluation: Option<i64>,
}

/// Truncation selection policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Truncation {
    /// Percentage of trials stopped at each evaluation.
    pub truncation_percentage: i64,
    /// Evaluate every this many intervals.
    pub evaluation_interval: Option<i64>,
    /// Intervals to wait before the first evaluation.
    pub delay_evaluation: Option<i64>,
}

/// What a parallel job runs on each mini-batch.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParallelTask {
    /// `run_function`, `function` or `model`.
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    /// Folder holding the entry script, relative to the file.
    pub code: Option<Spanned<String>>,
    /// Script with `init()` and `run(mini_batch)`, relative to `code`.
    pub entry_script: Option<Spanned<String>>,
    /// Arguments of the entry script (may hold `${{inputs.x}}` placeholders).
    pub program_arguments: Option<Spanned<String>>,
    /// Arguments of the entry script (older spelling of `program_arguments`).
    pub args: Option<Spanned<String>>,
    /// Model (`model` tasks).
    pub model: Option<String>,
    /// Output that rows returned by `run()` are appended to (`${{outputs.x}}`).
    pub append_row_to: Option<Spanned<String>>,
    /// Environment the task runs in.
    pub environment: Option<Spanned<Environment>>,
}

/// How failed mini-batches are retried.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrySettings {
    /// Retries of a failed mini-batch.
    pub max_retries: Option<Bindable<i64>>,
    /// Seconds a mini-batch may take.
    pub timeout: Option<Bindable<i64>>,
}

/// What a Spark job starts: a Python file or a JVM class.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SparkEntry {
    /// Python file, relative to `code`.
    pub file: Option<Spanned<String>>,
    /// Main class of a JAR.
    pub class_name: Option<Spanned<String>>,
}
