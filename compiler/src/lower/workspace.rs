//! Lowering of a workspace file into [`crate::ir::Workspace`].

use std::collections::BTreeMap;

use serde_json::{Map as JsonMap, Value as Json};

use super::LowerCtx;
use crate::ir::{Compute, ComputeKind, Datastore, DatastoreKind, SecretField, Workspace};
use crate::source::Span;
use crate::syntax::workspace::{self as syn, WorkspaceFile};
use crate::yaml::Spanned;

/// Lowers a workspace file; its folder becomes the workspace root.
pub fn lower(file: &WorkspaceFile, cx: &LowerCtx) -> Workspace {
    let datastores = file.datastores.iter().map(|(name, d)| datastore(cx, name, d)).collect();
    let computes = file.computes.iter().map(|(name, c)| compute(cx, name, c)).collect();
    Workspace {
        file: Some(cx.file),
        name: file.name.as_ref().map(|n| n.value.clone()),
        root: cx.dir.clone(),
        default_datastore: file.default_datastore.as_ref().map(|d| d.value.clone()),
        datastores,
        computes,
        strict: true,
    }
}

#[derive(Default)]
struct Fields {
    settings: JsonMap<String, Json>,
    spans: BTreeMap<String, Span>,
    secrets: Vec<SecretField>,
}

impl Fields {
    fn set(&mut self, key: &str, v: Option<impl Into<Json>>) -> &mut Self {
        if let Some(v) = v {
            self.settings.insert(key.to_string(), v.into());
        }
        self
    }
    /// A setting whose place is kept for diagnostics.
    fn spanned(&mut self, key: &str, v: Option<&Spanned<String>>) -> &mut Self {
        if let Some(v) = v {
            self.settings.insert(key.to_string(), Json::String(v.value.clone()));
            self.spans.insert(key.to_string(), v.span);
        }
        self
    }
    fn secret(&mut self, cx: &LowerCtx, field: &'static str, v: Option<&Spanned<String>>) -> &mut Self {
        if let Some(v) = v {
            self.secrets.push(SecretField { field, value: cx.name(v) });
        }
        self
    }
}

fn text(s: &Spanned<String>) -> String {
    s.value.clone()
}

fn datastore(cx: &LowerCtx, name: &Spanned<String>, d: &syn::Datastore) -> Datastore {
    let mut f = Fields::default();
    let (kind, local_path) = match d {
        syn::Datastore::Local(l) => {
            f.set("path", Some(text(&l.path)));
            (DatastoreKind::Local, Some(cx.dir.join(&l.path.value)))
        }
        syn::Datastore::AzureBlob(b) => {
            f.set("account_name", Some(text(&b.account_name)))
                .set("container_name", Some(text(&b.container_name)))
                .spanned("account_url", b.account_url.as_ref())
                .spanned("tenant_id", b.tenant_id.as_ref())
                .spanned("client_id", b.client_id.as_ref())
                .spanned("authority_url", b.authority_url.as_ref())
                .spanned("protocol", b.protocol.as_ref())
                .spanned("endpoint", b.endpoint.as_ref())
                .secret(cx, "account_key", b.account_key.as_ref())
                .secret(cx, "sas_token", b.sas_token.as_ref())
                .secret(cx, "bearer_token", b.bearer_token.as_ref())
                .secret(cx, "client_secret", b.client_secret.as_ref());
            (DatastoreKind::AzureBlob, None)
        }
        syn::Datastore::AzureFile(b) => {
            f.set("account_name", Some(text(&b.account_name)))
                .set("file_share_name", Some(text(&b.file_share_name)))
                .set("protocol", b.protocol.clone())
                .set("endpoint", b.endpoint.clone())
                .secret(cx, "account_key", b.account_key.as_ref())
                .secret(cx, "sas_token", b.sas_token.as_ref());
            (DatastoreKind::AzureFile, None)
        }
        syn::Datastore::AdlsGen2(a) => {
            f.set("account_name", Some(text(&a.account_name)))
                .set("filesystem", Some(text(&a.filesystem)))
                .spanned("account_url", a.account_url.as_ref())
                .spanned("tenant_id", a.tenant_id.as_ref())
                .spanned("client_id", a.client_id.as_ref())
                .spanned("authority_url", a.authority_url.as_ref())
                .spanned("protocol", a.protocol.as_ref())
                .spanned("endpoint", a.endpoint.as_ref())
                .secret(cx, "account_key", a.account_key.as_ref())
                .secret(cx, "sas_token", a.sas_token.as_ref())
                .secret(cx, "bearer_token", a.bearer_token.as_ref())
                .secret(cx, "client_secret", a.client_secret.as_ref());
            (DatastoreKind::AdlsGen2, None)
        }
    };
    Datastore {
        name: name.value.clone(),
        defined_at: Some((cx.file, name.span)),
        kind,
        local_path,
        settings: f.settings,
        setting_spans: f.spans,
        secrets: f.secrets,
    }
}

fn compute(cx: &LowerCtx, name: &Spanned<String>, c: &syn::Compute) -> Compute {
    let mut f = Fields::default();
    let kind = match c {
        syn::Compute::Local(_) => ComputeKind::Local,
        syn::Compute::Amlcompute(a) => {
            f.set("size", a.size.clone())
                .set("min_instances", a.min_instances.as_ref().map(|n| n.value))
                .set("max_instances", a.max_instances.as_ref().map(|n| n.value))
                .set("idle_time_before_scale_down", a.idle_time_before_scale_down)
                .set("tier", a.tier.clone())
                .set("location", a.location.clone());
            ComputeKind::AmlCompute
        }
        syn::Compute::Databricks(d) => {
            f.set("workspace_url", Some(text(&d.workspace_url)))
                .set("resource_group", d.resource_group.clone())
                .secret(cx, "access_token", Some(&d.access_token));
            ComputeKind::Databricks
        }
        syn::Compute::Adla(a) => {
            f.set("account_name", Some(text(&a.account_name)))
                .set("resource_group", a.resource_group.clone())
                .set("subscription_id", a.subscription_id.clone());
            ComputeKind::Adla
        }
        syn::Compute::Datafactory(d) => {
            f.set("factory_name", d.factory_name.as_ref().map(text))
                .set("resource_group", d.resource_group.clone())
                .set("subscription_id", d.subscription_id.clone())
                .set("location", d.location.clone());
            ComputeKind::DataFactory
        }
        syn::Compute::Azurebatch(b) => {
            f.set("account_name", Some(text(&b.account_name)))
                .set("resource_group", b.resource_group.clone())
                .set("subscription_id", b.subscription_id.clone())
                .secret(cx, "access_key", b.access_key.as_ref());
            ComputeKind::AzureBatch
        }
    };
    Compute {
        name: name.value.clone(),
        defined_at: Some((cx.file, name.span)),
        kind,
        settings: f.settings,
        secrets: f.secrets,
    }
}
