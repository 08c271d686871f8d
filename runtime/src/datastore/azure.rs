//! `azure_blob` and `adls_gen2` datastores, over `object_store`'s Azure client.
//!
//! Why `object_store` (apache/arrow-rs-object-store): it is maintained by the Apache Arrow
//! project, released every few weeks, and speaks every credential a workspace file gives
//! (account key, SAS, bearer token, service principal) to Azure, sovereign clouds and
//! emulators alike, with bounded retries and exponential backoff, block uploads, resumable
//! streamed downloads and batched deletes. The official `azure_storage_blob` crates (1.x)
//! accept Microsoft Entra ID tokens only: no account key, so no Azurite without extra signing,
//! and the workspace files of the SDK era name account keys. What `object_store` lacks is done
//! beside it: the MD5s the service reports ([`super::azure_http`]) and the two requests it
//! does not make ([`super::azure_sign`]).
//!
//! A Data Lake Storage Gen2 file system is reached through its account's Blob endpoint
//! (multi-protocol access), so both kinds behave the same here.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use md5::{Digest, Md5};
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::client::HttpError;
use object_store::list::{PaginatedListOptions, PaginatedListStore};
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutMultipartOptions,
    PutOptions, PutPayload, RetryConfig,
};
use sluice_compiler::ir::{Datastore, DatastoreKind};
use url::Url;

use super::azure_http::{Connector, ListedMd5, ServiceMd5};
use super::azure_sign::{Answer, Control, Signing};
use super::{ByteCounter, DatastoreError, Entry, Fetched, NetOptions, PutOutcome, Redactor, secret_value};

/// Files up to this size go up in one request (held in memory); larger ones in blocks.
pub const SINGLE_PUT_LIMIT: u64 = 32 << 20;
/// Block size of a block upload.
pub const BLOCK_SIZE: usize = 8 << 20;
/// Blocks of one file in flight at once.
const BLOCKS_IN_FLIGHT: usize = 4;

/// How a cloud datastore authenticates.
#[derive(Debug, Clone)]
pub enum Credential {
    /// No credential: anonymous requests (a public container).
    None,
    /// The storage account key.
    AccountKey(String),
    /// A shared access signature.
    Sas(String),
    /// A Microsoft Entra ID access token.
    Bearer(String),
    /// A service principal.
    ServicePrincipal {
        /// Tenant.
        tenant_id: String,
        /// Client (application) id.
        client_id: String,
        /// Its secret.
        client_secret: String,
        /// Authority host, when not the public cloud's.
        authority_url: Option<String>,
    },
}

/// A cloud datastore's settings, with its credential read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Storage account.
    pub account: String,
    /// Container (a Data Lake file system is one).
    pub container: String,
    /// The account's Blob service URL.
    pub url: Url,
    /// The credential.
    pub credential: Credential,
    /// The field and variable the credential came from (`account_key`, `AZURE_KEY`), for hints.
    pub source: Option<(&'static str, String)>,
}

impl Settings {
    /// Reads the settings of an `azure_blob` or `adls_gen2` datastore.
    pub fn read(ds: &Datastore) -> Result<Settings, DatastoreError> {
        let config = |message: String| DatastoreError::Config { datastore: ds.name.clone(), message };
        let container_key = if ds.kind == DatastoreKind::AdlsGen2 { "filesystem" } else { "container_name" };
        let account = ds.setting("account_name").ok_or_else(|| config("`account_name` is missing".into()))?;
        let container =
            ds.setting(container_key).ok_or_else(|| config(format!("`{container_key}` is missing")))?;
        let text = match ds.setting("account_url") {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!(
                "{}://{account}.blob.{}",
                ds.setting("protocol").unwrap_or("https"),
                ds.setting("endpoint").unwrap_or("core.windows.net")
            ),
        };
        if let Some(why) = sluice_compiler::ir::account_url_problem(&text) {
            return Err(config(format!("its account URL `{text}` cannot be used: {why}")));
        }
        let mut url =
            Url::parse(&text).map_err(|e| config(format!("its account URL `{text}` cannot be used: {e}")))?;
        // Data Lake's dfs endpoint has a Blob twin that speaks the API object_store uses.
        if let Some(host) =
            url.host_str().filter(|h| h.contains(".dfs.")).map(|h| h.replacen(".dfs.", ".blob.", 1))
        {
            let _ = url.set_host(Some(&host));
        }
        let secret =
            |field: &str| ds.secret(field).map(|s| secret_value(&ds.name, s).map(|v| (s, v))).transpose();
        let mut source = None;
        let mut note = |field: &'static str, s: &sluice_compiler::ir::SecretField| {
            source = Some((field, s.env_var().unwrap_or_default().to_string()));
        };
        let credential = if let Some((s, key)) = secret("account_key")? {
            note("account_key", s);
            Credential::AccountKey(key)
        } else if let Some((s, sas)) = secret("sas_token")? {
            note("sas_token", s);
            Credential::Sas(sas.trim_start_matches('?').to_string())
        } else if let Some((s, token)) = secret("bearer_token")? {
            note("bearer_token", s);
            Credential::Bearer(token)
        } else if let Some((s, client_secret)) = secret("client_secret")? {
            note("client_secret", s);
            let need = |k: &str| {
                ds.setting(k)
                    .map(str::to_string)
                    .ok_or_else(|| config(format!("a service principal needs `{k}`")))
            };
            Credential::ServicePrincipal {
                tenant_id: need("tenant_id")?,
                client_id: need("client_id")?,
                client_secret,
                authority_url: ds.setting("authority_url").map(str::to_string),
            }
        } else {
            Credential::None
        };
        Ok(Settings {
            account: account.to_string(),
            container: container.to_string(),
            url,
            credential,
            source,
        })
    }

    /// What to check when the service refuses the credential.
    fn hint(&self) -> String {
        let var = |field: &str| match &self.source {
            Some((f, v)) if *f == field && !v.is_empty() => format!(" in ${{env:{v}}}"),
            _ => String::new(),
        };
        match &self.credential {
            Credential::AccountKey(_) => format!("check the account key{}", var("account_key")),
            Credential::Sas(_) => {
                format!("check the SAS token{} (its permissions, start and expiry)", var("sas_token"))
            }
            Credential::Bearer(_) => format!(
                "check the bearer token{} (tokens expire after about an hour; its identity needs a Storage Blob Data role)",
                var("bearer_token")
            ),
            Credential::ServicePrincipal { .. } => format!(
                "check the service principal (tenant_id, client_id, client_secret{}) and its Storage Blob Data role",
                var("client_secret")
            ),
            Credential::None => {
                "the datastore has no credential: add account_key, sas_token, bearer_token or a service principal (tenant_id, client_id, client_secret) as ${env:NAME}".to_string()
            }
        }
    }
}

/// An Azure Blob container or Data Lake Storage Gen2 file system.
#[derive(Debug)]
pub struct AzureStore {
    /// The datastore's name.
    pub name: String,
    /// Storage account.
    pub account: String,
    /// Container.
    pub container: String,
    /// The account URL, for messages (it holds no credential).
    pub endpoint: String,
    store: Arc<MicrosoftAzure>,
    control: Control,
    redactor: Redactor,
    settings: Settings,
    net: NetOptions,
}

/// What went wrong with an `object_store` call, for [`AzureStore::error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    NotFound,
    Exists,
    Denied(u16),
    Unreachable,
    Other,
}

impl AzureStore {
    /// Builds the client for `ds` with `settings`.
    pub fn open(ds: &Datastore, settings: &Settings, net: NetOptions) -> Result<Self, DatastoreError> {
        let config = |message: String| DatastoreError::Config { datastore: ds.name.clone(), message };
        let connector = Connector::default();
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: std::time::Duration::from_millis(100),
                max_backoff: std::time::Duration::from_secs(8),
                base: 2.0,
            },
            max_retries: net.retries,
            retry_timeout: net.retry_timeout,
        };
        let options = ClientOptions::new()
            .with_allow_http(settings.url.scheme() == "http")
            .with_timeout(net.request_timeout)
            .with_connect_timeout(std::time::Duration::from_secs(10));
        let builder = MicrosoftAzureBuilder::new()
            .with_account(&settings.account)
            .with_container_name(&settings.container)
            .with_endpoint(settings.url.as_str().trim_end_matches('/').to_string())
            .with_client_options(options)
            .with_retry(retry)
            .with_http_connector(connector.clone());
        let mut redactor = Redactor::default();
        let (builder, key) = credential(builder, settings, &mut redactor).map_err(config)?;
        let store = builder
            .build()
            .map_err(|e| config(format!("cannot be opened: {}", redactor.redact(&innermost(&e)))))?;
        let client = connector
            .plain()
            .ok_or_else(|| config("cannot be opened: no HTTP client was made".to_string()))?;
        let signing = match (key, &settings.credential) {
            (Some(k), _) => Signing::SharedKey(k),
            (None, Credential::None) => Signing::None,
            (None, _) => Signing::Provider(Arc::clone(store.credentials())),
        };
        let mut service = settings.url.clone();
        service.set_query(None);
        Ok(AzureStore {
            name: ds.name.clone(),
            account: settings.account.clone(),
            container: settings.container.clone(),
            endpoint: service.as_str().trim_end_matches('/').to_string(),
            control: Control {
                client,
                account: settings.account.clone(),
                service,
                container: settings.container.clone(),
                signing,
                retries: net.retries,
            },
            store: Arc::new(store),
            redactor,
            settings: settings.clone(),
            net,
        })
    }

    fn object(&self, path: &str) -> Result<ObjectPath, DatastoreError> {
        ObjectPath::parse(path).map_err(|_| DatastoreError::Usage(format!("`{path}` cannot be a blob name")))
    }

    /// Every blob under `prefix` (a folder).
    pub async fn list(&self, prefix: &str) -> Result<Vec<Entry>, DatastoreError> {
        let prefix = if prefix.is_empty() { None } else { Some(format!("{prefix}/")) };
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let opts = PaginatedListOptions { page_token: token, ..Default::default() };
            let page = self
                .store
                .list_paginated(prefix.as_deref(), opts)
                .await
                .map_err(|e| self.error(e, "listing", prefix.as_deref().unwrap_or("")))?;
            let md5s = page.result.extensions.get::<ListedMd5>().cloned().unwrap_or_default();
            for o in page.result.objects {
                let path = o.location.as_ref().to_string();
                out.push(Entry {
                    md5: md5s.0.get(&path).copied(),
                    path,
                    size: o.size,
                    modified_ms: Some(o.last_modified.timestamp_millis()),
                    etag: o.e_tag,
                });
            }
            token = page.page_token;
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// The blob at `path`, if there is one.
    pub async fn head(&self, path: &str) -> Result<Option<Entry>, DatastoreError> {
        let location = self.object(path)?;
        match self.store.get_opts(&location, GetOptions { head: true, ..Default::default() }).await {
            Ok(r) => Ok(Some(Entry {
                path: path.to_string(),
                size: r.meta.size,
                modified_ms: Some(r.meta.last_modified.timestamp_millis()),
                etag: r.meta.e_tag.clone(),
                md5: r.extensions.get::<ServiceMd5>().map(|m| m.0),
            })),
            Err(e) if classify(&e) == Failure::NotFound => Ok(None),
            Err(e) => Err(self.error(e, "reading", path)),
        }
    }

    /// Makes the container when it is missing; true when it made it.
    pub async fn ensure_container(&self) -> Result<bool, DatastoreError> {
        let probe = PaginatedListOptions { max_keys: Some(1), ..Default::default() };
        match self.store.list_paginated(None, probe).await {
            Ok(_) => return Ok(false),
            Err(e) if classify(&e) == Failure::NotFound => {}
            Err(e) => return Err(self.error(e, "listing", "")),
        }
        match self.control.create_container().await {
            Answer::Done => Ok(true),
            Answer::Refused(s, _) if s == http::StatusCode::CONFLICT => Ok(false),
            Answer::Refused(s, code)
                if s == http::StatusCode::FORBIDDEN || s == http::StatusCode::UNAUTHORIZED =>
            {
                Err(DatastoreError::AccessDenied {
                    datastore: self.name.clone(),
                    message: format!(
                        "container `{}` does not exist in account `{}` (datastore `{}`) and creating it was refused ({} {}): create it, or {}",
                        self.container,
                        self.account,
                        self.name,
                        s.as_u16(),
                        code.unwrap_or_default(),
                        self.settings.hint()
                    ),
                })
            }
            Answer::Refused(s, code) => Err(DatastoreError::Service {
                datastore: self.name.clone(),
                message: format!(
                    "creating container `{}` in account `{}` (datastore `{}`) failed: the service answered {} {}",
                    self.container,
                    self.account,
                    self.name,
                    s.as_u16(),
                    code.unwrap_or_default()
                ),
            }),
            Answer::Unreachable(cause) => Err(self.unreachable("creating the container", "", &cause)),
        }
    }

    /// Uploads `src` to `dst`.
    pub async fn put_file(
        &self,
        src: &Path,
        size: u64,
        dst: &str,
        overwrite: bool,
        counter: ByteCounter,
    ) -> Result<PutOutcome, DatastoreError> {
        if size > SINGLE_PUT_LIMIT {
            if !overwrite && self.head(dst).await?.is_some() {
                return Ok(PutOutcome::Exists);
            }
            return self.put_blocks(src, dst, counter).await;
        }
        let file = src.to_path_buf();
        let (body, md5) = tokio::task::spawn_blocking(move || read_hashed(&file))
            .await
            .map_err(|e| DatastoreError::Usage(format!("a file task stopped: {e}")))??;
        let location = self.object(dst)?;
        let mut verified = false;
        // The service answers with the MD5 of what it stored; a mismatch is sent again once
        // (overwriting: the first copy is sluice's own).
        for attempt in 0..2 {
            let mode = if overwrite || attempt > 0 { PutMode::Overwrite } else { PutMode::Create };
            let opts = PutOptions { mode, ..Default::default() };
            match self.store.put_opts(&location, PutPayload::from(body.clone()), opts).await {
                Ok(r) => match r.extensions.get::<ServiceMd5>() {
                    Some(ServiceMd5(got)) if *got == md5 => {
                        verified = true;
                        break;
                    }
                    Some(ServiceMd5(got)) if attempt == 1 => {
                        let _ = self.store.delete(&location).await;
                        return Err(DatastoreError::Integrity {
                            datastore: self.name.clone(),
                            path: dst.to_string(),
                            what: format!(
                                "sent MD5 {}, the service stored MD5 {}",
                                super::md5_hex(&md5),
                                super::md5_hex(got)
                            ),
                        });
                    }
                    Some(_) => continue,
                    None => break,
                },
                Err(e) if !overwrite && attempt == 0 && classify(&e) == Failure::Exists => {
                    return Ok(PutOutcome::Exists);
                }
                Err(e) => return Err(self.error(e, "writing", dst)),
            }
        }
        if !verified {
            // The service did not say what it received: record the MD5 so downloads check it.
            self.record_md5(dst, &md5).await?;
        }
        counter(size);
        Ok(PutOutcome::Written { md5 })
    }

    /// Uploads a large file in blocks, then records its MD5 (the service computes none for a
    /// blob made of blocks). Uncommitted blocks are invisible: a failure leaves no blob.
    async fn put_blocks(
        &self,
        src: &Path,
        dst: &str,
        counter: ByteCounter,
    ) -> Result<PutOutcome, DatastoreError> {
        let location = self.object(dst)?;
        let mut upload = self
            .store
            .put_multipart_opts(&location, PutMultipartOptions::default())
            .await
            .map_err(|e| self.error(e, "writing", dst))?;
        // One thread reads and hashes the file in blocks; up to BLOCKS_IN_FLIGHT go up at once.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(2);
        let path = src.to_path_buf();
        let reader = tokio::task::spawn_blocking(move || {
            let mut file = std::fs::File::open(&path).map_err(|e| DatastoreError::local(&path, e))?;
            let mut hasher = Md5::new();
            loop {
                let mut buf = Vec::with_capacity(BLOCK_SIZE);
                (&mut file)
                    .take(BLOCK_SIZE as u64)
                    .read_to_end(&mut buf)
                    .map_err(|e| DatastoreError::local(&path, e))?;
                if buf.is_empty() {
                    return Ok::<[u8; 16], DatastoreError>(hasher.finalize().into());
                }
                hasher.update(&buf);
                if tx.blocking_send(Bytes::from(buf)).is_err() {
                    return Err(DatastoreError::Canceled); // the upload stopped; its error is reported
                }
            }
        });
        let sent: Result<(), DatastoreError> = async {
            let mut in_flight = FuturesUnordered::new();
            while let Some(chunk) = rx.recv().await {
                let n = chunk.len() as u64;
                let part = upload.put_part(PutPayload::from(chunk));
                let counter = counter.clone();
                in_flight.push(async move {
                    part.await.map(|()| counter(n)).map_err(|e| self.error(e, "writing", dst))
                });
                if in_flight.len() >= BLOCKS_IN_FLIGHT
                    && let Some(r) = in_flight.next().await
                {
                    r?;
                }
            }
            while let Some(r) = in_flight.next().await {
                r?;
            }
            Ok(())
        }
        .await;
        drop(rx);
        let read = reader.await.map_err(|e| DatastoreError::Usage(format!("a file task stopped: {e}")))?;
        let md5 = match (sent, read) {
            (Ok(()), Ok(md5)) => md5,
            (Err(e), _) | (Ok(()), Err(e)) => {
                let _ = upload.abort().await;
                return Err(e);
            }
        };
        upload.complete().await.map_err(|e| self.error(e, "writing", dst))?;
        self.record_md5(dst, &md5).await?;
        Ok(PutOutcome::Written { md5 })
    }

    /// Sets the blob's `Content-MD5`.
    async fn record_md5(&self, dst: &str, md5: &[u8; 16]) -> Result<(), DatastoreError> {
        match self.control.set_md5(dst, md5).await {
            Answer::Done => Ok(()),
            Answer::Refused(s, code) => Err(DatastoreError::Service {
                datastore: self.name.clone(),
                message: format!(
                    "recording the MD5 of `{dst}` on datastore `{}` failed: the service answered {} {}",
                    self.name,
                    s.as_u16(),
                    code.unwrap_or_default()
                ),
            }),
            Answer::Unreachable(cause) => Err(self.unreachable("writing", dst, &cause)),
        }
    }

    /// Downloads `src` into `tmp`, checking its MD5 (or size).
    pub async fn get_file(
        &self,
        src: &Entry,
        tmp: &Path,
        counter: ByteCounter,
    ) -> Result<Fetched, DatastoreError> {
        let location = self.object(&src.path)?;
        // The version listed, or an error: the MD5 to check must be that version's.
        let opts = GetOptions { if_match: src.etag.clone(), ..Default::default() };
        let result =
            self.store.get_opts(&location, opts).await.map_err(|e| self.error(e, "reading", &src.path))?;
        let expected = result.extensions.get::<ServiceMd5>().map(|m| m.0).or(src.md5);
        let size = result.meta.size;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(8);
        let file = tmp.to_path_buf();
        // Created before the file task starts: when this future is dropped (Ctrl-C), whoever
        // removes `tmp` then finds it, and the task writes on into a file no longer linked.
        let mut out = std::fs::File::create(&file).map_err(|e| DatastoreError::local(&file, e))?;
        let writer = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut hasher = Md5::new();
            let mut written = 0u64;
            while let Some(chunk) = rx.blocking_recv() {
                hasher.update(&chunk);
                out.write_all(&chunk).map_err(|e| DatastoreError::local(&file, e))?;
                written += chunk.len() as u64;
            }
            out.sync_all().map_err(|e| DatastoreError::local(&file, e))?;
            Ok::<_, DatastoreError>((<[u8; 16]>::from(hasher.finalize()), written))
        });
        let mut stream = result.into_stream();
        let mut failure = None;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => {
                    let n = bytes.len() as u64;
                    if tx.send(bytes).await.is_err() {
                        break; // the writer failed: its error is reported below
                    }
                    counter(n);
                }
                Err(e) => {
                    failure = Some(self.error(e, "reading", &src.path));
                    break;
                }
            }
        }
        drop(tx);
        let written = writer.await.map_err(|e| DatastoreError::Usage(format!("a file task stopped: {e}")))?;
        if let Some(f) = failure {
            return Err(f);
        }
        let (md5, got) = written?;
        let integrity = |what: String| DatastoreError::Integrity {
            datastore: self.name.clone(),
            path: src.path.clone(),
            what,
        };
        if got != size {
            return Err(integrity(format!("{got} bytes arrived of {size}")));
        }
        match expected {
            Some(want) if want != md5 => Err(integrity(format!(
                "the service holds MD5 {}, what arrived has MD5 {}",
                super::md5_hex(&want),
                super::md5_hex(&md5)
            ))),
            Some(_) => Ok(Fetched { md5, md5_checked: true }),
            None => Ok(Fetched { md5, md5_checked: false }),
        }
    }

    /// Deletes blobs: in batches of up to 256 per request, else (a service or credential that
    /// refuses batches) one request each.
    pub async fn delete(&self, paths: &[String]) -> Result<Vec<String>, DatastoreError> {
        let locations: Vec<ObjectPath> = paths.iter().map(|p| self.object(p)).collect::<Result<_, _>>()?;
        let results: Vec<object_store::Result<ObjectPath>> = self
            .store
            .delete_stream(futures_util::stream::iter(locations.into_iter().map(Ok)).boxed())
            .collect()
            .await;
        let mut gone = Vec::new();
        for r in results {
            match r {
                Ok(p) => gone.push(p.as_ref().to_string()),
                Err(e) if classify(&e) == Failure::NotFound => {}
                Err(e) if classify(&e) == Failure::Other => return self.delete_each(paths).await,
                Err(e) => return Err(self.error(e, "deleting", "")),
            }
        }
        Ok(gone)
    }

    async fn delete_each(&self, paths: &[String]) -> Result<Vec<String>, DatastoreError> {
        let answers: Vec<(&String, Answer)> = futures_util::stream::iter(paths)
            .map(|p| async move { (p, self.control.delete_blob(p).await) })
            .buffer_unordered(16)
            .collect()
            .await;
        let mut gone = Vec::new();
        for (path, answer) in answers {
            match answer {
                Answer::Done => gone.push(path.clone()),
                Answer::Refused(s, _) if s == http::StatusCode::NOT_FOUND => {}
                Answer::Refused(s, code)
                    if s == http::StatusCode::FORBIDDEN || s == http::StatusCode::UNAUTHORIZED =>
                {
                    return Err(self.denied(s.as_u16(), code, &format!("deleting `{path}`")));
                }
                Answer::Refused(s, code) => {
                    return Err(DatastoreError::Service {
                        datastore: self.name.clone(),
                        message: format!(
                            "the Blob service of datastore `{}` failed deleting `{path}`: it answered {} {}",
                            self.name,
                            s.as_u16(),
                            code.unwrap_or_default()
                        ),
                    });
                }
                Answer::Unreachable(cause) => return Err(self.unreachable("deleting", path, &cause)),
            }
        }
        gone.sort();
        Ok(gone)
    }

    fn denied(&self, status: u16, code: Option<String>, what: &str) -> DatastoreError {
        DatastoreError::AccessDenied {
            datastore: self.name.clone(),
            message: format!(
                "access denied to container `{}` of account `{}` (datastore `{}`, {what}): the service answered {status}{}; {}",
                self.container,
                self.account,
                self.name,
                code.map(|c| format!(" {c}")).unwrap_or_default(),
                self.settings.hint()
            ),
        }
    }

    fn unreachable(&self, op: &str, path: &str, cause: &str) -> DatastoreError {
        let what = if path.is_empty() { op.to_string() } else { format!("{op} `{path}`") };
        DatastoreError::Unreachable {
            datastore: self.name.clone(),
            message: format!(
                "cannot reach the Blob service of datastore `{}` at {} ({what}): {} (gave up after up to {} {}; --retries sets how many)",
                self.name,
                self.endpoint,
                self.redactor.redact(cause),
                self.net.retries,
                if self.net.retries == 1 { "retry" } else { "retries" }
            ),
        }
    }

    /// An `object_store` error as a [`DatastoreError`] naming the datastore and path.
    fn error(&self, e: object_store::Error, op: &str, path: &str) -> DatastoreError {
        let what = if path.is_empty() { op.to_string() } else { format!("{op} `{path}`") };
        let text = format!("{e}");
        let code = service_code(&text);
        match classify(&e) {
            Failure::Denied(status) => self.denied(status, code, &what),
            Failure::NotFound if code.as_deref() == Some("ContainerNotFound") || path.is_empty() => {
                DatastoreError::NoContainer {
                    datastore: self.name.clone(),
                    account: self.account.clone(),
                    container: self.container.clone(),
                    upload: op == "writing",
                }
            }
            Failure::NotFound => {
                DatastoreError::NotFound { datastore: self.name.clone(), path: path.to_string(), hint: None }
            }
            Failure::Exists
                if code.as_deref() == Some("ConditionNotMet") || text.contains("precondition") =>
            {
                DatastoreError::Service {
                    datastore: self.name.clone(),
                    message: format!(
                        "`{path}` on datastore `{}` changed while it was read; run the command again",
                        self.name
                    ),
                }
            }
            Failure::Unreachable => self.unreachable(op, path, &innermost(&e)),
            Failure::Exists | Failure::Other => DatastoreError::Service {
                datastore: self.name.clone(),
                message: format!(
                    "the Blob service of datastore `{}` failed {what}: {}",
                    self.name,
                    match (status_in(&text), code) {
                        (Some(s), Some(c)) => format!("it answered {s} {c}"),
                        (Some(s), None) => format!("it answered {s}"),
                        (None, Some(c)) => c,
                        (None, None) => self.redactor.redact(&innermost(&e)),
                    }
                ),
            },
        }
    }
}

/// The builder with the settings' credential; the decoded account key, when it is one (the
/// requests `object_store` does not make are signed with it).
fn credential(
    builder: MicrosoftAzureBuilder,
    settings: &Settings,
    redactor: &mut Redactor,
) -> Result<(MicrosoftAzureBuilder, Option<Vec<u8>>), String> {
    Ok(match &settings.credential {
        Credential::None => (builder.with_skip_signature(true), None),
        Credential::AccountKey(k) => {
            use base64::Engine;
            redactor.add(k);
            let decoded = base64::engine::general_purpose::STANDARD.decode(k.trim()).map_err(|_| {
                format!(
                    "its account key{} is not base64 (copy key1 or key2 of the storage account's access keys)",
                    settings.source.as_ref().map(|(_, v)| format!(" in ${{env:{v}}}")).unwrap_or_default()
                )
            })?;
            (builder.with_access_key(k.trim()), Some(decoded))
        }
        Credential::Sas(s) => {
            redactor.add(s);
            let pairs = object_store::azure::split_sas(s)
                .map_err(|_| "its SAS token cannot be read as `sv=...&sig=...`".to_string())?;
            (builder.with_sas_authorization(pairs), None)
        }
        Credential::Bearer(t) => {
            redactor.add(t);
            (builder.with_bearer_token_authorization(t), None)
        }
        Credential::ServicePrincipal { tenant_id, client_id, client_secret, authority_url } => {
            redactor.add(client_secret);
            let b = builder.with_client_secret_authorization(client_id, client_secret, tenant_id);
            (if let Some(a) = authority_url { b.with_authority_host(a) } else { b }, None)
        }
    })
}

/// Reads a whole file and its MD5.
fn read_hashed(path: &Path) -> Result<(Bytes, [u8; 16]), DatastoreError> {
    let data = std::fs::read(path).map_err(|e| DatastoreError::local(path, e))?;
    let md5: [u8; 16] = Md5::digest(&data).into();
    Ok((Bytes::from(data), md5))
}

/// What kind of failure an `object_store` error is. Some calls (listings) report every
/// refusal as a generic error: the status in its text then decides.
fn classify(e: &object_store::Error) -> Failure {
    use object_store::Error as E;
    match e {
        E::NotFound { .. } => Failure::NotFound,
        E::AlreadyExists { .. } | E::Precondition { .. } => Failure::Exists,
        E::PermissionDenied { .. } => Failure::Denied(403),
        E::Unauthenticated { .. } => Failure::Denied(401),
        other => {
            let text = other.to_string();
            match status_in(&text) {
                Some(404) => return Failure::NotFound,
                Some(409 | 412) => return Failure::Exists,
                Some(s @ (401 | 403)) => return Failure::Denied(s),
                Some(_) => return Failure::Other,
                None => {}
            }
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(other);
            while let Some(s) = source {
                // Transport failures (refused, reset, timed out) outlived the retries.
                if s.downcast_ref::<HttpError>().is_some() {
                    return Failure::Unreachable;
                }
                source = s.source();
            }
            Failure::Other
        }
    }
}

/// The HTTP status in an `object_store` error's text (`... status code: 403 Forbidden ...`).
fn status_in(text: &str) -> Option<u16> {
    let at = text.find("status code: ")? + "status code: ".len();
    text.get(at..at + 3)?.parse().ok()
}

/// The `<Code>` of a Blob service error answer, when the text holds one.
fn service_code(text: &str) -> Option<String> {
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")? + start;
    let code = &text[start..end];
    code.chars().all(|c| c.is_ascii_alphanumeric()).then(|| code.to_string())
}

/// The last error of a chain (the operating system's, usually: `Connection refused`), which
/// names no URL.
pub(crate) fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(s) = last.source() {
        last = s;
    }
    let text = last.to_string();
    // Errors that name a URL keep only what comes before it.
    match text.find("http") {
        Some(i) if i > 0 => text[..i].trim_end_matches([' ', '(', ':']).to_string(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(
            status_in(
                "Error performing GET in 1ms - Server returned non-2xx status code: 404 Not Found: <x>"
            ),
            Some(404)
        );
        assert_eq!(status_in("connection refused"), None);
    }

    #[test]
    fn service_codes() {
        assert_eq!(
            service_code(
                "Server returned non-2xx status code: 403 Forbidden: <?xml?><Error><Code>AuthenticationFailed</Code><Message>..."
            ),
            Some("AuthenticationFailed".to_string())
        );
        assert_eq!(service_code("no code"), None);
    }
}
