//! Two pictures of the demo month, as plain SVG written beside the summary: orders accepted per
//! hour across the month (one line per industry) and the claim funnel from application to
//! payout. Pure text: no drawing library, nothing to install.

use std::fmt::Write;

use chrono::{DateTime, Utc};

/// One line of a chart: its label, colour and a value per step.
pub struct Series {
    pub label: String,
    pub colour: &'static str,
    pub values: Vec<u64>,
}

/// One bar of the funnel.
pub struct Stage {
    pub label: &'static str,
    pub count: u64,
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 320.0;
const MARGIN: f64 = 48.0;

/// How many of `instants` fall in each hour from `start`, for `hours` hours; later or earlier
/// ones are left out.
pub fn hourly(
    instants: impl IntoIterator<Item = DateTime<Utc>>,
    start: DateTime<Utc>,
    hours: usize,
) -> Vec<u64> {
    let mut out = vec![0; hours];
    for at in instants {
        let Ok(hour) = usize::try_from((at - start).num_hours()) else {
            continue;
        };
        if at >= start
            && let Some(slot) = out.get_mut(hour)
        {
            *slot += 1;
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A line chart of `series` over the same steps, with the maximum marked on the y axis.
pub fn lines(title: &str, x_label: &str, series: &[Series]) -> String {
    let steps = series
        .iter()
        .map(|s| s.values.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - 2.0 * MARGIN;
    let plot_h = HEIGHT - 2.0 * MARGIN;
    let x = |i: usize| MARGIN + plot_w * (i as f64) / ((steps - 1) as f64);
    let y = |v: u64| HEIGHT - MARGIN - plot_h * (v as f64) / (top as f64);
    let mut svg = header(title);
    let _ = writeln!(
        svg,
        r##"<line x1="{MARGIN}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/><line x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{b}" stroke="#888"/>"##,
        b = HEIGHT - MARGIN,
        r = WIDTH - MARGIN
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" font-size="11" text-anchor="end">{top}</text><text x="{}" y="{}" font-size="11" text-anchor="end">0</text>"#,
        MARGIN - 4.0,
        MARGIN + 4.0,
        MARGIN - 4.0,
        HEIGHT - MARGIN
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        HEIGHT - 12.0,
        escape(x_label)
    );
    for (n, s) in series.iter().enumerate() {
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{}" stroke-width="1.2" points="{}"/>"#,
            s.colour,
            points.join(" ")
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" font-size="12" fill="{}">{}</text>"#,
            // The legend is a row above the plot, where no line can run through it.
            WIDTH - MARGIN - 150.0 * (series.len() - n) as f64,
            MARGIN - 12.0,
            s.colour,
            escape(&s.label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Horizontal bars, widest first, each labelled with its count and share of the first.
pub fn funnel(title: &str, stages: &[Stage]) -> String {
    let first = stages.first().map_or(1, |s| s.count.max(1));
    let bar_h = (HEIGHT - 2.0 * MARGIN) / (stages.len().max(1) as f64);
    // Room on the left for the labels, on the right for the widest "count (share)".
    let full = WIDTH - 2.0 * MARGIN - 200.0 - 110.0;
    let mut svg = header(title);
    for (i, stage) in stages.iter().enumerate() {
        let w = full * (stage.count as f64) / (first as f64);
        let top = MARGIN + bar_h * i as f64;
        let _ = writeln!(
            svg,
            r##"<rect x="{}" y="{top:.1}" width="{w:.1}" height="{:.1}" fill="#4477aa"/><text x="{}" y="{:.1}" font-size="12" text-anchor="end">{}</text><text x="{:.1}" y="{:.1}" font-size="12">{} ({}%)</text>"##,
            MARGIN + 200.0,
            bar_h * 0.8,
            MARGIN + 192.0,
            top + bar_h * 0.55,
            escape(stage.label),
            MARGIN + 206.0 + w,
            top + bar_h * 0.55,
            stage.count,
            stage.count * 100 / first
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn header(title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="{MARGIN}" y="24" font-size="15">{}</text>
"#,
        escape(title)
    )
}

/// The month's orders per hour, one line per industry, from the generated workload.
pub fn orders_per_hour(o: &super::Outcome) -> String {
    use gigshield_proto::common::Industry;
    let start = o.month.starts_at();
    let hours = usize::try_from((o.month.ends_at() - start).num_hours()).unwrap_or(0);
    let industries = [
        (Industry::InstantDelivery, "instant delivery", "#cc3311"),
        (Industry::RideHailing, "ride-hailing", "#0077bb"),
        (Industry::IntraCityFreight, "intra-city freight", "#009988"),
    ];
    let series: Vec<Series> = industries
        .into_iter()
        .map(|(industry, label, colour)| {
            let accepted = o
                .workload
                .platforms
                .iter()
                .filter(|p| p.industry == industry)
                .flat_map(|p| {
                    o.workload.orders[p.index]
                        .iter()
                        .map(|order| order.accepted_at)
                });
            Series {
                label: label.to_string(),
                colour,
                values: hourly(accepted, start, hours),
            }
        })
        .collect();
    lines(
        &format!("Orders accepted per hour, {} (Shanghai), Shenzhen", o.month),
        "hours of the month",
        &series,
    )
}

/// Applications → claims → confirmed → assessed, as the demo saw them.
pub fn claim_funnel(o: &super::Outcome) -> String {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let confirmed = o
        .book
        .claims
        .values()
        .filter(|c| c.confirmed.is_some())
        .count();
    let automatic = o
        .book
        .claims
        .values()
        .filter(|c| c.confirmed.is_some() && c.review_reasons.is_empty())
        .count();
    funnel(
        &format!("Claims of {}: from application to benefits", o.month),
        &[
            Stage {
                label: "applications",
                count: count(o.tally.applications.len()),
            },
            Stage {
                label: "claims opened",
                count: count(o.book.claims.len()),
            },
            Stage {
                label: "confirmed",
                count: count(confirmed),
            },
            Stage {
                label: "confirmed automatically",
                count: count(automatic),
            },
            Stage {
                label: "benefits assessed",
                count: o.benefits.assessed,
            },
        ],
    )
}

/// The pictures' file names, beside `summary.md`.
pub const PICTURES: [&str; 2] = ["orders-per-hour.svg", "claim-funnel.svg"];

/// Writes the summary and its pictures into `dir`; returns the summary's path.
pub fn write_beside(
    summary: &str,
    o: &super::Outcome,
    dir: &std::path::Path,
) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    for (name, svg) in PICTURES
        .into_iter()
        .zip([orders_per_hour(o), claim_funnel(o)])
    {
        let path = dir.join(name);
        std::fs::write(&path, svg).with_context(|| format!("write {}", path.display()))?;
    }
    let path = dir.join("summary.md");
    std::fs::write(&path, summary).with_context(|| format!("write {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn instants_fall_in_their_hour_and_outsiders_are_left_out() {
        let start = "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let at = |minutes: i64| start + TimeDelta::minutes(minutes);
        let counts = hourly([at(0), at(59), at(60), at(-1), at(180)], start, 3);
        assert_eq!(counts, vec![2, 1, 0]);
    }

    #[test]
    fn charts_are_well_formed_svg_with_escaped_labels() {
        let svg = lines(
            "orders <per> hour",
            "hour",
            &[Series {
                label: "delivery & more".into(),
                colour: "#c33",
                values: vec![1, 5, 3],
            }],
        );
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("orders &lt;per&gt; hour") && svg.contains("delivery &amp; more"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        let bars = funnel(
            "claims",
            &[
                Stage {
                    label: "applications",
                    count: 10,
                },
                Stage {
                    label: "paid",
                    count: 5,
                },
            ],
        );
        assert_eq!(bars.matches("<rect").count(), 3, "background and two bars");
        assert!(bars.contains("5 (50%)"));
    }
}
