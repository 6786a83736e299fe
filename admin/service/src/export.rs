//! A case list exported: one row per case in the reader's language, personal data masked unless
//! the reader's role sees it, as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) or as
//! an Excel workbook.

use serde_json::Value;
use yimen_engine::core::Case;
use yimen_engine::model::case_type::FieldType;
use yimen_engine::render::mask_value;

use crate::state::AppState;

/// The most rows one export holds (a list longer than this is cut, and says so in its last row).
pub const MAX_ROWS: usize = 100_000;

/// The columns: (key, zh-CN, en).
const COLUMNS: &[(&str, &str, &str)] = &[
    ("number", "案件编号", "Case number"),
    ("case_type", "案件类型", "Case type"),
    ("state", "状态", "State"),
    ("status", "是否办结", "Closed"),
    ("department", "承办部门", "Department"),
    ("unit", "属地", "Unit"),
    ("channel", "来源渠道", "Channel"),
    ("opened", "受理时间", "Opened"),
    ("closed", "办结时间", "Closed at"),
    ("due", "办理时限", "Due"),
    ("overdue", "是否超期", "Overdue"),
    ("supervision", "督办级别", "Supervision level"),
    ("repeats", "重复反映次数", "Repeats"),
    ("citizen", "当事人", "Citizen"),
    ("phone", "联系电话", "Phone"),
    ("summary", "事由", "Summary"),
];

/// The header row in `lang` (`zh-CN` or `en`).
pub fn header(lang: &str) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|(_, zh, en)| if lang == "en" { *en } else { *zh }.to_owned())
        .collect()
}

fn yes_no(lang: &str, b: bool) -> String {
    match (lang == "en", b) {
        (true, true) => "yes",
        (true, false) => "no",
        (false, true) => "是",
        (false, false) => "否",
    }
    .to_owned()
}

/// One case's row in `lang`; personal data masked unless `unmasked`.
pub fn row(s: &AppState, case: &Case, unmasked: bool, lang: &str) -> Vec<String> {
    let org = s.engine.org();
    let def = s.engine.definitions().get(&case.case_type, case.definition_version);
    let d = def.as_ref().map(|d| &d.def);
    let type_name = d.map_or_else(|| case.case_type.clone(), |d| d.name.get(lang).to_owned());
    let state = d
        .and_then(|d| d.states.get(&case.state))
        .map_or_else(|| case.state.clone(), |st| st.name.get(lang).to_owned());
    let unit = case
        .unit
        .as_deref()
        .and_then(|u| org.file.units.get(u))
        .map(|u| u.name.get(lang).to_owned())
        .unwrap_or_default();
    let channel = org
        .file
        .channels
        .get(&case.channel)
        .map_or_else(|| case.channel.clone(), |c| c.name.get(lang).to_owned());
    // The first field of each kind, shown as the reader may see it.
    let first = |ty: FieldType| -> String {
        let Some(d) = d else { return String::new() };
        d.fields
            .iter()
            .find(|(id, f)| f.ty == ty && case.fields.contains_key(*id))
            .and_then(|(id, f)| {
                let v = case.fields.get(id)?;
                let v = if unmasked { v.clone() } else { mask_value(Some(f), v) };
                v.as_str().map(str::to_owned)
            })
            .unwrap_or_default()
    };
    let summary = d
        .and_then(|d| {
            d.fields
                .iter()
                .filter(|(_, f)| f.ty == FieldType::Text && (unmasked || !f.is_personal()))
                .find_map(|(id, _)| case.fields.get(id).and_then(Value::as_str).filter(|t| !t.is_empty()))
        })
        .unwrap_or_default()
        .to_owned();
    let due = crate::cases::due_of(s, case).map(|t| s.local(t)).unwrap_or_default();
    let level = case.supervision.iter().map(|r| r.level).max().unwrap_or(0);
    vec![
        case.number.clone().unwrap_or_else(|| case.id.to_string()),
        type_name,
        state,
        yes_no(lang, case.is_closed()),
        org.file.department_name(&case.department, lang),
        unit,
        channel,
        s.local(case.opened_at),
        case.closed_at.map(|t| s.local(t)).unwrap_or_default(),
        due,
        yes_no(lang, case.sla.as_ref().is_some_and(|c| c.breached)),
        if level == 0 { String::new() } else { level.to_string() },
        case.repeats.to_string(),
        first(FieldType::Person),
        first(FieldType::Phone),
        summary,
    ]
}

/// A CSV field: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` is taken as text (a spreadsheet would run it as a formula).
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A CSV line (CRLF-terminated, as RFC 4180 has it).
pub fn csv_line(cells: &[String]) -> String {
    let mut line = cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// A workbook of one sheet: the header and the rows.
pub fn xlsx(lang: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(if lang == "en" { "Cases" } else { "案件清单" })
        .map_err(|e| e.to_string())?;
    let bold = Format::new().set_bold();
    for (c, h) in header(lang).iter().enumerate() {
        let c = u16::try_from(c).map_err(|e| e.to_string())?;
        sheet
            .write_string_with_format(0, c, h, &bold)
            .map_err(|e| e.to_string())?;
    }
    for (r, cells) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|e| e.to_string())?;
        for (c, v) in cells.iter().enumerate() {
            let c = u16::try_from(c).map_err(|e| e.to_string())?;
            sheet.write_string(r, c, v).map_err(|e| e.to_string())?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
    book.save_to_buffer().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("普治〔2026〕00001号"), "普治〔2026〕00001号");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_line(&["a".into(), "b\nc".into()]), "a,\"b\nc\"\r\n");
    }
}
