//! Fault injection on Graph routes (and the login routes when asked): added latency with jitter,
//! 5xx answers, dropped connections, truncated and slow bodies. Decisions come from a seeded RNG
//! so a run with the same seed and the same request sequence repeats exactly.
//!
//! Spec syntax (`--faults`): comma-separated `name=value` pairs:
//! `latency=50ms` (added before answering), `jitter=10ms` (plus uniform 0..jitter),
//! `error-rate=0.1` (fraction answered 500/502/503/504 with a Graph envelope),
//! `drop-rate=0.05` (fraction whose connection closes with no response),
//! `truncate-rate=0.05` (fraction whose body stops halfway and the connection closes),
//! `slow-body=200ms` (bodies sent in chunks with this pause between them),
//! `seed=7`, `token-endpoint=true` (also apply to the login routes),
//! `claims-challenge=c1` (Conditional Access with authentication context `c1`: every Graph call
//! whose token does not carry `acrs` `c1` is answered 401 with a claims challenge; a user token
//! request with the `claims` parameter asking for `c1` gets one that does).

use super::SimError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// Which faults to inject. `Default` = none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// Fixed latency added to each answer.
    pub latency: Duration,
    /// Uniform random extra latency, 0..jitter.
    pub jitter: Duration,
    /// Fraction (0..=1) of requests answered with a 5xx.
    pub error_rate: f64,
    /// Fraction of requests whose connection is dropped with no response.
    pub drop_rate: f64,
    /// Fraction of responses whose body is cut short.
    pub truncate_rate: f64,
    /// Pause between body chunks (zero = off).
    pub slow_body: Duration,
    /// RNG seed.
    pub seed: u64,
    /// Also apply faults to the token/device code/managed identity endpoints.
    pub token_endpoint: bool,
    /// An authentication context every Graph call's token must carry (`acrs`), else 401 with a
    /// Conditional Access claims challenge.
    pub claims_challenge: Option<String>,
}

impl FaultSpec {
    /// Whether any fault is configured.
    pub fn is_none(&self) -> bool {
        self.latency.is_zero()
            && self.jitter.is_zero()
            && self.error_rate <= 0.0
            && self.drop_rate <= 0.0
            && self.truncate_rate <= 0.0
            && self.slow_body.is_zero()
            && self.claims_challenge.is_none()
    }
}

impl std::str::FromStr for FaultSpec {
    type Err = SimError;
    fn from_str(s: &str) -> Result<Self, SimError> {
        let mut spec = FaultSpec::default();
        const ACCEPTED: &str = "latency=DUR, jitter=DUR, error-rate=0..1, drop-rate=0..1, truncate-rate=0..1, slow-body=DUR, seed=N, token-endpoint=true|false, claims-challenge=CONTEXT";
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err(SimError::Spec(format!(
                    "--faults: `{part}` is not name=value; accepted: {ACCEPTED}"
                )));
            };
            let rate = |v: &str| -> Result<f64, SimError> {
                match v.parse::<f64>() {
                    Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                    _ => Err(SimError::Spec(format!(
                        "--faults: {name}=`{v}` is not a fraction between 0 and 1"
                    ))),
                }
            };
            match name.trim() {
                "latency" => spec.latency = super::parse_duration("--faults latency", value)?,
                "jitter" => spec.jitter = super::parse_duration("--faults jitter", value)?,
                "slow-body" => spec.slow_body = super::parse_duration("--faults slow-body", value)?,
                "error-rate" => spec.error_rate = rate(value)?,
                "drop-rate" => spec.drop_rate = rate(value)?,
                "truncate-rate" => spec.truncate_rate = rate(value)?,
                "seed" => {
                    spec.seed = value.parse().map_err(|_| {
                        SimError::Spec(format!("--faults: seed=`{value}` is not an integer"))
                    })?
                }
                "token-endpoint" => {
                    spec.token_endpoint = value.parse().map_err(|_| {
                        SimError::Spec(format!(
                            "--faults: token-endpoint=`{value}` is not true or false"
                        ))
                    })?
                }
                "claims-challenge" => {
                    let v = value.trim();
                    if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(SimError::Spec(format!(
                            "--faults: claims-challenge=`{value}` is not an authentication context id (letters and digits, e.g. c1)"
                        )));
                    }
                    spec.claims_challenge = Some(v.to_owned());
                }
                other => {
                    return Err(SimError::Spec(format!(
                        "--faults: unknown fault `{other}`; accepted: {ACCEPTED}"
                    )));
                }
            }
        }
        Ok(spec)
    }
}

/// What to do to one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Decision {
    pub delay: Duration,
    pub error_status: Option<u16>,
    pub drop: bool,
    pub truncate: bool,
    pub slow_body: Duration,
}

/// A spec plus its RNG.
pub(crate) struct FaultState {
    pub spec: FaultSpec,
    rng: StdRng,
}

impl FaultState {
    pub fn new(spec: FaultSpec) -> Self {
        let rng = StdRng::seed_from_u64(spec.seed);
        Self { spec, rng }
    }

    /// Decide the faults of the next request. Draws a fixed number of values so sequences repeat.
    pub fn decide(&mut self) -> Decision {
        let s = &self.spec;
        let j: f64 = self.rng.random();
        let e: f64 = self.rng.random();
        let which: usize = self.rng.random_range(0..4);
        let d: f64 = self.rng.random();
        let t: f64 = self.rng.random();
        let jitter = s.jitter.mul_f64(j);
        Decision {
            delay: s.latency + jitter,
            error_status: (e < s.error_rate).then(|| [500u16, 502, 503, 504][which]),
            drop: d < s.drop_rate,
            truncate: t < s.truncate_rate,
            slow_body: s.slow_body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_fault_and_names_bad_values() {
        let s: FaultSpec = "latency=50ms,jitter=10ms,error-rate=0.1,drop-rate=0.05,truncate-rate=0.05,slow-body=200ms,seed=7"
            .parse()
            .unwrap();
        assert_eq!(s.latency, Duration::from_millis(50));
        assert_eq!(s.seed, 7);
        assert_eq!(s.slow_body, Duration::from_millis(200));
        let err = "error-rate=2".parse::<FaultSpec>().unwrap_err().to_string();
        assert!(err.contains("error-rate=`2`"), "{err}");
        let s: FaultSpec = "claims-challenge=c1".parse().unwrap();
        assert_eq!(s.claims_challenge.as_deref(), Some("c1"));
        assert!(!s.is_none());
        assert!("claims-challenge=".parse::<FaultSpec>().is_err());
        let err = "boom=1".parse::<FaultSpec>().unwrap_err().to_string();
        assert!(err.contains("`boom`") && err.contains("accepted"), "{err}");
    }

    #[test]
    fn same_seed_same_decisions() {
        let spec: FaultSpec = "error-rate=0.5,drop-rate=0.3,seed=3".parse().unwrap();
        let mut a = FaultState::new(spec.clone());
        let mut b = FaultState::new(spec);
        for _ in 0..50 {
            let (x, y) = (a.decide(), b.decide());
            assert_eq!((x.error_status, x.drop), (y.error_status, y.drop));
        }
    }
}
