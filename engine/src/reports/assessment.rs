//! The annual assessment (年度考核): every resident department scored for the year from the
//! year's figures (the bulletin's, over twelve months) with the weights, deductions and veto of
//! `schedules.yaml`, ranked, with every line of the score kept so it can be explained.

use serde::Serialize;

use super::bulletin::{Bulletin, Figures};
use crate::model::schedule::{Metric, Scoring};

/// What a line of a score is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    /// A weighted rate.
    Metric(Metric),
    /// The deduction for supervision records at a level.
    Deduction {
        /// The level (1–3).
        level: u8,
    },
}

/// One line of a department's score.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Line {
    /// What it is.
    pub item: Item,
    /// The rate or count it is computed from (`None`: no data; the item is left out and the
    /// other items are scaled up to the full score).
    pub input: Option<f64>,
    /// The weight or the deduction per record.
    pub weight: f64,
    /// Points (negative for deductions).
    pub points: f64,
}

/// A department's result.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Score {
    /// The department.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The total.
    pub score: f64,
    /// Rank (1 = best) among departments assessed.
    pub rank: Option<usize>,
    /// False when the department had no case in the year, or none of the items has data for it
    /// (its cases are all still open): it is listed, not scored and not ranked.
    pub assessed: bool,
    /// At or above the pass score.
    pub passed: bool,
    /// Removed from award eligibility by the veto.
    pub vetoed: bool,
    /// The lines that make up the score.
    pub lines: Vec<Line>,
    /// The year's figures it was computed from.
    pub figures: Figures,
}

/// A year's assessment.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Assessment {
    /// The centre.
    pub centre: String,
    /// The year.
    pub period: String,
    /// The rules applied.
    pub scoring: Scoring,
    /// Departments in rank order.
    pub departments: Vec<Score>,
}

fn metric(f: &Figures, m: Metric) -> Option<f64> {
    let closed = (f.closed > 0).then_some(());
    match m {
        Metric::OnTimeRate => closed.map(|()| f.on_time_rate),
        Metric::SatisfactionRate => f.satisfaction_rate(),
        Metric::SpotCheckPassRate => f.spot_check_pass_rate(),
        Metric::ZeroTripRate => closed.map(|()| f.zero_trip_rate()),
        Metric::OneTripOrBetterRate => closed.map(|()| f.at_most_one_trip_rate()),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Scores the year's figures (`year` is the bulletin computed over the year).
pub fn score(year: &Bulletin, scoring: &Scoring) -> Assessment {
    let mut departments: Vec<Score> = year
        .departments
        .iter()
        .map(|r| {
            let f = &r.figures;
            let mut lines = Vec::new();
            // Items without data for this department (nobody rated, nothing drawn) are left
            // out; the others are scaled so the full score stays reachable.
            let full: f64 = scoring.items.values().sum();
            let with_data: f64 = scoring
                .items
                .iter()
                .filter(|(m, _)| metric(f, **m).is_some())
                .map(|(_, w)| w)
                .sum();
            let scale = if with_data > 0.0 { full / with_data } else { 0.0 };
            for (m, w) in &scoring.items {
                let input = metric(f, *m);
                lines.push(Line {
                    item: Item::Metric(*m),
                    input,
                    weight: *w,
                    points: input.map_or(0.0, |x| round2(x * w * scale)),
                });
            }
            for (level, per) in &scoring.deductions {
                let n = f
                    .escalations
                    .get(usize::from(level.saturating_sub(1)))
                    .copied()
                    .unwrap_or(0);
                if n > 0 {
                    lines.push(Line {
                        item: Item::Deduction { level: *level },
                        input: Some(n as f64),
                        weight: *per,
                        points: round2(-(n as f64) * per),
                    });
                }
            }
            // Scored only on data: a department with cases but none of the items measurable yet
            // (nothing closed, nobody rated, nothing drawn) is listed, not scored and not ranked —
            // the rule that an item without data does not count, applied to every item.
            let assessed = (f.received > 0 || f.closed > 0 || f.open_at_end > 0) && with_data > 0.0;
            let score = if assessed {
                round2(lines.iter().map(|l| l.points).sum::<f64>())
            } else {
                0.0
            };
            let vetoed = scoring
                .veto_level
                .is_some_and(|v| f.escalations[usize::from(v.clamp(1, 3) - 1)..].iter().sum::<u64>() > 0);
            Score {
                id: r.id.clone(),
                name: r.name.clone(),
                score,
                rank: None,
                assessed,
                passed: assessed && scoring.pass_score.is_none_or(|p| score >= p),
                vetoed,
                lines,
                figures: f.clone(),
            }
        })
        .collect();
    departments.sort_by(|a, b| {
        b.assessed
            .cmp(&a.assessed)
            .then(b.score.total_cmp(&a.score))
            .then(a.id.cmp(&b.id))
    });
    for (i, d) in departments.iter_mut().enumerate() {
        if d.assessed {
            d.rank = Some(i + 1);
        }
    }
    Assessment {
        centre: year.centre.clone(),
        period: year.period.clone(),
        scoring: scoring.clone(),
        departments,
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;
    use crate::reports::bulletin::Row;

    fn row(id: &str, closed: u64, on_time: u64, escalations: [u64; 3], rated: u64, satisfied: u64) -> Row {
        let mut f = Figures::default();
        f.closed = closed;
        f.on_time = on_time;
        f.on_time_rate = if closed == 0 {
            1.0
        } else {
            on_time as f64 / closed as f64
        };
        f.escalations = escalations;
        f.rated = rated;
        f.satisfied = satisfied;
        Row {
            id: id.into(),
            name: id.into(),
            figures: f,
            rank: None,
            criticised: Vec::new(),
        }
    }

    #[test]
    fn at_most_one_trip_is_no_trip_and_one_trip_together_in_the_bulletin_and_the_assessment() {
        let mut f = Figures::default();
        f.closed = 10;
        f.zero_trip = 6;
        f.one_trip = 3;
        assert!((f.at_most_one_trip_rate() - 0.9).abs() < 1e-12);
        assert!((f.zero_trip_rate() + f.one_trip_rate() - f.at_most_one_trip_rate()).abs() < 1e-12);
        assert_eq!(metric(&f, Metric::OneTripOrBetterRate), Some(f.at_most_one_trip_rate()));
        assert_eq!(
            metric(&Figures::default(), Metric::OneTripOrBetterRate),
            None,
            "nothing closed: no data"
        );
    }

    #[test]
    fn scores_are_weighted_rates_less_deductions_with_a_veto() {
        let year = Bulletin {
            centre: "c".into(),
            period: "2026".into(),
            from: "2026-01-01".into(),
            to: "2026-12-31".into(),
            on_time_below: None,
            total: Figures::default(),
            departments: vec![
                row("a", 100, 95, [3, 1, 0], 50, 45),
                row("b", 100, 80, [10, 2, 1], 0, 0),
                row("idle", 0, 0, [0, 0, 0], 0, 0),
                {
                    // Cases received, none closed, nobody rated: nothing to score.
                    let mut r = row("new", 0, 0, [0, 0, 0], 0, 0);
                    r.figures.received = 4;
                    r.figures.open_at_end = 4;
                    r
                },
            ],
            tiers: Vec::new(),
            case_types: Vec::new(),
        };
        let scoring = Scoring {
            items: IndexMap::from([(Metric::OnTimeRate, 60.0), (Metric::SatisfactionRate, 40.0)]),
            deductions: IndexMap::from([(2, 1.0), (3, 5.0)]),
            veto_level: Some(3),
            pass_score: Some(80.0),
        };
        let a = score(&year, &scoring);
        let by = |id: &str| a.departments.iter().find(|d| d.id == id).expect("dept");
        // a: 0.95 × 60 + 0.9 × 40 − 1 × 1 = 57 + 36 − 1 = 92.
        assert_eq!(by("a").score, 92.0);
        assert!(by("a").passed && !by("a").vetoed);
        // b: nobody rated, so on-time alone is scaled to the full 100: 0.8 × 60 × 100/60 = 80,
        // less 2 × 1 and 1 × 5 = 73; below the pass score, and vetoed by its level-3 case.
        assert_eq!(by("b").score, 73.0);
        assert!(by("b").vetoed && !by("b").passed);
        assert_eq!(by("b").lines[1].input, None);
        // idle: no case all year: listed, not scored, not ranked.
        assert!(!by("idle").assessed && by("idle").rank.is_none() && !by("idle").passed);
        let ranks: Vec<(&str, Option<usize>)> = a.departments.iter().map(|d| (d.id.as_str(), d.rank)).collect();
        assert!(!by("new").assessed && by("new").rank.is_none() && !by("new").passed);
        assert_eq!(ranks, [("a", Some(1)), ("b", Some(2)), ("idle", None), ("new", None)]);
        // Every line adds up to the score.
        for d in &a.departments {
            let sum: f64 = d.lines.iter().map(|l| l.points).sum();
            assert!((sum - d.score).abs() < 1e-9);
        }
    }
}
