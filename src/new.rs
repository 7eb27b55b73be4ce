//! `casebook new report` and `casebook init`: scaffold a report, or a whole new site.
//!
//! Entry points: [`new_report`] writes `content/reports/<slug>.md` with every front-matter field
//! an editor may fill, the site's tactics vocabulary and metric registry as comments, and never
//! overwrites; [`init`] creates a site that builds and checks clean (a `site.yaml`, one sample
//! report, and the embedded theme only when asked for).
//!
//! A new report without `--tactic` gets `tactics: []`: the loader refuses an empty list, so
//! `check` and `serve` point at that line ("`tactics` must list at least one tactic"), with the
//! vocabulary listed in comments right under it. That is deliberate: a tactic is the one thing
//! an editor must choose, and a placeholder tactic would slip into the site unnoticed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::SiteConfig;
use crate::error::{Diagnostic, Error, Result};
use crate::load::{self, Project};
use crate::slug;
use crate::theme::Theme;

/// What `casebook new report` was asked for.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    /// URL segment and file name.
    pub slug: String,
    /// Township.
    pub town: String,
    /// Prefecture-level city.
    pub city: String,
    /// County-level unit.
    pub county: Option<String>,
    /// Tactics to fill in (may be empty: see the module docs).
    pub tactics: Vec<String>,
    /// `YYYY-MM-DD`; today when `None`.
    pub date: Option<String>,
}

/// A report file that was written.
#[derive(Debug)]
pub struct Created {
    /// The file, relative to the site root.
    pub path: PathBuf,
    /// Names the site does not know (a city or tactic typo), with the closest known one.
    pub warnings: Vec<Diagnostic>,
}

/// Writes `content/reports/<slug>.md`. Refuses an invalid slug, a slug some report already has,
/// and an existing file.
pub fn new_report(project: &Project, report: &NewReport) -> Result<Created> {
    slug::validate(&report.slug).map_err(Error::Invalid)?;
    for (what, value) in [("town", &report.town), ("city", &report.city)] {
        if value.trim().is_empty() || value.contains(['\n', '\r']) {
            return Err(Error::Invalid(format!(
                "--{what} must be a name on one line, found `{value}`"
            )));
        }
    }
    let date = match &report.date {
        Some(d) => {
            if !load::is_date(d) {
                return Err(Error::Invalid(format!(
                    "--date must be a real date written YYYY-MM-DD, found `{d}`"
                )));
            }
            d.clone()
        }
        None => chrono::Local::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string(),
    };
    let config = load::config(project)?;
    let reports = project.content.join("reports");
    let path = reports.join(format!("{}.md", report.slug));
    if let Some(existing) = same_slug(project, &report.slug) {
        return Err(Error::Exists {
            path: project.display_path(&existing),
            what: "exists (pick another slug)".into(),
        });
    }
    let shown = project.display_path(&path);
    let warnings = unknown_names(&config, report, &shown);
    let text = report_text(&config, report, &date);
    fs::create_dir_all(&reports).map_err(|e| Error::io(&reports, e))?;
    // create_new: never overwrite, even if the file appeared since the check above.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(&path, e))?;
    Ok(Created {
        path: shown,
        warnings,
    })
}

/// A report that has `slug` already: one that loads with it, or a report file named
/// `<slug>.md` (its default slug) that does not load.
fn same_slug(project: &Project, slug: &str) -> Option<PathBuf> {
    let loaded = load::read_all(project);
    if let Some(r) = loaded.reports.iter().find(|r| r.slug == slug) {
        return Some(project.root.join(&r.path));
    }
    let name = format!("{slug}.md");
    load::report_files(project)
        .into_iter()
        .find(|p| p.file_name().and_then(|n| n.to_str()) == Some(name.as_str()))
}

fn unknown_names(config: &SiteConfig, report: &NewReport, path: &Path) -> Vec<Diagnostic> {
    std::iter::once(config.unknown_city(&report.city))
        .chain(report.tactics.iter().map(|t| config.unknown_tactic(t)))
        .flatten()
        .map(|message| Diagnostic::warning(path, 0, 0, message))
        .collect()
}

/// A YAML scalar for a name: plain when that is unambiguous, else double-quoted (JSON string
/// syntax is valid YAML).
fn scalar(value: &str) -> String {
    let value = value.trim();
    let plain = !value.is_empty()
        && !value.contains([
            ':', '#', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
        ])
        && !value.starts_with(['-', '?', ' '])
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "null" | "~" | "on" | "off"
        )
        && value.parse::<f64>().is_err();
    if plain {
        value.to_string()
    } else {
        serde_json::Value::from(value).to_string()
    }
}

/// The text of a new report: every field, commented where the editor has to choose.
pub fn report_text(config: &SiteConfig, report: &NewReport, date: &str) -> String {
    let mut t = String::from("---\n");
    t.push_str(&format!("title: {}\n", scalar(&report.town)));
    t.push_str(&format!("town: {}\n", scalar(&report.town)));
    match &report.county {
        Some(c) => t.push_str(&format!("county: {}\n", scalar(c))),
        None => t.push_str("# county: 区、县或县级市\n"),
    }
    t.push_str(&format!("city: {}\n", scalar(&report.city)));
    let sections: Vec<&str> = config.sections.iter().map(|s| s.name()).collect();
    if sections.is_empty() {
        t.push_str("# section: 栏目\n");
    } else {
        t.push_str(&format!("# section: {}\n", sections.join(" | ")));
    }
    t.push_str("# level: 试点级别\n");
    t.push_str("# summary: 一段话概括本篇，列表和搜索结果里显示。\n");
    t.push_str("# author: 作者\n");
    t.push_str(&format!("date: {date}\n"));
    t.push_str("# source: 出处，如刊物、期号、页码\n");
    if report.tactics.is_empty() {
        t.push_str("tactics: []  # fill in at least one tactic (做法), e.g. [");
        let examples: Vec<&str> = config.tactics.keys().take(2).map(String::as_str).collect();
        if examples.is_empty() {
            t.push_str("网格化管理, 志愿服务");
        } else {
            t.push_str(&examples.join(", "));
        }
        t.push_str("]\n");
    } else {
        let list: Vec<String> = report.tactics.iter().map(|s| scalar(s)).collect();
        t.push_str(&format!("tactics: [{}]\n", list.join(", ")));
    }
    if !config.tactics.is_empty() {
        t.push_str("#   tactics of site.yaml (an alias works too):\n");
        for (name, def) in &config.tactics {
            t.push_str(&format!("#   {name}"));
            if !def.description.is_empty() {
                t.push_str(&format!(" — {}", def.description));
            }
            t.push('\n');
        }
    }
    if config.metrics.is_empty() {
        t.push_str("# metrics: { key: number }\n");
    } else {
        t.push_str(
            "metrics:  # uncomment what the report gives; numbers only, the unit is in site.yaml\n",
        );
        let width = config.metrics.keys().map(|k| k.len()).max().unwrap_or(0);
        for (key, def) in &config.metrics {
            let unit = if def.unit.is_empty() {
                String::new()
            } else {
                format!("（{}）", def.unit)
            };
            t.push_str(&format!(
                "  # {key}:{:pad$} # {}{unit}\n",
                "",
                def.label,
                pad = width - key.len()
            ));
        }
    }
    t.push_str("---\n\n");
    t.push_str(&format!(
        "{}的报告正文。用 `## 小标题` 分段；链接其他报告写 `[镇名](@/reports/<slug>)`。\n",
        report.town.trim()
    ));
    t
}

/// The `site.yaml` of a new site: a small vocabulary and registry to edit.
const INIT_CONFIG: &str = r#"# casebook site configuration. Every setting is optional; the README lists them all.
title: 案例汇编
subtitle: 基层工作案例选编
description: 各地基层工作案例的汇编。
language: zh-CN
# The published address; links are relative, only the feed, sitemap and 404 page use it.
# base_url: https://example.org/digest/
theme: default

# Sections in printed order; `by_city` lists a section's reports grouped by city.
sections:
  - { name: 重点报道, description: 篇幅较长的典型案例 }
  - { name: 速写, by_city: true, description: 短篇，按地市编排 }

# Cities in printed order.
cities:
  - 杭州市

# Metric registry: key -> label, unit, and how per-city figures combine (sum, mean, max).
metrics:
  members:         { label: 工会会员, unit: 人, aggregate: sum }
  membership_rate: { label: 职工入会率, unit: "%", aggregate: mean }
  stations:        { label: 职工服务站点, unit: 个, aggregate: sum }

# Tactics vocabulary: name -> one line, and other names editors may write.
tactics:
  网格化管理: { description: 把工会工作嵌入网格，建立多级服务网络。, aliases: [网格化] }
  志愿服务:   { description: 组建志愿者队伍，开展公益与志愿活动。, aliases: [志愿者] }
  职工之家:   { description: 建设职工之家、职工书屋等活动阵地。 }
"#;

/// The sample report of a new site.
const INIT_REPORT: &str = r#"---
title: 三墩镇：把服务送到网格里
town: 三墩镇
county: 西湖区
city: 杭州市
section: 重点报道
summary: 一篇示例报告：镇总工会把工作嵌入网格，用志愿服务队和职工之家把服务送到职工身边。
date: 2018-12-10
tactics: [网格化管理, 志愿服务, 职工之家]
metrics:
  members: 1200
  membership_rate: 92
  stations: 8
---

这是一篇示例报告，演示 casebook 的报告格式：开头 `---` 之间是元数据，之后是 Markdown 正文。

## 网格里的工会

镇总工会把全镇划成若干网格，每个网格有一名工会联络员，职工的诉求在网格里收集、在网格里回应。

## 身边的阵地

8 个职工服务站点和一支志愿服务队，让职工下班后有地方去、有事能找人。写好一篇新报告后，运行 `casebook check` 检查，`casebook serve` 预览。
"#;

/// Creates a new site in `dir` (made if missing): `site.yaml`, `content/reports/sandun.md`,
/// `.gitignore`, and with `with_theme` the embedded theme under `themes/default/` to edit.
/// Refuses to touch a folder that already has any of those files. Returns the files created,
/// relative to `dir`.
pub fn init(dir: &Path, with_theme: bool) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(PathBuf, &[u8])> = vec![
        (PathBuf::from("site.yaml"), INIT_CONFIG.as_bytes()),
        (
            PathBuf::from("content/reports/sandun.md"),
            INIT_REPORT.as_bytes(),
        ),
        (PathBuf::from(".gitignore"), b"/output/\n"),
    ];
    if with_theme {
        files.extend(
            Theme::embedded_files()
                .into_iter()
                .map(|(p, bytes)| (Path::new("themes/default").join(p), bytes)),
        );
    }
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| dir.join(p).exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Error::Exists {
            path: dir.to_path_buf(),
            what: format!("has {}", existing.join(", ")),
        });
    }
    for (rel, bytes) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_only_when_yaml_needs_it() {
        assert_eq!(scalar("三墩镇"), "三墩镇");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("2018"), "\"2018\"");
    }

    #[test]
    fn report_text_lists_vocabulary_and_registry_as_comments() {
        let config: SiteConfig =
            crate::load::front_matter::parse_document(Path::new("site.yaml"), INIT_CONFIG)
                .expect("init config parses");
        let text = report_text(
            &config,
            &NewReport {
                slug: "x".into(),
                town: "三墩镇".into(),
                city: "杭州市".into(),
                ..NewReport::default()
            },
            "2024-01-02",
        );
        assert!(text.contains("tactics: []  # fill in at least one tactic"));
        assert!(text.contains("#   网格化管理 — 把工会工作嵌入网格"));
        assert!(text.contains("  # membership_rate: # 职工入会率（%）\n"));
        assert!(text.contains("  # members:         # 工会会员（人）\n"));
        assert!(text.contains("date: 2024-01-02\n"));
    }
}
