//! The time a service acts at. Handlers and consumers ask their [`Clock`] instead of the system
//! clock, so a test can stand at any instant — a month's last minute in Shanghai, a deadline's
//! day — and move on without waiting.
//!
//! Production runs [`Clock::system`], the default. [`Clock::fixed`] stands still until set or
//! advanced; every copy of one fixed clock shares its instant.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// `None`: the system clock.
    fixed: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock standing at `at` until [`Clock::set`] or [`Clock::advance`] moves it.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self {
            fixed: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// Now, to the microsecond: what both databases store, so a value read back compares
    /// equal to the one written.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            None => Utc::now(),
            Some(at) => *at.lock().expect("clock lock"),
        }
        .trunc_subsecs(6)
    }

    /// Moves a fixed clock to `at`. The system clock cannot be set.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.instant().lock().expect("clock lock") = at;
    }

    /// Moves a fixed clock on by `by`.
    pub fn advance(&self, by: TimeDelta) {
        *self.instant().lock().expect("clock lock") += by;
    }

    fn instant(&self) -> &Mutex<DateTime<Utc>> {
        self.fixed
            .as_deref()
            .expect("only a fixed clock is set; the system clock runs on its own")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_and_moves_only_when_told_for_every_copy() {
        let at: DateTime<Utc> = "2026-11-30T15:59:59.123456789Z".parse().unwrap();
        let clock = Clock::fixed(at);
        let copy = clock.clone();
        assert_eq!(clock.now(), at.trunc_subsecs(6));
        assert_eq!(clock.now(), clock.now());
        copy.advance(TimeDelta::seconds(1));
        assert_eq!(clock.now(), (at + TimeDelta::seconds(1)).trunc_subsecs(6));
        clock.set(at - TimeDelta::days(1));
        assert_eq!(copy.now(), (at - TimeDelta::days(1)).trunc_subsecs(6));
    }

    #[test]
    fn the_system_clock_runs() {
        let clock = Clock::system();
        let before = Utc::now().trunc_subsecs(6);
        let now = clock.now();
        assert!(now >= before && now <= Utc::now());
    }

    #[test]
    #[should_panic(expected = "only a fixed clock")]
    fn the_system_clock_cannot_be_set() {
        Clock::system().set(Utc::now());
    }
}
