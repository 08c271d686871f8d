//! What can go wrong in the service, and the HTTP answer each gets: a clear 4xx for anything a
//! request did wrong, a 500 (with the details in the log, not the answer) only for the
//! service's own failures.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::wire::{ErrorInfo, ErrorResponse};

/// An error of the service.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No token, or a token that is unknown, revoked or expired (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The token's role may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such pipeline, endpoint, run, step or file (404).
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be used (400): `code` is stable, `target` names the field or
    /// parameter, `known` lists what could have been named.
    #[error("{message}")]
    BadRequest {
        /// Stable code (`UnknownParameter`, `BadParameterValue`, `BadRequest`, ...).
        code: &'static str,
        /// For people.
        message: String,
        /// The field or name it is about.
        target: Option<String>,
        /// What could have been named.
        known: Vec<String>,
    },
    /// The object's state refuses the request: a disabled pipeline or endpoint, a name
    /// already taken, a run that already ended (409).
    #[error("{message}")]
    Conflict {
        /// Stable code (`PipelineDisabled`, `EndpointDisabled`, `NameTaken`, `RunEnded`).
        code: &'static str,
        /// For people.
        message: String,
    },
    /// The body is not of the expected content type (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is larger than the limit (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The service's own database failed (500).
    #[error("service store: {0}")]
    Store(#[from] rusqlite::Error),
    /// A file of the service's state could not be read or written (500).
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Anything else that is the service's own fault (500).
    #[error("{0}")]
    Internal(String),
}

/// Results of the service.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl ServiceError {
    /// A 400 with the generic code.
    pub fn bad(message: impl Into<String>) -> ServiceError {
        ServiceError::BadRequest {
            code: "BadRequest",
            message: message.into(),
            target: None,
            known: Vec::new(),
        }
    }

    /// A 400 about a field or name.
    pub fn bad_at(code: &'static str, target: &str, message: impl Into<String>) -> ServiceError {
        ServiceError::BadRequest {
            code,
            message: message.into(),
            target: Some(target.to_string()),
            known: Vec::new(),
        }
    }

    /// An I/O error about `path`.
    pub fn io(path: &Path, source: std::io::Error) -> ServiceError {
        ServiceError::Io { path: path.to_path_buf(), source }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ServiceError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ServiceError::Conflict { .. } => StatusCode::CONFLICT,
            ServiceError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServiceError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ServiceError::Store(_) | ServiceError::Io { .. } | ServiceError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The JSON body.
    pub fn body(&self) -> ErrorResponse {
        let (code, target, known) = match self {
            ServiceError::Unauthorized(_) => ("Unauthorized", None, Vec::new()),
            ServiceError::Forbidden(_) => ("Forbidden", None, Vec::new()),
            ServiceError::NotFound(_) => ("NotFound", None, Vec::new()),
            ServiceError::BadRequest { code, target, known, .. } => (*code, target.clone(), known.clone()),
            ServiceError::Conflict { code, .. } => (*code, None, Vec::new()),
            ServiceError::UnsupportedMediaType(_) => ("UnsupportedMediaType", None, Vec::new()),
            ServiceError::PayloadTooLarge(_) => ("PayloadTooLarge", None, Vec::new()),
            _ => ("InternalError", None, Vec::new()),
        };
        let message = if self.status().is_server_error() {
            // The details (paths, SQL) go to the log only.
            "the service failed to do this; its log says why".to_string()
        } else {
            self.to_string()
        };
        ErrorResponse { error: ErrorInfo { code: code.to_string(), message, target, known } }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<sluice_runtime::RuntimeError> for ServiceError {
    fn from(e: sluice_runtime::RuntimeError) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

impl From<tokio::task::JoinError> for ServiceError {
    fn from(e: tokio::task::JoinError) -> Self {
        ServiceError::Internal(format!("a background task failed: {e}"))
    }
}
