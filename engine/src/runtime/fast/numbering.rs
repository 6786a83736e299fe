//! Case numbers in the writer: the sequence a new case takes its number from, and the opening
//! command with its number filled in.

use chrono::{DateTime, Utc};

use super::{EngineError, Read, Shared};
use crate::core::command::Command;
use crate::core::definition::CompiledCaseType;
use crate::store::StoreError;
use crate::store::batch;

/// The sequence a case of `def` opened at `now` takes its number from: its prefix, and the year
/// in its calendar's time zone.
pub(super) fn sequence_of(shared: &Shared, def: &CompiledCaseType, now: DateTime<Utc>) -> batch::Sequence {
    use chrono::Datelike;
    let numbers = shared.org.file.case_numbers();
    let year = now.with_timezone(&def.calendar.timezone()).year();
    (numbers.prefix_of(&def.def.id).to_owned(), year)
}

/// An opening with the number it takes (and that number's sequence); `None` for any other
/// command.
pub(super) fn numbered(
    shared: &Shared,
    def: &CompiledCaseType,
    command: &Command,
    now: DateTime<Utc>,
    read: &Read,
) -> Result<Option<(Command, batch::Sequence)>, EngineError> {
    let Command::Open {
        case_id,
        channel,
        fields,
        unit,
        number: None,
    } = command
    else {
        return Ok(None);
    };
    let seq = sequence_of(shared, def, now);
    let Some(next) = read.numbers.get(&seq).copied() else {
        return Err(EngineError::Store(StoreError::Corrupt(format!(
            "no case-number sequence was read for {} {}",
            seq.0, seq.1
        ))));
    };
    let number = shared.org.file.case_numbers().format(&seq.0, seq.1, next);
    let command = Command::Open {
        case_id: case_id.clone(),
        channel: channel.clone(),
        fields: fields.clone(),
        unit: unit.clone(),
        number: Some(number),
    };
    Ok(Some((command, seq)))
}
