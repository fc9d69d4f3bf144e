//! Subscriptions (served over WebSocket only).

use async_graphql::{MergedSubscription, Subscription};
use futures_util::Stream;

#[derive(Default)]
pub struct Placeholder;

#[Subscription]
impl Placeholder {
    async fn ping(&self) -> impl Stream<Item = i32> {
        futures_util::stream::empty()
    }
}

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(Placeholder);
