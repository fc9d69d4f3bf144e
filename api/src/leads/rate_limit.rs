//! Token-bucket rate limits, shared by every instance through Redis when
//! `REDIS_URL` is set, per process otherwise.
//!
//! A bucket holds up to `burst` tokens and refills at `rate` tokens per
//! second; each request takes one. In Redis the whole read-refill-take-write
//! step is one Lua script, so concurrent requests on any number of instances
//! can never take the same token twice, and the clock is Redis's own (`TIME`),
//! so instances with skewed clocks agree.

use aws_lc_rs::digest;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SCRIPT: &str = r"
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local retry_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  retry_ms = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return retry_ms
";

/// Buckets kept in process before full ones are forgotten.
const MAX_LOCAL_BUCKETS: usize = 10_000;

/// What a limiter decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the limit; a token is back after this long.
    Limited {
        retry_after: Duration,
    },
}

impl Decision {
    /// `Retry-After` in whole seconds (at least 1).
    pub fn retry_after_seconds(&self) -> u64 {
        match self {
            Decision::Allowed => 0,
            Decision::Limited { retry_after } => retry_after.as_secs_f64().ceil().max(1.0) as u64,
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A named family of token buckets (one per key), e.g. one per lead source.
pub struct RateLimiter {
    prefix: String,
    rate: f64,
    burst: f64,
    local: Mutex<HashMap<String, Bucket>>,
    redis: Option<redis::aio::ConnectionManager>,
    sha: String,
}

impl RateLimiter {
    /// Buckets in this process only.
    pub fn in_process(prefix: &str, rate_per_second: f64, burst: u32) -> Self {
        Self {
            prefix: prefix.to_string(),
            rate: rate_per_second,
            burst: f64::from(burst.max(1)),
            local: Mutex::new(HashMap::new()),
            redis: None,
            sha: hex::encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, SCRIPT.as_bytes())),
        }
    }

    /// Buckets in Redis, shared by every instance.
    pub async fn with_redis(url: &str, prefix: &str, rate_per_second: f64, burst: u32) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let conn = client.get_connection_manager().await?;
        Ok(Self {
            redis: Some(conn),
            ..Self::in_process(prefix, rate_per_second, burst)
        })
    }

    /// Takes a token from `key`'s bucket, if there is one. When Redis fails
    /// the bucket of this process decides: a limit per instance beats none.
    pub async fn check(&self, key: &str) -> Decision {
        if let Some(conn) = &self.redis {
            match self.check_redis(conn.clone(), key).await {
                Ok(d) => return d,
                Err(e) => tracing::warn!(error = %e, "redis rate limit failed; using the in-process bucket"),
            }
        }
        self.check_local(key, Instant::now())
    }

    async fn check_redis(&self, mut conn: redis::aio::ConnectionManager, key: &str) -> redis::RedisResult<Decision> {
        let full_key = format!("{}:{key}", self.prefix);
        let run = |cmd: &str, script: &str| {
            let mut c = redis::cmd(cmd);
            c.arg(script).arg(1).arg(&full_key).arg(self.rate).arg(self.burst);
            c
        };
        let retry_ms: i64 = match run("EVALSHA", &self.sha).query_async(&mut conn).await {
            Ok(v) => v,
            // Not cached (a restarted or new Redis): EVAL runs and caches it.
            Err(e) if e.code() == Some("NOSCRIPT") => run("EVAL", SCRIPT).query_async(&mut conn).await?,
            Err(e) => return Err(e),
        };
        Ok(decision(retry_ms))
    }

    fn check_local(&self, key: &str, now: Instant) -> Decision {
        let mut buckets = self.local.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_LOCAL_BUCKETS && !buckets.contains_key(key) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Decision::Allowed
        } else {
            decision(((1.0 - bucket.tokens) * 1000.0 / self.rate).ceil() as i64)
        }
    }
}

fn decision(retry_ms: i64) -> Decision {
    if retry_ms <= 0 {
        Decision::Allowed
    } else {
        Decision::Limited {
            retry_after: Duration::from_millis(retry_ms.unsigned_abs()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_the_burst_then_refills_at_the_rate() {
        let l = RateLimiter::in_process("t", 2.0, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.check_local("a", t0), Decision::Allowed);
        }
        let limited = l.check_local("a", t0);
        assert_eq!(
            limited,
            Decision::Limited {
                retry_after: Duration::from_millis(500)
            }
        );
        assert_eq!(limited.retry_after_seconds(), 1);
        // other keys have their own bucket
        assert_eq!(l.check_local("b", t0), Decision::Allowed);
        // half a second later one token is back, and only one
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(l.check_local("a", t1), Decision::Allowed);
        assert!(matches!(l.check_local("a", t1), Decision::Limited { .. }));
        // refills stop at the burst
        let t2 = t1 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(l.check_local("a", t2), Decision::Allowed);
        }
        assert!(matches!(l.check_local("a", t2), Decision::Limited { .. }));
    }
}
