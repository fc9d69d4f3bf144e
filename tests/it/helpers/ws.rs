//! A small graphql-transport-ws client for tests.

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct WsClient {
    stream: Stream,
}

/// What the server did next.
#[derive(Debug, PartialEq)]
pub enum Next {
    Msg(Value),
    Closed(u16),
    Timeout,
}

impl WsClient {
    pub async fn connect(base: &str, protocol: &str) -> WsClient {
        let url = format!("{}/graphql/ws", base.replacen("http", "ws", 1));
        let mut req = url.into_client_request().expect("request");
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(protocol).expect("header"),
        );
        let (stream, resp) = tokio_tungstenite::connect_async(req).await.expect("websocket connect");
        assert_eq!(
            resp.headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap_or("")),
            Some(protocol)
        );
        WsClient { stream }
    }

    /// Connects and initialises with `token` and `org`; panics unless acknowledged.
    pub async fn open(base: &str, token: &str, org: Option<&str>) -> WsClient {
        let mut c = WsClient::connect(base, "graphql-transport-ws").await;
        let mut payload = json!({ "Authorization": format!("Bearer {token}") });
        if let Some(o) = org {
            payload["X-Org-Id"] = json!(o);
        }
        c.send(json!({ "type": "connection_init", "payload": payload })).await;
        match c.next(Duration::from_secs(5)).await {
            Next::Msg(m) if m["type"] == "connection_ack" => c,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, m: Message) {
        let _ = self.stream.send(m).await;
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    pub async fn next(&mut self, wait: Duration) -> Next {
        loop {
            match tokio::time::timeout(wait, self.stream.next()).await {
                Err(_) => return Next::Timeout,
                Ok(None) => return Next::Closed(0),
                Ok(Some(Err(_))) => return Next::Closed(0),
                Ok(Some(Ok(Message::Text(t)))) => return Next::Msg(serde_json::from_str(&t).expect("json")),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Next::Closed(frame.map(|f| u16::from(f.code)).unwrap_or(1005));
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// The next message for subscription `id` (others are skipped).
    pub async fn next_for(&mut self, id: &str, wait: Duration) -> Next {
        loop {
            match self.next(wait).await {
                Next::Msg(m) if m["id"] != id => continue,
                other => return other,
            }
        }
    }

    /// Collects `next` payloads of `id` until `complete` (or timeout/close).
    pub async fn collect(&mut self, id: &str, wait: Duration) -> (Vec<Value>, Next) {
        let mut items = Vec::new();
        loop {
            match self.next_for(id, wait).await {
                Next::Msg(m) if m["type"] == "next" => items.push(m["payload"].clone()),
                Next::Msg(m) if m["type"] == "complete" => return (items, Next::Msg(m)),
                other => return (items, other),
            }
        }
    }
}
