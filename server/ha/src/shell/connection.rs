//! The shell's connection to a node: an `ha-client` session (so the node keeps the session's
//! database and transaction between statements), and the database the prompt shows.
//!
//! The shell's loop is synchronous (line editing blocks its thread); each statement runs on the
//! process's runtime through its handle.

use std::time::{Duration, Instant};

use ha_client::{Client, ClientError, ClientOptions, Executed, Session, Statement, Target};
use ha_types::{SpecialCommand, StatementResult, Value};
use tokio::runtime::Handle;

/// What running one statement came to.
pub enum Outcome {
    Done {
        executed: Executed,
        elapsed: Duration,
    },
    Failed(ClientError),
    /// Ctrl-C while it ran: the session was dropped (the node rolls back its open transaction);
    /// the next statement opens a new one in the same database.
    Cancelled {
        in_transaction: bool,
    },
}

pub struct Connection {
    runtime: Handle,
    client: Client,
    /// `None` after a cancel or a lost stream, until the next statement.
    session: Option<Session>,
    /// The database of the URL's path: a new session starts there.
    url_database: Option<String>,
    /// The session's database as the shell saw it change; `None` is the node's default.
    current: Option<String>,
    /// The node's default database (the first of `SHOW DATABASES`), when asked.
    default: Option<String>,
}

impl Connection {
    /// Connects to the node at `url` (`http(s)://host:port[/db]`) and opens a session.
    pub fn open(url: &str, token: Option<String>, runtime: Handle) -> Result<Self, ClientError> {
        let options = ClientOptions {
            token,
            ..ClientOptions::default()
        };
        let not_a_node = || {
            ClientError::BadUrl(format!(
                "client mode talks to a node: use http://host:port[/db], not {url}"
            ))
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(not_a_node());
        }
        let url_database = match ha_client::parse_url(url, &options)? {
            Target::Remote { database, .. } => database,
            Target::Local(_) => return Err(not_a_node()),
        };
        let (client, session) = runtime.block_on(async {
            let client = Client::open(url, options).await?;
            let session = client.session().await?;
            Ok::<_, ClientError>((client, session))
        })?;
        Ok(Connection {
            runtime,
            client,
            session: Some(session),
            current: url_database.clone(),
            url_database,
            default: None,
        })
    }

    /// Runs one statement. With `cancellable`, Ctrl-C (SIGINT) stops waiting for it.
    pub fn run(&mut self, sql: &str, cancellable: bool) -> Outcome {
        let mut session = match self.session.take() {
            Some(session) => session,
            None => match self.reopen() {
                Ok(session) => session,
                Err(e) => return Outcome::Failed(e),
            },
        };
        let started = Instant::now();
        let statement = Statement::new(sql);
        let answer = self.runtime.block_on(async {
            if !cancellable {
                return Some(session.execute(statement).await);
            }
            // A fresh listener sees only the interrupts from now on.
            let Ok(mut interrupt) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
            else {
                return Some(session.execute(statement).await);
            };
            tokio::select! {
                answer = session.execute(statement) => Some(answer),
                _ = interrupt.recv() => None,
            }
        });
        let elapsed = started.elapsed();
        match answer {
            None => Outcome::Cancelled {
                // The answer was not read: this session's stream is out of step, drop it.
                in_transaction: session.in_transaction(),
            },
            Some(Ok(executed)) => {
                self.session = Some(session);
                self.follow(sql);
                Outcome::Done { executed, elapsed }
            }
            Some(Err(error)) => {
                if !matches!(error, ClientError::Unavailable(_) | ClientError::Closed) {
                    self.session = Some(session);
                }
                Outcome::Failed(error)
            }
        }
    }

    /// Installs the process's SIGINT handler now (tokio keeps it installed), so a Ctrl-C
    /// while a statement runs interrupts the wait instead of killing the shell.
    pub fn catch_interrupts(&self) -> std::io::Result<()> {
        let _runtime = self.runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).map(drop)
    }

    /// The database statements go to, for the prompt: the session's, else the node's default.
    pub fn database(&self) -> Option<&str> {
        self.current.as_deref().or(self.default.as_deref())
    }

    /// Asks the node for its default database (`SHOW DATABASES` lists it first). This is also
    /// the first request: a refused token or an unknown database is reported here.
    pub fn learn_default(&mut self) -> Result<(), ClientError> {
        match self.run("SHOW DATABASES", false) {
            Outcome::Done { executed, .. } => {
                self.default = executed
                    .results
                    .into_iter()
                    .find_map(|result| match result {
                        StatementResult::Rows { rows, .. } => {
                            rows.into_iter().next().and_then(|row| match row.first() {
                                Some(Value::Text(id)) => Some(id.clone()),
                                _ => None,
                            })
                        }
                        StatementResult::Exec { .. } => None,
                    });
                Ok(())
            }
            Outcome::Failed(error) => Err(error),
            Outcome::Cancelled { .. } => Ok(()),
        }
    }

    /// Follows what a successful statement did to the session's database.
    fn follow(&mut self, sql: &str) {
        match SpecialCommand::parse(sql) {
            Some(SpecialCommand::SetDatabase(id)) => self.current = Some(id),
            Some(SpecialCommand::UnsetDatabase) => self.current = None,
            Some(SpecialCommand::DropDatabase(id)) => {
                if self.current.as_deref() == Some(id.as_str()) {
                    self.current = None;
                }
                if self.default.as_deref() == Some(id.as_str()) {
                    // The next database became the default; learning it again is only for the
                    // prompt, so a failure leaves it unknown.
                    self.default = None;
                    let _ = self.learn_default();
                }
            }
            _ => {}
        }
    }

    /// A new session, back in the database the shell was in.
    fn reopen(&mut self) -> Result<Session, ClientError> {
        let mut session = self.runtime.block_on(self.client.session())?;
        let back = match (&self.current, &self.url_database) {
            (current, start) if current == start => None,
            (Some(id), _) => Some(format!("SET DATABASE TO '{id}'")),
            (None, Some(_)) => Some("UNSET DATABASE".to_string()),
            (None, None) => None,
        };
        if let Some(sql) = back {
            self.runtime
                .block_on(session.execute(Statement::new(sql)))?;
        }
        Ok(session)
    }
}
