//! The bulletin as people read it: an HTML page with its tables and SVG charts (no script), and
//! the department table as CSV.

use std::fmt::Write as _;

use super::{Bulletin, Figures, Row};

pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A rate among closed cases, or `none` when nothing closed (a rate of nothing is not 100%).
fn rate(f: &Figures, x: f64, none: &str) -> String {
    if f.closed == 0 { none.to_owned() } else { pct(x) }
}

/// The CSV of the department table (UTF-8 with a byte-order mark, so spreadsheet programs read
/// the Chinese names).
pub fn csv(b: &Bulletin) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(
        "排名 rank,部门 department,编号 id,受理 received,办结 closed,未结 open,按时办结率 on_time_rate,\
         平均用时(工作日) avg_working_days,P90用时(工作日) p90_working_days,零跑率 zero_trip_rate,\
         跑一次率 one_trip_rate,预警 warnings,超期 breaches,一级督办 level1,二级督办 level2,三级督办 level3,\
         满意率 satisfaction_rate,抽查合格率 spot_check_pass_rate,通报批评 criticised\n",
    );
    for r in &b.departments {
        let f = &r.figures;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.rank.map(|x| x.to_string()).unwrap_or_default(),
            field(&r.name),
            field(&r.id),
            f.received,
            f.closed,
            f.open_at_end,
            rate(f, f.on_time_rate, ""),
            f.avg_working_days,
            f.p90_working_days,
            rate(f, f.zero_trip_rate(), ""),
            rate(f, f.one_trip_rate(), ""),
            f.warnings,
            f.breaches,
            f.escalations[0],
            f.escalations[1],
            f.escalations[2],
            f.satisfaction_rate().map(pct).unwrap_or_default(),
            f.spot_check_pass_rate().map(pct).unwrap_or_default(),
            field(&r.criticised.join("；")),
        );
    }
    out
}

pub(crate) fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Text escaped for HTML (element content and quoted attributes).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A horizontal bar chart in SVG: one bar per row, value in `[0, max]`, with an optional
/// threshold line. Plain SVG with inline attributes, readable in mail clients and browsers.
pub(crate) fn bars(title: &str, rows: &[(String, f64, String)], max: f64, threshold: Option<f64>) -> String {
    let (label_w, bar_w, row_h) = (190.0, 420.0, 24.0);
    let h = 36.0 + row_h * rows.len() as f64 + 10.0;
    let w = label_w + bar_w + 80.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\">\
         <text x=\"0\" y=\"18\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{t}</text>",
        t = esc(title)
    );
    for (i, (label, v, text)) in rows.iter().enumerate() {
        let y = 30.0 + row_h * i as f64;
        let len = if max > 0.0 {
            (v / max).clamp(0.0, 1.0) * bar_w
        } else {
            0.0
        };
        let colour = match threshold {
            Some(t) if *v < t => "#c0392b",
            _ => "#2e86c1",
        };
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\" fill=\"#222\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{len:.1}\" height=\"{bh}\" fill=\"{colour}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"12\" fill=\"#222\">{text}</text>",
            lx = label_w - 6.0,
            ty = y + 14.0,
            label = esc(label),
            bh = row_h - 6.0,
            vx = label_w + len + 4.0,
            text = esc(text),
        );
    }
    if let Some(t) = threshold
        && max > 0.0
    {
        let x = label_w + (t / max).clamp(0.0, 1.0) * bar_w;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"26\" x2=\"{x:.1}\" y2=\"{y2:.1}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>",
            y2 = h - 6.0
        );
    }
    s.push_str("</svg>");
    s
}

/// The bulletin as a self-contained HTML page: tables and SVG charts, no scripts, no external
/// resources, so it reads the same in a browser and in a mail client.
pub fn html(b: &Bulletin, threshold: Option<f64>) -> String {
    let mut h = String::new();
    let title = format!("{} {} 月度通报", b.centre, b.period);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;color:#222;margin:24px;max-width:1100px}}\
         table{{border-collapse:collapse;margin:12px 0 24px;font-size:13px}}th,td{{border:1px solid #bbb;padding:4px 8px;text-align:right}}\
         th{{background:#eef2f7}}td.l,th.l{{text-align:left}}tr.crit td{{background:#fdecea}}h2{{font-size:17px;margin-top:28px}}</style></head><body>\
         <h1 style=\"font-size:22px\">{t}</h1><p>统计期间 Period: {from} 至 {to}。数据来源：案件及其全部历史记录，可随时复算。</p>",
        t = esc(&title),
        from = b.from,
        to = b.to
    );
    let t = &b.total;
    let _ = write!(
        h,
        "<p>本期受理 <b>{}</b> 件，办结 <b>{}</b> 件，期末未结 <b>{}</b> 件；按时办结率 <b>{}</b>，零跑率 {}，跑一次率 {}；\
         平均办结用时 {} 个工作日（P90 {}）；预警 {} 次，超期 {} 次；督办 一级 {} / 二级 {} / 三级 {} 件。</p>",
        t.received,
        t.closed,
        t.open_at_end,
        pct(t.on_time_rate),
        pct(t.zero_trip_rate()),
        pct(t.one_trip_rate()),
        t.avg_working_days,
        t.p90_working_days,
        t.warnings,
        t.breaches,
        t.escalations[0],
        t.escalations[1],
        t.escalations[2]
    );
    let criticised: Vec<&Row> = b.departments.iter().filter(|r| !r.criticised.is_empty()).collect();
    h.push_str("<h2>通报批评 Named for criticism</h2>");
    if criticised.is_empty() {
        h.push_str("<p>本期无。</p>");
    } else {
        h.push_str("<ul>");
        for r in criticised {
            let _ = write!(h, "<li><b>{}</b>：{}</li>", esc(&r.name), esc(&r.criticised.join("；")));
        }
        h.push_str("</ul>");
    }
    h.push_str("<h2>部门排名 Departments</h2>");
    let ranked: Vec<(String, f64, String)> = b
        .departments
        .iter()
        .filter(|r| r.figures.closed > 0)
        .map(|r| (r.name.clone(), r.figures.on_time_rate, pct(r.figures.on_time_rate)))
        .collect();
    h.push_str(&bars("按时办结率 On-time rate", &ranked, 1.0, threshold));
    table(&mut h, &b.departments, true);
    let received: Vec<(String, f64, String)> = b
        .departments
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                r.figures.received as f64,
                r.figures.received.to_string(),
            )
        })
        .collect();
    let max = received.iter().map(|r| r.1).fold(0.0, f64::max);
    h.push_str(&bars("受理量 Cases received", &received, max, None));
    h.push_str("<h2>分层级 By tier</h2>");
    table(&mut h, &b.tiers, false);
    h.push_str("<h2>分类型 By case type</h2>");
    table(&mut h, &b.case_types, false);
    h.push_str("</body></html>\n");
    h
}

fn table(h: &mut String, rows: &[Row], ranked: bool) {
    h.push_str("<table><tr>");
    if ranked {
        h.push_str("<th>排名</th>");
    }
    for c in [
        "名称",
        "受理",
        "办结",
        "未结",
        "按时办结率",
        "平均用时",
        "P90用时",
        "零跑率",
        "跑一次率",
        "预警",
        "超期",
        "一级督办",
        "二级督办",
        "三级督办",
        "满意率",
        "抽查合格率",
    ] {
        let _ = write!(h, "<th{}>{c}</th>", if c == "名称" { " class=\"l\"" } else { "" });
    }
    h.push_str("</tr>");
    for r in rows {
        let f = &r.figures;
        let _ = write!(
            h,
            "<tr{}>",
            if r.criticised.is_empty() { "" } else { " class=\"crit\"" }
        );
        if ranked {
            let _ = write!(
                h,
                "<td>{}</td>",
                r.rank.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
            );
        }
        let _ = write!(
            h,
            "<td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.name),
            f.received,
            f.closed,
            f.open_at_end,
            rate(f, f.on_time_rate, "—"),
            f.avg_working_days,
            f.p90_working_days,
            rate(f, f.zero_trip_rate(), "—"),
            rate(f, f.one_trip_rate(), "—"),
            f.warnings,
            f.breaches,
            f.escalations[0],
            f.escalations[1],
            f.escalations[2],
            f.satisfaction_rate().map(pct).unwrap_or_else(|| "—".into()),
            f.spot_check_pass_rate().map(pct).unwrap_or_else(|| "—".into()),
        );
    }
    h.push_str("</table>");
}
