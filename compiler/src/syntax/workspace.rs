//! The workspace file (DESIGN section 2.3): datastores and compute targets, secrets as
//! `${env:NAME}`.

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{Scalar, secret_schema};
use crate::yaml::{Map, Spanned};

/// A workspace file: what the SDK's `Workspace` held.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "sluice workspace", rename = "WorkspaceFile")]
pub struct WorkspaceFile {
    /// Editor schema reference; ignored by sluice.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// Workspace name.
    pub name: Option<Spanned<String>>,
    /// Azure subscription id (for payloads; not a secret).
    pub subscription_id: Option<String>,
    /// Azure resource group.
    pub resource_group: Option<String>,
    /// Azure region.
    pub location: Option<String>,
    /// Datastore used when an output names none.
    pub default_datastore: Option<Spanned<String>>,
    /// Datastores by name.
    #[serde(default)]
    pub datastores: Map<Datastore>,
    /// Compute targets by name.
    #[serde(default)]
    pub computes: Map<Compute>,
}

/// A datastore, tagged by `type`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(tag = "type")]
#[serde(rename_all = "snake_case")]
pub enum Datastore {
    /// A folder on this machine.
    Local(LocalDatastore),
    /// An Azure Blob Storage container.
    AzureBlob(AzureBlobDatastore),
    /// An Azure Files share.
    AzureFile(AzureFileDatastore),
    /// An Azure Data Lake Storage Gen2 file system.
    AdlsGen2(AdlsGen2Datastore),
}

impl Datastore {
    /// The kind as written in `type:`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Datastore::Local(_) => "local",
            Datastore::AzureBlob(_) => "azure_blob",
            Datastore::AzureFile(_) => "azure_file",
            Datastore::AdlsGen2(_) => "adls_gen2",
        }
    }
}

/// A datastore that is a local folder.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalDatastore {
    /// Folder, relative to the workspace file.
    pub path: Spanned<String>,
    /// What is stored there.
    pub description: Option<String>,
}

/// An Azure Blob Storage container.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureBlobDatastore {
    /// Storage account.
    pub account_name: Spanned<String>,
    /// Blob container.
    pub container_name: Spanned<String>,
    /// Blob service URL of the account, replacing `https://{account_name}.blob.core.windows.net`
    /// (an emulator such as Azurite: `http://127.0.0.1:10000/devstoreaccount1`; a sovereign
    /// cloud: `https://{account_name}.blob.core.chinacloudapi.cn`).
    pub account_url: Option<Spanned<String>>,
    /// Account key, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub account_key: Option<Spanned<String>>,
    /// Shared access signature, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub sas_token: Option<Spanned<String>>,
    /// Microsoft Entra ID access token for `https://storage.azure.com/`, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub bearer_token: Option<Spanned<String>>,
    /// Service principal tenant.
    pub tenant_id: Option<Spanned<String>>,
    /// Service principal client id.
    pub client_id: Option<Spanned<String>>,
    /// Service principal secret, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub client_secret: Option<Spanned<String>>,
    /// Microsoft Entra ID authority for the service principal (default
    /// `https://login.microsoftonline.com`).
    pub authority_url: Option<Spanned<String>>,
    /// `https` (default) or `http`.
    pub protocol: Option<Spanned<String>>,
    /// Storage endpoint suffix (default `core.windows.net`).
    pub endpoint: Option<Spanned<String>>,
    /// What is stored there.
    pub description: Option<String>,
}

/// An Azure Files share.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureFileDatastore {
    /// Storage account.
    pub account_name: Spanned<String>,
    /// File share.
    pub file_share_name: Spanned<String>,
    /// Account key, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub account_key: Option<Spanned<String>>,
    /// Shared access signature, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub sas_token: Option<Spanned<String>>,
    /// `https` (default) or `http`.
    pub protocol: Option<String>,
    /// Storage endpoint suffix (default `core.windows.net`).
    pub endpoint: Option<String>,
    /// What is stored there.
    pub description: Option<String>,
}

/// An Azure Data Lake Storage Gen2 file system.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdlsGen2Datastore {
    /// Storage account.
    pub account_name: Spanned<String>,
    /// File system (container).
    pub filesystem: Spanned<String>,
    /// Blob service URL of the account, replacing `https://{account_name}.blob.core.windows.net`
    /// (sluice reaches Data Lake Storage through its Blob endpoint; a `.dfs.` URL is read as
    /// its `.blob.` twin).
    pub account_url: Option<Spanned<String>>,
    /// Service principal tenant.
    pub tenant_id: Option<Spanned<String>>,
    /// Service principal client id.
    pub client_id: Option<Spanned<String>>,
    /// Service principal secret, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub client_secret: Option<Spanned<String>>,
    /// Microsoft Entra ID authority for the service principal (default
    /// `https://login.microsoftonline.com`).
    pub authority_url: Option<Spanned<String>>,
    /// Account key, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub account_key: Option<Spanned<String>>,
    /// Shared access signature, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub sas_token: Option<Spanned<String>>,
    /// Microsoft Entra ID access token for `https://storage.azure.com/`, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub bearer_token: Option<Spanned<String>>,
    /// `https` (default) or `http`.
    pub protocol: Option<Spanned<String>>,
    /// Storage endpoint suffix (default `core.windows.net`).
    pub endpoint: Option<Spanned<String>>,
    /// What is stored there.
    pub description: Option<String>,
}

/// A compute target, tagged by `type`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(tag = "type")]
#[serde(rename_all = "snake_case")]
pub enum Compute {
    /// This machine.
    Local(LocalCompute),
    /// An Azure ML compute cluster.
    Amlcompute(AmlCompute),
    /// An Azure Databricks workspace.
    Databricks(DatabricksCompute),
    /// An Azure Data Lake Analytics account (retired 2024-02-29).
    Adla(AdlaCompute),
    /// An Azure Data Factory.
    Datafactory(DataFactoryCompute),
    /// An Azure Batch account.
    Azurebatch(AzureBatchCompute),
}

impl Compute {
    /// The kind as written in `type:`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Compute::Local(_) => "local",
            Compute::Amlcompute(_) => "amlcompute",
            Compute::Databricks(_) => "databricks",
            Compute::Adla(_) => "adla",
            Compute::Datafactory(_) => "datafactory",
            Compute::Azurebatch(_) => "azurebatch",
        }
    }
}

/// This machine.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalCompute {
    /// What the compute is for.
    pub description: Option<String>,
}

/// An Azure ML compute cluster (runs locally under sluice).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AmlCompute {
    /// VM size, e.g. `STANDARD_DS3_V2`.
    pub size: Option<String>,
    /// Nodes kept running.
    pub min_instances: Option<Spanned<u32>>,
    /// Most nodes.
    pub max_instances: Option<Spanned<u32>>,
    /// Seconds before idle nodes are released.
    pub idle_time_before_scale_down: Option<u64>,
    /// `dedicated` or `low_priority`.
    pub tier: Option<String>,
    /// Azure region.
    pub location: Option<String>,
    /// What the compute is for.
    pub description: Option<String>,
}

/// An Azure Databricks workspace.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabricksCompute {
    /// Workspace URL, e.g. `https://adb-1.azuredatabricks.net`.
    pub workspace_url: Spanned<String>,
    /// Personal access token, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    pub access_token: Spanned<String>,
    /// Azure resource group of the workspace.
    pub resource_group: Option<String>,
    /// What the compute is for.
    pub description: Option<String>,
}

/// An Azure Data Lake Analytics account.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdlaCompute {
    /// ADLA account.
    pub account_name: Spanned<String>,
    /// Azure resource group.
    pub resource_group: Option<String>,
    /// Azure subscription id.
    pub subscription_id: Option<String>,
    /// What the compute is for.
    pub description: Option<String>,
}

/// An Azure Data Factory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataFactoryCompute {
    /// Data factory name.
    pub factory_name: Option<Spanned<String>>,
    /// Azure resource group.
    pub resource_group: Option<String>,
    /// Azure subscription id.
    pub subscription_id: Option<String>,
    /// Azure region.
    pub location: Option<String>,
    /// What the compute is for.
    pub description: Option<String>,
}

/// An Azure Batch account.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureBatchCompute {
    /// Batch account.
    pub account_name: Spanned<String>,
    /// Azure resource group.
    pub resource_group: Option<String>,
    /// Azure subscription id.
    pub subscription_id: Option<String>,
    /// Account access key, as `${env:NAME}`.
    #[schemars(schema_with = "secret_schema")]
    #[serde(default)]
    pub access_key: Option<Spanned<String>>,
    /// Extra settings kept as given.
    #[serde(default)]
    pub properties: Map<Scalar>,
    /// What the compute is for.
    pub description: Option<String>,
}
