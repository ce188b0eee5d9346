//! The HTTP/JSON front end (SPEC §4), through reqwest and the real curl.

mod grpc;
mod grpc_tls;
mod http_auth;
mod http_bad_input;
mod http_batch;
mod http_busy;
mod http_disconnect;
mod http_download;
mod http_fuzz;
mod http_limits;
mod http_params;
mod http_queries;
mod http_routes;
mod http_rows;
mod http_session_state;
