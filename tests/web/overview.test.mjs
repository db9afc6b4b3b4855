// Station staff open the overview in a real browser (Debian's Chromium, headless): the figures per
// beat in Chinese, charts drawn, Chinese text rendered with real glyphs (no tofu boxes), and a
// number clicked through to the records behind it. Started by tests/station/web_queue.rs, which
// builds the fixture (tests/station/overview.rs) and passes STATION_URL, STATION_USER, STATION_PASSWORD and SCREENSHOT.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const url = process.env.STATION_URL;
const user = process.env.STATION_USER;
const password = process.env.STATION_PASSWORD;

test("the overview shows figures and charts in Chinese, opens the records behind a number, and the month's summary downloads as a PDF", async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 }, locale: "zh-CN", acceptDownloads: true, ignoreHTTPSErrors: true });
    // The station sends a strict content security policy: nothing on the page may break it.
    const violations = [];
    page.on("console", (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
    await page.goto(url);
    await page.fill("#staff", user);
    await page.fill("#password", password);
    await page.click("button[type=submit]");
    await page.click("[data-tab=overview]");
    const beats = page.locator("[data-table=beats]");
    await beats.waitFor();

    const row = await page.locator("[data-beat=幸福社区]").innerText();
    assert.match(row, /幸福社区\s+3\s+33%/);
    assert.equal(await page.locator("[data-beat=幸福社区] .meter > span").evaluate((e) => e.style.width), "33%");
    assert.match(await page.locator("[data-officer=张警官]").innerText(), /张警官\s+33% \(1 \/ 3\)/);
    assert.match(await page.locator("#overview-body h1").innerText(), /概览/);
    // Charts (ECharts, drawn as SVG): coverage over twelve weeks, concerns by category, closure times.
    const charts = page.locator(".chart svg");
    assert.equal(await charts.count(), 3);
    // The bars are the paths in the pages' bar colour (crates/station/web/src/charts.ts).
    assert.equal(await charts.first().locator('path[fill="#1f4e79"]').count(), 12);
    assert.match(await charts.nth(1).textContent(), /安全隐患/);

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

    // The elderly woman's household has a photo: its thumbnail loads, with its caption.
    await list.locator("tr", { hasText: "幸福路3号" }).locator("[data-photos]").click();
    const thumb = page.locator(".photos-row [data-photo=shown] img");
    await thumb.waitFor();
    await page.waitForFunction(() => document.querySelector(".photos-row img")?.naturalWidth > 0);
    assert.match(await page.locator(".photos-row").innerText(), /燃气管/);
    await list.locator("tr", { hasText: "幸福路5号" }).locator("[data-photos]").click();
    await page.locator(".photos-row", { hasText: "没有照片" }).waitFor();

    // And this week's visits of the beat.
    await page.locator("[data-beat=幸福社区] [data-list=visits_this_week]").click();
    await page.waitForFunction(() => document.querySelector("#worklist h2")?.textContent.includes("本周走访"));
    assert.match(await page.locator("[data-table=worklist]").innerText(), /幸福路4号.*送温暖/s);

    // The monthly summary of this month, on screen and downloaded as a PDF.
    await page.click("[data-tab=summary]");
    const now = new Date();
    const month = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
    await page.fill("#summary-month", month);
    await page.click("#summary-show");
    await page.locator("[data-table=summary-visits]").waitFor();
    // The page first shows last month's summary (of the same year, most of the year): wait for
    // this month's heading, or the figures read may still be last month's.
    await page.waitForFunction((m) => document.querySelector("#summary-body h2")?.textContent.includes(m), month);
    const visits = await page.locator("[data-table=summary-visits]").innerText();
    assert.match(visits, /走访次数\s+2/);
    assert.match(visits, /送温暖\s+2/);
    assert.match(await page.locator("[data-table=summary-ratings]").innerText(), /满意\s+2\s+100%/);
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT.replace(".png", "-summary.png"), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-download=pdf]")]);
    assert.match(download.suggestedFilename(), /^月度小结-\d{4}-\d{2}\.pdf$/);
    const chunks = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).subarray(0, 4).toString(), "%PDF");

    // The records of the range (it starts as last month) as a workbook.
    assert.match(await page.inputValue("#export-from"), /^\d{4}-\d{2}-01$/);
    const [workbook] = await Promise.all([page.waitForEvent("download"), page.click("[data-export=xlsx]")]);
    assert.match(workbook.suggestedFilename(), /^导出记录-\d{4}-\d{2}-01-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const parts = [];
    for await (const chunk of await workbook.createReadStream()) parts.push(chunk);
    assert.equal(Buffer.concat(parts).subarray(0, 2).toString(), "PK", "an XLSX is a zip");
    assert.equal(await page.locator("#summary-error").innerText(), "");
    assert.deepEqual(violations, [], "the page keeps to its security policy");
  } finally {
    await browser.close();
  }
});
