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
    /// Compile pipelines to Azure ML request bodies (`--target azureml`) or v2 YAML.
    Compile(CompileArgs),
}

/// Where to find the workspace file.
#[derive(Debug, Args, Clone)]
pub struct WorkspaceArgs {
    /// Workspace file (default: `SLUICE_WORKSPACE`, else the nearest `workspace.yaml` above
    /// the pipeline, else the built-in local workspace).
    #[arg(long, env = "SLUICE_WORKSPACE", value_name = "PATH", global = true)]
    pub workspace: Option<PathBuf>,
}

/// `sluice check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders (a folder means every pipeline, component and workspace file under it).
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
