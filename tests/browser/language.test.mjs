// Browser test of a site in English (tests/fixtures/build/english, built here with the release
// binary): the search page's status, hints and filters come from the site's strings
// (search/strings.js), so no Chinese shows, served and from file://.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { SHOTS, serve, launch, newPage } from "./harness.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const REPO = resolve(HERE, "../..");
const BIN = process.env.CASEBOOK_BIN || join(REPO, "target/release/casebook");
const HAN = /[\u3400-\u9fff\uf900-\ufaff，。：；、（）]/;

let dir;
let site;
let server;
let browser;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "casebook-english-"));
  site = join(dir, "site");
  execFileSync(BIN, ["build", "--quiet", "--root", join(REPO, "tests/fixtures/build/english"), "--output", site]);
  server = await serve(site, "/");
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const [name, base] of [
  ["served", () => server.url],
  ["opened from file://", () => pathToFileURL(site).href + "/"],
]) {
  test(`the English search page speaks English (${name})`, async () => {
    const page = await newPage(browser.context, { width: 375, height: 800 });
    await page.goto(base() + "search/index.html?q=volunteers");
    await page.waitForFunction(() => /found/.test(document.getElementById("search-status").textContent));
    assert.match(await page.textContent("#search-status"), /^1 found for “volunteers”$/);
    assert.equal(await page.textContent(".filter-panel summary"), "Filters");
    const text = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(text, HAN, text);
    await page.screenshot({ path: join(SHOTS, `english-search-${name.includes("file") ? "file" : "http"}.png`), fullPage: true });

    await page.goto(base() + "search/index.html?q=zebra");
    await page.waitForFunction(() => /No report/.test(document.getElementById("search-status").textContent));
    assert.match(await page.textContent("#search-status"), /^No report contains “zebra”/);
    assert.deepEqual(page.errors, []);
  });
}

test("the English compare page and its tray speak English (file://)", async () => {
  const page = await newPage(browser.context, { width: 375, height: 800 });
  await page.goto(pathToFileURL(site).href + "/compare/index.html?r=chapeltown,easton");
  await page.waitForFunction(() => /Comparing/.test(document.getElementById("compare-status").textContent));
  assert.equal(await page.textContent("#compare-status"), "Comparing 2 reports.");
  const text = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(text, HAN, text);
  await page.screenshot({ path: join(SHOTS, "english-compare-file.png"), fullPage: true });
  assert.deepEqual(page.errors, []);
});

test("the English metrics page's column picker and a report's copy message speak English (served)", async () => {
  const page = await newPage(browser.context, { width: 1280, height: 900 });
  await page.goto(server.url + "metrics/index.html");
  const picker = page.locator("details.col-picker");
  await picker.locator("summary").click();
  assert.match(await picker.locator("summary").textContent(), /^Columns to show \(\d+ in all\)$/);
  const words = await picker.evaluate((d) => d.innerText);
  assert.match(words, /Show all/);
  assert.match(words, /Hide all/);
  assert.doesNotMatch(words, HAN, words);
  const text = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(text, HAN, text);
  await page.screenshot({ path: join(SHOTS, "english-metrics-picker.png"), fullPage: true });

  // No Clipboard API and the old copy refused: the reader is told to press Ctrl+C, in English.
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined, configurable: true });
    document.execCommand = () => false;
  });
  await page.goto(server.url + "reports/chapeltown/index.html");
  await page.click('button[data-copy="cite-1"]');
  await page.waitForFunction(() => document.querySelector(".cite-status").textContent !== "");
  const status = await page.textContent(".cite-status");
  assert.match(status, /^Citation selected: press Ctrl\+C/);
  assert.doesNotMatch(status, HAN, status);
  assert.deepEqual(page.errors, []);
});
