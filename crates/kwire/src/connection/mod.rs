//! Broker connections: TCP, TLS, SASL and pipelined requests (Kafka protocol guide, "Network"
//! and "SASL Authentication Sequence"; Kafka documentation, "Security").
//!
//! Opening a connection runs, in order: TCP connect, TLS handshake, ApiVersions (KIP-35/511),
//! then SaslHandshake + SaslAuthenticate. Only then is the [`Messenger`] handed out.

mod config;
mod error;
mod messenger;
mod sasl;
mod tls;
mod transport;

pub use config::{
    CaSource, ClientCert, ClientConfig, PemSource, SaslConfig, SaslMechanism, Secret,
    SecurityProtocol, TlsConfig,
};
pub use error::{ConnectionError, Endpoint};
pub use messenger::{Messenger, PendingResponse};

use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::{Decodable, StrBytes};

use crate::protocol::{BrokerVersions, ProtocolError};
use transport::Transport;
pub(crate) use transport::check_bootstrap_names;

/// Opens authenticated connections to the brokers of one cluster.
#[derive(Debug)]
pub struct Connector {
    config: Arc<ClientConfig>,
    cluster: Arc<str>,
    client_id: StrBytes,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Connector {
    /// Checks the security settings and prepares TLS once for all connections.
    pub fn new(config: Arc<ClientConfig>) -> Result<Self, ConnectionError> {
        let cluster: Arc<str> = Arc::from(config.cluster_name.as_str());
        let config_err = |detail: String| ConnectionError::Config {
            cluster: cluster.clone(),
            detail,
        };
        if config.security.uses_sasl() && config.sasl.is_none() {
            return Err(config_err(format!(
                "security protocol {:?} needs SASL credentials",
                config.security
            )));
        }
        let tls = if config.security.uses_tls() {
            Some(tls::client_config(&config.tls).map_err(config_err)?)
        } else {
            None
        };
        Ok(Self {
            client_id: StrBytes::from_string(config.client_id.clone()),
            cluster,
            config,
            tls,
        })
    }

    /// The configuration connections are made with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The endpoint label for a broker address.
    pub fn endpoint(&self, node_id: Option<i32>, addr: &str) -> Endpoint {
        Endpoint {
            cluster: self.cluster.clone(),
            node_id,
            addr: Arc::from(addr),
        }
    }

    /// Connects, negotiates versions and authenticates, all within the connect timeout.
    pub async fn connect(&self, endpoint: Endpoint) -> Result<Arc<Messenger>, ConnectionError> {
        let timeout = self.config.connect_timeout;
        match tokio::time::timeout(timeout, self.setup(endpoint.clone())).await {
            Ok(result) => result,
            Err(_) => Err(ConnectionError::ConnectTimeout { endpoint, timeout }),
        }
    }

    async fn setup(&self, endpoint: Endpoint) -> Result<Arc<Messenger>, ConnectionError> {
        let transport = Transport::connect(&endpoint, self.tls.as_ref()).await?;
        let m = Messenger::spawn(
            transport,
            endpoint,
            self.client_id.clone(),
            self.config.request_timeout,
            self.config.connections_max_idle,
            self.config.socket_response_max_bytes,
        );
        let versions = api_versions(&m).await?;
        m.set_versions(versions);
        if let (true, Some(sasl)) = (self.config.security.uses_sasl(), &self.config.sasl) {
            sasl::authenticate(&m, sasl).await?;
        }
        tracing::debug!(
            cluster = %m.endpoint().cluster,
            broker = ?m.endpoint().node_id,
            addr = %m.endpoint().addr,
            "connected"
        );
        Ok(m)
    }
}

/// The ApiVersions exchange. kwire asks with v3 (KIP-511: client name and version); a broker
/// that lacks v3 answers UNSUPPORTED_VERSION in v0 layout with its own range, and kwire asks
/// again with the highest version both know.
async fn api_versions(m: &Arc<Messenger>) -> Result<BrokerVersions, ConnectionError> {
    let req = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("strait-kwire"))
        .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
    let first = 3;
    let resp = api_versions_at(m, &req, first).await?;
    if ResponseError::try_from_code(resp.error_code) != Some(ResponseError::UnsupportedVersion) {
        return check_api_versions(m, resp);
    }
    let broker = BrokerVersions::from_response(&resp);
    let retry_version = broker
        .negotiate(ApiKey::ApiVersions)
        .map_err(|source| protocol_error(m, source))?;
    let resp = api_versions_at(m, &req, retry_version).await?;
    check_api_versions(m, resp)
}

async fn api_versions_at(
    m: &Arc<Messenger>,
    req: &ApiVersionsRequest,
    version: i16,
) -> Result<ApiVersionsResponse, ConnectionError> {
    // Read raw so an UNSUPPORTED_VERSION reply (always in v0 layout) can be decoded as v0.
    let mut frame = m
        .start(req, version, m.request_timeout())?
        .wait_raw()
        .await?;
    // ApiVersions responses always carry header v0 (just the correlation id), KIP-511.
    let body_start = 4.min(frame.len());
    let mut body = frame.split_off(body_start);
    let error_code = match body.get(..2) {
        Some(&[hi, lo]) => i16::from_be_bytes([hi, lo]),
        _ => 0,
    };
    let decode_version = if error_code == ResponseError::UnsupportedVersion.code() {
        0
    } else {
        version
    };
    // Before authentication: a hostile peer's array counts must not reach the decoder.
    crate::protocol::check_response(ApiKey::ApiVersions, decode_version, &body)
        .map_err(|source| protocol_error(m, source))?;
    ApiVersionsResponse::decode(&mut body, decode_version).map_err(|e| {
        protocol_error(
            m,
            ProtocolError::Decode {
                api: ApiKey::ApiVersions,
                version: decode_version,
                detail: e.to_string(),
            },
        )
    })
}

fn check_api_versions(
    m: &Messenger,
    resp: ApiVersionsResponse,
) -> Result<BrokerVersions, ConnectionError> {
    match ResponseError::try_from_code(resp.error_code) {
        None => Ok(BrokerVersions::from_response(&resp)),
        Some(code) => Err(ConnectionError::Closed {
            endpoint: m.endpoint().clone(),
            reason: format!("ApiVersions failed: {code}"),
        }),
    }
}

fn protocol_error(m: &Messenger, source: ProtocolError) -> ConnectionError {
    ConnectionError::Protocol {
        endpoint: m.endpoint().clone(),
        source,
    }
}
