// Node tests of search v2 (issue 13) through createSearch on a fixture site written in both
// scripts: traditional and simplified find each other, a phrase split by a space or a line
// break is found, the last Latin/digit word is a prefix with exact matches first, snippets break
// at headings and table rows, the no-results hint says what does match, and every query ranks
// exactly as `casebook search --json`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { bin, buildSite, repo } from "./site.mjs";


let site;
const loaded = [];
before(async () => {
  site = await buildSite("js2", async (root) => {
    const from = join(repo, "tests/fixtures/search/scripts");
    for (const f of ["site.yaml", "content"]) await cp(join(from, f), join(root, f), { recursive: true });
  });
  const fresh = site.fresh;
  site.fresh = () => fresh(loaded);
  site.s = site.fresh();
});

after(async () => {
  if (site) await rm(site.root, { recursive: true, force: true });
});

const slugs = (r) => r.results.map((x) => x.slug);
function cli(q) {
  return JSON.parse(execFileSync(bin, ["search", "--root", site.root, "--json", q]).toString());
}

test("traditional finds simplified and simplified finds traditional", async () => {
  for (const [trad, simp] of [["工會", "工会"], ["志願服務", "志愿服务"], ["羣團", "群团"], ["職工之家", "职工之家"]]) {
    const a = await site.s.search(trad);
    const b = await site.s.search(simp);
    assert.deepEqual(slugs(a), slugs(b), `${trad} = ${simp}`);
    assert.ok(a.total > 0, trad);
  }
  // both scripts of the text: shuiting is simplified, qingxi traditional
  assert.deepEqual(slugs(await site.s.search("志願服務")), ["shuiting", "qingxi"]);
  assert.deepEqual(slugs(await site.s.search("群团")), ["qingxi", "shuiting"]);
  assert.equal((await site.s.search("会")).total, (await site.s.search("會")).total);
});

test("snippets mark the text's own characters, whatever script the query is in", async () => {
  const r = await site.s.search("工會");
  const simp = r.results.find((x) => x.slug === "shuiting");
  const trad = r.results.find((x) => x.slug === "qingxi");
  assert.match(simp.snippet, /<mark>工会<\/mark>/);
  assert.match(trad.snippet, /<mark>工會<\/mark>/);
  assert.match((await site.s.search("羣团")).results[0].titleHtml, /<mark>羣團<\/mark>/);
});

test("the fold table loads only for a query with a character that folds", async () => {
  const s = site.fresh();
  loaded.length = 0;
  await s.search("工会 志愿");
  assert.ok(!loaded.some((p) => p.startsWith("fold-")), loaded.join(" "));
  await s.search("工會");
  assert.equal(loaded.filter((p) => p.startsWith("fold-")).length, 1, loaded.join(" "));
});

test("a phrase split by a space or a line break in the text is found; a blank line splits", async () => {
  assert.deepEqual(slugs(await site.s.search("诗画畲乡丰收景宁")), ["shuiting"], "space in the text");
  assert.deepEqual(slugs(await site.s.search("服务品牌助推乡村振兴")), ["shuiting"], "line break in the text");
  assert.deepEqual(slugs(await site.s.search("诗画畲乡 丰收景宁")), ["shuiting"], "two words, both match");
  assert.equal((await site.s.search("诗画 乡村振兴 apple")).total, 0, "words are ANDed");
  // 35家 ends a table row and 标语 starts the next paragraph: no phrase across them
  assert.equal((await site.s.search("家标语")).total, 0);
});

test("the last Latin or digit word is a prefix while typing", async () => {
  assert.deepEqual(slugs(await site.s.search("率达9")), ["shuiting"]);
  assert.deepEqual(slugs(await site.s.search("超过9")), ["shuiting"]);
  assert.deepEqual(slugs(await site.s.search("1+1")), ["shuiting"], "1+1 inside 1+11+N");
  assert.deepEqual(slugs(await site.s.search("serv")), ["yizhen"]);
  assert.deepEqual(slugs(await site.s.search("appl")), ["yizhen"]);
  // only the last word, and not once a space says it is complete
  assert.equal((await site.s.search("serv 职工")).total, 0);
  assert.equal((await site.s.search("serv ")).total, 0);
  assert.equal((await site.s.search("超过9 ")).total, 0);
});

test("an exact match of the last word ranks above a prefix match", async () => {
  // yizhen has apple three times, in its title too; jiazhen has app once in its body
  const r = await site.s.search("app");
  assert.deepEqual(slugs(r), ["jiazhen", "yizhen"]);
  assert.deepEqual(r.results.map((x) => x.exact), [true, false]);
  assert.ok(r.results[1].score > r.results[0].score, "the prefix match scores more, and still comes second");
});

test("snippets break at a heading and at table rows", async () => {
  const h = (await site.s.search("主要做法")).results[0];
  assert.match(h.snippet, /^<mark>主要做法<\/mark> <span class="snippet-break">·<\/span> 乡工会牵头/);
  const t = (await site.s.search("服务时长")).results[0];
  assert.match(t.snippet, /<mark>服务时长<\/mark> \| 1200小时 <span class="snippet-break">·<\/span> 覆盖企业 \| 35家/);
  assert.ok(!/\n/.test(t.snippet));
});

test("no results: the hint says which words match, never to type less when that would not help", async () => {
  const both = await site.s.search("apple 群团");
  assert.equal(both.total, 0);
  assert.equal(both.hint, "没有同时包含“apple”和“群团”的报告；含“apple”的有 1 篇，含“群团”的有 2 篇。");
  const one = await site.s.search("工会 量子");
  assert.equal(one.hint, "没有包含“量子”的报告；含“工会”的有 4 篇。");
  const part = await site.s.search("志愿服务队长");
  assert.equal(part.hint, "没有包含“志愿服务队长”的报告；含“志愿服务队”的有 1 篇。");
  // an open last word counts with its prefix matches, as the query would
  assert.equal((await site.s.search("群团 serv")).hint, "没有同时包含“群团”和“serv”的报告；含“群团”的有 2 篇，含“serv”的有 1 篇。");
  const none = await site.s.search("量子计算");
  assert.equal(none.hint, "没有包含“量子计算”的报告。");
  const filtered = await site.s.search("apple", { filters: { city: ["杭州市"] } });
  assert.equal(filtered.hint, "筛选条件下没有结果；去掉筛选条件后有 1 篇。");
  assert.equal((await site.s.search("apple")).hint, null);
});

test("the client refuses an index format it does not know", async () => {
  const s = site.mod.createSearch({
    load: async (p) => {
      const text = await readFile(join(site.out, "search", p), "utf8");
      return p === "manifest.js" ? text.replace('"format":8', '"format":99') : text;
    },
  });
  const errors = [];
  const orig = console.error;
  console.error = (m) => errors.push(String(m));
  try {
    await assert.rejects(s.search("工会"), /format 99/);
  } finally {
    console.error = orig;
  }
  assert.match(errors.join("\n"), /this client reads format 8/);
});

test("order, scores and exactness equal casebook search --json", async () => {
  const queries = ["工會", "工会", "志願服務", "羣團", "群团", "職工之家", "诗画畲乡丰收景宁", "服务品牌助推乡村振兴",
    "诗画畲乡 丰收景宁", "app", "appl", "apple", "超过9", "率达9", "1+1", "serv", "会", "會", "职工 a", "镇 1"];
  for (const q of queries) {
    const js = await site.s.search(q);
    assert.deepEqual(
      js.results.map((h) => [h.slug, h.score, h.exact]),
      cli(q).map((h) => [h.slug, Math.fround(h.score), h.exact]),
      q,
    );
  }
});
