// A staff member clears the merge queue in a real browser (Debian's Chromium, headless): signs in,
// sees the conflict side by side in Chinese, picks the station's value and applies it by clicking,
// merges a duplicate household, and sees a person registered twice with her ID number masked.
// Started by tests/station/web_queue.rs, which prepares the conflict and checks the outcome; it
// passes STATION_URL, STATION_USER, STATION_PASSWORD and SCREENSHOT in the environment.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const url = process.env.STATION_URL;
const user = process.env.STATION_USER;
const password = process.env.STATION_PASSWORD;

test("staff resolve a conflict and merge a duplicate by clicking", async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    // playwright gives the browser a fresh, empty profile of its own.
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: "zh-CN", ignoreHTTPSErrors: true });
    await page.goto(url);
    await page.fill("#staff", user);
    await page.fill("#password", password);
    await page.click("button[type=submit]");

    const card = page.locator("article.card").first();
    await card.waitFor();
    assert.equal(await page.locator("#login").isVisible(), false, "the sign-in form is gone once signed in");
    const text = await card.innerText();
    assert.match(text, /幸福路12号/);
    assert.match(text, /联系电话/);
    assert.match(text, /13800138001/);
    assert.match(text, /13912345678/);
    assert.match(text, /张警官/);
    assert.match(text, /王警官/);
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });

    await card.locator("input[value=station]").check();
    await card.locator("button.primary").click();
    await page.locator("#empty").waitFor({ state: "visible" });
    assert.equal(await page.locator("#count").innerText(), "0");

    // The duplicate: both records side by side; merge keeping the left one; undo is offered.
    await page.click("[data-tab=duplicates]");
    const pair = page.locator("[data-duplicate]").first();
    await pair.waitFor();
    const both = await pair.innerText();
    assert.match(both, /和平街8号2栋101/);
    assert.match(both, /和平街８号２幢１０１室/);
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT.replace(".png", "-duplicates.png") });
    await pair.getByRole("button", { name: "合并，保留左边" }).click();
    await page.getByRole("button", { name: "撤销合并" }).waitFor();
    // The person registered twice: shown as a person, why she looks the same, her ID number masked.
    const person = await page.locator("[data-duplicate]").nth(1).innerText();
    assert.match(person, /人员 · 相同的姓名、出生日期和电话/);
    assert.match(person, /张桂英/);
    assert.match(person, /1949-12-31/);
    assert.match(person, /110105\*{8}002X/);
    assert.doesNotMatch(person, /11010519491231002X/);

    await page.click("[data-tab=devices]");
    const devices = await page.locator("#devices-table").innerText();
    assert.match(devices, /张警官/);
    assert.match(devices, /王警官/);
  } finally {
    await browser.close();
  }
});
