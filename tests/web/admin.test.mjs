// The station's administrator and staff in a real browser (Debian's Chromium, headless), over the
// station's own HTTPS. The administrator signs in, creates an officer's account, issues a one-time
// enrolment code, revokes a laptop and finds all of it in the audit trail; the record pages are not
// theirs. A staff member then sees a conflict whose values are script-injection strings: shown as
// text, never run; an officer sees only their own beat's summary. Started by tests/station/web_queue.rs, which passes STATION_URL,
// STATION_ADMIN_PASSWORD, STATION_USER, STATION_PASSWORD and SCREENSHOT and checks the outcome.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const url = process.env.STATION_URL;

async function signIn(page, username, password) {
  await page.goto(url);
  await page.fill("#staff", username);
  await page.fill("#password", password);
  await page.click("#login button[type=submit]");
}

test("an administrator manages accounts and revokes a laptop; hostile text stays text", async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "zh-CN", ignoreHTTPSErrors: true });
    const dialogs = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.accept();
    });

    // A wrong password is a clear message, and no session.
    await signIn(page, "admin", "not-the-password");
    await page.getByText("用户名或密码不对").waitFor();

    await signIn(page, "admin", process.env.STATION_ADMIN_PASSWORD);
    await page.locator("#accounts-table").waitFor();
    assert.equal(await page.locator("[data-tab=conflicts]").isVisible(), false, "the merge queue is not the administrator's");
    assert.equal(await page.locator("[data-tab=accounts]").isVisible(), true);

    const form = page.locator("#new-account");
    await form.locator("[name=username]").fill("zhao");
    await form.locator("[name=displayName]").fill("赵警官");
    await form.locator("input[value=officer]").check();
    await form.locator("[name=beats]").fill("幸福社区、和平社区");
    await form.locator("[name=password]").fill("zhao-password-1");
    await form.locator("button[type=submit]").click();
    const row = page.locator("[data-account=zhao]");
    await row.waitFor();
    assert.match(await row.innerText(), /赵警官[\s\S]*民警[\s\S]*和平社区、幸福社区/);

    await row.getByRole("button", { name: "登记码" }).click();
    const code = await page.locator("[data-code] strong").innerText();
    assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

    await page.click("[data-tab=devices]");
    await page.locator("[data-device]").first().waitFor();
    const id = await page.locator("[data-device]").first().getAttribute("data-device");
    const laptop = page.locator(`[data-device="${id}"]`);
    await laptop.locator("[data-revoke=revoke]").click();
    await laptop.getByText("已注销").waitFor();
    assert.equal(dialogs.length, 1, "revoking asks first");

    await page.click("[data-tab=audit]");
    const trail = page.locator("#audit-table");
    await trail.getByText("注销设备").waitFor();
    assert.match(await trail.innerText(), /新建账号[\s\S]*登录/);
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });

    await page.click("#signout");
    await page.locator("#login").waitFor({ state: "visible" });

    // Staff: the conflict's values are hostile strings, shown as they are.
    await signIn(page, process.env.STATION_USER, process.env.STATION_PASSWORD);
    const card = page.locator("article.card").first();
    await card.waitFor();
    const text = await card.innerText();
    assert.match(text, /<img src=x onerror=/);
    assert.match(text, /<script>window.__pwned = 1<\/script>/);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, "nothing ran");
    assert.equal(await page.locator("article.card img").count(), 0, "no element came from the text");
    assert.equal(dialogs.length, 1);

    // An officer on the station's pages: only the monthly summary, of their own beat.
    await page.click("#signout");
    // Signing out is a request; reloading the page before its answer would abort it and keep the session.
    await page.locator("#login").waitFor({ state: "visible" });
    await signIn(page, "王警官", "officer-password-1");
    await page.locator("#monthly").waitFor({ state: "visible" });
    assert.equal(await page.locator("[data-tab=conflicts]").isVisible(), false);
    assert.equal(await page.locator("[data-tab=audit]").isVisible(), false);
    const beats = await page.locator("#summary-beat option").allInnerTexts();
    assert.deepEqual(beats, ["幸福社区"], "their own beat, not the whole station");
    await page.locator("#summary-body").getByText(/走访/).first().waitFor();
    assert.equal(await page.locator("#summary-error").innerText(), "");
  } finally {
    await browser.close();
  }
});
