//! The resolved workspace: datastores and computes that pipelines may name.

use std::path::PathBuf;

use super::Name;
use crate::source::{FileId, Span};

/// Datastores and computes, from a workspace file or built in.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// File it was read from (`None`: the built-in local workspace).
    pub file: Option<FileId>,
    /// Workspace name.
    pub name: Option<String>,
    /// Folder holding the workspace file (or the pipeline, for the built-in one): relative
    /// datastore paths and `.sluice/` live here.
    pub root: PathBuf,
    /// Datastore for outputs that name none.
    pub default_datastore: Option<String>,
    /// Datastores.
    pub datastores: Vec<Datastore>,
    /// Computes.
    pub computes: Vec<Compute>,
    /// Check datastore and compute names against the lists (false for the built-in workspace).
    pub strict: bool,
}

impl Workspace {
    /// The built-in local workspace: `workspaceblobstore` and `workspacefilestore` as folders
    /// under `.sluice/datastores/`, compute `local`; names are not checked.
    pub fn builtin(root: PathBuf) -> Self {
        let store = |name: &str| Datastore {
            name: name.to_string(),
            defined_at: None,
            kind: DatastoreKind::Local,
            local_path: Some(root.join(".sluice").join("datastores").join(name)),
            settings: serde_json::Map::new(),
            setting_spans: Default::default(),
            secrets: Vec::new(),
        };
        Workspace {
            file: None,
            name: None,
            default_datastore: Some("workspaceblobstore".to_string()),
            datastores: vec![store("workspaceblobstore"), store("workspacefilestore")],
            computes: vec![Compute {
                name: "local".to_string(),
                defined_at: None,
                kind: ComputeKind::Local,
                settings: serde_json::Map::new(),
                secrets: Vec::new(),
            }],
            root,
            strict: false,
        }
    }

    /// The datastore with this name.
    pub fn datastore(&self, name: &str) -> Option<&Datastore> {
        self.datastores.iter().find(|d| d.name == name)
    }

    /// The compute with this name (an `azureml:` prefix is ignored).
    pub fn compute(&self, name: &str) -> Option<&Compute> {
        let name = name.strip_prefix("azureml:").unwrap_or(name);
        self.computes.iter().find(|c| c.name == name)
    }
}

/// A datastore.
#[derive(Debug, Clone)]
pub struct Datastore {
    /// Name.
    pub name: String,
    /// Where it is declared (`None`: built in).
    pub defined_at: Option<(FileId, Span)>,
    /// Kind.
    pub kind: DatastoreKind,
    /// Folder of a local datastore (absolute or relative to the working folder).
    pub local_path: Option<PathBuf>,
    /// Settings that are not secrets (account, container, ...), as given.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Where some settings (`account_url`, `tenant_id`, ...) are written, in the file of
    /// `defined_at`.
    pub setting_spans: std::collections::BTreeMap<String, Span>,
    /// Secret fields: each should be a `${env:NAME}` reference.
    pub secrets: Vec<SecretField>,
}

impl Datastore {
    /// A text setting (`account_name`, `container_name`, `account_url`, ...).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).and_then(serde_json::Value::as_str)
    }

    /// The secret field `field` (`account_key`, `sas_token`, ...), when given.
    pub fn secret(&self, field: &str) -> Option<&SecretField> {
        self.secrets.iter().find(|s| s.field == field)
    }
}

/// A secret field of a datastore or compute, as written.
#[derive(Debug, Clone)]
pub struct SecretField {
    /// Field name, e.g. `account_key`.
    pub field: &'static str,
    /// The value as written (a `${env:NAME}` reference unless the file is wrong).
    pub value: Name,
}

impl SecretField {
    /// The environment variable the secret comes from, when written as `${env:NAME}`.
    pub fn env_var(&self) -> Option<&str> {
        crate::python::env_reference(&self.value.value)
    }
}

/// Kinds of datastore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatastoreKind {
    /// A local folder.
    Local,
    /// Azure Blob Storage.
    AzureBlob,
    /// Azure Files.
    AzureFile,
    /// Azure Data Lake Storage Gen2.
    AdlsGen2,
}

impl DatastoreKind {
    /// The kind as written in a workspace file.
    pub fn as_str(self) -> &'static str {
        match self {
            DatastoreKind::Local => "local",
            DatastoreKind::AzureBlob => "azure_blob",
            DatastoreKind::AzureFile => "azure_file",
            DatastoreKind::AdlsGen2 => "adls_gen2",
        }
    }
}

/// A compute target.
#[derive(Debug, Clone)]
pub struct Compute {
    /// Name.
    pub name: String,
    /// Where it is declared (`None`: built in).
    pub defined_at: Option<(FileId, Span)>,
    /// Kind.
    pub kind: ComputeKind,
    /// Settings that are not secrets (workspace URL, size, ...), as given.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Secret fields: each should be a `${env:NAME}` reference.
    pub secrets: Vec<SecretField>,
}

/// Kinds of compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeKind {
    /// This machine.
    Local,
    /// An Azure ML compute cluster.
    AmlCompute,
    /// Azure ML serverless compute.
    Serverless,
    /// Azure Databricks.
    Databricks,
    /// Azure Data Lake Analytics.
    Adla,
    /// Azure Data Factory.
    DataFactory,
    /// Azure Batch.
    AzureBatch,
}

impl ComputeKind {
    /// The kind as written in a workspace file.
    pub fn as_str(self) -> &'static str {
        match self {
            ComputeKind::Local => "local",
            ComputeKind::AmlCompute => "amlcompute",
            ComputeKind::Serverless => "serverless",
            ComputeKind::Databricks => "databricks",
            ComputeKind::Adla => "adla",
            ComputeKind::DataFactory => "datafactory",
            ComputeKind::AzureBatch => "azurebatch",
        }
    }
}

/// Why `url` cannot be a datastore's Blob service URL, if it cannot: the `invalid-account-url`
/// check and the runtime's datastore client ask the same question.
pub fn account_url_problem(url: &str) -> Option<String> {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return Some("it must start with `https://` (or `http://` for an emulator)".to_string());
    };
    if url.contains('?') {
        return Some(
            "it carries a query: write the shared access signature in `sas_token` (as `${env:NAME}`)"
                .to_string(),
        );
    }
    if url.contains('#') {
        return Some("it carries a fragment (`#...`)".to_string());
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Some(
            "it carries user information (`user@host`): credentials go in their own fields".to_string(),
        );
    }
    // `[v6]:port`, `host:port` or `host`.
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, rest)) => (h, rest.strip_prefix(':')),
            None => ("", None),
        },
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if let Some(port) = port.filter(|p| p.parse::<u16>().is_err()) {
        return Some(format!("its port `{port}` is not a number from 0 to 65535"));
    }
    if host.is_empty() || host.chars().any(|c| c.is_whitespace()) {
        return Some("it names no host".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::account_url_problem;

    #[test]
    fn blob_service_urls() {
        assert_eq!(account_url_problem("https://acct.blob.core.windows.net"), None);
        assert_eq!(account_url_problem("http://127.0.0.1:10000/devstoreaccount1"), None);
        assert_eq!(account_url_problem("https://[::1]:10000/devstoreaccount1"), None);
        assert!(account_url_problem("acct.blob.core.windows.net").is_some());
        assert!(account_url_problem("ftp://acct").is_some());
        assert!(
            account_url_problem("https://acct.blob.core.windows.net/?sv=1&sig=x")
                .unwrap()
                .contains("sas_token")
        );
        assert!(account_url_problem("https://user:pw@acct.blob.core.windows.net").is_some());
        assert!(account_url_problem("https://").is_some());
        assert!(account_url_problem("http://127.0.0.1:99999").unwrap().contains("port"));
    }
}
