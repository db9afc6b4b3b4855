// Station staff open the overview in a real browser (Debian's Chromium, headless): the figures per
// beat in Chinese, charts drawn, Chinese text rendered with real glyphs (no tofu boxes), and a
// number clicked through to the records behind it. Started by tests/station/web_queue.rs, which
// builds the fixture (tests/station/overview.rs) and passes STATION_URL, STATION_PASSWORD and SCREENSHOT.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const url = process.env.STATION_URL;
const password = process.env.STATION_PASSWORD;

test("the overview shows figures and charts in Chinese and opens the records behind a number", async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 }, locale: "zh-CN" });
    await page.goto(url);
    await page.fill("#staff", "李所长");
    await page.fill("#password", password);
    await page.click("button[type=submit]");
    await page.click("[data-tab=overview]");
    const beats = page.locator("[data-table=beats]");
    await beats.waitFor();

    const row = await page.locator("[data-beat=幸福社区]").innerText();
    assert.match(row, /幸福社区\s+3\s+33%/);
    assert.match(await page.locator("#overview-body h1").innerText(), /概览/);
    // Charts: coverage over twelve weeks, concerns by category, closure times.
    assert.equal(await page.locator("svg.chart").count(), 3);
    assert.equal(await page.locator("svg.chart").first().locator("rect.bar").count(), 12);
    assert.match(await page.locator("svg.chart").nth(1).textContent(), /安全隐患/);

    // No tofu: each Chinese character drawn in the page's font differs from the glyph of a
    // character no font has.
    const tofu = await page.evaluate(() => {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 48;
      const g = canvas.getContext("2d");
      const style = getComputedStyle(document.body);
      g.font = `32px ${style.fontFamily}`;
      const draw = (ch) => {
        g.clearRect(0, 0, 48, 48);
        g.fillText(ch, 4, 38);
        return g.getImageData(0, 0, 48, 48).data.join();
      };
      const missing = draw("\u{10FFFD}");
      return [..."概览覆盖率责任区逾期未访安全隐患"].filter((ch) => draw(ch) === missing);
    });
    assert.deepEqual(tofu, [], "characters drawn as boxes");
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });

    // Click a number: the overdue households of 幸福社区, most overdue first.
    await page.locator("[data-beat=幸福社区] [data-list=overdue_households]").click();
    const list = page.locator("[data-table=worklist]");
    await list.waitFor();
    const text = await list.innerText();
    assert.ok(text.indexOf("幸福路5号") < text.indexOf("幸福路3号"), text);
    assert.match(text, /独居老人/);
    assert.match(await page.locator("#worklist h2").innerText(), /幸福社区 · 逾期未访住户 \(2\)/);
  } finally {
    await browser.close();
  }
});
