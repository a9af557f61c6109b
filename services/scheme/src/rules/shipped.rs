//! The rules the software ships: only figures with a source, each with its confidence
//! (docs/domain.md § Scheme stages, § Procedure and deadlines). Operators correct and extend
//! them with entries; nothing here is changed in place once released.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Confidence, DeadlineDays, Entry, Rule, Source, WindowKind};
use crate::region::ProvinceCode;

/// First pilot (H): Beijing, Shanghai, Jiangsu, Guangdong, Hainan, Chongqing, Sichuan.
const PILOT_2022: [&str; 7] = ["11", "31", "32", "44", "46", "50", "51"];
/// 人社部发〔2025〕24号 (H): Tianjin, Hebei, Liaoning, Zhejiang, Anhui, Fujian, Shandong, Hubei,
/// Guangxi, Ningxia.
const EXTENSION_2025: [&str; 10] = ["12", "13", "21", "33", "34", "35", "37", "42", "45", "64"];
/// The same notice: "2026年，推动职业伤害保障试点在全国31个省份和新疆生产建设兵团实施" (H for the
/// year). The day, 1 July, is M: Jilin's draft rules of 2026-01-23 and the July pattern of the
/// earlier stages. The remaining 14 provinces and the XPCC (66).
const NATIONWIDE_2026: [&str; 15] = [
    "14", "15", "22", "23", "36", "41", "43", "52", "53", "54", "61", "62", "63", "65", "66",
];

const NOTICE_2025: &str =
    "人社部等九部门《关于扩大新就业形态人员职业伤害保障试点的通知》（人社部发〔2025〕24号）";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("literal dates are valid")
}

/// Shipped entries are "recorded" at the Unix epoch, so every operator entry comes after them.
fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

fn source(document: &str, url: &str, published_on: Option<NaiveDate>, c: Confidence) -> Source {
    Source {
        document: document.into(),
        url: url.into(),
        published_on,
        confidence: c,
    }
}

fn entry(rule: Rule, source: Source) -> Entry {
    Entry {
        rule_id: None,
        rule,
        source,
        entered_by: "shipped".into(),
        recorded_at: epoch(),
    }
}

fn stage(prefixes: &[&str], starts_on: NaiveDate, source: &Source) -> Vec<Entry> {
    prefixes
        .iter()
        .map(|p| {
            entry(
                Rule::ProvinceStart {
                    province: ProvinceCode::from_prefix(p).expect("literal prefixes are provinces"),
                    starts_on,
                },
                source.clone(),
            )
        })
        .collect()
}

fn window(kind: WindowKind, value: u32, source: Source) -> Entry {
    entry(
        Rule::Window {
            kind,
            effective_from: super::scheme_first_day(),
            value,
        },
        source,
    )
}

fn days(list: &[(u32, u32)], year: i32) -> BTreeSet<NaiveDate> {
    list.iter().map(|&(m, d)| date(year, m, d)).collect()
}

/// 国办发明电〔2024〕12号, 2024-11-12: holiday blocks of 2025 and the weekend workdays.
fn holidays_2025() -> Rule {
    Rule::HolidayYear {
        year: 2025,
        holidays: days(
            &[
                (1, 1),
                (1, 28),
                (1, 29),
                (1, 30),
                (1, 31),
                (2, 1),
                (2, 2),
                (2, 3),
                (2, 4),
                (4, 4),
                (4, 5),
                (4, 6),
                (5, 1),
                (5, 2),
                (5, 3),
                (5, 4),
                (5, 5),
                (5, 31),
                (6, 1),
                (6, 2),
                (10, 1),
                (10, 2),
                (10, 3),
                (10, 4),
                (10, 5),
                (10, 6),
                (10, 7),
                (10, 8),
            ],
            2025,
        ),
        workdays: days(&[(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)], 2025),
    }
}

/// 国办发明电〔2025〕7号, 2025-11-04. Mid-Autumn and National Day are separate blocks in 2026.
fn holidays_2026() -> Rule {
    Rule::HolidayYear {
        year: 2026,
        holidays: days(
            &[
                (1, 1),
                (1, 2),
                (1, 3),
                (2, 15),
                (2, 16),
                (2, 17),
                (2, 18),
                (2, 19),
                (2, 20),
                (2, 21),
                (2, 22),
                (2, 23),
                (4, 4),
                (4, 5),
                (4, 6),
                (5, 1),
                (5, 2),
                (5, 3),
                (5, 4),
                (5, 5),
                (6, 19),
                (6, 20),
                (6, 21),
                (9, 25),
                (9, 26),
                (9, 27),
                (10, 1),
                (10, 2),
                (10, 3),
                (10, 4),
                (10, 5),
                (10, 6),
                (10, 7),
            ],
            2026,
        ),
        workdays: days(&[(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)], 2026),
    }
}

pub(super) fn entries() -> Vec<Entry> {
    let pilot = source(
        "人社部 新就业形态就业人员职业伤害保障试点: first pilot in 7 provinces from 2022-07-01",
        "",
        None,
        Confidence::High,
    );
    let extension = source(NOTICE_2025, "", Some(date(2025, 7, 8)), Confidence::High);
    let nationwide = source(
        &format!(
            "{NOTICE_2025}: all 31 provinces and the XPCC in 2026; 1 July from 吉林省人社厅 draft notice of 2026-01-23"
        ),
        "",
        Some(date(2025, 7, 8)),
        Confidence::Medium,
    );
    let mut out = Vec::new();
    out.extend(stage(&PILOT_2022, date(2022, 7, 1), &pilot));
    out.extend(stage(&EXTENSION_2025, date(2025, 7, 1), &extension));
    out.extend(stage(&NATIONWIDE_2026, date(2026, 7, 1), &nationwide));
    out.push(entry(
        Rule::FilingDeadlines {
            effective_from: super::scheme_first_day(),
            days: DeadlineDays {
                platform: 30,
                worker: 90,
                close_relative: 90,
            },
        },
        source(
            "新就业形态就业人员职业伤害保障办法（试行）: application within 30 days (platform), 90 days (worker or close relative) of the accident, as reported; text not seen",
            "",
            None,
            Confidence::Unconfirmed,
        ),
    ));
    out.push(window(
        WindowKind::OrderGraceMinutes,
        10,
        source(
            "gigshield operational choice: absorbs clock skew between order events and the reported time",
            "",
            None,
            Confidence::Unconfirmed,
        ),
    ));
    out.push(window(
        WindowKind::OpenOrderMaxMinutes,
        240,
        source(
            "gigshield operational choice: an order never closed covers at most four hours",
            "",
            None,
            Confidence::Unconfirmed,
        ),
    ));
    out.push(window(
        WindowKind::SuddenIllnessDeathHours,
        48,
        source(
            "《工伤保险条例》（国务院令第586号修订）第十五条: death within 48 hours of sudden illness at work",
            "",
            Some(date(2010, 12, 20)),
            Confidence::Medium,
        ),
    ));
    out.push(window(
        WindowKind::DeterminationWorkingDays,
        30,
        source(
            "职业伤害确认: decided within 30 working days of a complete application, as reported; text not seen",
            "",
            None,
            Confidence::Unconfirmed,
        ),
    ));
    out.push(entry(
        holidays_2025(),
        source(
            "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）",
            "https://www.gov.cn/zhengce/content/202411/content_6986382.htm",
            Some(date(2024, 11, 12)),
            Confidence::High,
        ),
    ));
    out.push(entry(
        holidays_2026(),
        source(
            "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）",
            "https://www.gov.cn/zhengce/content/202511/content_7047090.htm",
            Some(date(2025, 11, 4)),
            Confidence::High,
        ),
    ));
    out
}
