//! The reports' pages and tables, in both languages, from figures made by hand.

use yimen_engine::model::schedule::{Metric, Scoring};
use yimen_engine::reports::Render;
use yimen_engine::reports::assessment::score;
use yimen_engine::reports::bulletin::{Bulletin, Criticism, Figures, Row};
use yimen_engine::reports::spot_check::{DepartmentDraw, Drawn, SpotCheck};

use super::*;

fn figures(closed: u64, on_time: u64, escalations: [u64; 3]) -> Figures {
    let mut f = Figures::default();
    f.received = closed + 1;
    f.closed = closed;
    f.on_time = on_time;
    f.on_time_rate = if closed == 0 {
        1.0
    } else {
        on_time as f64 / closed as f64
    };
    f.escalations = escalations;
    f.rated = closed;
    f.satisfied = on_time;
    f
}

fn row(id: &str, name: &str, f: Figures, criticised: Vec<Criticism>) -> Row {
    Row {
        id: id.into(),
        name: name.into(),
        figures: f,
        rank: Some(1),
        criticised,
    }
}

fn bulletin() -> Bulletin {
    Bulletin {
        centre: "中心".into(),
        period: "2026-11".into(),
        from: "2026-11-01".into(),
        to: "2026-11-30".into(),
        on_time_below: Some(0.9),
        total: figures(10, 6, [2, 0, 1]),
        departments: vec![
            row(
                "late",
                "<script>alert(1)</script>, \"部门\"",
                figures(10, 6, [2, 0, 1]),
                vec![
                    Criticism::OnTimeBelow {
                        rate: 0.6,
                        threshold: 0.9,
                    },
                    Criticism::Escalated { records: 1, level: 3 },
                ],
            ),
            row("idle", "idle", figures(0, 0, [0; 3]), Vec::new()),
        ],
        tiers: vec![row("district", "District", figures(10, 6, [2, 0, 1]), Vec::new())],
        case_types: Vec::new(),
    }
}

fn cjk(s: &str) -> bool {
    s.chars().any(|c| {
        ('\u{4e00}'..='\u{9fff}').contains(&c)
            || ('\u{3000}'..='\u{303f}').contains(&c)
            || ('\u{ff00}'..='\u{ffef}').contains(&c)
    })
}

#[test]
fn the_bulletin_page_says_who_is_named_and_why_with_names_escaped() {
    let zh = Reports::new("zh-CN").bulletin(&bulletin());
    assert!(zh.html.starts_with("<!DOCTYPE html>") && zh.html.contains("lang=\"zh-CN\""));
    assert!(zh.html.contains("按时办结率 60.0% 低于 90%"), "{}", zh.html);
    assert!(zh.html.contains("1 件升至第3级及以上督办"));
    assert!(
        zh.html.contains("<svg") && !zh.html.contains("<script>"),
        "names are escaped and no script runs"
    );
    assert!(
        zh.html.contains("&#60;script&#62;") || zh.html.contains("&lt;script&gt;"),
        "{}",
        zh.html
    );
    // The red bar for the department below the line, the dashed threshold line at 90%.
    assert!(zh.html.contains("#c0392b") && zh.html.contains("stroke-dasharray"));
    let en = Reports::new("en").bulletin(&bulletin());
    assert!(en.html.contains("lang=\"en\"") && en.html.contains("on-time rate 60.0%, below 90%"));
    // Apart from the names and the centre (data), the English page has no Chinese.
    let without_data = en.html.replace("中心", "").replace("部门", "");
    assert!(!cjk(&without_data), "{without_data}");
}

#[test]
fn the_bulletin_csv_has_a_row_per_department_and_quotes_what_it_must() {
    let zh = Reports::new("zh-CN").bulletin(&bulletin());
    assert!(zh.csv.starts_with('\u{feff}'));
    let lines: Vec<&str> = zh.csv.lines().collect();
    assert_eq!(lines.len(), 3, "{}", zh.csv);
    assert_eq!(lines[0].split(',').count(), 20);
    // One definition of trips: no trip, exactly one, and at most one (the two together).
    assert!(lines[0].contains("零跑率,仅跑一次率,最多跑一次率"), "{}", lines[0]);
    assert!(
        lines[1].contains("\"<script>alert(1)</script>, \"\"部门\"\"\""),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with("按时办结率 60.0% 低于 90%；1 件升至第3级及以上督办"));
    // A department that closed nothing has no rate (not 100%).
    assert!(lines[2].contains(",idle,1,0,0,,"), "{}", lines[2]);
    let en = Reports::new("en").bulletin(&bulletin());
    assert!(
        en.csv
            .lines()
            .next()
            .is_some_and(|h| h.contains("Department") && !cjk(h))
    );
}

#[test]
fn the_assessment_explains_each_score_and_lists_the_idle() {
    let year = Bulletin {
        period: "2026".into(),
        departments: vec![
            row("a", "A", figures(100, 95, [3, 1, 0]), Vec::new()),
            row("idle", "idle", Figures::default(), Vec::new()),
        ],
        ..bulletin()
    };
    let scoring = Scoring {
        items: [(Metric::OnTimeRate, 60.0), (Metric::SpotCheckPassRate, 40.0)]
            .into_iter()
            .collect(),
        deductions: [(2, 1.0)].into_iter().collect(),
        veto_level: Some(3),
        pass_score: Some(60.0),
    };
    let a = score(&year, &scoring);
    let zh = Reports::new("zh-CN").assessment(&a);
    assert!(zh.html.contains("无数据，按其余指标折算") && zh.html.contains("<svg"));
    assert!(
        zh.html.contains("第2级督办 1 件") && zh.html.contains("-1.00"),
        "{}",
        zh.html
    );
    // Only the spot-check rate lacked data: 60 of 100 points counted, scaled by 100/60.
    assert!(zh.html.contains("各项按 100/60 折算"), "{}", zh.html);
    assert!(!zh.html.contains("idle：0.00") && zh.html.contains("全年无案件或无可计指标、未参评：idle"));
    assert_eq!(zh.csv.lines().count(), 3);
    let en = Reports::new("en").assessment(&a);
    assert!(
        en.html
            .contains("Not assessed (no cases in the year, or no data for any item): idle")
    );
    assert!(!cjk(&en.html.replace("中心", "")), "{}", en.html);
}

#[test]
fn the_spot_check_lists_each_draw_with_its_seed() {
    let s = SpotCheck {
        centre: "中心".into(),
        period: "2026-W48".into(),
        from: "2026-11-23".into(),
        to: "2026-11-29".into(),
        seed: "00ff00ff00ff00ff".into(),
        rate: "5%".into(),
        minimum: 2,
        departments: vec![DepartmentDraw {
            id: "d".into(),
            name: "D".into(),
            closed: 40,
            drawn: vec![
                Drawn {
                    case_id: "019ad000-0000-7000-8000-000000000001".into(),
                    number: "普治〔2026〕00001号".into(),
                    case_type: "t".into(),
                    type_name: "T".into(),
                    review: None,
                    review_number: None,
                },
                Drawn {
                    case_id: "019ad000-0000-7000-8000-000000000002".into(),
                    number: "普治〔2026〕00002号".into(),
                    case_type: "t".into(),
                    type_name: "T".into(),
                    review: Some("019ad100-0000-7000-8000-000000000003".into()),
                    review_number: Some("普治〔2026〕00003号".into()),
                },
            ],
        }],
    };
    let zh = Reports::new("zh-CN").spot_check(&s);
    assert!(zh.html.contains("00ff00ff00ff00ff") && zh.html.contains("rowspan=\"2\""));
    assert!(zh.html.contains("抽取 2 件"));
    // Cases and their reviews are named by their numbers.
    assert!(
        zh.html.contains("普治〔2026〕00002号") && zh.html.contains("普治〔2026〕00003号"),
        "{}",
        zh.html
    );
    assert_eq!(zh.csv.lines().count(), 3);
    let (title, summary) = describe("zh-CN", "spot_check", &serde_json::to_string(&s).expect("json")).expect("reads");
    assert_eq!(title, "中心 2026-W48 每周抽查");
    assert_eq!(summary, "本周抽取 2 件已办结案件待复核，随机种子 00ff00ff00ff00ff。");
}

#[test]
fn the_announcement_names_the_criticised_and_refuses_bad_data() {
    let data = serde_json::to_string(&bulletin()).expect("json");
    let (title, summary) = describe("en", "bulletin", &data).expect("reads");
    assert_eq!(title, "中心: monthly bulletin 2026-11");
    assert!(
        summary.contains("on time 60.0%") && summary.contains("<script>alert(1)</script>"),
        "{summary}"
    );
    // Data that does not read as the kind's report is refused, not announced with empty words.
    assert_eq!(describe("zh-CN", "bulletin", "not json"), None);
    assert_eq!(describe("zh-CN", "assessment", "{\"centre\": 1}"), None);
}

/// A report drawn again from its stored figures is the page that was stored: every figure the
/// pages show in the reader's language is the one computed when the report was made.
#[test]
fn a_report_drawn_again_from_its_stored_figures_is_the_same_page() {
    let b = bulletin();
    let data = serde_json::to_string(&b).expect("json");
    for locale in ["zh-CN", "en"] {
        let made = Reports::new(locale).bulletin(&b);
        let again = crate::render(locale, "bulletin", &data, &|_, _| None).expect("reads as a bulletin");
        assert_eq!(made.html, again.html, "{locale}");
        assert_eq!(made.csv, again.csv, "{locale}");
    }
    let scoring = Scoring {
        items: [(Metric::OnTimeRate, 100.0)].into_iter().collect(),
        deductions: [(2, 1.0)].into_iter().collect(),
        veto_level: Some(3),
        pass_score: Some(60.0),
    };
    let a = score(&b, &scoring);
    let data = serde_json::to_string(&a).expect("json");
    let again = crate::render("en", "assessment", &data, &|_, _| None).expect("reads as an assessment");
    assert_eq!(Reports::new("en").assessment(&a).html, again.html);
    assert!(crate::render("en", "bulletin", "{\"not\": 1}", &|_, _| None).is_none());
    assert!(crate::render("en", "unknown", &data, &|_, _| None).is_none());
    // Named again in the reader's language: the department by its id.
    let data = serde_json::to_string(&b).expect("json");
    let named = |what: crate::Named, id: &str| (what == crate::Named::Department).then(|| format!("Dept {id}"));
    let en = crate::render("en", "bulletin", &data, &named).expect("bulletin");
    assert!(
        en.html.contains(&format!("Dept {}", b.departments[0].id)),
        "{}",
        en.html
    );
}
