//! The byte stream under a connection (Kafka protocol guide, "Network"; Kafka documentation,
//! "Encryption and Authentication using SSL"): TCP with `TCP_NODELAY`, optionally wrapped in TLS.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::error::{ConnectionError, Endpoint};
use super::tls;

/// Either a plain or a TLS stream; both halves of a connection go through this.
#[derive(Debug)]
pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Transport {
    /// Opens TCP to `endpoint.addr` and, with `tls`, performs the handshake.
    pub(crate) async fn connect(
        endpoint: &Endpoint,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Self, ConnectionError> {
        let io_err = |e: std::io::Error| ConnectionError::Connect {
            endpoint: endpoint.clone(),
            source: Arc::new(e),
        };
        let tcp = TcpStream::connect(&*endpoint.addr).await.map_err(io_err)?;
        // Requests are whole frames written at once; Nagle would only add latency.
        tcp.set_nodelay(true).map_err(io_err)?;
        let Some(tls_config) = tls else {
            return Ok(Transport::Plain(tcp));
        };
        let host = host_of(&endpoint.addr);
        let name = tls::server_name(host).map_err(|detail| ConnectionError::Tls {
            endpoint: endpoint.clone(),
            detail,
        })?;
        let connector = tokio_rustls::TlsConnector::from(tls_config.clone());
        let stream = connector
            .connect(name, tcp)
            .await
            .map_err(|e| tls_error(endpoint, e))?;
        Ok(Transport::Tls(Box::new(stream)))
    }
}

/// Fails when no address of `bootstrap` resolves, naming each host and the resolver's answer.
/// One that resolves is enough (the others may be down for maintenance); a temporary resolver
/// failure (`EAI_AGAIN`, "Temporary failure in name resolution") is left to the connect retries.
pub(crate) async fn check_bootstrap_names(
    cluster: &Arc<str>,
    bootstrap: &[String],
) -> Result<(), ConnectionError> {
    let mut failures = Vec::new();
    for addr in bootstrap {
        match tokio::net::lookup_host(addr.as_str()).await {
            Ok(_) => return Ok(()),
            Err(e) if e.to_string().contains("Temporary failure") => return Ok(()),
            Err(e) => failures.push(format!("{addr}: {e}")),
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    Err(ConnectionError::Unresolvable {
        cluster: cluster.clone(),
        detail: failures.join("; "),
    })
}

/// The host part of `host:port` (IPv6 literals in brackets keep their brackets).
pub(crate) fn host_of(addr: &str) -> &str {
    match addr.rfind(':') {
        Some(i) if !addr[..i].is_empty() => &addr[..i],
        _ => addr,
    }
}

/// Certificate and protocol problems are fatal; a reset during the handshake is not.
fn tls_error(endpoint: &Endpoint, e: std::io::Error) -> ConnectionError {
    let is_tls = e
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    if is_tls {
        ConnectionError::Tls {
            endpoint: endpoint.clone(),
            detail: e.to_string(),
        }
    } else {
        ConnectionError::Connect {
            endpoint: endpoint.clone(),
            source: Arc::new(e),
        }
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unresolvable_bootstrap_is_fatal_and_named() {
        let cluster: Arc<str> = Arc::from("A");
        let hosts = ["no-such-host.invalid:9092".to_owned()];
        let e = check_bootstrap_names(&cluster, &hosts).await.unwrap_err();
        assert!(!e.is_retriable());
        let text = e.to_string();
        assert!(
            text.contains("'A'") && text.contains("no-such-host.invalid:9092"),
            "{text}"
        );
        let mixed = [hosts[0].clone(), "127.0.0.1:9092".to_owned()];
        assert!(check_bootstrap_names(&cluster, &mixed).await.is_ok());
    }

    #[test]
    fn splits_host() {
        assert_eq!(host_of("127.0.0.1:9092"), "127.0.0.1");
        assert_eq!(host_of("broker.example:9093"), "broker.example");
        assert_eq!(host_of("[::1]:9092"), "[::1]");
    }
}
