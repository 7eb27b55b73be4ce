// Browser tests of search on the real digest: the header box on a served site (under a
// sub-path) and on the site opened from disk, keyboard use, the search page with ?q= and
// filters, escaped highlights, and the no-results state.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SITE, SHOTS, serve, launch, newPage, axeSerious } from "./harness.mjs";

let server;
let browser;
before(async () => {
  server = await serve(SITE, "/digest/");
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function typeInHeader(page, text) {
  await page.keyboard.press("/"); // the shortcut focuses the box
  await page.keyboard.type(text, { delay: 20 });
  await page.waitForSelector(".search-popup:not([hidden]) a, .search-popup:not([hidden]) .empty", { timeout: 10000 });
}

for (const [name, base] of [
  ["served under a sub-path", () => server.url],
  ["opened from file://", () => pathToFileURL(SITE).href + "/"],
]) {
  test(`header box finds 小板凳 first at 泗门镇 (${name})`, async () => {
    const page = await newPage(browser.context, { width: 375, height: 800 });
    await page.goto(base() + "index.html");
    await typeInHeader(page, "小板凳");
    const first = page.locator(".search-popup a").first();
    assert.match(await first.getAttribute("href"), /reports\/simen\/index\.html$/);
    assert.match(await first.innerHTML(), /<mark>小板凳<\/mark>/);
    await page.screenshot({ path: join(SHOTS, `search-popup-${name.includes("file") ? "file" : "http"}.png`) });
    // Arrow down and Enter open the first result.
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.waitForURL(/reports\/simen\/index\.html$/);
    assert.match(await page.locator("h1").innerText(), /泗门镇/);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test("search page: ?q= is shareable, filters narrow results, facets count", async () => {
  const page = await newPage(browser.context, { width: 1280, height: 900 });
  await page.goto(server.url + "search/index.html?q=" + encodeURIComponent("志愿服务"));
  await page.waitForSelector("#search-results li a");
  const status = await page.locator("#search-status").innerText();
  const total = Number(status.match(/找到 (\d+) 个/)[1]);
  assert.ok(total > 5, status);
  assert.equal(await page.inputValue("#search-page-q"), "志愿服务");
  const hz = page.locator("#search-filters label", { hasText: "杭州市" });
  const hzCount = Number((await hz.innerText()).match(/\((\d+)\)/)[1]);
  await hz.locator("input").check();
  await page.waitForFunction((n) => /找到 (\d+) 个/.test(document.querySelector("#search-status").textContent)
    && Number(document.querySelector("#search-status").textContent.match(/找到 (\d+) 个/)[1]) === n, hzCount);
  assert.match(page.url(), /city=%E6%9D%AD%E5%B7%9E%E5%B8%82/);
  const places = await page.locator("#search-results .place").allInnerTexts();
  assert.ok(places.length > 0 && places.every((p) => p.startsWith("杭州市")), places.join("\n"));
  assert.deepEqual(await axeSerious(page), []);
  await page.screenshot({ path: join(SHOTS, "search-page-filtered.png"), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("no results is said clearly", async () => {
  const page = await newPage(browser.context, { width: 375, height: 800 });
  await page.goto(server.url + "search/index.html?q=" + encodeURIComponent("量子计算机"));
  await page.waitForFunction(() => /没有找到/.test(document.querySelector("#search-status").textContent));
  assert.equal(await page.locator("#search-results li").count(), 0);
  await page.close();
});
