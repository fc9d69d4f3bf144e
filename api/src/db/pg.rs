//! Opening connections to Postgres for requests and jobs.
//!
//! The driver is tokio-postgres: it pipelines (statements sent one after
//! another before the first answer is back), which is how a transaction's
//! `BEGIN`, the tenant and its first statement share one round trip
//! (`tx.rs`). The socket is opened here and handed to the driver through a
//! tap (`tap.rs`), so that a lookup can send its statements with one Sync
//! (`piped.rs`). The URL is libpq's (its hosts are tried in turn), and TLS
//! follows its `sslmode` with libpq's meanings, on rustls:
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (default) | if the server offers it | not checked |
//! | `require` | always | not checked (checked against `sslrootcert` if given, as libpq does) |
//! | `verify-ca` | always | chains to `sslrootcert` (else the Mozilla roots) |
//! | `verify-full` | always | and names the host |
//!
//! `sslcert`/`sslkey` present a client certificate.

use super::tap::{Sock, Tap, Tapped, tapped};
use super::value::conn_err;
use anyhow::{Context as _, bail};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sea_orm::{DbErr, RuntimeErr};
use socket2::{SockRef, TcpKeepalive};
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::str::FromStr as _;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::tls::{ChannelBinding, TlsConnect, TlsStream};
use tokio_postgres::{Client, Config, Connection};

/// Session settings every connection starts with: neither a runaway
/// statement nor a stuck transaction can hold a connection (or its locks)
/// for long.
const SESSION_OPTIONS: &str = "-c statement_timeout=30s -c idle_in_transaction_session_timeout=60s";

/// Where and how to connect.
#[derive(Clone)]
pub(crate) struct Options {
    config: Config,
    tls: MakeRustls,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config holds the password: only say where.
        f.debug_struct("Options")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("user", &self.config.get_user())
            .finish()
    }
}

/// The URL parameters read here rather than by tokio-postgres (it knows
/// only `disable`, `prefer` and `require`, and has no certificate files).
const OURS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "statement-cache-capacity",
];

impl Options {
    pub(crate) fn parse(url: &str) -> anyhow::Result<Self> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut ours = std::collections::HashMap::new();
        let mut rest = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let key = part.split('=').next().unwrap_or_default();
            if OURS.contains(&key) {
                if let Some((k, v)) = url::form_urlencoded::parse(part.as_bytes()).next() {
                    ours.insert(k.into_owned(), v.into_owned());
                }
            } else {
                rest.push(part);
            }
        }
        let rebuilt = if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config = Config::from_str(&rebuilt).map_err(|e| anyhow::anyhow!("{e}"))?;
        let options = match config.get_options() {
            Some(given) if !given.trim().is_empty() => format!("{SESSION_OPTIONS} {given}"),
            _ => SESSION_OPTIONS.to_string(),
        };
        config.options(options);
        if config.get_application_name().is_none() {
            config.application_name("campaign-studio");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let root = ours.get("sslrootcert").map(String::as_str);
        let (mode, verify) = match ours.get("sslmode").map(String::as_str).unwrap_or("prefer") {
            "disable" => (SslMode::Disable, Verify::Nothing),
            "allow" | "prefer" => (SslMode::Prefer, Verify::Nothing),
            "require" if root.is_some() => (SslMode::Require, Verify::Chain),
            "require" => (SslMode::Require, Verify::Nothing),
            "verify-ca" => (SslMode::Require, Verify::Chain),
            "verify-full" => (SslMode::Require, Verify::Full),
            other => bail!("unknown sslmode {other:?} (disable, allow, prefer, require, verify-ca or verify-full)"),
        };
        config.ssl_mode(mode);
        let client_cert = match (ours.get("sslcert"), ours.get("sslkey")) {
            (Some(cert), Some(key)) => Some((cert.as_str(), key.as_str())),
            (None, None) => None,
            _ => bail!("sslcert and sslkey go together"),
        };
        let tls = MakeRustls::new(verify, root, client_cert)?;
        Ok(Self { config, tls })
    }

    /// Opens a connection: the client, the task that drives its socket,
    /// and the tap on that socket if it is not encrypted (`tap.rs`). The
    /// socket is opened here rather than by tokio-postgres so that it can
    /// be tapped; the hosts are tried in turn, as libpq does.
    pub(crate) async fn connect(&self) -> Result<(Client, Connection<Tapped, RustlsStream>, Option<Tap>), DbErr> {
        let hosts = self.config.get_hosts();
        let ports = self.config.get_ports();
        if hosts.is_empty() {
            return Err(connect_err("DATABASE_URL names no host".into()));
        }
        let mut last = None;
        for (i, host) in hosts.iter().enumerate() {
            let port = match ports {
                [one] => *one,
                many => many.get(i).copied().unwrap_or(5432),
            };
            let addr = self.config.get_hostaddrs().get(i).copied();
            let (sock, name) = match self.socket(host, addr, port).await {
                Ok(found) => found,
                Err(e) => {
                    last = Some(connect_err(e));
                    continue;
                }
            };
            let (stream, tap) = tapped(sock);
            match self.config.connect_raw(stream, self.tls.connector(&name)).await {
                Ok((client, connection)) => {
                    let tap = tap.arm().then_some(tap);
                    return Ok((client, connection, tap));
                }
                Err(e) => last = Some(conn_err(e)),
            }
        }
        Err(last.unwrap_or_else(|| connect_err("no host answered".into())))
    }

    /// A socket to `host` (a name or a Unix socket directory; at `addr`
    /// if the URL gives its `hostaddr`) and `port`, and the name TLS is to
    /// verify (empty for a Unix socket).
    async fn socket(&self, host: &Host, addr: Option<IpAddr>, port: u16) -> Result<(Sock, String), String> {
        let timeout = self
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::from_secs(10));
        let within = |what: String| move |_| format!("{what}: connection timed out");
        match host {
            Host::Tcp(name) => {
                let where_ = format!("{name}:{port}");
                let connect = async {
                    match addr {
                        Some(ip) => TcpStream::connect((ip, port)).await,
                        None => TcpStream::connect((name.as_str(), port)).await,
                    }
                };
                let tcp = tokio::time::timeout(timeout, connect)
                    .await
                    .map_err(within(where_.clone()))?
                    .map_err(|e| format!("{where_}: {e}"))?;
                tcp.set_nodelay(true).map_err(|e| format!("{where_}: {e}"))?;
                if self.config.get_keepalives() {
                    let mut keepalive = TcpKeepalive::new().with_time(self.config.get_keepalives_idle());
                    if let Some(interval) = self.config.get_keepalives_interval() {
                        keepalive = keepalive.with_interval(interval);
                    }
                    if let Some(retries) = self.config.get_keepalives_retries() {
                        keepalive = keepalive.with_retries(retries);
                    }
                    SockRef::from(&tcp)
                        .set_tcp_keepalive(&keepalive)
                        .map_err(|e| format!("{where_}: {e}"))?;
                }
                Ok((Sock::Tcp(tcp), name.clone()))
            }
            Host::Unix(dir) => {
                let path = dir.join(format!(".s.PGSQL.{port}"));
                let where_ = path.display().to_string();
                let unix = tokio::time::timeout(timeout, UnixStream::connect(&path))
                    .await
                    .map_err(within(where_.clone()))?
                    .map_err(|e| format!("{where_}: {e}"))?;
                Ok((Sock::Unix(unix), String::new()))
            }
        }
    }
}

fn connect_err(message: String) -> DbErr {
    DbErr::Conn(RuntimeErr::Internal(message))
}

/// How much of the server's certificate is checked.
#[derive(Clone, Copy, Debug)]
enum Verify {
    /// Encrypt only (libpq's `prefer` and `require`).
    Nothing,
    /// It chains to a trusted root (`verify-ca`).
    Chain,
    /// And it names the host (`verify-full`).
    Full,
}

/// rustls for tokio-postgres.
#[derive(Clone)]
pub(crate) struct MakeRustls(Arc<rustls::ClientConfig>);

impl MakeRustls {
    fn new(verify: Verify, root: Option<&str>, client_cert: Option<(&str, &str)>) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS setup")?;
        let verifier: Arc<dyn ServerCertVerifier> = match verify {
            Verify::Nothing => Arc::new(Unchecked(provider)),
            Verify::Chain | Verify::Full => {
                let mut roots = RootCertStore::empty();
                match root {
                    Some(path) => {
                        for cert in CertificateDer::pem_file_iter(path)
                            .with_context(|| format!("cannot read sslrootcert {path}"))?
                        {
                            roots
                                .add(cert.with_context(|| format!("bad certificate in sslrootcert {path}"))?)
                                .with_context(|| format!("bad certificate in sslrootcert {path}"))?;
                        }
                    }
                    None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
                }
                let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .context("TLS setup")?;
                match verify {
                    Verify::Chain => Arc::new(AnyName(webpki)),
                    _ => webpki,
                }
            }
        };
        let builder = builder.dangerous().with_custom_certificate_verifier(verifier);
        let config = match client_cert {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let certs = CertificateDer::pem_file_iter(cert)
                    .with_context(|| format!("cannot read sslcert {cert}"))?
                    .collect::<Result<Vec<_>, _>>()
                    .with_context(|| format!("bad certificate in sslcert {cert}"))?;
                let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("cannot read sslkey {key}"))?;
                builder
                    .with_client_auth_cert(certs, key)
                    .context("sslcert and sslkey do not match")?
            }
        };
        Ok(Self(Arc::new(config)))
    }
}

impl MakeRustls {
    /// A connector for one connection, made before it is known whether TLS
    /// will be used, with an empty name for a Unix socket (where Postgres
    /// never offers TLS): a name that is not one fails only if a handshake
    /// is actually attempted.
    fn connector(&self, domain: &str) -> RustlsConnect {
        let name = ServerName::try_from(domain.to_string()).map_err(|e| format!("cannot use TLS to {domain:?}: {e}"));
        RustlsConnect {
            config: self.0.clone(),
            name,
        }
    }
}

pub(crate) struct RustlsConnect {
    config: Arc<rustls::ClientConfig>,
    name: Result<ServerName<'static>, String>,
}

impl TlsConnect<Tapped> for RustlsConnect {
    type Stream = RustlsStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream>> + Send>>;

    fn connect(self, stream: Tapped) -> Self::Future {
        // From here on the socket carries TLS records, never to be tapped.
        stream.encrypting();
        Box::pin(async move {
            let name = self.name.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let tls = tokio_rustls::TlsConnector::from(self.config)
                .connect(name, stream)
                .await?;
            Ok(RustlsStream(Box::new(tls)))
        })
    }
}

/// A TLS connection to Postgres (boxed: the TLS state is large, and a
/// plain connection should not carry its size).
pub(crate) struct RustlsStream(Box<tokio_rustls::client::TlsStream<Tapped>>);

impl AsyncRead for RustlsStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for RustlsStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl TlsStream for RustlsStream {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM without channel binding, as libpq's default `prefer` does
        // when it cannot bind.
        ChannelBinding::none()
    }
}

/// `prefer`/`require`: the connection is encrypted, the certificate taken
/// as it comes (libpq's meaning of these modes). The handshake's
/// signatures are still checked, with the certificate's own key.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain is checked, the host name is not.
#[derive(Debug)]
struct AnyName(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_parameters_are_taken_out_and_the_rest_passed_on() {
        let o = Options::parse(
            "postgres://app:p%40ss@db.example:6543/cs?sslmode=disable&application_name=x&options=-c%20search_path%3Dpublic",
        )
        .unwrap();
        assert_eq!(o.config.get_user(), Some("app"));
        assert_eq!(o.config.get_password(), Some(&b"p@ss"[..]));
        assert_eq!(o.config.get_dbname(), Some("cs"));
        assert_eq!(o.config.get_ports(), &[6543]);
        assert_eq!(o.config.get_application_name(), Some("x"));
        assert!(matches!(o.config.get_ssl_mode(), SslMode::Disable));
        assert_eq!(
            o.config.get_options(),
            Some(format!("{SESSION_OPTIONS} -c search_path=public").as_str())
        );
    }

    #[test]
    fn sslmode_follows_libpq() {
        let mode = |m: &str| Options::parse(&format!("postgres://a@h/d?sslmode={m}")).map(|o| o.config.get_ssl_mode());
        assert!(matches!(mode("prefer").unwrap(), SslMode::Prefer));
        assert!(matches!(mode("allow").unwrap(), SslMode::Prefer));
        assert!(matches!(mode("require").unwrap(), SslMode::Require));
        assert!(matches!(mode("verify-ca").unwrap(), SslMode::Require));
        assert!(matches!(mode("verify-full").unwrap(), SslMode::Require));
        assert!(mode("sometimes").is_err());
        let default = Options::parse("postgres://a@h/d").unwrap();
        assert!(matches!(default.config.get_ssl_mode(), SslMode::Prefer));
        assert_eq!(default.config.get_application_name(), Some("campaign-studio"));
        assert!(Options::parse("postgres://a@h/d?sslmode=verify-full&sslrootcert=/nonexistent.pem").is_err());
        assert!(Options::parse("postgres://a@h/d?sslcert=/c.pem").is_err());
    }

    #[test]
    fn a_unix_socket_gets_a_connector_that_refuses_only_a_handshake() {
        let tls = Options::parse("postgres://a@%2Frun%2Fpostgresql/d").unwrap().tls;
        assert!(tls.connector("").name.is_err());
        assert!(tls.connector("db.example").name.is_ok());
    }
}
