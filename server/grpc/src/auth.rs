//! The token check: `authorization: <token>` or `authorization: Bearer <token>` metadata.

use tonic::service::Interceptor;
use tonic::{Request, Status};

#[derive(Clone)]
pub(crate) struct TokenCheck {
    token: Option<std::sync::Arc<str>>,
}

impl TokenCheck {
    pub(crate) fn new(token: Option<String>) -> TokenCheck {
        TokenCheck {
            token: token.map(std::sync::Arc::from),
        }
    }
}

impl Interceptor for TokenCheck {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(token) = &self.token else {
            return Ok(request);
        };
        let given = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim());
        match given {
            Some(given) if given == &**token => Ok(request),
            Some(_) => Err(crate::error::status_for(&ha_server_api::ApiError::new(
                ha_types::ErrorCode::Unauthorized,
                "the token in the authorization metadata is not this node's",
            ))),
            None => Err(crate::error::status_for(&ha_server_api::ApiError::new(
                ha_types::ErrorCode::Unauthorized,
                "this node needs a token: send it as authorization metadata",
            ))),
        }
    }
}
