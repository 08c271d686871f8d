//! The HTTP layer under `object_store`'s Azure client: reqwest, plus a pass that keeps what
//! `object_store` drops and sluice needs for integrity checks. `object_store` hands a
//! response's extensions back to the caller (`PutResult`, `GetResult`, `ListResult`); this
//! layer puts there the `Content-MD5` of a response (the MD5 the service computed of an
//! uploaded body, or the one it holds for a blob) and the MD5 of each blob of a listing page.
//! It also keeps the plain client, for the two requests `object_store` does not make (create a
//! container, set a blob's MD5: see `azure_sign`).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use object_store::ClientOptions;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpRequest, HttpResponse, HttpResponseBody, HttpService,
    ReqwestConnector,
};
use quick_xml::events::Event;

/// The `Content-MD5` header of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServiceMd5(pub [u8; 16]);

/// The MD5 of each blob of a listing page that has one, by blob name.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListedMd5(pub HashMap<String, [u8; 16]>);

/// An MD5 from its base64 form.
pub(crate) fn decode_md5(text: &str) -> Option<[u8; 16]> {
    BASE64.decode(text.trim()).ok().and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
}

/// Makes the client `object_store` uses and keeps the plain one.
#[derive(Debug, Default, Clone)]
pub(crate) struct Connector {
    plain: Arc<OnceLock<HttpClient>>,
}

impl Connector {
    /// The plain client (set once `object_store` built its own).
    pub(crate) fn plain(&self) -> Option<HttpClient> {
        self.plain.get().cloned()
    }
}

impl HttpConnector for Connector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        let _ = self.plain.set(inner.clone());
        Ok(HttpClient::new(Capture { inner }))
    }
}

/// Copies MD5s from responses into their extensions.
#[derive(Debug)]
struct Capture {
    inner: HttpClient,
}

#[async_trait]
impl HttpService for Capture {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let listing = req.method() == http::Method::GET
            && req.uri().query().is_some_and(|q| q.split('&').any(|p| p == "comp=list"));
        let mut resp = self.inner.execute(req).await?;
        if let Some(md5) =
            resp.headers().get("content-md5").and_then(|v| v.to_str().ok()).and_then(decode_md5)
        {
            resp.extensions_mut().insert(ServiceMd5(md5));
        }
        if listing && resp.status().is_success() {
            // A listing page is small (at most 5,000 entries): read it, note the MD5s, and
            // hand the same bytes on.
            let (mut parts, body) = resp.into_parts();
            let bytes = body.bytes().await?;
            parts.extensions.insert(ListedMd5(listed_md5(&bytes)));
            return Ok(HttpResponse::from_parts(parts, HttpResponseBody::from(bytes)));
        }
        Ok(resp)
    }
}

/// Blob name -> MD5 from a `List Blobs` answer.
fn listed_md5(xml: &[u8]) -> HashMap<String, [u8; 16]> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = HashMap::new();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    // The text of the element being read (entities come as their own events).
    let mut text = String::new();
    let (mut name, mut encoded, mut md5): (Option<String>, bool, Option<[u8; 16]>) = (None, false, None);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let tag = e.name().as_ref().to_vec();
                match tag.as_slice() {
                    b"Blob" => (name, encoded, md5) = (None, false, None),
                    b"Name" => {
                        encoded = e
                            .attributes()
                            .flatten()
                            .any(|a| a.key.as_ref() == b"Encoded" && a.value.as_ref() == b"true");
                    }
                    _ => {}
                }
                text.clear();
                stack.push(tag);
            }
            Ok(Event::Text(t)) => text.push_str(&t.xml10_content().unwrap_or_default()),
            Ok(Event::GeneralRef(r)) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r as &[u8] {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        _ => None,
                    },
                };
                text.extend(resolved);
            }
            Ok(Event::End(e)) => {
                let in_blob = stack.len() >= 2 && stack[stack.len() - 2] == b"Blob";
                match e.name().as_ref() {
                    b"Name" if in_blob => {
                        name = Some(if encoded {
                            super::percent_decode(&text).unwrap_or_default()
                        } else {
                            text.clone()
                        });
                    }
                    b"Content-MD5" => md5 = decode_md5(&text),
                    b"Blob" => {
                        if let (Some(n), Some(m)) = (name.take(), md5.take()) {
                            out.insert(n, m);
                        }
                    }
                    _ => {}
                }
                stack.pop();
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_md5s_of_a_listing() {
        let xml = br#"<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1" ContainerName="c"><Prefix/><Blobs>
<Blob><Name>raw/a&amp;b.csv</Name><Properties><Content-Length>3</Content-Length><Content-MD5>rL0Y20zC+Fzt72VPzMSk2A==</Content-MD5></Properties></Blob>
<Blob><Name>raw/no-md5.bin</Name><Properties><Content-Length>3</Content-Length><Content-MD5/></Properties></Blob>
<Blob><Name Encoded="true">raw/odd%0Aname</Name><Properties><Content-MD5>rL0Y20zC+Fzt72VPzMSk2A==</Content-MD5></Properties></Blob>
</Blobs><NextMarker/></EnumerationResults>"#;
        let got = listed_md5(xml);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(super::super::md5_hex(&got["raw/a&b.csv"]), "acbd18db4cc2f85cedef654fccc4a4d8");
        assert!(got.contains_key("raw/odd\nname"));
    }
}
