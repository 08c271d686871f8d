//! The jobs of a pipeline, tagged by `type` (a job without `type` is a command job).

use schemars::JsonSchema;
use serde::Deserialize;

use super::components::{
    CommandComponent, ComponentRef, DataTransferComponent, ParallelComponent, SparkComponent,
};
use super::io::{InputValue, OutputValue};
use super::parts::{
    CommandLimits, Distribution, DoWhileLimits, EarlyTermination, Environment, Identity, Objective,
    ParallelTask, QueueSettings, Resources, RetrySettings, SamplingAlgorithm, SearchSpace, Service,
    SparkEntry, SweepLimits,
};
use super::value::{Bindable, Json};
use crate::syntax::common::Scalar;
use crate::yaml::{Map, Spanned};

/// One job of a pipeline.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
// azure-ai-ml lowercases a job's `type` (`Command` is a command job).
#[serde(rename = "$sluice::case=lower;default=command")]
#[schemars(rename = "Job", tag = "type")]
pub enum Job {
    /// Runs a command (a component, or a command written in place).
    #[serde(rename = "command")]
    Command(Box<CommandJob>),
    /// Runs a trial command many times over a search space.
    #[serde(rename = "sweep")]
    Sweep(Box<SweepJob>),
    /// Runs a script over mini-batches of data.
    #[serde(rename = "parallel")]
    Parallel(Box<ParallelJob>),
    /// Runs a Spark application.
    #[serde(rename = "spark")]
    Spark(Box<SparkJob>),
    /// Runs a pipeline component.
    #[serde(rename = "pipeline")]
    Pipeline(Box<PipelineNode>),
    /// Copies, imports or exports data.
    #[serde(rename = "data_transfer")]
    DataTransfer(Box<DataTransferJob>),
    /// Imports data from an external source (deprecated).
    #[serde(rename = "import")]
    Import(Box<ImportJob>),
    /// Trains models with automated ML.
    #[serde(rename = "automl")]
    AutoMl(Box<AutoMlJob>),
    /// Runs a job again while a condition holds.
    #[serde(rename = "do_while")]
    DoWhile(Box<DoWhileJob>),
    /// Runs a job once for each item.
    #[serde(rename = "parallel_for")]
    ParallelFor(Box<ParallelForJob>),
    /// Runs one group of jobs or another.
    #[serde(rename = "if_else")]
    IfElse(Box<IfElseJob>),
}

/// The fields every job kind that runs something has, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct CommonJob<'a> {
    /// Name (the key in `jobs` wins).
    pub name: Option<&'a Spanned<String>>,
    /// Display name.
    pub display_name: Option<&'a Spanned<String>>,
    /// Description.
    pub description: Option<&'a str>,
    /// Tags.
    pub tags: &'a Map<Json>,
    /// Properties.
    pub properties: &'a Map<Json>,
    /// Comment.
    pub comment: Option<&'a str>,
    /// Compute.
    pub compute: Option<&'a Spanned<String>>,
    /// Experiment name.
    pub experiment_name: Option<&'a str>,
}

/// Access to the common fields.
pub trait JobCommon {
    /// The common fields.
    fn common(&self) -> CommonJob<'_>;
}

/// Fields every job kind that runs something has, then the kind's own.
macro_rules! job_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Name (ignored: the key in `jobs` names the job).
            pub name: Option<Spanned<String>>,
            /// Name shown in the studio.
            pub display_name: Option<Spanned<String>>,
            /// What the job does.
            pub description: Option<String>,
            /// Tags.
            #[serde(default)]
            pub tags: Map<Json>,
            /// Properties.
            #[serde(default)]
            pub properties: Map<Json>,
            /// A comment shown in the studio.
            pub comment: Option<String>,
            /// Compute target (default: the pipeline's `settings.default_compute`); may be a
            /// `${{parent.inputs.x}}` binding.
            pub compute: Option<Spanned<String>>,
            /// Experiment name.
            pub experiment_name: Option<String>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl JobCommon for $name {
            fn common(&self) -> CommonJob<'_> {
                CommonJob {
                    name: self.name.as_ref(),
                    display_name: self.display_name.as_ref(),
                    description: self.description.as_deref(),
                    tags: &self.tags,
                    properties: &self.properties,
                    comment: self.comment.as_deref(),
                    compute: self.compute.as_ref(),
                    experiment_name: self.experiment_name.as_deref(),
                }
            }
        }
    };
}

job_struct! {
    /// A command job: a component, or `command`, `environment` and `code` in place.
    CommandJob {
        /// The component to run.
        component: Option<Spanned<ComponentRef<CommandComponent>>>,
        /// Inputs: literals, bindings or data.
        #[serde(default)]
        inputs: Map<Spanned<InputValue>>,
        /// Outputs: nothing, a pipeline output binding, or settings.
        #[serde(default)]
        outputs: Map<Spanned<OutputValue>>,
        /// The command (a job written in place).
        command: Option<Spanned<String>>,
        /// Folder uploaded with the job, relative to this file (a job written in place).
        code: Option<Spanned<String>>,
        /// Environment (a job written in place).
        environment: Option<Spanned<Environment>>,
        /// Environment variables.
        #[serde(default)]
        environment_variables: Map<Spanned<Scalar>>,
        /// Machines.
        resources: Option<Resources>,
        /// Distributed training settings.
        distribution: Option<Distribution>,
        /// Time limit.
        limits: Option<CommandLimits>,
        /// Identity towards data and services.
        identity: Option<Identity>,
        /// Interactive services.
        #[serde(default)]
        services: Map<Service>,
        /// Queue settings.
        queue_settings: Option<QueueSettings>,
        /// Parent job name.
        parent_job_name: Option<String>,
    }
}

job_struct! {
    /// A sweep: a trial command run over a search space.
    SweepJob {
        /// The trial component.
        trial: Spanned<ComponentRef<CommandComponent>>,
        /// Inputs of the trial that are not swept.
        #[serde(default)]
        inputs: Map<Spanned<InputValue>>,
        /// Outputs of the best trial.
        #[serde(default)]
        outputs: Map<Spanned<OutputValue>>,
        /// How trial values are picked.
        sampling_algorithm: Option<Spanned<SamplingAlgorithm>>,
        /// The swept inputs and their distributions.
        #[serde(default)]
        search_space: Map<Spanned<SearchSpace>>,
        /// The metric to optimise.
        objective: Objective,
        /// When poor trials stop early.
        early_termination: Option<EarlyTermination>,
        /// Trial and time limits.
        limits: SweepLimits,
        /// Queue settings.
        queue_settings: Option<QueueSettings>,
        /// Machines.
        resources: Option<Resources>,
    }
}

job_struct! {
    /// A parallel job: a component, or a `task` in place.
    ParallelJob {
        /// The component to run.
        component: Option<Spanned<ComponentRef<ParallelComponent>>>,
        /// Inputs.
        #[serde(default)]
        inputs: Map<Spanned<InputValue>>,
        /// Outputs.
        #[serde(default)]
        outputs: Map<Spanned<OutputValue>>,
        /// What runs on each mini-batch.
        task: Option<ParallelTask>,
        /// Files (e.g. `10`) or bytes (e.g. `100kb`) per mini-batch.
        mini_batch_size: Option<Spanned<Scalar>>,
        /// Columns that split tabular input into mini-batches.
        partition_keys: Option<Vec<String>>,
        /// The input split into mini-batches (`${{inputs.x}}`).
        input_data: Option<Spanned<String>>,
        /// Machines.
        resources: Option<Resources>,
        /// Retries.
        retry_settings: Option<RetrySettings>,
        /// Processes on each node.
        max_concurrency_per_instance: Option<Bindable<i64>>,
        /// Failed items tolerated (-1: no limit).
        error_threshold: Option<Bindable<i64>>,
        /// Failed mini-batches tolerated (-1: no limit).
        mini_batch_error_threshold: Option<Bindable<i64>>,
        /// `DEBUG`, `INFO` or `WARNING`.
        logging_level: Option<Spanned<String>>,
        /// Environment variables.
        #[serde(default)]
        environment_variables: Map<Spanned<Scalar>>,
        /// Identity towards data and services.
        identity: Option<Identity>,
        /// Environment.
        environment: Option<Spanned<Environment>>,
    }
}

job_struct! {
    /// A Spark job: a component, or `code` and `entry` in place.
    SparkJob {
        /// The component to run.
        component: Option<Spanned<ComponentRef<SparkComponent>>>,
        /// Inputs.
        #[serde(default)]
        inputs: Map<Spanned<InputValue>>,
        /// Outputs.
        #[serde(default)]
        outputs: Map<Spanned<OutputValue>>,
        /// Folder uploaded with the job, relative to this file.
        code: Option<Spanned<String>>,
        /// What the application starts.
        entry: Option<SparkEntry>,
        /// Python files on the `PYTHONPATH`, relative to `code`.
        #[serde(default)]
        py_files: Vec<Spanned<String>>,
        /// JARs on the class path, relative to `code`.
        #[serde(default)]
        jars: Vec<Spanned<String>>,
        /// Files placed in each executor's working folder.
        #[serde(default)]
        files: Vec<Spanned<String>>,
        /// Archives extracted in each executor's working folder.
        #[serde(default)]
        archives: Vec<Spanned<String>>,
        /// Spark configuration.
        #[serde(default)]
        conf: Map<Json>,
        /// Arguments of the entry, with `${{inputs.x}}` placeholders.
        args: Option<Spanned<String>>,
        /// Environment.
        environment: Option<Spanned<Environment>>,
        /// Serverless Spark machines (`instance_type`, `runtime_version`).
        resources: Option<Resources>,
        /// Identity towards data and services.
        identity: Option<Identity>,
        /// Interactive services.
        #[serde(default)]
        services: Map<Service>,
    }
}

job_struct! {
    /// A pipeline component run as one job.
    PipelineNode {
        /// The pipeline component: a file or a registered component.
        component: Spanned<String>,
        /// Inputs.
        #[serde(default)]
        inputs: Map<Spanned<InputValue>>,
        /// Outputs.
        #[serde(default)]
        outputs: Map<Spanned<OutputValue>>,
        /// Settings of the nested pipeline.
        #[serde(default)]
        settings: Map<Json>,
    }
}

job_struct! {
    /// A data transfer job.
    DataTransferJob {
        /// `copy_data`, `import_data` or `export_data`.
        task: Spanned<String>,
        /// The component (copy); import and export use built-in components.
        component: Option<Spanned<ComponentRef<DataTransferComponent>>>,
        /// Inputs.
        #[serde(default)]
        inputs: Map<Spanned<InputValue>>,
        /// Outputs.
        #[serde(default)]
        outputs: Map<Spanned<OutputValue>>,
        /// `merge_with_overwrite` or `fail_if_conflict` (copy).
        data_copy_mode: Option<Spanned<String>>,
        /// Where imported data comes from: a database or file system connection.
        source: Option<Spanned<Json>>,
        /// Where exported data goes: a database or file system connection.
        sink: Option<Spanned<Json>>,
    }
}

job_struct! {
    /// An import job (deprecated).
    ImportJob {
        /// The import component.
        component: Option<Spanned<String>>,
        /// Inputs.
        #[serde(default)]
        inputs: Map<Spanned<InputValue>>,
        /// Outputs.
        #[serde(default)]
        outputs: Map<Spanned<OutputValue>>,
        /// Where the data comes from.
        source: Option<Json>,
        /// The imported data.
        output: Option<Json>,
    }
}

job_struct! {
    /// An automated ML job; sluice reads its data bindings and passes the rest on.
    AutoMlJob {
        /// `classification`, `regression`, `forecasting`, `image_classification`, ...
        task: Spanned<String>,
        /// Training data: a binding, or an `mltable` with `path`.
        training_data: Option<Spanned<InputValue>>,
        /// Validation data.
        validation_data: Option<Spanned<InputValue>>,
        /// Test data.
        test_data: Option<Spanned<InputValue>>,
        /// Outputs (`best_model`).
        #[serde(default)]
        outputs: Map<Spanned<OutputValue>>,
        /// Metric to optimise.
        primary_metric: Option<Spanned<String>>,
        /// Column to predict.
        target_column_name: Option<Spanned<String>>,
        /// Trial and time limits.
        limits: Option<Json>,
        /// Featurization settings.
        featurization: Option<Json>,
        /// Training settings.
        training: Option<Json>,
        /// Sweep settings (vision and NLP).
        sweep: Option<Json>,
        /// Hyperparameter search space (vision and NLP).
        search_space: Option<Json>,
        /// Forecasting settings.
        forecasting: Option<Json>,
        /// Fixed training parameters (vision and NLP).
        training_parameters: Option<Json>,
        /// `debug`, `info`, `warning`, `error` or `critical`.
        log_verbosity: Option<String>,
        /// Cross-validation folds (or `auto`).
        n_cross_validations: Option<Json>,
        /// Columns holding custom cross-validation splits.
        cv_split_column_names: Option<Json>,
        /// Positive class label.
        positive_label: Option<Json>,
        /// Share of data held out for testing.
        test_data_size: Option<Json>,
        /// Share of data held out for validation.
        validation_data_size: Option<Json>,
        /// Column of sample weights.
        weight_column_name: Option<String>,
        /// Environment of the trials.
        environment_id: Option<String>,
        /// Environment variables.
        #[serde(default)]
        environment_variables: Map<Json>,
        /// Identity towards data and services.
        identity: Option<Identity>,
        /// Queue settings.
        queue_settings: Option<QueueSettings>,
        /// Machines.
        resources: Option<Json>,
        /// Interactive services.
        #[serde(default)]
        services: Map<Json>,
    }
}

/// A loop: the body job runs again while the condition holds.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoWhileJob {
    /// The job to repeat: `${{parent.jobs.body}}`.
    pub body: Spanned<String>,
    /// A control output of the body (`${{parent.jobs.body.outputs.x}}`), or a literal.
    pub condition: Option<Spanned<Scalar>>,
    /// Which body output feeds which body input in the next iteration.
    #[serde(default)]
    pub mapping: Map<Spanned<Json>>,
    /// Iteration limit.
    pub limits: DoWhileLimits,
}

/// A fan-out: the body job runs once per item.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParallelForJob {
    /// The job to run per item: `${{parent.jobs.body}}`.
    pub body: Spanned<String>,
    /// The items: a list of input mappings, a mapping of them, their JSON text, or a binding.
    pub items: Spanned<Json>,
    /// Items processed at once.
    pub max_concurrency: Option<Bindable<i64>>,
    /// Aggregated outputs of the body.
    #[serde(default)]
    pub outputs: Map<Spanned<OutputValue>>,
}

/// A branch: runs the true block or the false block.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IfElseJob {
    /// A control output (`${{parent.jobs.j.outputs.x}}`), a pipeline input, or a literal.
    pub condition: Spanned<Scalar>,
    /// Jobs run when the condition holds: `${{parent.jobs.j}}` or a list of them.
    pub true_block: Option<Spanned<Json>>,
    /// Jobs run otherwise.
    pub false_block: Option<Spanned<Json>>,
}

impl Job {
    /// The kind as written in `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::Command(_) => "command",
            Job::Sweep(_) => "sweep",
            Job::Parallel(_) => "parallel",
            Job::Spark(_) => "spark",
            Job::Pipeline(_) => "pipeline",
            Job::DataTransfer(_) => "data_transfer",
            Job::Import(_) => "import",
            Job::AutoMl(_) => "automl",
            Job::DoWhile(_) => "do_while",
            Job::ParallelFor(_) => "parallel_for",
            Job::IfElse(_) => "if_else",
        }
    }

    /// The common fields, for kinds that have them (not control flow).
    pub fn common(&self) -> Option<CommonJob<'_>> {
        Some(match self {
            Job::Command(j) => j.common(),
            Job::Sweep(j) => j.common(),
            Job::Parallel(j) => j.common(),
            Job::Spark(j) => j.common(),
            Job::Pipeline(j) => j.common(),
            Job::DataTransfer(j) => j.common(),
            Job::Import(j) => j.common(),
            Job::AutoMl(j) => j.common(),
            Job::DoWhile(_) | Job::ParallelFor(_) | Job::IfElse(_) => return None,
        })
    }
}
