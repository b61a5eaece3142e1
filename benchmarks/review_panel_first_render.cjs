// First render of the QRP review panel in a real JupyterLab, driven by Playwright with Debian's
// chromium. Run by benchmarks/review_panel.py (which starts JupyterLab and makes the stores);
// needs the npm package playwright-core where node finds it (NODE_PATH).
//
// Usage: node review_panel_first_render.cjs URL TOKEN REPEATS DB[,DB...] [SCREENSHOT.png]
// Prints one JSON line: for each store, the milliseconds from the command
// `qrp:open-review {path}` to the summary, the first candidates page and the first log page
// all drawn (the first call, then REPEATS more), the blockers shown and the console errors.

const { chromium } = require('playwright-core');

async function main() {
  const [url, token, repeats, dbs, shot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update']
  });
  const page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 } })).newPage();
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') { errors.push(m.text()); } });
  page.on('pageerror', e => errors.push(String(e)));
  await page.goto(`${url}lab?token=${token}`);
  await page.waitForFunction(() => window.jupyterapp && window.jupyterapp.commands.hasCommand('qrp:open-review'),
    null, { timeout: 120000 });
  const out = { stores: {}, errors };
  for (const db of dbs.split(',')) {
    const times = [];
    for (let i = 0; i <= Number(repeats); i++) {
      await page.evaluate(() => window.jupyterapp.commands.execute('qrp:open-review', { path: '' }));
      times.push(await page.evaluate(async p => {
        const t0 = performance.now();
        await window.jupyterapp.commands.execute('qrp:open-review', { path: p });
        const q = s => document.querySelector(`#qrp-review-panel ${s}`);
        const end = t0 + 60000;
        while (!(q('.qrp-review-summary') && q('.qrp-review-candidates tbody tr') && q('.qrp-review-events tbody tr'))) {
          if (performance.now() > end) { return null; }
          await new Promise(r => setTimeout(r, 2));
        }
        return performance.now() - t0;
      }, db));
    }
    const blockers = await page.$$eval('#qrp-review-panel .qrp-review-blockers-row li', n => n.map(x => x.textContent));
    out.stores[db] = { first_ms: times[0], repeat_ms: times.slice(1), blockers };
  }
  if (shot) {
    // widen the right sidebar, open the refused candidate's report, and take the picture
    const box = await page.evaluate(() => {
      const handles = Array.from(document.querySelectorAll('#jp-main-split-panel > .lm-SplitPanel-handle'))
        .map(h => h.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
      handles.sort((a, b) => b.x - a.x);
      return handles.length ? { x: handles[0].x, y: handles[0].y, width: handles[0].width } : null;
    });
    if (box) {
      await page.mouse.move(box.x + box.width / 2, box.y + 300);
      await page.mouse.down();
      await page.mouse.move(box.x - 520, box.y + 300, { steps: 8 });
      await page.mouse.up();
    }
    await page.evaluate(() => window.jupyterapp.commands.execute('qrp:open-review', { path: 'demo.sqlite' }));
    await page.waitForSelector('#qrp-review-panel .qrp-review-blockers-row li');
    const row = await page.$('#qrp-review-panel .qrp-review-blockers-row');
    const id = await row.getAttribute('data-candidate');
    await page.click(`#qrp-review-panel tr.qrp-review-row[data-candidate="${id}"] button`);
    await page.waitForSelector('#qrp-review-panel .qrp-review-reports button');
    await page.click('#qrp-review-panel .qrp-review-reports button');
    await page.waitForSelector('#qrp-review-panel .qrp-review-rules tbody tr');
    await page.waitForSelector('#qrp-review-panel .qrp-review-badge.qrp-review-ok');
    await page.screenshot({ path: shot });
  }
  console.log(JSON.stringify(out));
  await browser.close();
}

main().catch(e => { console.error(e); process.exit(1); });
