//! The two file formats of one table: CSV (RFC 4180, UTF-8, header row, empty field for a
//! missing figure) and Parquet (one row group, plain encoding, uncompressed; nulls for missing
//! figures). Each file is written beside its final name and renamed into place, so a file
//! under the final name is always whole.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use parquet::basic::{LogicalType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use super::table::{Column, Kind, Row, Value};

/// The temporary sibling a file is written to before it takes its name: `name.partial`.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Writes `path`'s temporary sibling and flushes it to disk; the caller renames it into place
/// ([`publish`]) once every file of the set is written. On failure the sibling is removed.
fn write_partial(
    path: &Path,
    write: impl FnOnce(BufWriter<File>) -> anyhow::Result<File>,
) -> anyhow::Result<()> {
    let partial = partial(path);
    let result = File::create(&partial)
        .with_context(|| format!("create {}", partial.display()))
        .and_then(|file| write(BufWriter::new(file)))
        .and_then(|file| file.sync_all().context("flush to disk"))
        .with_context(|| format!("write {}", partial.display()));
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Renames every written sibling into its place: a file under its final name is always whole,
/// and the set is replaced only once all of it was written.
pub fn publish(paths: &[PathBuf]) -> anyhow::Result<()> {
    for path in paths {
        std::fs::rename(partial(path), path)
            .with_context(|| format!("rename to {}", path.display()))?;
    }
    Ok(())
}

/// Removes the temporary siblings of a set that could not be written whole.
pub fn discard(paths: &[PathBuf]) {
    for path in paths {
        let _ = std::fs::remove_file(partial(path));
    }
}

fn csv_field(value: &Value) -> String {
    match value {
        Value::Text(t) if t.contains([',', '"', '\n', '\r']) => {
            format!("\"{}\"", t.replace('"', "\"\""))
        }
        Value::Text(t) => t.clone(),
        Value::Count(Some(n)) => n.to_string(),
        Value::Count(None) => String::new(),
        Value::Flag(b) => b.to_string(),
    }
}

/// Writes the CSV beside `path` (publish it with [`publish`]).
pub fn write_csv(path: &Path, columns: &[Column], rows: &[Row]) -> anyhow::Result<()> {
    write_partial(path, |mut out| {
        let header: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        // RFC 4180: CRLF ends every record.
        write!(out, "{}\r\n", header.join(","))?;
        for row in rows {
            let fields: Vec<String> = columns.iter().map(|c| csv_field(&(c.value)(row))).collect();
            write!(out, "{}\r\n", fields.join(","))?;
        }
        out.into_inner().map_err(|e| e.into_error().into())
    })
}

fn parquet_schema(columns: &[Column]) -> anyhow::Result<Type> {
    let fields = columns
        .iter()
        .map(|c| {
            let (physical, repetition) = match c.kind {
                Kind::Text => (Physical::BYTE_ARRAY, Repetition::REQUIRED),
                Kind::Count => (Physical::INT64, Repetition::OPTIONAL),
                Kind::Flag => (Physical::BOOLEAN, Repetition::REQUIRED),
            };
            let logical = (c.kind == Kind::Text).then_some(LogicalType::String);
            Type::primitive_type_builder(&c.name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Type::group_type_builder("gigshield_statistics")
        .with_fields(fields)
        .build()?)
}

/// Writes the Parquet file beside `path` (publish it with [`publish`]).
pub fn write_parquet(path: &Path, columns: &[Column], rows: &[Row]) -> anyhow::Result<()> {
    let schema = Arc::new(parquet_schema(columns)?);
    let properties = Arc::new(
        WriterProperties::builder()
            .set_created_by(format!("gigshield {}", env!("CARGO_PKG_VERSION")))
            // Plain encoding, as docs/export.md promises: any reader, no dictionary pages.
            .set_dictionary_enabled(false)
            .build(),
    );
    write_partial(path, |out| {
        let mut writer = SerializedFileWriter::new(out, schema, properties)?;
        let mut group = writer.next_row_group()?;
        for c in columns {
            let mut column = group
                .next_column()?
                .context("the schema has a leaf per column")?;
            let values: Vec<Value> = rows.iter().map(|r| (c.value)(r)).collect();
            match c.kind {
                Kind::Text => {
                    let texts: Vec<ByteArray> = values
                        .into_iter()
                        .map(|v| match v {
                            Value::Text(t) => ByteArray::from(t.into_bytes()),
                            _ => ByteArray::from(Vec::new()),
                        })
                        .collect();
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&texts, None, None)?;
                }
                Kind::Count => {
                    let counts: Vec<Option<i64>> = values
                        .into_iter()
                        .map(|v| match v {
                            Value::Count(n) => n,
                            _ => None,
                        })
                        .collect();
                    let defined: Vec<i16> = counts.iter().map(|n| i16::from(n.is_some())).collect();
                    let present: Vec<i64> = counts.into_iter().flatten().collect();
                    column
                        .typed::<Int64Type>()
                        .write_batch(&present, Some(&defined), None)?;
                }
                Kind::Flag => {
                    let flags: Vec<bool> = values
                        .into_iter()
                        .map(|v| matches!(v, Value::Flag(true)))
                        .collect();
                    column.typed::<BoolType>().write_batch(&flags, None, None)?;
                }
            }
            column.close()?;
        }
        group.close()?;
        let out = writer.into_inner()?;
        out.into_inner().map_err(|e| e.into_error().into())
    })
}

/// The files' paths for a span of months: `statistics-2026-10_2026-11.{csv,parquet}`.
pub fn paths(dir: &Path, from: &str, through: &str) -> [PathBuf; 2] {
    let stem = format!("statistics-{from}_{through}");
    [
        dir.join(format!("{stem}.csv")),
        dir.join(format!("{stem}.parquet")),
    ]
}

#[cfg(test)]
mod tests {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    use super::*;
    use crate::export::table::{columns, join};
    use gigshield_proto::claims as cpb;
    use gigshield_proto::premium as ppb;

    fn rows() -> Vec<Row> {
        join(crate::export::table::Cells {
            premium: vec![
                ppb::PremiumStatisticsCell {
                    month: "2026-11".into(),
                    province_code: "440000".into(),
                    platform_id: "p,1".into(),
                    orders: 12_345,
                    covered_persons: 40,
                    ..Default::default()
                },
                ppb::PremiumStatisticsCell {
                    month: "2026-11".into(),
                    province_code: "440000".into(),
                    platform_id: "p2".into(),
                    suppressed: true,
                    ..Default::default()
                },
            ],
            claims: vec![cpb::ClaimStatisticsCell {
                month: "2026-11".into(),
                province_code: "440000".into(),
                platform_id: "p,1".into(),
                claims: 9,
                ..Default::default()
            }],
            incident: Vec::new(),
            fund: Vec::new(),
        })
    }

    #[test]
    fn csv_has_a_header_quotes_where_needed_and_leaves_missing_figures_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        let cols = columns();
        write_csv(&path, &cols, &rows()).unwrap();
        assert!(
            !path.exists(),
            "not under its name before the set is published"
        );
        publish(std::slice::from_ref(&path)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].starts_with(
                "month,province_code,platform_id,industries,premium_suppressed,orders,"
            )
        );
        assert!(
            lines[1].starts_with("2026-11,440000,\"p,1\",,false,12345,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("2026-11,440000,p2,,true,,"),
            "{}",
            lines[2]
        );
        assert!(!dir.path().join("s.csv.partial").exists());
    }

    #[test]
    fn parquet_reads_back_with_its_types_and_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.parquet");
        let cols = columns();
        write_parquet(&path, &cols, &rows()).unwrap();
        publish(std::slice::from_ref(&path)).unwrap();
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 2);
        let schema = reader.metadata().file_metadata().schema_descr();
        assert_eq!(schema.num_columns(), cols.len());
        let read: Vec<Vec<(String, Field)>> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|row| {
                row.unwrap()
                    .get_column_iter()
                    .map(|(name, field)| (name.clone(), field.clone()))
                    .collect()
            })
            .collect();
        let get = |row: usize, name: &str| {
            read[row]
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, f)| f.clone())
                .unwrap()
        };
        assert_eq!(get(0, "platform_id"), Field::Str("p,1".into()));
        assert_eq!(get(0, "orders"), Field::Long(12_345));
        assert_eq!(get(0, "claims"), Field::Long(9));
        assert_eq!(get(0, "premium_suppressed"), Field::Bool(false));
        assert_eq!(get(1, "orders"), Field::Null);
        assert_eq!(get(1, "claims"), Field::Null);
        assert_eq!(get(1, "premium_suppressed"), Field::Bool(true));
    }
}
