// Drives Debian's Chromium (headless) through the verifier page with
// playwright-core. Usage: node browser.cjs NODE_MODULES BASE_URL CASES_JSON OUT_DIR
// Prints one JSON line per case: {name, verdict, why, ok}.
const path = require('path');
const fs = require('fs');
const [modules, base, casesFile, outDir] = process.argv.slice(2);
const { chromium } = require(path.join(modules, 'playwright-core'));

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
  let failed = 0;
  for (const c of cases) {
    const ctx = await browser.newContext({ viewport: c.mobile ? { width: 360, height: 740 } : { width: 1100, height: 900 } });
    const page = await ctx.newPage();
    const external = [];
    page.on('request', r => { if (!r.url().startsWith(base)) external.push(r.url()); });
    const out = { name: c.name };
    try {
      await page.goto(base + '/');
      if (c.keyboard) {
        // Reach the text area and the button with the keyboard only.
        await page.keyboard.press('Tab'); // skip link
        for (let i = 0; i < 8; i++) {
          await page.keyboard.press('Tab');
          if (await page.evaluate(() => document.activeElement && document.activeElement.id === 'text')) break;
        }
        await page.keyboard.type(c.text);
        await page.keyboard.press('Tab'); // offline checkbox
        await page.keyboard.press('Tab'); // Verify button
        await page.keyboard.press('Enter');
      } else if (c.text) {
        await page.fill('#text', c.text);
        await page.click('button[type=submit]');
      } else {
        await page.setInputFiles('#' + (c.field || 'file'), c.file);
        await page.click('button[type=submit]');
      }
      await page.waitForSelector('.verdict .big', { timeout: 15000 });
      out.verdict = (await page.textContent('.verdict .big')).trim();
      out.why = ((await page.$('.verdict .why')) ? (await page.textContent('.verdict .why')).trim() : '');
      out.overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      await page.screenshot({ path: path.join(outDir, c.name + '.png'), fullPage: true });
      if (c.anchors) {
        await page.click('text=Anchors & lists');
        await page.waitForSelector('table.anchors');
        out.anchors = (await page.textContent('table.anchors')).replace(/\s+/g, ' ');
        await page.screenshot({ path: path.join(outDir, c.name + '-anchors.png'), fullPage: true });
      }
      out.external = external;
      out.ok = out.verdict.includes(c.expect) && (c.expect !== 'VALID' || !out.verdict.includes('NOT')) && external.length === 0 && !out.overflow;
    } catch (e) {
      out.error = String(e);
      out.ok = false;
    }
    if (!out.ok) failed++;
    console.log(JSON.stringify(out));
    await ctx.close();
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})().catch(e => { console.error(e); process.exit(2); });
