//! Command-line interface of the workspace service's commands (`serve`, `publish`, `pipeline`,
//! `endpoint`, `submit`, `token`): clap definitions only.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::cli::WorkspaceArgs;

/// The default state folder of the service (and of `sluice token`).
pub const DEFAULT_SERVICE_STATE: &str = ".sluice-service";

/// Where the service is.
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// The service's URL (default: `SLUICE_SERVER`); the token comes from `SLUICE_TOKEN`.
    #[arg(long, value_name = "URL", env = "SLUICE_SERVER")]
    pub server: Option<String>,
    /// Print the service's answer as JSON (PascalCase objects, as the REST API gives them).
    #[arg(long)]
    pub json: bool,
}

/// The service's state folder.
#[derive(Debug, Args, Clone)]
pub struct ServiceStateArgs {
    /// The service's state folder (its database, snapshots, runs).
    #[arg(long, value_name = "DIR", env = "SLUICE_SERVICE_STATE", default_value = DEFAULT_SERVICE_STATE)]
    pub state: PathBuf,
}

/// `sluice serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// State.
    #[command(flatten)]
    pub state: ServiceStateArgs,
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,
    /// Accept requests without a token, as the admin (only on a loopback address).
    #[arg(long)]
    pub no_auth: bool,
    /// Workers taking runs from the queue (one run executes at a time in a state folder; a
    /// worker prepares the next meanwhile).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: u16,
    /// Steps to run at once in a run (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// The URL clients reach the service at, for the URLs it gives out (default:
    /// http://<listen address>).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// The workspace name in those URLs.
    #[arg(long, value_name = "NAME", default_value = "sluice")]
    pub workspace_name: String,
    /// Largest request body in bytes (JSON; snapshot manifests may be up to 64 MiB).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body: usize,
    /// Largest uploaded file in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_upload: usize,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How the service logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// `sluice publish`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct PublishArgs {
    /// The pipeline file to publish.
    #[arg(required_unless_present = "run", conflicts_with = "run")]
    pub file: Option<PathBuf>,
    /// Publish what a finished run ran instead: a local run id (or `latest`), or a service run's id.
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// Name of the published pipeline.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Description (default: the pipeline's).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Version label.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Go on with the steps that do not depend on a failed step.
    #[arg(long)]
    pub continue_on_step_failure: bool,
    /// The service.
    #[command(flatten)]
    pub server: ServerArgs,
    /// The `.sluice` folder of a local run (`--run`; default: the nearest one here or above).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Workspace.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// `sluice pipeline ...`.
#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// List the published pipelines.
    List(ServerOnly),
    /// Show a published pipeline: parameters, steps, endpoint URL.
    Show(PipelineIdArgs),
    /// Disable a published pipeline: it refuses submissions.
    Disable(PipelineIdArgs),
    /// Enable a disabled pipeline.
    Enable(PipelineIdArgs),
}

/// Only the service.
#[derive(Debug, Args)]
pub struct ServerOnly {
    /// The service.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// A published pipeline's id.
#[derive(Debug, Args)]
pub struct PipelineIdArgs {
    /// The published pipeline's id.
    pub id: String,
    /// The service.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `sluice endpoint ...`.
#[derive(Debug, Subcommand)]
pub enum EndpointCommand {
    /// Create an endpoint whose version "0" is a published pipeline.
    Create(EndpointCreateArgs),
    /// Add a published pipeline as the endpoint's next version.
    Add(EndpointPipelineArgs),
    /// Set the version a submission without one runs.
    SetDefault(EndpointVersionArgs),
    /// List the endpoints.
    List(ServerOnly),
    /// Show an endpoint and its versions.
    Show(EndpointNameArgs),
    /// Disable an endpoint: it refuses submissions.
    Disable(EndpointNameArgs),
    /// Enable a disabled endpoint.
    Enable(EndpointNameArgs),
}

/// `sluice endpoint create`.
#[derive(Debug, Args)]
pub struct EndpointCreateArgs {
    /// Unique name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The published pipeline that becomes version "0".
    #[arg(long, value_name = "ID")]
    pub pipeline: String,
    /// Description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// The service.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// An endpoint and a pipeline.
#[derive(Debug, Args)]
pub struct EndpointPipelineArgs {
    /// The endpoint's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The published pipeline.
    #[arg(long, value_name = "ID")]
    pub pipeline: String,
    /// The service.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// An endpoint and a version.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct EndpointVersionArgs {
    /// The endpoint's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The version ("0", "1", ...).
    #[arg(long, value_name = "VERSION")]
    pub version: String,
    /// The service.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// An endpoint by name.
#[derive(Debug, Args)]
pub struct EndpointNameArgs {
    /// The endpoint's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The service.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `sluice submit`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct SubmitArgs {
    /// Submit to this endpoint (its default version, or `--version`).
    #[arg(long, value_name = "NAME", required_unless_present = "pipeline", conflicts_with = "pipeline")]
    pub endpoint: Option<String>,
    /// The endpoint version to run.
    #[arg(long, value_name = "VERSION", requires = "endpoint")]
    pub version: Option<String>,
    /// Submit to this published pipeline.
    #[arg(long, value_name = "ID")]
    pub pipeline: Option<String>,
    /// Set a parameter (repeatable); the service reads the value as the parameter's type.
    #[arg(short = 'p', long = "parameter", value_name = "NAME=VALUE")]
    pub parameters: Vec<String>,
    /// Set a data parameter to a datastore path (repeatable).
    #[arg(long = "data-path", value_name = "NAME=DATASTORE:PATH")]
    pub data_paths: Vec<String>,
    /// Experiment (default: the endpoint's or pipeline's name).
    #[arg(long, value_name = "NAME")]
    pub experiment: Option<String>,
    /// Description of the run.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// A tag (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Wait for the run to end and exit as it did (0 finished, 1 failed, 130 canceled).
    #[arg(long)]
    pub wait: bool,
    /// The service.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `sluice token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token; its secret is printed once, on the last line, and only its hash is kept.
    Create(TokenCreateArgs),
    /// List the tokens: names, roles, dates (never secrets).
    List(TokenStateArgs),
    /// Revoke a token: it is refused from now on.
    Revoke(TokenRevokeArgs),
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Read pipelines, endpoints, runs, logs, metrics, outputs.
    Reader,
    /// Also submit and cancel runs.
    Submitter,
    /// Also publish, manage endpoints, disable and enable.
    Admin,
}

/// `sluice token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The token's name (recorded with what it does).
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Its role.
    #[arg(long, value_enum, default_value_t = RoleArg::Reader)]
    pub role: RoleArg,
    /// It stops working after this long (`90d`, `12h`, `30m`, `45s`).
    #[arg(long, value_name = "DURATION")]
    pub expires_in: Option<String>,
    /// State.
    #[command(flatten)]
    pub state: ServiceStateArgs,
}

/// `sluice token list`.
#[derive(Debug, Args)]
pub struct TokenStateArgs {
    /// State.
    #[command(flatten)]
    pub state: ServiceStateArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `sluice token revoke`.
#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// State.
    #[command(flatten)]
    pub state: ServiceStateArgs,
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_line_definition_is_consistent() {
        // clap checks names, conflicts and requirements of every subcommand here, not when a
        // user first runs one.
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
    }
}
