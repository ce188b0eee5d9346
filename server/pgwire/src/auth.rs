//! Startup: the one user and password (`--pg-user`, `--pg-pass`) checked with SCRAM-SHA-256
//! or in clear text, the server parameters clients read, and TLS from PEM files.

use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::cleartext::CleartextPasswordAuthStartupHandler;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::{ScramAuth, gen_salted_password};
use pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use pgwire::api::{ClientInfo, ConnectionManager};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use crate::compat::SERVER_VERSION;
use crate::error::PgError;
use crate::{AuthMethod, PgConfig};

/// SCRAM's PBKDF2 iterations (PostgreSQL's default).
const ITERATIONS: usize = 4096;

/// The configured credentials. The SCRAM salted password is computed once at start, not at
/// every connection (4096 rounds of PBKDF2 each time would slow connecting down).
#[derive(Debug)]
pub(crate) struct Credentials {
    user: String,
    password: String,
    salt: Vec<u8>,
    salted: Vec<u8>,
    scram: bool,
}

#[async_trait]
impl AuthSource for Credentials {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        if login.user() != Some(self.user.as_str()) {
            return Err(PgWireError::InvalidPassword(
                login.user().unwrap_or_default().to_string(),
            ));
        }
        Ok(if self.scram {
            Password::new(Some(self.salt.clone()), self.salted.clone())
        } else {
            Password::new(None, self.password.as_bytes().to_vec())
        })
    }
}

type Parameters = Arc<DefaultServerParameterProvider>;

pub(crate) enum Startup {
    Scram(SASLAuthStartupHandler<DefaultServerParameterProvider>),
    Password(CleartextPasswordAuthStartupHandler<Credentials, Parameters>),
}

impl Startup {
    pub(crate) fn new(
        config: &PgConfig,
        certificate_pem: Option<&[u8]>,
        connections: Arc<ConnectionManager>,
    ) -> Result<Startup, PgError> {
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = SERVER_VERSION.to_string();
        let parameters = Arc::new(parameters);
        let salt: Vec<u8> = rand_salt();
        let credentials = Credentials {
            user: config.user.clone(),
            password: config.password.clone(),
            salted: gen_salted_password(&config.password, &salt, ITERATIONS),
            salt,
            scram: config.auth == AuthMethod::ScramSha256,
        };
        Ok(match config.auth {
            AuthMethod::ScramSha256 => {
                let mut scram = ScramAuth::new(Arc::new(credentials));
                scram.set_iterations(ITERATIONS);
                if let Some(pem) = certificate_pem {
                    scram
                        .configure_certificate(pem)
                        .map_err(|e| PgError::client("F0000", format!("--pg-cert: {e}")))?;
                }
                Startup::Scram(
                    SASLAuthStartupHandler::new(parameters)
                        .with_scram(scram)
                        .with_connection_manager(connections),
                )
            }
            AuthMethod::Password => Startup::Password(
                CleartextPasswordAuthStartupHandler::new(credentials, parameters)
                    .with_connection_manager(connections),
            ),
        })
    }
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self {
            Startup::Scram(handler) => handler.on_startup(client, message).await,
            Startup::Password(handler) => handler.on_startup(client, message).await,
        }
    }
}

/// A fresh salt for this server's run (unique per server, not secret).
fn rand_salt() -> Vec<u8> {
    rand::random::<[u8; 16]>().to_vec()
}

/// The TLS acceptor for `cert` and `key` (PEM), and the certificate's PEM text (SCRAM channel
/// binding needs it).
pub(crate) fn tls_acceptor(
    cert: &Path,
    key: &Path,
) -> Result<(pgwire::tokio::TlsAcceptor, Vec<u8>), PgError> {
    let (config, pem) =
        ha_server_api::tls::server_config(cert, key, &[], ("--pg-cert", "--pg-key"))
            .map_err(|e| PgError::client("F0000", e))?;
    Ok((pgwire::tokio::TlsAcceptor::from(Arc::new(config)), pem))
}
