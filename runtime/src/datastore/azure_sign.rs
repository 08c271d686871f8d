//! The Blob service requests `object_store` does not make: Create Container (an emulator, or a
//! new account, starts empty; the SDK's `upload_files` makes the container too), Set Blob
//! Properties with `x-ms-blob-content-md5` (a blob uploaded in blocks gets no MD5 from the
//! service, so sluice records the one it computed, as `azcopy --put-md5` does), and a single
//! Delete Blob (`object_store` deletes only in batches, which some services and emulators
//! refuse for some credentials).
//!
//! They are signed with the credential `object_store` resolved (a SAS is appended, a bearer
//! token sent as such, including one obtained for a service principal) and, for an account key,
//! with the Shared Key scheme
//! (<https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key>), written
//! here because `object_store` keeps its signer private.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use object_store::azure::{AzureCredential, AzureCredentialProvider};
use object_store::client::{HttpClient, HttpErrorKind, HttpRequest, HttpRequestBody};
use sha2::Sha256;
use url::Url;

/// The REST API version of these requests (the one `object_store` 0.14 speaks).
const API_VERSION: &str = "2023-11-03";

/// How the control requests authenticate.
#[derive(Debug, Clone)]
pub(crate) enum Signing {
    /// Anonymous.
    None,
    /// Shared Key with the decoded account key.
    SharedKey(Vec<u8>),
    /// Whatever `object_store` resolved (SAS or bearer token).
    Provider(AzureCredentialProvider),
}

/// Sends the control requests.
#[derive(Debug, Clone)]
pub(crate) struct Control {
    pub(crate) client: HttpClient,
    pub(crate) account: String,
    /// The account's Blob service URL, without a trailing `/`.
    pub(crate) service: Url,
    pub(crate) container: String,
    pub(crate) signing: Signing,
    pub(crate) retries: usize,
}

/// A control request's answer.
#[derive(Debug)]
pub(crate) enum Answer {
    /// A 2xx status.
    Done,
    /// Another status, with the service's error code.
    Refused(StatusCode, Option<String>),
    /// No answer after the retries: the cause, in words.
    Unreachable(String),
}

impl Control {
    /// Create Container; `Done` made it, `Refused(409)` it was there.
    pub(crate) async fn create_container(&self) -> Answer {
        let url = self.url(&[], &[("restype", "container")]);
        self.send(Method::PUT, url, Vec::new()).await
    }

    /// Set Blob Properties with the blob's MD5.
    pub(crate) async fn set_md5(&self, blob: &str, md5: &[u8; 16]) -> Answer {
        let segments: Vec<&str> = blob.split('/').collect();
        let url = self.url(&segments, &[("comp", "properties")]);
        // Set Blob Properties clears the content headers it is not given; object_store sends
        // none, so the blob's type is the service's default, kept here.
        let headers = vec![
            ("x-ms-blob-content-md5", BASE64.encode(md5)),
            ("x-ms-blob-content-type", "application/octet-stream".to_string()),
        ];
        self.send(Method::PUT, url, headers).await
    }

    /// Delete Blob; `Done` deleted it, `Refused(404)` it was not there.
    pub(crate) async fn delete_blob(&self, blob: &str) -> Answer {
        let segments: Vec<&str> = blob.split('/').collect();
        let url = self.url(&segments, &[]);
        self.send(Method::DELETE, url, Vec::new()).await
    }

    fn url(&self, blob: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.service.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push(&self.container).extend(blob);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends a body-less request, retrying connection failures, 5xx, 408 and 429 with
    /// exponential backoff.
    async fn send(&self, method: Method, url: Url, headers: Vec<(&'static str, String)>) -> Answer {
        let mut delay = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            let (answer, retry) = match self.request(&method, url.clone(), &headers).await {
                Err(cause) => (Answer::Unreachable(cause), false),
                Ok(req) => match self.client.execute(req).await {
                    Ok(resp) => {
                        let status = resp.status();
                        if status.is_success() {
                            return Answer::Done;
                        }
                        let code = resp
                            .headers()
                            .get("x-ms-error-code")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        let retry = status.is_server_error()
                            || status == StatusCode::TOO_MANY_REQUESTS
                            || status == StatusCode::REQUEST_TIMEOUT;
                        (Answer::Refused(status, code), retry)
                    }
                    Err(e) => {
                        let retry = matches!(
                            e.kind(),
                            HttpErrorKind::Connect | HttpErrorKind::Request | HttpErrorKind::Timeout
                        );
                        (Answer::Unreachable(super::azure::innermost(&e)), retry)
                    }
                },
            };
            if !retry || attempt >= self.retries {
                return answer;
            }
            attempt += 1;
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(8));
        }
    }

    /// The signed request.
    async fn request(
        &self,
        method: &Method,
        mut url: Url,
        extra: &[(&'static str, String)],
    ) -> Result<HttpRequest, String> {
        let mut headers = HeaderMap::new();
        let header =
            |v: &str| HeaderValue::from_str(v).map_err(|_| "a header value is not valid".to_string());
        headers.insert("x-ms-date", header(&http_date(SystemTime::now()))?);
        headers.insert("x-ms-version", HeaderValue::from_static(API_VERSION));
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        for (k, v) in extra {
            headers.insert(*k, header(v)?);
        }
        match &self.signing {
            Signing::None => {}
            Signing::SharedKey(key) => {
                let to_sign = string_to_sign(method, &url, &headers, &self.account);
                let mut mac = Hmac::<Sha256>::new_from_slice(key)
                    .map_err(|_| "the account key cannot sign".to_string())?;
                mac.update(to_sign.as_bytes());
                let signature = BASE64.encode(mac.finalize().into_bytes());
                let mut auth = header(&format!("SharedKey {}:{signature}", self.account))?;
                auth.set_sensitive(true);
                headers.insert(http::header::AUTHORIZATION, auth);
            }
            Signing::Provider(provider) => match provider.get_credential().await {
                Ok(c) => match c.as_ref() {
                    AzureCredential::SASToken(pairs) => {
                        url.query_pairs_mut().extend_pairs(pairs);
                    }
                    AzureCredential::BearerToken(token) => {
                        let mut auth = header(&format!("Bearer {token}"))?;
                        auth.set_sensitive(true);
                        headers.insert(http::header::AUTHORIZATION, auth);
                    }
                    // Account keys are signed above, with the key sluice read.
                    AzureCredential::AccessKey(_) => {}
                },
                Err(e) => return Err(format!("no credential: {}", super::azure::innermost(&e))),
            },
        }
        let mut req = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .body(HttpRequestBody::empty())
            .map_err(|e| e.to_string())?;
        *req.headers_mut() = headers;
        Ok(req)
    }
}

/// The Shared Key string to sign: the standard headers (empty here but for a non-zero length),
/// the `x-ms-` headers sorted, and the canonical resource.
fn string_to_sign(method: &Method, url: &Url, headers: &HeaderMap, account: &str) -> String {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let length = match get("content-length") {
        "0" => "",
        other => other,
    };
    let mut ms: Vec<(String, &str)> = headers
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-ms-"))
        .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or("")))
        .collect();
    ms.sort();
    let canonical_headers: String = ms.iter().map(|(k, v)| format!("{k}:{}\n", v.trim())).collect();
    let mut query: Vec<(String, String)> =
        url.query_pairs().map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned())).collect();
    query.sort();
    let canonical_query: String = query.iter().map(|(k, v)| format!("\n{k}:{v}")).collect();
    format!(
        "{method}\n{}\n{}\n{length}\n{}\n{}\n\n{}\n{}\n{}\n{}\n{}\n{canonical_headers}/{account}{}{canonical_query}",
        get("content-encoding"),
        get("content-language"),
        get("content-md5"),
        get("content-type"),
        get("if-modified-since"),
        get("if-match"),
        get("if-none-match"),
        get("if-unmodified-since"),
        get("range"),
        url.path(),
    )
}

/// `Fri, 04 Dec 2026 16:34:53 GMT`.
pub(crate) fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::time::civil_from_days(days);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(1_796_402_093)),
            "Fri, 04 Dec 2026 16:34:53 GMT"
        );
    }

    #[test]
    fn shared_key_string_to_sign() {
        let url = Url::parse("http://127.0.0.1:10000/devstoreaccount1/data?restype=container").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-version", HeaderValue::from_static(API_VERSION));
        headers.insert("x-ms-date", HeaderValue::from_static("Fri, 04 Dec 2026 16:34:53 GMT"));
        headers.insert("content-length", HeaderValue::from_static("0"));
        assert_eq!(
            string_to_sign(&Method::PUT, &url, &headers, "devstoreaccount1"),
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 04 Dec 2026 16:34:53 GMT\nx-ms-version:2023-11-03\n/devstoreaccount1/devstoreaccount1/data\nrestype:container"
        );
    }
}
