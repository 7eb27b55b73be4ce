use super::*;

fn work<'a>(author: Option<&'a str>, date: Option<&'a str>, url: Option<&'a str>) -> Work<'a> {
    Work {
        key: "yang-shan",
        title: "洋山镇：“聚人气”",
        author,
        date,
        source: Some("《浙江工运》2018年第5-6期 第79页"),
        site: "乡镇振兴篇",
        url,
    }
}

#[test]
fn journal_sources_parse_and_others_do_not() {
    let j = Journal::parse("《浙江工运》2018年第5-6期 第79页").unwrap();
    assert_eq!(
        j,
        Journal {
            name: "浙江工运".into(),
            year: "2018".into(),
            issue: "5-6".into(),
            pages: Some("79".into()),
        }
    );
    let j = Journal::parse("《浙江工运》2018年第3期").unwrap();
    assert_eq!((j.issue.as_str(), j.pages), ("3", None));
    assert_eq!(
        Journal::parse("《工运》2019年第2期第10—12页")
            .unwrap()
            .pages
            .as_deref(),
        Some("10-12")
    );
    for s in [
        "浙江工人日报",
        "《浙江工运》",
        "《浙江工运》18年第5期",
        "《浙江工运》2018年第五期",
        "《a》2018年第5期 其他",
    ] {
        assert_eq!(Journal::parse(s), None, "{s}");
    }
}

#[test]
fn gbt_page_with_and_without_url() {
    let w = work(
        Some("何悦"),
        Some("2018-12-10"),
        Some("https://ex.org/d/reports/yang-shan/"),
    );
    let f = Formatted {
        style: "",
        of: "",
        spans: gbt_page(&w),
    };
    assert_eq!(
        f.plain("2026-12-02"),
        "何悦. 洋山镇：“聚人气”[EB/OL]. 乡镇振兴篇, (2018-12-10)[2026-12-02]. https://ex.org/d/reports/yang-shan/."
    );
    let w = work(None, None, None);
    let f = Formatted {
        style: "",
        of: "",
        spans: gbt_page(&w),
    };
    assert_eq!(f.plain("x"), "洋山镇：“聚人气”[EB/OL]. 乡镇振兴篇.");
}

#[test]
fn apa_dates_and_missing_parts() {
    assert_eq!(apa_date(Some("2018-12-10")), "(2018, December 10)");
    assert_eq!(apa_date(Some("2018-02")), "(2018, February)");
    assert_eq!(apa_date(Some("2018")), "(2018)");
    assert_eq!(apa_date(None), "(n.d.)");
    let w = work(None, None, None);
    let f = Formatted {
        style: "",
        of: "",
        spans: apa_page(&w),
    };
    assert_eq!(f.plain(""), "洋山镇：“聚人气”. (n.d.). 乡镇振兴篇.");
    assert_eq!(f.spans[0].kind, "italic");
}

#[test]
fn bibtex_escapes_every_special_character() {
    assert_eq!(
        bibtex_escape(r"a{b}c\d%e&f$g#h_i^j~k"),
        r"a\{b\}c\textbackslash{}d\%e\&f\$g\#h\_i\^{}j\~{}k"
    );
}

#[test]
fn csl_dates() {
    assert_eq!(
        csl_date("2018-12-10").unwrap().date_parts,
        vec![vec![2018, 12, 10]]
    );
    assert!(csl_date("2018-xx").is_none());
}
