// Drives Debian's Chromium (headless) through the verifier page with
// playwright-core. Usage: node browser.cjs NODE_MODULES BASE_URL CASES_JSON OUT_DIR
// Prints one JSON line per case: {name, verdict, why, ok, ...}. Every result
// page (and the anchors page) is checked and photographed at desktop
// (1100 px) and phone (360 px) width: OUT_DIR/NAME-desktop.png, NAME-phone.png.
const path = require('path');
const fs = require('fs');
const [modules, base, casesFile, outDir] = process.argv.slice(2);
const { chromium } = require(path.join(modules, 'playwright-core'));

const sizes = { desktop: { width: 1100, height: 900 }, phone: { width: 360, height: 740 } };

// Words broken across lines inside an element (e.g. "Count|ry"): every word
// of every text node is measured with a Range; more than one line box means
// the word was split.
async function brokenWords(page, selector) {
  return page.evaluate((sel) => {
    const out = [];
    for (const root of document.querySelectorAll(sel)) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const re = /\S+/g;
        let m;
        while ((m = re.exec(n.data))) {
          const r = document.createRange();
          r.setStart(n, m.index);
          r.setEnd(n, m.index + m[0].length);
          const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
          if (tops.size > 1) out.push(m[0]);
        }
      }
    }
    return out;
  }, selector);
}

async function look(page, name, size, out) {
  await page.setViewportSize(sizes[size]);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  if (overflow) out.overflow.push(name + '@' + size);
  await page.screenshot({ path: path.join(outDir, `${name}-${size}.png`), fullPage: true });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
  let failed = 0;
  for (const c of cases) {
    const ctx = await browser.newContext({ viewport: c.mobile ? sizes.phone : sizes.desktop });
    const page = await ctx.newPage();
    const external = [];
    page.on('request', r => { if (!r.url().startsWith(base)) external.push(r.url()); });
    const out = { name: c.name, overflow: [] };
    try {
      await page.goto(base + '/');
      if (c.keyboard) {
        // Reach the text area and the button with the keyboard only.
        await page.keyboard.press('Tab'); // skip link
        for (let i = 0; i < 12; i++) {
          await page.keyboard.press('Tab');
          if (await page.evaluate(() => document.activeElement && document.activeElement.id === 'text')) break;
        }
        await page.keyboard.type(c.text);
        await page.keyboard.press('Tab'); // offline checkbox
        await page.keyboard.press('Tab'); // Verify button
        await page.keyboard.press('Enter');
      } else if (c.text) {
        if (c.arrival) await page.selectOption('#arrival', c.arrival);
        await page.fill('#text', c.text);
        await page.click('button[type=submit]');
      } else {
        await page.setInputFiles('#' + (c.field || 'file'), c.file);
        await page.click('button[type=submit]');
      }
      await page.waitForSelector('.verdict .big', { timeout: 15000 });
      out.verdict = (await page.textContent('.verdict .big')).trim();
      out.verdictClass = await page.getAttribute('.verdict', 'class');
      out.entry = ((await page.$('.verdict .entry')) ? (await page.textContent('.verdict .entry')).trim() : '');
      out.why = ((await page.$('.verdict .why')) ? (await page.textContent('.verdict .why')).trim() : '');
      out.hint = ((await page.$('.verdict .hint')) ? (await page.textContent('.verdict .hint')).trim() : '');
      out.operator = ((await page.$('.bar .operator')) ? (await page.textContent('.bar .operator')).trim() : '');
      out.unverified = await page.locator('.unv').count();
      out.background = await page.evaluate(() => getComputedStyle(document.querySelector('.verdict')).backgroundColor);
      const first = c.mobile ? 'phone' : 'desktop';
      await look(page, c.name, first, out);
      await look(page, c.name, first === 'phone' ? 'desktop' : 'phone', out);
      if (c.anchors) {
        await page.click('text=Trusted countries');
        await page.waitForSelector('table.anchors');
        out.anchors = (await page.textContent('table.anchors')).replace(/\s+/g, ' ');
        out.broken = [];
        for (const size of ['desktop', 'phone']) {
          await look(page, c.name + '-anchors', size, out);
          for (const w of await brokenWords(page, 'table.anchors')) out.broken.push(w + '@' + size);
        }
      }
      out.external = external;
      const verdictOK = out.verdict.includes(c.expect) && (c.expect !== 'VALID' || !out.verdict.includes('NOT')) &&
        (c.expect !== 'CANNOT CHECK' || !out.verdict.includes('✗')) && (!c.why || out.why.includes(c.why)) &&
        (!c.hint || out.hint.includes(c.hint));
      const operatorOK = !c.operator || out.operator === c.operator;
      const unverifiedOK = !c.unverified || out.unverified > 0;
      const entryOK = !c.entry || out.entry.includes(c.entry);
      const classOK = !c.verdictClass || (out.verdictClass || '').includes(c.verdictClass);
      out.ok = verdictOK && entryOK && operatorOK && unverifiedOK && classOK && external.length === 0 &&
        out.overflow.length === 0 && !(out.broken && out.broken.length);
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
