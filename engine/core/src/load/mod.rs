//! Loading a workflows directory: read every file within budgets, check it against its
//! schema, deserialize it, then cross-check the whole set ([`validate`]).
//!
//! The result is a [`Bundle`] plus every [`Diagnostic`](crate::diag::Diagnostic) found; the
//! caller decides whether errors forbid using the bundle (`yimen serve` refuses to start,
//! `yimen validate` exits 1).

mod read;
mod templates;
mod validate;

pub use read::Loaded;
pub use templates::{TemplateSource, TemplateUse};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::calendar::WorkCalendar;
use crate::diag::{Diagnostics, Pos};
use crate::model::{CalendarFile, CaseTypeFile, LadderFile, OrganisationFile, ScenarioFile, SchedulesFile};
use crate::schema::FileKind;
use crate::yaml::Limits;

/// Today, for the checks that depend on the date (a calendar's next year, whether a deadline
/// started today can be computed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Today {
    /// This date, whatever the zone (`yimen validate --today`, tests).
    Date(NaiveDate),
    /// This instant, read as a date in each calendar's own time zone.
    At(chrono::DateTime<chrono::Utc>),
}

impl Today {
    /// The date in `tz`.
    pub fn in_zone(self, tz: chrono_tz::Tz) -> NaiveDate {
        match self {
            Today::Date(d) => d,
            Today::At(t) => t.with_timezone(&tz).date_naive(),
        }
    }
}

impl From<NaiveDate> for Today {
    fn from(d: NaiveDate) -> Today {
        Today::Date(d)
    }
}

/// Options for loading.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Today, for checks that depend on it.
    pub today: Today,
    /// Limits on each file.
    pub limits: Limits,
}

/// Everything loaded from a workflows directory.
#[derive(Debug, Default)]
pub struct Bundle {
    /// The directory, as given.
    pub root: PathBuf,
    /// `organisation.yaml`.
    pub organisation: Option<Loaded<OrganisationFile>>,
    /// `cases/*.yaml`.
    pub case_types: Vec<Loaded<CaseTypeFile>>,
    /// `calendars/*.yaml`.
    pub calendar_files: Vec<Loaded<CalendarFile>>,
    /// The compiled calendars by id.
    pub calendars: BTreeMap<String, WorkCalendar>,
    /// `ladders/*.yaml`.
    pub ladders: Vec<Loaded<LadderFile>>,
    /// `schedules.yaml`.
    pub schedules: Option<Loaded<SchedulesFile>>,
    /// `scenarios/*.yaml`.
    pub scenarios: Vec<Loaded<ScenarioFile>>,
    /// `templates/*.hbs`, by template id.
    pub templates: BTreeMap<String, Vec<TemplateSource>>,
    /// Files that exist but failed to load, by kind and declared id (or file name), so that
    /// references to them are not reported a second time as unknown.
    pub broken: BTreeSet<(FileKind, String)>,
}

impl Bundle {
    /// The case type with this id.
    pub fn case_type(&self, id: &str) -> Option<&Loaded<CaseTypeFile>> {
        self.case_types.iter().find(|c| c.value.id == id)
    }

    /// Whether a file of `kind` declaring `id` exists but failed to load.
    pub fn is_broken(&self, kind: FileKind, id: &str) -> bool {
        self.broken.contains(&(kind, id.to_owned()))
    }

    /// The ladder with this id.
    pub fn ladder(&self, id: &str) -> Option<&Loaded<LadderFile>> {
        self.ladders.iter().find(|c| c.value.id == id)
    }

    /// The calendar a case type uses (its own or the centre's).
    pub fn calendar_for(&self, case_type: &CaseTypeFile) -> Option<&WorkCalendar> {
        let id = case_type
            .calendar
            .clone()
            .or_else(|| self.organisation.as_ref().map(|o| o.value.centre.calendar.clone()))?;
        self.calendars.get(&id)
    }

    /// The centre's default calendar.
    pub fn default_calendar(&self) -> Option<&WorkCalendar> {
        let id = &self.organisation.as_ref()?.value.centre.calendar;
        self.calendars.get(id)
    }

    /// Number of files loaded.
    pub fn file_count(&self) -> usize {
        usize::from(self.organisation.is_some())
            + usize::from(self.schedules.is_some())
            + self.case_types.len()
            + self.calendar_files.len()
            + self.ladders.len()
            + self.scenarios.len()
            + self.templates.values().map(Vec::len).sum::<usize>()
    }
}

/// The kind of a file from its place in the workflows directory, or `None` for files that are
/// not part of the format (README files, editor settings).
pub fn kind_of(rel: &Path) -> Option<FileKind> {
    let ext = rel.extension().and_then(|e| e.to_str()).unwrap_or("");
    let yaml = matches!(ext, "yaml" | "yml");
    let parent = rel.parent().and_then(|p| p.to_str()).unwrap_or("");
    let stem = rel.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    match (parent, yaml) {
        ("", true) if stem == "organisation" => Some(FileKind::Organisation),
        ("", true) if stem == "schedules" => Some(FileKind::Schedules),
        ("cases", true) => Some(FileKind::CaseType),
        ("calendars", true) => Some(FileKind::Calendar),
        ("ladders", true) => Some(FileKind::Ladder),
        ("scenarios", true) => Some(FileKind::Scenario),
        ("templates", false) if ext == "hbs" => Some(FileKind::TemplateHeader),
        _ => None,
    }
}

/// Loads and validates a whole workflows directory.
pub fn load_dir(root: &Path, opts: &LoadOptions) -> (Bundle, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut bundle = Bundle {
        root: root.to_path_buf(),
        ..Bundle::default()
    };
    let files = match read::list_files(root) {
        Ok(files) => files,
        Err(e) => {
            diags
                .at(root, Pos::START, "")
                .error("Y0101", format!("cannot read the directory: {e}"));
            return (bundle, diags);
        }
    };
    let schemas = read::Schemas::default();
    for rel in files {
        let path = root.join(&rel);
        let Some(kind) = kind_of(&rel) else {
            let ext = rel.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "yaml" | "yml" | "hbs") {
                diags
                    .at(&path, Pos::START, "")
                    .hint("case types go in cases/, calendars in calendars/, ladders in ladders/, scenarios in scenarios/, templates in templates/")
                    .warning("Y0110", "this file is not in a place where the loader looks, so it is ignored");
            }
            continue;
        };
        let before = diags.error_count();
        match kind {
            FileKind::Organisation => bundle.organisation = read::read(&path, kind, &schemas, opts, &mut diags),
            FileKind::Schedules => bundle.schedules = read::read(&path, kind, &schemas, opts, &mut diags),
            FileKind::CaseType => bundle
                .case_types
                .extend(read::read(&path, kind, &schemas, opts, &mut diags)),
            FileKind::Calendar => bundle
                .calendar_files
                .extend(read::read(&path, kind, &schemas, opts, &mut diags)),
            FileKind::Ladder => bundle
                .ladders
                .extend(read::read(&path, kind, &schemas, opts, &mut diags)),
            FileKind::Scenario => bundle
                .scenarios
                .extend(read::read(&path, kind, &schemas, opts, &mut diags)),
            FileKind::TemplateHeader => {
                if let Some(t) = templates::read_template(&path, &schemas, opts, &mut diags) {
                    bundle.templates.entry(t.id.clone()).or_default().push(t);
                }
            }
        }
        if diags.error_count() > before {
            bundle.broken.insert((kind, read::declared_id(&path, kind, opts)));
        }
    }
    validate::validate(&mut bundle, opts, &mut diags);
    (bundle, diags)
}

/// Finds the workflows directory a file belongs to: the nearest ancestor holding `organisation.yaml`.
pub fn find_root(file: &Path) -> Option<PathBuf> {
    let mut dir = file.parent();
    while let Some(d) = dir {
        let probe = if d.as_os_str().is_empty() { Path::new(".") } else { d };
        if probe.join("organisation.yaml").is_file() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// Parses the text of one case type (a deployed version kept in the database), checking its
/// structure; cross-file references are not checked again.
pub fn parse_case_type(text: &str) -> Result<CaseTypeFile, crate::Error> {
    let mut diags = Diagnostics::new();
    let opts = LoadOptions {
        today: Today::Date(chrono::NaiveDate::default()),
        limits: Limits::default(),
    };
    let schemas = read::Schemas::default();
    read::parse_text::<CaseTypeFile>(
        Path::new("<deployed>"),
        text.as_bytes(),
        FileKind::CaseType,
        &schemas,
        &opts,
        &mut diags,
    )
    .map(|(v, _, _)| v)
    .ok_or_else(|| {
        crate::Error::Source(
            diags
                .sorted()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}
