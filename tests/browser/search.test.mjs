// Browser tests of search on the real digest: the header box on a served site (under a
// sub-path) and on the site opened from disk, keyboard use, the search page with ?q= and
// filters, escaped highlights, and the no-results state.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SITE, SHOTS, withServedSite, newPage, axeSerious } from "./harness.mjs";

let server;
let browser;
withServedSite((s, b) => {
  server = s;
  browser = b;
});

async function typeInHeader(page, text) {
  await page.keyboard.press("/"); // the shortcut focuses the box
  await page.keyboard.type(text, { delay: 20 });
  // the results of the whole text, not of a part typed before the debounce fired
  const done = `.search-popup[data-query="${text}"]:not([hidden])`;
  await page.waitForSelector(`${done} a, ${done} .empty`, { timeout: 10000 });
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

for (const [name, base] of [
  ["served", () => server.url],
  ["opened from file://", () => pathToFileURL(SITE).href + "/"],
]) {
  test(`header box: 工會 finds what 工会 finds, marked in the text's own script (${name})`, async () => {
    const page = await newPage(browser.context, { width: 1280, height: 800 });
    await page.goto(base() + "index.html");
    await typeInHeader(page, "工会");
    const simplified = await page.locator(".search-popup a").first().getAttribute("href");
    await page.goto(base() + "index.html");
    await typeInHeader(page, "工會");
    const first = page.locator(".search-popup a").first();
    assert.equal(await first.getAttribute("href"), simplified);
    assert.match(simplified, /reports\/lijiaxiang\/index\.html$/);
    assert.match(await first.innerHTML(), /<mark>工会<\/mark>/);
    await page.screenshot({ path: join(SHOTS, `search-traditional-${name.includes("file") ? "file" : "http"}.png`) });
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test("search page: typing in the header box updates the results", async () => {
  const page = await newPage(browser.context, { width: 1280, height: 900 });
  await page.goto(server.url + "search/index.html");
  await page.locator("#q").fill("志願服務");
  await page.waitForFunction(() => /找到 \d+ 个/.test(document.querySelector("#search-status").textContent));
  assert.equal(await page.locator(".search-popup:not([hidden]) a").count(), 0, "no popup on the search page");
  assert.match(page.url(), /q=%E5%BF%97%E9%A1%98/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("search page: ?q= is shareable, filters narrow results, facets count", async () => {
  const page = await newPage(browser.context, { width: 1280, height: 900 });
  await page.goto(server.url + "search/index.html?q=" + encodeURIComponent("志愿服务"));
  await page.waitForSelector("#search-results li a");
  const status = await page.locator("#search-status").innerText();
  const total = Number(status.match(/找到 (\d+) 个/)[1]);
  assert.ok(total > 5, status);
  // one box: the header's holds the query, and the page has no second one
  assert.equal(await page.inputValue("#q"), "志愿服务");
  assert.equal(await page.locator("main input[type=search]").count(), 0);
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
  await page.waitForFunction(() => /没有包含/.test(document.querySelector("#search-status").textContent));
  assert.equal(await page.locator("#search-results li").count(), 0);
  await page.close();
});
