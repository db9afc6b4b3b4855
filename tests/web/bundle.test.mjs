// Staff import a laptop's USB-stick bundle on the devices page of a real browser (Debian's
// Chromium, headless): the page says what was taken and the browser downloads the answer bundle;
// a cut copy is refused with the reason. Started by tests/station/web_queue.rs, which passes
// STATION_URL, STATION_USER, STATION_PASSWORD, BUNDLE, BUNDLE_CUT, ANSWER and SCREENSHOT, then
// takes the downloaded answer on the laptop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

test("staff import a bundle on the devices page and download its answer", async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "zh-CN", ignoreHTTPSErrors: true, acceptDownloads: true });
    await page.goto(process.env.STATION_URL);
    await page.fill("#staff", process.env.STATION_USER);
    await page.fill("#password", process.env.STATION_PASSWORD);
    await page.click("#login button[type=submit]");
    await page.click("[data-tab=devices]");
    await page.getByText("导入U盘同步包").waitFor();

    await page.setInputFiles("#bundle-file", process.env.BUNDLE_CUT);
    await page.locator("#bundle-error").getByText("损坏或不完整").waitFor();

    const download = page.waitForEvent("download");
    await page.setInputFiles("#bundle-file", process.env.BUNDLE);
    const answer = await download;
    assert.match(answer.suggestedFilename(), /\.dsbundle$/);
    await answer.saveAs(process.env.ANSWER);
    const said = await page.locator("#bundle-state").innerText();
    assert.match(said, /已导入 张警官 的同步包：4 项修改（新收 4，已有 0/);
    assert.equal(await page.locator("#bundle-error").innerText(), "", "the earlier refusal is cleared");
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  } finally {
    await browser.close();
  }
});
