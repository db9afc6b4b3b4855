// The bureau's pages in a real browser (Debian's Chromium, headless), over the bureau's own HTTPS.
// An inspector signs in, reads the city overview and drills into a station's beats, looks a person
// up (with a reason), finds the station's complaint about the police without its confidential
// reporter, flags it, changes their own password and signs in with it, and reads the pages in
// English. Started by tests/bureau/pages.rs, which passes
// BUREAU_URL, BUREAU_USER, BUREAU_PASSWORD and SCREENSHOT and checks the outcome.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const url = process.env.BUREAU_URL;

test("an inspector reads the city, looks a person up and flags a complaint", async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "zh-CN", ignoreHTTPSErrors: true });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("dialog", (d) => void d.accept("请一周内核实并回复群众"));

    await page.goto(url);
    await page.fill("#username", process.env.BUREAU_USER);
    await page.fill("#password", "wrong-password-here");
    await page.click("#login button[type=submit]");
    await page.getByText("用户名或密码不对").waitFor();
    await page.fill("#password", process.env.BUREAU_PASSWORD);
    await page.click("#login button[type=submit]");

    // The overview: the station, then its beats. The sign-in form is gone, the bureau named.
    const overview = page.getByTestId("overview-table");
    await overview.getByText("东城派出所").waitFor();
    assert.equal(await page.locator("#login").isVisible(), false, "the sign-in form is hidden once signed in");
    assert.equal(await page.locator("#bureau-name").innerText(), "测试市公安局");
    assert.match(await page.locator("#overview-totals").innerText(), /住户/);
    await overview.getByText("东城派出所").click();
    await overview.getByText("东城一片").waitFor();
    await page.locator("#overview-up").click();
    await overview.getByText("东城派出所").waitFor();

    // A look-up needs a reason; with one, the person's household at the station.
    await page.click("[data-tab=lookup]");
    await page.fill("#lookup-q", "李四");
    await page.fill("#lookup-reason", "信访人员核查");
    await page.click("#lookup-form button[type=submit]");
    const results = page.getByTestId("lookup-results");
    await results.getByText("东城区1号", { exact: false }).waitFor();
    assert.match(await results.innerText(), /1101\*{10}/, "the ID number's middle hidden");

    // The complaint, without its confidential reporter; flagged with the dialog's reason.
    await page.click("[data-tab=oversight]");
    const table = page.getByTestId("oversight-table");
    await table.getByText("反映某民警接警后未出警").waitFor();
    assert.doesNotMatch(await table.innerText(), /举报人甲/);
    await table.locator("button", { hasText: "督办" }).first().click();
    await table.getByText("已督办：请一周内核实并回复群众", { exact: false }).waitFor();

    // The stations' replication state; English on demand.
    await page.click("[data-tab=stations]");
    await page.getByTestId("stations-table").getByText("东城派出所").waitFor();
    assert.equal(await page.locator("#code-form").isVisible(), false, "codes are the administrator's");

    // Their own password, on the Accounts tab (the list of accounts is the administrator's).
    await page.click("[data-tab=accounts]");
    await page.locator("#own-password-form").waitFor();
    assert.equal(await page.getByTestId("accounts-table").isVisible(), false, "the list is the administrator's");
    await page.fill("#own-current", "not-the-password");
    await page.fill("#own-new", "inspector-new-password-2");
    await page.click("#own-password-form button[type=submit]");
    await page.getByText("当前密码不对").waitFor();
    await page.fill("#own-current", process.env.BUREAU_PASSWORD);
    await page.fill("#own-new", "inspector-new-password-2");
    await page.click("#own-password-form button[type=submit]");
    await page.getByText("密码已修改", { exact: false }).waitFor();
    await page.click("#signout");
    await page.fill("#username", process.env.BUREAU_USER);
    await page.fill("#password", "inspector-new-password-2");
    await page.click("#login button[type=submit]");
    await page.locator("#own-password-form").waitFor();

    await page.click("[data-tab=stations]");
    await page.click("#lang");
    await page.getByRole("heading", { name: "Stations" }).waitFor();
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    assert.deepEqual(errors, [], "no script errors");
  } finally {
    await browser.close();
  }
});
