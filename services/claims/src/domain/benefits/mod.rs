//! The benefit calculator: what the fund owes for a confirmed claim, item by item, each with the
//! formula that produced it.
//!
//! Reference formulas of the work-injury regulation (docs/domain.md, M), with the figures from
//! [`BenefitParameters`]. Platform workers have no employer wage, so the *wage base* is the
//! area's average monthly wage times `wage_base_bp_of_area_average` (default 100 %, ?).
//!
//! # Rounding
//!
//! Money is `i64` fen and rates are basis points (10000 = 100 %). A percentage of an amount is
//! computed exactly in `i128` as `base × bp / 10000` and rounded **half up to the fen** (every
//! base is non-negative, so this is also half away from zero): 411 728.5 fen → 411 729 fen,
//! 247 037.1 fen → 247 037 fen. See [`percent_of_fen`]. Month counts and income multiples are
//! exact products. Each figure is rounded once: the wage base first (exact while it is 100 % of
//! the area wage), then each item from it; totals add rounded items.
//!
//! # Cap on dependants' pensions
//!
//! Spouse 40 %, anyone else 30 %, +10 % for a lone elder or an orphan, each of the wage base
//! and rounded half up. If the rounded pensions together exceed `cap_of_wage_base` of the wage
//! base (the cap, itself rounded half up; default 100 %), the cap is shared out in proportion
//! to each dependant's rate: each gets `floor(cap × rate / Σ rates)` fen, and the few fen left
//! over go one each to the largest fractional remainders, ties to the dependant listed first
//! (Hamilton's method). So the capped pensions sum to exactly the cap, nobody's exceeds their
//! uncapped pension, and equal rates get amounts at most one fen apart. The comparison is made
//! in rounded fen, so rates summing exactly to the cap whose roundings add a fen are
//! apportioned too.
//!
//! # Reference years
//!
//! Wage and income figures are those of the year before (`reference_year_offset`, M) the
//! incident's Shanghai calendar year — for death benefits, before the year of death, since the
//! regulation fixes them at death. The hospital meal standard is the one applying in the
//! incident year. A missing figure is an error naming the table, region and year; the
//! calculator never borrows another year's figure.
//!
//! # Not covered here
//!
//! A claim with both a death and an appraisal (a disabled worker dying later) is rejected with
//! [`AssessmentError::InvalidFacts`]: the regulation then pays some death items and not others
//! depending on when and of what the worker died (art. 39), which is an adjuster's call.
//! Periodic re-indexing of monthly benefits is a new assessment with newer figures.

use chrono::{DateTime, Datelike, Utc};
use gigshield_scheme::calendar::shanghai_date;
use gigshield_scheme::region::RegionCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::benefit_parameters::{BenefitParameters, GradeFigure, RegionYearFigure};

mod calculator;
mod inputs;
mod outputs;
#[cfg(test)]
mod tests;

pub use calculator::*;
pub use inputs::*;
pub use outputs::*;
