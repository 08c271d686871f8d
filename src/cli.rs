//! Command-line interface: clap definitions only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// sluice: compile, check and run Azure ML style pipelines.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check pipeline, component and workspace files; exit 1 when any has errors.
    Check(CheckArgs),
    /// Print a pipeline's DAG as Graphviz DOT or Mermaid.
    Graph(GraphArgs),
    /// Write the JSON schemas of the file formats.
    Schema(SchemaArgs),
    /// Show what a run would do: each step's fingerprint, whether it is reused and why.
    Plan(PlanArgs),
    /// Run a pipeline on this machine, reusing the steps that did not change.
    Run(RunArgs),
    /// Look at past runs: list, show, logs, metrics (a service's runs with --server).
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Move data to and from datastores: upload, download, list, rm.
    #[command(subcommand)]
    Datastore(DatastoreCommand),
    /// Registered, versioned datasets: register, list, show, profile.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Compile pipelines to Azure ML request bodies (`--target azureml`) or v2 YAML.
    Compile(CompileArgs),
    /// List every diagnostic code: its default severity and what it finds.
    Rules(RulesArgs),
    /// Run the workspace service: REST API, run queue, studio pages.
    Serve(crate::service_cli::ServeArgs),
    /// Publish a pipeline (or what a finished run ran) to the workspace service.
    Publish(crate::service_cli::PublishArgs),
    /// Published pipelines of the service: list, show, disable, enable.
    #[command(subcommand)]
    Pipeline(crate::service_cli::PipelineCommand),
    /// Pipeline endpoints of the service: create, add, set-default, list, show, disable, enable.
    #[command(subcommand)]
    Endpoint(crate::service_cli::EndpointCommand),
    /// Submit a run to a pipeline endpoint or a published pipeline of the service.
    Submit(crate::service_cli::SubmitArgs),
    /// Tokens of the service (on its state folder): create, list, revoke.
    #[command(subcommand)]
    Token(crate::service_cli::TokenCommand),
}

/// `sluice rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print JSON (`{"version": 1, "rules": [{"code", "severity", "summary"}]}`).
    #[arg(long)]
    pub json: bool,
}

/// Where to find the workspace file, and how input files are read and reported.
#[derive(Debug, Args, Clone)]
pub struct WorkspaceArgs {
    /// Workspace file (default: `SLUICE_WORKSPACE`, else the nearest `workspace.yaml` above
    /// the pipeline, else the built-in local workspace).
    #[arg(long, env = "SLUICE_WORKSPACE", value_name = "PATH", global = true)]
    pub workspace: Option<PathBuf>,
    /// Input limits and how many diagnostics to show.
    #[command(flatten)]
    pub input: InputArgs,
}

/// How input files are read and their diagnostics shown.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// Largest pipeline, component or workspace file read, in bytes or with a suffix K, M, G
    /// (powers of 1024: `64M`, `1G`) [default: 256M].
    #[arg(long, env = "SLUICE_MAX_FILE_SIZE", value_name = "SIZE", value_parser = parse_size, global = true)]
    pub max_file_size: Option<u64>,
    /// Show at most N diagnostics of each code in each file, then one line counting the rest
    /// (0: show all; JSON, SARIF and GitHub output always have all).
    #[arg(long, env = "SLUICE_MAX_DIAGNOSTICS", value_name = "N", default_value_t = 200, global = true)]
    pub max_diagnostics: usize,
}

/// Reads a size: bytes, or a number with a suffix `K`, `M`, `G` or `T` (powers of 1024,
/// optionally followed by `B` or `iB`: `64M`, `64MiB` and `64mb` are the same).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let unit = unit.trim();
    let shift = match unit.to_ascii_lowercase().trim_end_matches("ib").trim_end_matches('b') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => {
            return Err(format!("`{text}` is not a size: write bytes or a number with K, M or G (e.g. 64M)"));
        }
    };
    let n: u64 =
        number.parse().map_err(|_| format!("`{text}` is not a size: it must start with a whole number"))?;
    let bytes = n.checked_mul(1u64 << shift).ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes == 0 {
        return Err("the size must be at least one byte".to_string());
    }
    Ok(bytes)
}

/// `sluice check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders (a folder means every pipeline, component and workspace file under it;
    /// `-` reads one file from standard input).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// Diagnostic output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people (colour on a terminal).
    Human,
    /// Versioned JSON.
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions annotations.
    Github,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal only.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `sluice graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Pipeline file.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// Graph formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// `sluice schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Folder to write the schemas into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only compare: exit 1 when a file in DIR differs from what this version generates.
    #[arg(long)]
    pub check: bool,
}

/// Parameters and reuse settings shared by `plan` and `run`.
#[derive(Debug, Args, Clone)]
pub struct PlanSettings {
    /// Set a pipeline parameter for this run (repeatable).
    #[arg(short = 'p', long = "parameter", value_name = "NAME=VALUE")]
    pub parameters: Vec<String>,
    /// Set a pipeline parameter to the content of a file, byte for byte (UTF-8 text, up to
    /// 1 MiB; repeatable).
    #[arg(long = "parameter-file", value_name = "NAME=FILE")]
    pub parameter_files: Vec<String>,
    /// Run every step, reusing no earlier output.
    #[arg(long)]
    pub regenerate_outputs: bool,
}

/// `sluice plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Pipeline file.
    pub file: PathBuf,
    /// Parameters and reuse.
    #[command(flatten)]
    pub settings: PlanSettings,
    /// Print the plan as versioned JSON.
    #[arg(long)]
    pub json: bool,
    /// Say in full why each step re-runs or is reused (and, with --json, add each step's
    /// fingerprint inputs).
    #[arg(long)]
    pub explain: bool,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// `sluice run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline file.
    pub file: PathBuf,
    /// Parameters and reuse.
    #[command(flatten)]
    pub settings: PlanSettings,
    /// Steps to run at once (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Experiment to record the run under (default: the pipeline's name).
    #[arg(long, value_name = "NAME")]
    pub experiment: Option<String>,
    /// After a step fails, go on with the steps that do not depend on it.
    #[arg(long)]
    pub continue_on_step_failure: bool,
    /// When another sluice holds the state folder, fail at once (exit 2) instead of waiting.
    #[arg(long, conflicts_with = "wait_timeout")]
    pub no_wait: bool,
    /// When another sluice holds the state folder, wait at most this many seconds (then exit 2).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub wait_timeout: Option<std::time::Duration>,
    /// The most a step's log keeps of each of stdout and stderr: the first and the last half,
    /// with a line saying how much was dropped (`64MiB`, `500k`, `1G`, `unlimited`).
    #[arg(long, value_name = "SIZE", env = "SLUICE_MAX_LOG_SIZE", default_value = "64MiB")]
    pub max_log_size: sluice_runtime::logs::LogLimit,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// A number of seconds (`30`, `0.5`), not negative.
fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    std::time::Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("`{text}` is not a number of seconds from 0 up"))
}

/// Which state folder to read.
#[derive(Debug, Args, Clone)]
pub struct StateArgs {
    /// The runs of this pipeline's state folder (default: the nearest `.sluice` folder at or
    /// above the current folder).
    #[arg(long, value_name = "FILE", global = true)]
    pub pipeline: Option<PathBuf>,
    /// The `.sluice` folder to read.
    #[arg(long, value_name = "DIR", global = true, conflicts_with = "pipeline")]
    pub state: Option<PathBuf>,
    /// The runs of a workspace service at this URL instead (token in `SLUICE_TOKEN`).
    #[arg(long, value_name = "URL", global = true, conflicts_with_all = ["pipeline", "state"])]
    pub server: Option<String>,
}

/// `sluice runs ...`.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List runs, newest first.
    List(RunsListArgs),
    /// Show a run and its steps.
    Show(RunsShowArgs),
    /// Print the stdout and stderr of a run's steps.
    Logs(RunsLogsArgs),
    /// Print the metrics a run's steps wrote.
    Metrics(RunsShowArgs),
    /// List a service run's outputs and their files (`--server`).
    Outputs(RunsShowArgs),
    /// Cancel a service run (`--server`).
    Cancel(RunsShowArgs),
}

/// `sluice runs list`.
#[derive(Debug, Args)]
pub struct RunsListArgs {
    /// How many runs to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print versioned JSON.
    #[arg(long)]
    pub json: bool,
    /// State folder.
    #[command(flatten)]
    pub state: StateArgs,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// `sluice runs show` and `sluice runs metrics`.
#[derive(Debug, Args)]
pub struct RunsShowArgs {
    /// Run id, or `latest`.
    pub run: String,
    /// Print versioned JSON.
    #[arg(long)]
    pub json: bool,
    /// State folder.
    #[command(flatten)]
    pub state: StateArgs,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// `sluice runs logs`.
#[derive(Debug, Args)]
pub struct RunsLogsArgs {
    /// Run id, or `latest`.
    pub run: String,
    /// Only this step.
    pub step: Option<String>,
    /// Which stream to print.
    #[arg(long, value_enum, default_value_t = LogStream::Both)]
    pub stream: LogStream,
    /// State folder.
    #[command(flatten)]
    pub state: StateArgs,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// Log streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogStream {
    /// stdout then stderr.
    Both,
    /// stdout only.
    Stdout,
    /// stderr only.
    Stderr,
}

/// `sluice datastore ...`.
#[derive(Debug, Subcommand)]
pub enum DatastoreCommand {
    /// Copy local files, folders and patterns to a datastore (as the SDK's `upload_files`).
    Upload(UploadArgs),
    /// Copy files, folders and patterns from a datastore to this machine.
    Download(DownloadArgs),
    /// List files on a datastore: size, modification time, MD5, path.
    List(ListArgs),
    /// Delete files, patterns and (with --recursive) folders from a datastore.
    Rm(RmArgs),
}

/// Which datastore: its name and the workspace that declares it.
#[derive(Debug, Args)]
pub struct DatastoreArgs {
    /// Datastore name (`workspaceblobstore` in the built-in workspace).
    #[arg(long, value_name = "NAME")]
    pub datastore: String,
    /// The datastores of this pipeline's workspace (default: the workspace of the current
    /// folder: `--workspace`, `SLUICE_WORKSPACE`, the nearest `workspace.yaml` above it, else the
    /// built-in one rooted here).
    #[arg(long, value_name = "FILE")]
    pub pipeline: Option<PathBuf>,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// `sluice dataset ...`.
#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Register what DATASTORE:PATH holds now as the next version of a dataset (1, 2, ...),
    /// pinning its content identity.
    Register(DatasetRegisterArgs),
    /// Every dataset: its newest version, kind, place, files and size.
    List(DatasetListArgs),
    /// A dataset's versions, or one version's details.
    Show(DatasetShowArgs),
    /// What a version holds: rows and, per column, type, nulls, min, max and mean (delimited);
    /// files, size and extensions (files).
    Profile(DatasetShowArgs),
}

/// `sluice dataset register`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("data").required(true).args(["files", "delimited"])))]
pub struct DatasetRegisterArgs {
    /// The dataset's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// A file dataset: a file or folder on a datastore, as DATASTORE:PATH.
    #[arg(long, value_name = "DATASTORE:PATH")]
    pub files: Option<String>,
    /// A tabular dataset: one delimited file (CSV, TSV, ...) on a datastore, as DATASTORE:PATH.
    #[arg(long, value_name = "DATASTORE:PATH")]
    pub delimited: Option<String>,
    /// A description kept with the version.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Print the version as JSON.
    #[arg(long)]
    pub json: bool,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// `sluice dataset list`.
#[derive(Debug, Args)]
pub struct DatasetListArgs {
    /// Print JSON (`{"version": 1, "datasets": [{"name", "versions": [...]}]}`).
    #[arg(long)]
    pub json: bool,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// `sluice dataset show|profile`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct DatasetShowArgs {
    /// The dataset's name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Which version (default: the newest).
    #[arg(long = "version", id = "dataset_version", value_name = "V")]
    pub version: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// How transfers use the network.
#[derive(Debug, Args, Clone, Copy)]
pub struct TransferArgs {
    /// Files transferred at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Retries of a failed request (connection errors, timeouts, 5xx, 429), with exponential
    /// backoff from 0.1 s to 8 s.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u8).range(0..=30))]
    pub retries: u8,
}

/// `sluice datastore upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Which datastore.
    #[command(flatten)]
    pub store: DatastoreArgs,
    /// Folder on the datastore to put the files in (default: its root).
    #[arg(long, value_name = "PATH", default_value = "")]
    pub target_path: String,
    /// Replace files that are already there (else they are skipped, with a note).
    #[arg(long)]
    pub overwrite: bool,
    /// Files, folders (uploaded under their own name) and quoted patterns such as
    /// 'data/**/*.csv' (uploaded relative to the folder before the first wildcard).
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Network.
    #[command(flatten)]
    pub transfer: TransferArgs,
}

/// `sluice datastore download`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Which datastore.
    #[command(flatten)]
    pub store: DatastoreArgs,
    /// Local folder to write into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub target_path: PathBuf,
    /// Replace local files that are already there (else they are skipped, with a note).
    #[arg(long)]
    pub overwrite: bool,
    /// Files, folders (written under their own name) and quoted patterns on the datastore
    /// (written relative to the folder before the first wildcard); none: everything.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<String>,
    /// Network.
    #[command(flatten)]
    pub transfer: TransferArgs,
}

/// `sluice datastore list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Which datastore.
    #[command(flatten)]
    pub store: DatastoreArgs,
    /// Files, folders and quoted patterns on the datastore; none: everything.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<String>,
    /// Print JSON (`{"version": 1, "datastore", "files": [{"path", "size", "modified", "md5", "etag"}]}`).
    #[arg(long)]
    pub json: bool,
    /// Network.
    #[command(flatten)]
    pub transfer: TransferArgs,
}

/// `sluice datastore rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Which datastore.
    #[command(flatten)]
    pub store: DatastoreArgs,
    /// Files, folders (with --recursive) and quoted patterns on the datastore.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<String>,
    /// Delete folders with everything in them.
    #[arg(short, long)]
    pub recursive: bool,
    /// Only print what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Network.
    #[command(flatten)]
    pub transfer: TransferArgs,
}

/// `sluice compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Pipeline files; with several, one JSON line is printed per file.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// What to make.
    #[arg(long, value_enum, default_value_t = CompileTarget::Azureml)]
    pub target: CompileTarget,
    /// Write to this file (`azureml`) or folder (`azureml-yaml`, required) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// What `sluice compile` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompileTarget {
    /// The Azure ML v2 pipeline job request body and anonymous component registrations (JSON).
    Azureml,
    /// v2 YAML: `pipeline.yml` and the component files it references.
    AzuremlYaml,
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("2 KB"), Ok(2048));
        assert!(parse_size("0").is_err());
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("99999999999T").is_err());
        assert!(parse_size("").is_err());
    }
}
