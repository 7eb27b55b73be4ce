// Photos of a page bundle in Chromium (issue 14): a phone loads the small WebP variant and a
// desktop a larger one (`currentSrc`), the figure keeps its size before the image arrives, the
// print edition shows the photo, and search results show its thumbnail. The site is built here
// from a report bundle with a generated photo, served under a sub-path.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SHOTS, serve, launch, newPage } from "./harness.mjs";
import { png } from "../js/png.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const repo = join(HERE, "..", "..");
const bin =
  process.env.CASEBOOK_BIN || join(process.env.CARGO_TARGET_DIR || join(repo, "target"), "release", "casebook");

let root, server, browser;
before(async () => {
  root = mkdtempSync(join(tmpdir(), "casebook-photos-"));
  const dir = join(root, "content/reports/sandun");
  mkdirSync(dir, { recursive: true });
  const para = "三墩镇工会在村社设立“小板凳”议事点，职工有事随时说，工会当场记、限时办。".repeat(6);
  writeFileSync(
    join(dir, "index.md"),
    `---\ntitle: 三墩镇\ntown: 三墩镇\ncity: 杭州市\ntactics: [网格化管理]\nsummary: 小板凳议事\n---\n\n` +
      `${para}\n\n![职工在议事点](photo.png "三墩镇的小板凳议事点")\n\n${para}\n`,
  );
  // 2000 × 1250: variants 480, 960 and 1600; a gradient with a dark band to see it whole.
  writeFileSync(
    join(dir, "photo.png"),
    png(2000, 1250, (x, y) => (y > 560 && y < 690 ? [30, 40, 60] : [200 - (x % 200), 120 + (y % 100), 90])),
  );
  execFileSync(bin, ["build", "--root", root], { stdio: "pipe" });
  server = await serve(join(root, "output"), "/digest/");
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Scrolls the report's photo into view and waits until it has loaded; its state. */
async function photo(page) {
  const img = page.locator("figure.photo img");
  await img.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => {
    const i = document.querySelector("figure.photo img");
    return i && i.complete && i.naturalWidth > 0;
  });
  return img.evaluate((i) => ({
    currentSrc: i.currentSrc,
    naturalWidth: i.naturalWidth,
    width: i.getBoundingClientRect().width,
    height: i.getBoundingClientRect().height,
  }));
}

test("a phone loads the 480 px variant, a desktop a wider one", async () => {
  const phone = await newPage(browser.context, { width: 375, height: 740 });
  await phone.goto(server.url + "reports/sandun/index.html");
  // Before it loads, the image already has its height (width and height attributes).
  const reserved = await phone.locator("figure.photo img").evaluate((i) => i.getBoundingClientRect().height);
  const small = await photo(phone);
  assert.match(small.currentSrc, /\/digest\/reports\/sandun\/photo-480w\.webp$/);
  // With `w` descriptors the intrinsic width is the slot's (480 px at 480/375 density).
  assert.equal(small.naturalWidth, 375);
  assert.ok(Math.abs(reserved - small.height) < 1, `height ${reserved} before, ${small.height} after`);
  assert.ok(Math.abs(small.width / small.height - 1.6) < 0.02, `aspect ${small.width}/${small.height}`);
  await phone.locator("figure.photo").screenshot({ path: join(SHOTS, "photo-phone.png") });
  await phone.screenshot({ path: join(SHOTS, "photo-report-phone.png"), fullPage: true });
  assert.deepEqual(phone.errors, []);

  const desk = await newPage(browser.context, { width: 1280, height: 900 });
  await desk.goto(server.url + "reports/sandun/index.html");
  const wide = await photo(desk);
  assert.match(wide.currentSrc, /photo-960w\.webp$/);
  await desk.screenshot({ path: join(SHOTS, "photo-report-desktop.png"), fullPage: true });
  assert.deepEqual(desk.errors, []);
});

test("the print edition shows the photo", async () => {
  const page = await newPage(browser.context, { width: 900, height: 1200 });
  await page.goto(server.url + "print/index.html");
  await page.emulateMedia({ media: "print" });
  const shown = await photo(page);
  assert.ok(shown.naturalWidth > 0);
  assert.match(shown.currentSrc, /\/digest\/reports\/sandun\/photo-/);
  assert.ok(shown.height > 100, `height ${shown.height}`);
  await page.locator("article.print-report").first().screenshot({ path: join(SHOTS, "photo-print.png") });
  assert.deepEqual(page.errors, []);
});

test("search results show the report's thumbnail", async () => {
  const page = await newPage(browser.context, { width: 375, height: 740 });
  await page.goto(server.url + "search/index.html?q=" + encodeURIComponent("小板凳"));
  const thumb = page.locator(".search-results img.thumb");
  await thumb.waitFor();
  await page.waitForFunction(() => {
    const i = document.querySelector(".search-results img.thumb");
    return i && i.complete && i.naturalWidth > 0;
  });
  assert.match(await thumb.evaluate((i) => i.currentSrc), /reports\/sandun\/photo-480w\.webp$/);
  await page.screenshot({ path: join(SHOTS, "photo-search-phone.png") });
  assert.deepEqual(page.errors, []);
});
