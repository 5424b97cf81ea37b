//! The stream's frame rate against how fast the viewers acknowledge: the join page's
//! rule (`crates/server/web/src/pace.ts`) for the agent. The rate steps down at smoothed
//! acknowledgement delays of 200, 500 and 1000 ms (RustDesk's steps), and back up one
//! step once the delay has stayed under 100 ms for 2 s.

use std::time::{Duration, Instant};

/// Frame rates to step through, fastest first (30 fps is the cap).
pub const RATES: [u32; 4] = [30, 15, 5, 2];
const SLOW_MS: [f64; 3] = [200.0, 500.0, 1000.0];
const FAST_MS: f64 = 100.0;
const STEP_UP: Duration = Duration::from_secs(2);
/// Weight of the newest delay in the smoothed one.
const SMOOTHING: f64 = 0.25;

#[derive(Debug, Clone, Default)]
pub struct Pace {
    rate: usize,
    smoothed: Option<f64>,
    fast_since: Option<Instant>,
}

impl Pace {
    /// Notes an acknowledgement that took `delay`, at `now`.
    pub fn after_ack(&mut self, delay: Duration, now: Instant) {
        let delay_ms = delay.as_secs_f64() * 1000.0;
        let smoothed = match self.smoothed {
            Some(before) => before + SMOOTHING * (delay_ms - before),
            None => delay_ms,
        };
        self.smoothed = Some(smoothed);
        let fitting = SLOW_MS
            .iter()
            .position(|limit| smoothed < *limit)
            .unwrap_or(RATES.len() - 1);
        if fitting > self.rate {
            self.rate = fitting;
            self.fast_since = None;
        } else if smoothed < FAST_MS && self.rate > 0 {
            let since = *self.fast_since.get_or_insert(now);
            if now.duration_since(since) > STEP_UP {
                self.rate -= 1;
                self.fast_since = None;
            }
        } else {
            self.fast_since = None;
        }
    }

    /// One step slower at once (the service said the stream floods).
    pub fn slower(&mut self) {
        self.rate = (self.rate + 1).min(RATES.len() - 1);
        self.fast_since = None;
    }

    pub fn frames_per_second(&self) -> u32 {
        RATES[self.rate.min(RATES.len() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_acknowledgements_step_the_rate_down_and_fast_ones_back_up() {
        let start = Instant::now();
        let mut pace = Pace::default();
        assert_eq!(pace.frames_per_second(), 30);
        pace.after_ack(Duration::from_millis(800), start);
        assert_eq!(
            pace.frames_per_second(),
            5,
            "800 ms is past the second step"
        );
        let mut now = start;
        for _ in 0..80 {
            now += Duration::from_millis(100);
            pace.after_ack(Duration::from_millis(20), now);
        }
        assert_eq!(pace.frames_per_second(), 30, "steps back up one at a time");
    }

    #[test]
    fn one_slow_acknowledgement_among_fast_ones_keeps_the_rate() {
        let start = Instant::now();
        let mut pace = Pace::default();
        pace.after_ack(Duration::from_millis(30), start);
        pace.after_ack(Duration::from_millis(400), start);
        assert_eq!(pace.frames_per_second(), 30);
        pace.slower();
        assert_eq!(pace.frames_per_second(), 15);
    }
}
