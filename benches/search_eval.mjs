// Search quality and size, casebook against Pagefind, in one run (issue 3, "Budgets").
//
// Run it through benches/search_eval.sh, which installs what this needs (pagefind and
// playwright-core into bench-work/, Chromium from apt) and builds the release binary. Steps:
//   1. Copy the real digest (content/ + site.yaml) to a temp dir and build it with the binary.
//   2. Derive known-answer queries from the digest itself, deterministically (seeded RNG):
//      (a) quoted names and phrases (text inside “…” in titles and bodies, 2 to 12 characters),
//      (b) windows of 2 to 6 consecutive Han characters from inside body sentences,
//      (c) two-word queries (two windows from one report, "网格化管理 志愿" style),
//      (d) the same three sets in traditional script (OpenCC's cn -> tw conversion, opencc-js),
//          relevant where the simplified query is,
//      (e) windows of 4 to 8 Han characters that cross a space or a line break of the text, typed
//          without it: from titles and bodies, and from a copy of the digest whose paragraphs are
//          hard-wrapped every 23 characters as print-converted text is (queries of this set run
//          on that copy),
//      (f) truncated final words: 2 to 5 Han characters and the start of the Latin/digit run that
//          follows them in a body (入会率达9 for 入会率达93%).
//      A report is relevant when a text its page shows (title, town, county, city, tactics,
//      summary, body read from the Markdown; NFKC + lower case on both sides, white space between
//      two Han characters ignored unless it is a blank line, as a reader reads it) contains every
//      word of the query.
//   3. casebook: run every query through output/search/search.js in Node with a `load` that
//      records the files fetched; bytes are those files gzipped (Node's zlib default level).
//   4. Pagefind: index the same built site, serve it gzip-compressed on 127.0.0.1, query it in
//      headless Chromium through /pagefind/pagefind.js; bytes are counted by the server.
//   5. casebook at 100x the digest, twice: every report copied 100 times (slug-NNN, town+NNN),
//      and the same with each copy's body mixed from the digest's paragraphs (identical copies
//      make posting lists repeat, which gzip flatters); sampled queries, bytes, engine time.
//   6. Print a Markdown table and write it to bench-work/search_eval.md.
//
// Byte counting, both engines: queries of a set are shuffled (seeded) and grouped into visits
// of 5. The first query of a visit starts from nothing (a fresh engine, or a fresh page with
// the browser cache cleared) and pays for the client code; the 4 later queries pay only for
// what they add. casebook's first query also counts search-ui.js, which the page UI loads.
//
// Options: --scale N[,N...] (default 100,1000; 0 skips; the first scale also runs with mixed bodies),
//          --no-pagefind, --windows N (default 300),
//          --two-word N (default 100), --seed N, --work DIR (default bench-work/),
//          --visit N (queries per visit, default 5). CASEBOOK_BIN names the binary; KEEP_TMP=1
//          keeps the temp sites. Raw per-query rows go to bench-work/search_eval.json.

import { execFileSync, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { basename, dirname, extname, join, normalize as normPath, relative, resolve, sep } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
function opt(name, dflt) {
  const i = argv.indexOf("--" + name);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  return v === undefined || v.startsWith("--") ? true : v;
}
const SCALES = String(opt("scale", "100,1000")).split(",").map(Number).filter((x) => x > 1);
const WITH_PAGEFIND = !argv.includes("--no-pagefind");
const N_WINDOWS = Number(opt("windows", 300));
const N_TWO = Number(opt("two-word", 100));
const SEED = Number(opt("seed", 20180506));
const VISIT = Number(opt("visit", 5));
const WORK = resolve(opt("work", join(REPO, "bench-work")));
let BIN = resolve(
  process.env.CASEBOOK_BIN || join(process.env.CARGO_TARGET_DIR || join(REPO, "target"), "release", "casebook"),
);
mkdirSync(WORK, { recursive: true });
const log = (...a) => console.error("[search_eval]", ...a);

// ---------------------------------------------------------------- helpers

/** Deterministic PRNG (mulberry32): the query sets must be the same on every run. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (xs) => xs[next.int(xs.length)];
  next.shuffle = (xs) => {
    const a2 = xs.slice();
    for (let i = a2.length - 1; i > 0; i--) {
      const j = next.int(i + 1);
      [a2[i], a2[j]] = [a2[j], a2[i]];
    }
    return a2;
  };
  return next;
}

const norm = (s) => String(s).normalize("NFKC").toLowerCase();
const HAN = /\p{Script=Han}/u;
const gz = (buf) => gzipSync(buf).length;
const quantile = (xs, q) => {
  if (!xs.length) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const median = (xs) => quantile(xs, 0.5);
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const kb = (n) => (Number.isFinite(n) ? (n / 1024).toFixed(1) + " KB" : "n/a");
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) + " ms" : "n/a");
function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out.sort();
}
function sizeOf(files) {
  let raw = 0;
  let z = 0;
  for (const f of files) {
    const b = readFileSync(f);
    raw += b.length;
    z += gz(b);
  }
  return { raw, gz: z, files: files.length };
}

/** `casebook build`; returns wall time and the per-stage times it prints on stderr. */
function build(root, out) {
  const t0 = performance.now();
  const r = spawnSync(BIN, ["build", "--root", root, "--output", out], { encoding: "utf8", maxBuffer: 1 << 28 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`casebook build failed (${r.status}):\n${r.stderr}`);
  const line = r.stderr.split("\n").find((l) => /\bbuilt\b.*\bms\b/.test(l)) || "";
  const stages = {};
  for (const m of line.matchAll(/(\w+) (\d+(?:\.\d+)?) ms/g)) stages[m[1]] = Number(m[2]);
  const total = Number((line.match(/ in (\d+(?:\.\d+)?) ms/) || [])[1]);
  return { wall, total, stages, line: line.trim() };
}

// ---------------------------------------------------------------- the corpus

/** Markdown body -> the text a reader sees (the digest uses headings, lists and paragraphs). */
function mdText(md) {
  const fm = md.match(/^---\r?\n[\s\S]*?\r?\n---\r?\n/);
  const body = fm ? md.slice(fm[0].length) : md;
  return body
    .split(/\r?\n/)
    .map((l) =>
      l
        .replace(/^\s{0,3}#{1,6}\s+/, "")
        .replace(/^\s*(?:[-*+]|\d+[.)])\s+/, "")
        .replace(/^\s*>\s?/, "")
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/\*\*|__|`/g, ""),
    )
    .join("\n");
}

/**
 * The "spec" relevance mirrors issue 3's tokenizer with plain string matching: a text becomes a
 * sequence of units (each Han, kana or Hangul character; each run of other letters and digits),
 * everything else separates. Two CJK units with nothing between them are "joined" (the
 * tokenizer indexes their bigram); any other neighbours are "loose" (consecutive positions
 * only). A query matches where its units occur in a row, its joined pairs joined in the text
 * too; a separator in the query, or a Latin/digit boundary, accepts either.
 */
const CJK_UNIT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const WORDCH = /[\p{L}\p{N}]/u;
const JOINED = "\u0001";
const LOOSE = "\u0002";
function units(text) {
  const out = []; // [unit, isCJK, separatorBefore]
  let word = "";
  let sep = true;
  const flush = () => {
    if (word) out.push([word, false, sep]);
    if (word) sep = false;
    word = "";
  };
  for (const c of norm(text)) {
    if (CJK_UNIT.test(c)) {
      flush();
      out.push([c, true, sep]);
      sep = false;
    } else if (WORDCH.test(c)) word += c;
    else {
      flush();
      sep = true;
    }
  }
  flush();
  return out;
}
const joined = (u, i) => i > 0 && u[i][1] && u[i - 1][1] && !u[i][2];
/** A text as the string the spec matcher searches. */
function unitText(text) {
  const u = units(text);
  let s = LOOSE;
  for (let i = 0; i < u.length; i++) s += (i === 0 ? "" : joined(u, i) ? JOINED : LOOSE) + u[i][0];
  return s + LOOSE;
}
/** A query word as a regular expression over `unitText` strings (null when it has no units). */
function unitPattern(word) {
  const u = units(word);
  if (!u.length) return null;
  const esc = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  let re = `[${JOINED}${LOOSE}]`;
  for (let i = 0; i < u.length; i++) re += (i === 0 ? "" : joined(u, i) ? JOINED : `[${JOINED}${LOOSE}]`) + esc(u[i][0]);
  return new RegExp(re + `[${JOINED}${LOOSE}]`, "u");
}

/** Text as a reader reads it: white space between two Han characters dropped, unless a blank line. */
function joinHan(text) {
  return text.replace(/(\p{Script=Han})[^\S\n]*(?:\n[^\S\n]*)?(?=\p{Script=Han})/gu, "$1");
}

/** Traditional query -> the simplified query it was converted from (whose relevance it shares). */
const ORIGINAL = new Map();

/** Field texts are shared by many reports at 100x: each distinct one is matched once a query. */
const pool = [];
const poolIds = new Map();
function intern(text) {
  if (!poolIds.has(text)) {
    poolIds.set(text, pool.length);
    pool.push(text);
  }
  return poolIds.get(text);
}

/** The built site's reports with their title and Markdown body (raw and normalised). */
function corpus(root, out) {
  const reports = JSON.parse(readFileSync(join(out, "data", "reports.json"), "utf8"));
  return reports.map((r) => {
    const slug = r.slug || r.url.match(/reports\/([^/]+)\//)[1];
    const body = mdText(readFileSync(join(root, r.path), "utf8"));
    const shown = [r.title, r.town, r.county, r.city, ...(r.tactics || []), r.summary, body].filter(Boolean);
    return {
      slug,
      path: r.path,
      title: r.title,
      town: r.town,
      body,
      hay: shown.map((t) => intern(joinHan(norm(t)))),
      keys: shown.map((t) => intern(unitText(t))),
    };
  });
}

/**
 * Slugs of the relevant reports, two ways.
 * strict: a text the report page shows (title, place, tactics, summary, body) contains every word
 *   of `q` (NFKC, lower case, white space between Han characters ignored unless a blank line).
 * spec (issue 3's tokenizer, see `units`): every word occurs in any text the report page shows
 * and casebook indexes (title, town, county, city, tactics, summary, body).
 */
function relevant(docs, query) {
  const q = ORIGINAL.get(query) ?? query;
  const words = norm(q).split(/\s+/).filter(Boolean);
  const pats = String(q).split(/[\s"“”「」]+/u).map(unitPattern).filter(Boolean);
  const memo = (test) => {
    const m = new Map();
    return (id) => {
      if (!m.has(id)) m.set(id, test(pool[id]));
      return m.get(id);
    };
  };
  const hasWord = words.map((w) => memo((t) => t.includes(w)));
  const hasPat = pats.map((p) => memo((t) => p.test(t)));
  const strict = [];
  const spec = [];
  for (const d of docs) {
    if (hasWord.every((h) => d.hay.some(h))) strict.push(d.slug);
    if (hasPat.length && hasPat.every((h) => d.keys.some(h))) spec.push(d.slug);
  }
  return { strict, spec };
}

// ---------------------------------------------------------------- query sets

function quotedQueries(docs) {
  const seen = new Set();
  const out = [];
  for (const d of docs) {
    for (const text of [d.title, d.body]) {
      for (const m of text.matchAll(/“([^“”\n]+)”/g)) {
        const q = m[1].trim();
        const n = Array.from(q).length;
        const key = norm(q);
        if (n < 2 || n > 12 || seen.has(key) || !/[\p{L}\p{N}]/u.test(q)) continue;
        seen.add(key);
        out.push(q);
      }
    }
  }
  return out;
}

/** A window of `len` consecutive Han characters from inside a sentence of `d`'s body. */
function windowFrom(r, d, len) {
  const sentences = d.body.split(/[。！？；\n]/).filter((s) => Array.from(s).some((c) => HAN.test(c)));
  for (let tries = 0; tries < 20 && sentences.length; tries++) {
    const chars = Array.from(r.pick(sentences));
    const starts = [];
    for (let i = 0; i + len <= chars.length; i++) {
      let ok = true;
      for (let k = i; k < i + len && ok; k++) ok = HAN.test(chars[k]);
      if (ok) starts.push(i);
    }
    if (starts.length) {
      const s = r.pick(starts);
      return chars.slice(s, s + len).join("");
    }
  }
  return null;
}

function windowQueries(docs, n, r) {
  const seen = new Set();
  const out = [];
  for (let guard = 0; out.length < n && guard < n * 50; guard++) {
    const q = windowFrom(r, r.pick(docs), 2 + r.int(5));
    if (q && !seen.has(q)) {
      seen.add(q);
      out.push(q);
    }
  }
  return out;
}

function twoWordQueries(docs, n, r) {
  const seen = new Set();
  const out = [];
  for (let guard = 0; out.length < n && guard < n * 50; guard++) {
    const d = r.pick(docs);
    const a = windowFrom(r, d, 3 + r.int(3));
    const b = windowFrom(r, d, 2 + r.int(2));
    if (!a || !b || a.includes(b) || b.includes(a)) continue;
    const q = a + " " + b;
    if (!seen.has(q)) {
      seen.add(q);
      out.push(q);
    }
  }
  return out;
}

/** The same queries in traditional script (only those the conversion changes). */
function traditional(queries, convert) {
  const out = [];
  for (const q of queries) {
    const t = convert(q);
    if (t !== q && !ORIGINAL.has(t)) {
      ORIGINAL.set(t, q);
      out.push(t);
    }
  }
  return out;
}

/** Paragraph lines of a Markdown body: not headings, list items, tables, quotes or blank. */
function paragraphs(md) {
  const fm = md.match(/^---\r?\n[\s\S]*?\r?\n---\r?\n/);
  const body = fm ? md.slice(fm[0].length) : md;
  const out = [];
  let cur = [];
  for (const line of body.split(/\r?\n/)) {
    if (!line.trim() || /^\s{0,3}(#|[-*+>|]|\d+[.)])/.test(line)) {
      if (cur.length) out.push(cur.join("\n"));
      cur = [];
    } else cur.push(line);
  }
  if (cur.length) out.push(cur.join("\n"));
  return out;
}

/** Hard-wraps every paragraph of the reports every `width` characters, between two Han characters. */
function wrapSite(src, dst, width) {
  cpSync(src, dst, { recursive: true, filter: (p) => !p.startsWith(join(src, "output")) });
  for (const file of walk(join(dst, "content", "reports")).filter((f) => f.endsWith(".md"))) {
    const md = readFileSync(file, "utf8");
    const fm = md.match(/^---\r?\n[\s\S]*?\r?\n---\r?\n/);
    const head = fm ? fm[0] : "";
    const lines = md.slice(head.length).split("\n").map((line) => {
      if (!line.trim() || /^\s{0,3}(#|[-*+>|]|\d+[.)])/.test(line)) return line;
      const cs = Array.from(line);
      let out = "";
      let run = 0;
      for (let i = 0; i < cs.length; i++) {
        out += cs[i];
        run++;
        if (run >= width && i + 1 < cs.length && HAN.test(cs[i]) && HAN.test(cs[i + 1])) {
          out += "\n";
          run = 0;
        }
      }
      return out;
    });
    writeFileSync(file, head + lines.join("\n"));
  }
}

/**
 * Windows of 4 to 8 Han characters across a space or line break between two Han characters, in
 * titles and body paragraphs (raw Markdown of `root`), typed without the white space.
 */
function crossingQueries(root, docs, n, r) {
  const out = new Set();
  for (const d of docs) {
    const md = readFileSync(join(root, d.path), "utf8");
    for (const text of [d.title, ...paragraphs(md)]) {
      for (const m of text.matchAll(/\p{Script=Han}(?:[^\S\n]+|[^\S\n]*\n[^\S\n]*)(?=\p{Script=Han})/gu)) {
        const left = Array.from(text.slice(0, m.index + 1));
        const right = Array.from(text.slice(m.index + m[0].length));
        let a = 0;
        while (a < left.length && HAN.test(left[left.length - 1 - a])) a++;
        let b = 0;
        while (b < right.length && HAN.test(right[b])) b++;
        const la = Math.min(a, 1 + r.int(4));
        const lb = Math.min(b, 1 + r.int(4));
        if (la + lb < 4) continue;
        out.add(left.slice(left.length - la).join("") + right.slice(0, lb).join(""));
      }
    }
  }
  return r.shuffle([...out]).slice(0, n);
}

/** 2-5 Han characters and a strict prefix of the Latin/digit run after them in a body. */
function truncatedQueries(docs, n, r) {
  const out = new Set();
  for (const d of docs) {
    for (const m of d.body.matchAll(/(\p{Script=Han}{2,5})([A-Za-z0-9]{2,})/gu)) {
      const run = m[2];
      out.add(m[1].slice(-(2 + r.int(4))) + run.slice(0, 1 + r.int(run.length - 1)));
    }
  }
  return r.shuffle([...out].sort()).slice(0, n);
}

// ---------------------------------------------------------------- quality metrics

/** recall@10 and hit@1 (over queries with exactly one relevant report), plus the misses. */
function quality(rows, key = "strict") {
  const recalls = [];
  let hitN = 0;
  let hitOk = 0;
  const misses = [];
  let unanswerable = 0;
  for (const row of rows) {
    const relList = row.relevant[key];
    const rel = new Set(relList);
    if (rel.size === 0) {
      unanswerable++;
      continue;
    }
    const top = row.top.slice(0, 10);
    const found = top.filter((s) => rel.has(s)).length;
    const recall = found / Math.min(rel.size, 10);
    recalls.push(recall);
    if (rel.size === 1) {
      hitN++;
      if (top[0] === relList[0]) hitOk++;
    }
    if (recall < 1 || (rel.size === 1 && top[0] !== relList[0])) misses.push({ ...row, relevant: relList, spec: row.relevant.spec });
  }
  return { n: recalls.length, recall: mean(recalls), hitN, hit: hitN ? hitOk / hitN : NaN, misses, unanswerable };
}

// ---------------------------------------------------------------- casebook in Node

async function openCasebook(out) {
  const dir = join(out, "search");
  const mod = await import(pathToFileURL(join(dir, "search.js")).href + "?" + encodeURIComponent(out));
  const text = new Map();
  const size = new Map(); // path -> [gzip, raw]
  const read = (p) => {
    if (!text.has(p)) {
      const b = readFileSync(join(dir, p));
      text.set(p, b.toString("utf8"));
      size.set(p, [gz(b), b.length]);
    }
    return text.get(p);
  };
  const clientFiles = ["search-ui.js", "search-text.js", "search-classic.js"].map((f) => readFileSync(join(dir, f)));
  const client = clientFiles.reduce((a, b) => a + gz(b), 0);
  const clientRaw = clientFiles.reduce((a, b) => a + b.length, 0);
  /** A fresh engine; every file it loads is reported to `onLoad(path, gzipBytes, rawBytes)`. */
  const engine = (onLoad) =>
    mod.createSearch({
      load: async (p) => {
        const t = read(p);
        if (onLoad) onLoad(p, ...size.get(p));
        return t;
      },
    });
  return { mod, dir, engine, client, clientRaw, read };
}

/** Runs a query set in visits; returns per-query rows with results and bytes. */
async function runCasebook(cb, docs, queries, r) {
  const rows = [];
  const order = r.shuffle(queries);
  for (let v = 0; v < order.length; v += VISIT) {
    let bytes = 0;
    let raw = 0;
    let files = [];
    const s = cb.engine((p, n, r2) => {
      bytes += n;
      raw += r2;
      files.push(p);
    });
    for (let i = v; i < Math.min(order.length, v + VISIT); i++) {
      const q = order[i];
      bytes = i === v ? cb.client : 0;
      raw = i === v ? cb.clientRaw : 0;
      files = [];
      const res = await s.search(q, { limit: 10 });
      rows.push({
        q,
        first: i === v,
        bytes,
        raw,
        files,
        total: res.total,
        top: res.results.map((x) => x.slug),
        relevant: relevant(docs, q),
      });
    }
  }
  return rows;
}

function casebookCli(root, q, limit = 10) {
  return JSON.parse(execFileSync(BIN, ["search", "--root", root, "--json", "--limit", String(limit), q]).toString());
}

// ---------------------------------------------------------------- Pagefind in Chromium

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

/**
 * Serves `root` on 127.0.0.1, gzip-compressed where that makes a file smaller (Pagefind's own
 * index files are already gzip, and a server does not compress them twice). Counts the body
 * bytes sent for every request into `server.sent`.
 */
async function serveGzip(root) {
  const cache = new Map();
  const state = { sent: [], inflight: 0, lastEnd: 0 };
  const bench = Buffer.from('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>bench</title><body></body></html>');
  const server = createServer((req, res) => {
    state.inflight++;
    res.on("close", () => {
      state.inflight--;
      state.lastEnd = performance.now();
    });
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/__bench.html") {
      res.writeHead(200, { "content-type": TYPES[".html"], "cache-control": "no-store" });
      return res.end(bench);
    }
    let file = normPath(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) return res.writeHead(404).end();
    if (!cache.has(file)) {
      const raw = readFileSync(file);
      const z = gzipSync(raw);
      cache.set(file, z.length < raw.length ? { body: z, enc: "gzip" } : { body: raw, enc: null });
    }
    const { body, enc } = cache.get(file);
    const headers = {
      "content-type": TYPES[extname(file)] || "application/octet-stream",
      "content-length": body.length,
      "cache-control": "max-age=3600",
    };
    if (enc) headers["content-encoding"] = enc;
    res.writeHead(200, headers);
    res.end(body);
    state.sent.push({ path, bytes: body.length });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    state,
    /** Resolves when no request is in flight and none ended in the last 40 ms. */
    idle: async () => {
      for (;;) {
        await new Promise((ok) => setTimeout(ok, 10));
        if (state.inflight === 0 && performance.now() - state.lastEnd > 40) return;
      }
    },
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(ok);
      }),
  };
}

async function runPagefind(site, docs, sets) {
  const req = createRequire(join(WORK, "package.json"));
  const { chromium } = req("playwright-core");
  const t0 = performance.now();
  const pfOut = execFileSync("npx", ["--no-install", "pagefind", "--site", site], { cwd: WORK, encoding: "utf8" });
  const indexMs = performance.now() - t0;
  const version = (pfOut.match(/Running Pagefind v([\d.]+)(?: \((\w+)\))?/) || []).slice(1).filter(Boolean).join(" ");
  const pages = Number((pfOut.match(/Indexed (\d+) pages/) || [])[1]);
  const server = await serveGzip(site);
  const profile = mkdtempSync(join(tmpdir(), "casebook-bench-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
    locale: "zh-CN",
  });
  const out = {};
  let browser = "";
  try {
    for (const [name, queries] of Object.entries(sets)) {
      const r = rng(SEED + 7);
      const order = r.shuffle(queries);
      const rows = [];
      for (let v = 0; v < order.length; v += VISIT) {
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send("Network.clearBrowserCache");
        if (!browser) browser = (await cdp.send("Browser.getVersion")).product.replace(/^\D+\//, "");
        await page.goto(server.url + "__bench.html");
        await server.idle();
        for (let i = v; i < Math.min(order.length, v + VISIT); i++) {
          const q = order[i];
          server.state.sent = [];
          // What a results list of 10 costs: the search, then the first 10 results' data.
          const first = await page.evaluate(async (query) => {
            window.__pf = window.__pf || (await import("/pagefind/pagefind.js"));
            const res = await window.__pf.search(query);
            window.__last = res.results;
            const data = await Promise.all(res.results.slice(0, 10).map((x) => x.data()));
            return { total: res.results.length, urls: data.map((d) => d.url) };
          }, q);
          await server.idle();
          const sent = server.state.sent.filter((s) => s.path.startsWith("/pagefind/"));
          const bytes = sent.reduce((a, s) => a + s.bytes, 0);
          // Quality: the first 10 results that are reports (Pagefind also indexes the listing
          // pages; skipping them is generous to Pagefind). Bytes for these are not counted.
          let urls = first.urls;
          const reportsIn = (us) => us.map((u) => (u.match(/\/reports\/([^/]+)\//) || [])[1]).filter(Boolean);
          if (reportsIn(urls).length < 10 && first.total > urls.length) {
            urls = await page.evaluate(async () => {
              const out2 = [];
              let n = 0;
              for (const x of window.__last) {
                const d = await x.data();
                out2.push(d.url);
                if (/\/reports\/[^/]+\//.test(d.url) && ++n >= 10) break;
              }
              return out2;
            });
            await server.idle();
          }
          const top = reportsIn(urls).slice(0, 10);
          const nonReports10 = first.urls.length - reportsIn(first.urls).length;
          rows.push({ q, first: i === v, bytes, files: sent.map((s) => s.path), total: first.total, top, nonReports10, relevant: relevant(docs, q) });
        }
        await page.close();
      }
      out[name] = rows;
      log(`pagefind: ${name}: ${rows.length} queries`);
    }
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const bundle = join(site, "pagefind");
  const all = walk(bundle);
  const dataFiles = all.filter((f) => /\.(pf_index|pf_fragment|pf_meta|pf_filter)$/.test(f));
  const clientFiles = all.filter((f) => /(^|\/)(pagefind\.js|pagefind-worker\.js|pagefind-entry\.json|wasm\.[^/]+\.pagefind)$/.test(f));
  // As served: Pagefind's own files are gzip already, so their raw size is what is sent.
  const served = (files) => files.reduce((a, f) => {
    const b = readFileSync(f);
    return a + Math.min(b.length, gz(b));
  }, 0);
  return {
    version,
    browser,
    pages,
    indexMs,
    rows: out,
    size: {
      data: { raw: dataFiles.reduce((a, f) => a + statSync(f).size, 0), gz: served(dataFiles), files: dataFiles.length },
      client: { raw: clientFiles.reduce((a, f) => a + statSync(f).size, 0), gz: served(clientFiles), files: clientFiles.length },
    },
  };
}

// ---------------------------------------------------------------- the scaled site

/**
 * Every report copied `scale` times: slug-NNN, town+NNN (in town and title). With `mix` (an
 * RNG), each copy's body is made of paragraphs drawn from the whole digest, as long as the
 * original body: posting lists then differ from copy to copy, as in a real large site, instead
 * of repeating 100 times (which gzip compresses far better than real data).
 */
function makeScaled(src, dst, scale, mix = null) {
  mkdirSync(dst, { recursive: true });
  cpSync(join(src, "site.yaml"), join(dst, "site.yaml"));
  cpSync(join(src, "content"), join(dst, "content"), {
    recursive: true,
    // News items name reports by slug, and the copies' slugs differ: a scaled site has none.
    filter: (p) =>
      p !== join(src, "content", "news") &&
      (!p.startsWith(join(src, "content", "reports") + sep) || statSync(p).isDirectory()),
  });
  const width = String(scale - 1).length;
  let n = 0;
  const files = walk(join(src, "content", "reports")).filter((f) => f.endsWith(".md"));
  const split = (md) => {
    const fm = md.match(/^---\r?\n[\s\S]*?\r?\n---\r?\n/);
    return [fm ? fm[0] : "", fm ? md.slice(fm[0].length) : md];
  };
  const paragraphs = files.flatMap((f) => split(readFileSync(f, "utf8"))[1].split(/\n{2,}/).filter((p) => p.trim()));
  const mixBody = (len) => {
    let body = "";
    while (body.length < len) body += mix.pick(paragraphs) + "\n\n";
    return body;
  };
  for (const file of files) {
    const md = readFileSync(file, "utf8");
    const town = (md.match(/^town:\s*(.+)$/m) || [])[1]?.trim().replace(/^["']|["']$/g, "");
    const rel = relative(join(src, "content", "reports"), file);
    mkdirSync(join(dst, "content", "reports", dirname(rel)), { recursive: true });
    for (let k = 0; k < scale; k++) {
      const tag = String(k).padStart(width, "0");
      const newTown = town + tag;
      const [fm, body] = split(md);
      const out = (mix ? fm + "\n" + mixBody(body.length) : md)
        .replace(/^town:.*$/m, `town: ${newTown}`)
        .replace(/^title:(.*)$/m, (_, t) => "title:" + (town && t.includes(town) ? t.replace(town, newTown) : `${t} ${tag}`))
        .replace(/^slug:\s*(.+)$/m, (_, s) => `slug: ${s.trim()}-${tag}`);
      writeFileSync(join(dst, "content", "reports", dirname(rel), basename(rel, ".md") + "-" + tag + ".md"), out);
      n++;
    }
  }
  return n;
}

// ---------------------------------------------------------------- report

function bytesStats(rows) {
  const first = rows.filter((x) => x.first).map((x) => x.bytes);
  const later = rows.filter((x) => !x.first).map((x) => x.bytes);
  const firstRaw = rows.filter((x) => x.first).map((x) => x.raw);
  return {
    firstRawMed: median(firstRaw),
    firstRawMax: Math.max(...firstRaw),
    firstMed: median(first),
    firstP90: quantile(first, 0.9),
    firstMax: Math.max(...first),
    laterMed: median(later),
    laterP90: quantile(later, 0.9),
    laterMax: Math.max(...later),
    nFirst: first.length,
    nLater: later.length,
  };
}

/** One line per miss. With `specOf`, tags results by the spec relevance (see `relevant`). */
function missLines(misses, max = 12, specOf = null) {
  return misses.slice(0, max).map((m) => {
    const rel = new Set(m.relevant);
    const spec = specOf ? new Set(specOf(m)) : null;
    const tag = (s, inSpec) => (spec ? (spec.has(s) === inSpec ? "" : inSpec ? " (word)" : " (spec)") : "");
    const missing = m.relevant.filter((s) => !m.top.includes(s));
    const extra = m.top.filter((s) => !rel.has(s));
    return (
      `- \`${m.q}\`: ${m.relevant.length} relevant (${m.relevant.slice(0, 4).join(", ")}${m.relevant.length > 4 ? ", …" : ""}); ` +
      `top ${m.top.slice(0, 3).join(", ") || "(none)"} of ${m.total}` +
      (missing.length && m.relevant.length <= 10 ? `; not in top 10: ${missing.map((s) => s + tag(s, true)).join(", ")}` : "") +
      (extra.length ? `; not relevant but in top 10: ${extra.slice(0, 4).map((s) => s + tag(s, false)).join(", ")}` : "")
    );
  });
}

/** casebook at `scale` x the digest: build, quality on sampled queries, bytes and engine time. */
async function scaledRun(tmp, root, sets, scale, label, mix) {
  const sroot = join(tmp, "scaled-" + scale + "-" + label.replace(/\W+/g, "-"));
  const n = makeScaled(root, sroot, scale, mix);
  log(`scaled site (${label}): ${n} reports; building`);
  const sout = join(sroot, "output");
  const b2 = build(sroot, sout);
  log(b2.line);
  const sdocs = corpus(sroot, sout);
  const rs = rng(SEED + 100);
  const towns = [];
  for (let guard = 0; towns.length < 50 && guard < 5000; guard++) {
    const d = rs.pick(sdocs);
    if (d.town && d.title.includes(d.town) && !towns.includes(d.town)) towns.push(d.town);
  }
  const ssets = {
    quoted: rs.shuffle(sets.quoted).slice(0, 50),
    windows: rs.shuffle(sets.windows).slice(0, 100),
    "two-word": rs.shuffle(sets["two-word"]).slice(0, 60),
    "town+number": towns,
    "quoted, traditional": rs.shuffle(sets["quoted, traditional"]).slice(0, 50),
    "windows, traditional": rs.shuffle(sets["windows, traditional"]).slice(0, 60),
    "truncated final word": rs.shuffle(sets["truncated final word"]).slice(0, 60),
  };
  const scb = await openCasebook(sout);
  const srows = {};
  for (const [name, qs] of Object.entries(ssets)) srows[name] = await runCasebook(scb, sdocs, qs, rng(SEED + 7));
  log(`scaled (${label}): queries run`);
  // First-query bytes of every two-word query, each from a fresh engine.
  const twoFirst = [];
  const twoFirstRaw = [];
  for (const q of ssets["two-word"]) {
    let bytes = scb.client;
    let raw = scb.clientRaw;
    await scb
      .engine((p, nb, nr) => {
        bytes += nb;
        raw += nr;
      })
      .search(q, { limit: 10 });
    twoFirst.push(bytes);
    twoFirstRaw.push(raw);
  }
  // Engine time of a later query of a visit whose files are fetched (in memory) but not yet
  // parsed: parsing its shards, decoding postings, ranking and snippets. Median of 3 fresh
  // engines (each first runs an unrelated query, so manifest and facets are parsed), against
  // GC noise. Then the same query again on a warm engine (everything parsed).
  const allQ = Object.values(ssets).flat();
  for (const q of allQ.slice(0, 10)) await scb.engine().search(q); // JIT warm-up
  const tLater = [];
  const tRepeat = [];
  for (const q of allQ) {
    const runs = [];
    let s = null;
    for (let k = 0; k < 3; k++) {
      s = scb.engine();
      await s.search("zzzz");
      const t = performance.now();
      await s.search(q, { limit: 10 });
      runs.push(performance.now() - t);
    }
    tLater.push({ q, ms: median(runs) });
    const t = performance.now();
    await s.search(q, { limit: 10 });
    tRepeat.push(performance.now() - t);
  }
  const index = sizeOf([join(sout, "search", "manifest.js"), ...walk(join(sout, "search")).filter((f) => /\/search\/(idx|d)\/|\/fold-/.test(f))]);
  if (!process.env.KEEP_TMP) rmSync(sroot, { recursive: true, force: true }); // gigabytes at 1000x
  return { label: `${scale}x ${label}`, scale, n, build: b2, rows: srows, sets: ssets, twoFirst, twoFirstRaw, tLater, tRepeat, index };
}

// ---------------------------------------------------------------- main

async function main() {
  if (!existsSync(BIN)) throw new Error(`no casebook binary at ${BIN}: run cargo build --release first`);
  const tmp = mkdtempSync(join(tmpdir(), "casebook-search-eval-"));
  // A snapshot of the binary: a rebuild during the run must not change what is measured.
  cpSync(BIN, join(tmp, "casebook"));
  BIN = join(tmp, "casebook");
  const load = loadavg().map((x) => x.toFixed(1)).join(" ");
  const md = [];
  const started = new Date();
  try {
    // 1. the digest
    const root = join(tmp, "digest");
    mkdirSync(root);
    cpSync(join(REPO, "content"), join(root, "content"), { recursive: true });
    cpSync(join(REPO, "site.yaml"), join(root, "site.yaml"));
    // `casebook search --root` reads the tantivy index from the root's default output folder.
    const out = join(root, "output");
    const b1 = build(root, out);
    log(b1.line);
    const docs = corpus(root, out);

    // 2. query sets
    const r = rng(SEED);
    const sets = {
      quoted: quotedQueries(docs),
      windows: windowQueries(docs, N_WINDOWS, r),
      "two-word": twoWordQueries(docs, N_TWO, r),
    };
    const OpenCC = createRequire(join(WORK, "package.json"))("opencc-js");
    const toTw = OpenCC.Converter({ from: "cn", to: "tw" });
    for (const k of ["quoted", "windows", "two-word"]) sets[k + ", traditional"] = traditional(sets[k], toTw);
    sets["truncated final word"] = truncatedQueries(docs, 150, r);
    // Windows across white space: the digest's own spaces, and a copy hard-wrapped as print is.
    const wrapped = join(tmp, "wrapped");
    wrapSite(root, wrapped, 23);
    const wout = join(wrapped, "output");
    build(wrapped, wout);
    const wdocs = corpus(wrapped, wout);
    const crossing = crossingQueries(wrapped, wdocs, 200, r);
    log(`queries: ${Object.entries(sets).map(([k, v]) => `${k} ${v.length}`).join(", ")} over ${docs.length} reports`);

    // 3. casebook
    const cb = await openCasebook(out);
    const cbRows = {};
    for (const [name, qs] of Object.entries(sets)) cbRows[name] = await runCasebook(cb, docs, qs, rng(SEED + 7));
    const wcb = await openCasebook(wout);
    cbRows["across a space or line break"] = await runCasebook(wcb, wdocs, crossing, rng(SEED + 7));
    const cbIndex = sizeOf([join(out, "search", "manifest.js"), ...walk(join(out, "search")).filter((f) => /\/search\/(idx|d)\/|\/fold-/.test(f))]);
    const cbClient = sizeOf(["search-ui.js", "search-text.js", "search-classic.js"].map((f) => join(out, "search", f)));
    const tantivyDir = join(out, "search", "tantivy");
    const cbTantivy = existsSync(tantivyDir) ? sizeOf(walk(tantivyDir)) : null;
    // The browser must rank exactly as tantivy does: compare with `casebook search --json`.
    const sample = rng(SEED + 11).shuffle(Object.values(sets).flat()).slice(0, 80);
    let same = 0;
    const differ = [];
    for (const q of sample) {
      const js = (await cb.engine().search(q, { limit: 10 })).results.map((x) => x.slug);
      const cli = casebookCli(root, q).map((x) => x.slug);
      if (JSON.stringify(js) === JSON.stringify(cli)) same++;
      else differ.push(`\`${q}\`: js ${js.slice(0, 3).join(",")} cli ${cli.slice(0, 3).join(",")}`);
    }

    // 4. Pagefind over the same built site (a copy, so the casebook output stays as built)
    let pf = null;
    if (WITH_PAGEFIND) {
      const pfSite = join(tmp, "pagefind-site");
      cpSync(out, pfSite, { recursive: true });
      pf = await runPagefind(pfSite, docs, sets);
      const pfw = join(tmp, "pagefind-wrapped");
      cpSync(wout, pfw, { recursive: true });
      const pw = await runPagefind(pfw, wdocs, { "across a space or line break": crossing });
      Object.assign(pf.rows, pw.rows);
    }

    // 5. 100x
    const bigs = [];
    for (const [i, scale] of SCALES.entries()) {
      bigs.push(await scaledRun(tmp, root, sets, scale, "copies", null));
      if (i === 0) bigs.push(await scaledRun(tmp, root, sets, scale, "mixed bodies", rng(SEED + 200)));
    }

    // 6. the report
    const machine = `${cpus().length} × ${cpus()[0]?.model?.trim() || "cpu"}, Node ${process.version}`;
    md.push(`### Search quality and size: casebook vs Pagefind`);
    md.push("");
    md.push(`Run ${started.toISOString().slice(0, 10)} on ${machine} (load average ${load} at the start: timings are from a shared machine); \`benches/search_eval.sh\` (seed ${SEED}, visits of ${VISIT} queries).`);
    md.push(
      `Digest: ${docs.length} reports; queries derived from it: ${sets.quoted.length} quoted names/phrases (“…” in titles and bodies, 2-12 characters), ${sets.windows.length} windows of 2-6 Han characters from inside body sentences, ${sets["two-word"].length} two-word queries (two windows of one report); the same in traditional script (OpenCC cn -> tw, only queries it changes: ${sets["quoted, traditional"].length}, ${sets["windows, traditional"].length}, ${sets["two-word, traditional"].length}); ${sets["truncated final word"].length} truncated final words; ${crossing.length} windows of 4-8 Han characters across a space or line break, typed without it (the digest's own, and a copy of the digest hard-wrapped every 23 characters, on which these run). ` +
        `Relevant, *strict*: a text the report page shows (title, town, county, city, tactics, summary, body) contains every word (NFKC, lower case, white space between two Han characters ignored unless a blank line; a traditional query is relevant where its simplified original is). ` +
        `Relevant, *spec*: issue 3's tokenizer semantics, computed independently with string matching: every word's ideographs, letters and digits occur in a row in any text the report page shows and casebook indexes (title, place, tactics, summary, body); Latin/digit runs are whole words, punctuation is skipped except that ideographs adjacent in the query must be adjacent in the text.` +
        (pf ? ` Pagefind ${pf.version} indexed all ${pf.pages} pages of the same built site; it is scored on its first 10 report results (listing pages skipped, which favours it), and its bytes are those of the search plus its first 10 results' data, counted by a local gzip server, Chromium ${pf.browser}.` : ""),
    );
    md.push("");
    const Q = (rows) => ({ strict: quality(rows, "strict"), spec: quality(rows, "spec") });
    const qcb = Object.fromEntries(Object.entries(cbRows).map(([k, v]) => [k, Q(v)]));
    const qpf = pf ? Object.fromEntries(Object.entries(pf.rows).map(([k, v]) => [k, Q(v)])) : null;
    const bcb = bytesStats(Object.values(cbRows).flat());
    const bpf = pf ? bytesStats(Object.values(pf.rows).flat()) : null;
    const qcell = (q) => `${f3(q.recall)} / ${f3(q.hit)}`;
    md.push(`| digest (${docs.length} reports) | casebook | Pagefind | budget |`);
    md.push(`| --- | --- | --- | --- |`);
    for (const k of Object.keys(cbRows)) {
      const budget = "≥ 0.995 / ≥ 0.99";
      for (const def of ["quoted", "windows", "two-word"].includes(k) ? ["strict", "spec"] : ["strict"]) {
        const c = qcb[k][def];
        md.push(
          `| ${k} (${c.n} queries, ${c.hitN} with one answer), ${def}: recall@10 / hit@1 | ${qcell(c)} | ${qpf && qpf[k] ? qcell(qpf[k][def]) : "—"} | ${budget} |`,
        );
      }
    }
    md.push(`| first query of a visit, gzip: median / p90 / max | ${kb(bcb.firstMed)} / ${kb(bcb.firstP90)} / ${kb(bcb.firstMax)} | ${bpf ? `${kb(bpf.firstMed)} / ${kb(bpf.firstP90)} / ${kb(bpf.firstMax)}` : "—"} | ≤ 60 KB |`);
    md.push(`| later query, gzip: median / p90 | ${kb(bcb.laterMed)} / ${kb(bcb.laterP90)} | ${bpf ? `${kb(bpf.laterMed)} / ${kb(bpf.laterP90)}` : "—"} | ≤ 15 KB median |`);
    md.push(`| client code, gzip (raw) | ${kb(cbClient.gz)} (${kb(cbClient.raw)}): search-ui.js, search-text.js, search-classic.js | ${pf ? `${kb(pf.size.client.gz)} (${kb(pf.size.client.raw)}): pagefind.js, worker, wasm, entry` : "—"} | |`);
    md.push(`| index on disk, gzip sum (raw), files | ${kb(cbIndex.gz)} (${kb(cbIndex.raw)}), ${cbIndex.files} | ${pf ? `${kb(pf.size.data.gz)} (${kb(pf.size.data.raw)}), ${pf.size.data.files}` : "—"} | |`);
    if (cbTantivy) md.push(`| tantivy index, output/search/tantivy (\`casebook search\`) | ${kb(cbTantivy.raw)} raw, ${cbTantivy.files} files | | |`);
    md.push(`| index time | ${b1.stages.index} ms of a ${b1.total} ms build | ${pf ? `${Math.round(pf.indexMs)} ms (npx pagefind)` : "—"} | |`);
    if (pf) {
      const nr = Object.values(pf.rows).flat().map((x) => x.nonReports10);
      md.push(`| listing pages among the first 10 results (mean) | 0 | ${mean(nr).toFixed(1)} | |`);
    }
    const cbAll = Object.values(cbRows).flat();
    md.push(`| result count = spec-relevant count | ${cbAll.filter((x) => x.total === x.relevant.spec.length).length}/${cbAll.length} | | |`);
    md.push(`| JS order = \`casebook search --json\` (sample) | ${same}/${sample.length} | | identical |`);
    md.push("");
    if (bigs.length) {
      const cols = bigs.map((b) => ({ b, q: Object.fromEntries(Object.entries(b.rows).map(([k, v]) => [k, Q(v)])), bb: bytesStats(Object.values(b.rows).flat()) }));
      const row = (label, f, budget = "") => md.push(`| ${label} | ${cols.map(f).join(" | ")} | ${budget} |`);
      md.push(`| casebook scaled | ${bigs.map((b) => `${b.label} (${b.n} reports)`).join(" | ")} | budget |`);
      md.push(`| --- | ${bigs.map(() => "---").join(" | ")} | --- |`);
      for (const k of Object.keys(bigs[0].sets)) {
        for (const def of ["strict"]) {
          row(`${k}, ${def}: recall@10 / hit@1 (queries, with one answer)`, (c) => `${qcell(c.q[k][def])} (${c.q[k][def].n}, ${c.q[k][def].hitN})`, "≥ 0.995 / ≥ 0.99");
        }
      }
      row("result count = spec-relevant count", (c) => {
        const all = Object.values(c.b.rows).flat();
        return `${all.filter((x) => x.total === x.relevant.spec.length).length}/${all.length}`;
      });
      row("two-word query, first of a visit, gzip: median / p90 / max", (c) => `${kb(median(c.b.twoFirst))} / ${kb(quantile(c.b.twoFirst, 0.9))} / ${kb(Math.max(...c.b.twoFirst))}`, "< 250 KB");
      row("heaviest two-word queries, gzip", (c) =>
        c.b.sets["two-word"]
          .map((q, i) => [q, c.b.twoFirst[i]])
          .sort((x, y) => y[1] - x[1])
          .slice(0, 3)
          .map(([q, n]) => `\`${q}\` ${kb(n)}`)
          .join(", "),
      );
      row("the same, uncompressed: median / max", (c) => `${kb(median(c.b.twoFirstRaw))} / ${kb(Math.max(...c.b.twoFirstRaw))}`);
      row("any query, first of a visit, gzip: median / p90 / max", (c) => `${kb(c.bb.firstMed)} / ${kb(c.bb.firstP90)} / ${kb(c.bb.firstMax)}`, "median ≤ 60 KB (≤ 100x), ≤ 100 KB (1000x)");
      row("later query, gzip: median / p90", (c) => `${kb(c.bb.laterMed)} / ${kb(c.bb.laterP90)}`);
      row("engine time in Node, files fetched, not parsed: median / p90 / max", (c) => {
        const t = c.b.tLater.map((x) => x.ms);
        return `${ms(median(t))} / ${ms(quantile(t, 0.9))} / ${ms(Math.max(...t))}`;
      }, "median ≤ 50 ms (1000x)");
      row("engine time, same query again: median / p90 / max", (c) => `${ms(median(c.b.tRepeat))} / ${ms(quantile(c.b.tRepeat, 0.9))} / ${ms(Math.max(...c.b.tRepeat))}`);
      row("slowest queries (parse + rank)", (c) => c.b.tLater.slice().sort((x, y) => y.ms - x.ms).slice(0, 3).map((x) => `\`${x.q}\` ${x.ms.toFixed(0)} ms`).join(", "));
      row("index on disk, gzip sum (raw), files", (c) => `${kb(c.b.index.gz)} (${kb(c.b.index.raw)}), ${c.b.index.files}`);
      row("build: total / index stage (share of total; added to the rest)", (c) => {
        const { total, stages } = c.b.build;
        return `${total} ms / ${stages.index} ms (${((100 * stages.index) / total).toFixed(0)}%; +${((100 * stages.index) / (total - stages.index)).toFixed(0)}%)`;
      }, "adds ≤ 25%");
      row("build stages (ms)", (c) => Object.entries(c.b.build.stages).filter(([k]) => k !== "in").map(([k, v]) => `${k} ${v}`).join(", "));
      md.push("");
      for (const c of cols) {
        const smiss = Object.values(c.q).flatMap((q) => q.strict.misses);
        md.push(smiss.length ? `casebook misses at ${c.b.label}, strict (${smiss.length}):` : `casebook misses at ${c.b.label}, strict: none.`);
        md.push(...missLines(smiss));
      }
      md.push("");
    }
    const specMiss = Object.values(qcb).flatMap((q) => q.spec.misses);
    md.push(specMiss.length ? `casebook misses on the digest, spec (${specMiss.length}):` : "casebook misses on the digest, spec: none.");
    md.push(...missLines(specMiss, 30));
    const strictMiss = Object.values(qcb).flatMap((q) => q.strict.misses);
    md.push("", `casebook misses on the digest, strict (${strictMiss.length}); (spec) marks a result that is relevant by the spec, (word) a strict-relevant report whose match is inside a longer Latin/digit word:`);
    // A strict miss is explained by the spec when every result in the top 10 is spec-relevant
    // and every strict-relevant report left out is either not spec-relevant or crowded out by
    // more than 10 spec-relevant ones.
    const unexplained = strictMiss.filter((m) => {
      const spec = new Set(m.spec);
      const top = m.top.slice(0, 10);
      if (!top.every((s) => spec.has(s))) return true;
      return m.relevant.some((s) => !top.includes(s) && spec.has(s) && spec.size <= 10);
    });
    md.push(`Strict misses not explained by the spec: ${unexplained.length}${unexplained.length ? ": " + unexplained.map((m) => "`" + m.q + "`").join(", ") : ""}.`);
    md.push(...missLines(strictMiss, 30, (m) => m.spec));
    if (differ.length) md.push("", "JS order differs from `casebook search --json`:", ...differ.map((d) => "- " + d));
    if (qpf) {
      const pmiss = Object.values(qpf).flatMap((q) => q.spec.misses);
      md.push("", `Pagefind misses, spec (${pmiss.length}), first ones:`);
      md.push(...missLines(pmiss, 8));
    }
    md.push("");
    const text = md.join("\n");
    writeFileSync(join(WORK, "search_eval.md"), text);
    // the raw rows, to dig into a figure
    writeFileSync(
      join(WORK, "search_eval.json"),
      JSON.stringify({ casebook: cbRows, pagefind: pf?.rows || null, scaled: bigs.map((b) => ({ label: b.label, rows: b.rows, tLater: b.tLater, tRepeat: b.tRepeat })) }),
    );
    console.log(text);
    log(`written ${join(WORK, "search_eval.md")}`);
  } finally {
    if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
