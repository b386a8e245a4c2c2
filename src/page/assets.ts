/**
 * The page's style sheet and script, served from this server (no build step, nothing from elsewhere: the page's
 * Content-Security-Policy allows only its own origin). The script only makes the page live — the page reads and
 * its forms work without it.
 */

/** Colours meet WCAG contrast on white (text 4.5:1, cells 3:1); busy and failed cells also differ in pattern. */
const TONES: Record<string, string> = {
  deployed: '#1a7f37',
  ready: '#0969da',
  allocated: '#8250df',
  new: '#57606a',
  busy: '#9a6700',
  failed: '#cf222e',
  broken: '#82071e',
  rescue_mode: '#1b7c83',
  other: '#424a53',
};

const widths = Array.from({ length: 100 }, (_, i) => `.g${i + 1}{flex-grow:${i + 1}}`).join('');

export const PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
a{color:#0550ae}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px;z-index:2}
header{padding:12px 16px;background:#f6f8fa;border-bottom:1px solid #d0d7de}
header h1{margin:0;font-size:1.4rem}
header p{margin:4px 0 0;color:#424a53}
#conn[data-state=on]::before{content:"● ";color:#1a7f37}
#conn[data-state=off]::before{content:"○ ";color:#9a6700}
main{padding:8px 16px 32px;max-width:1200px;margin:0 auto}
section{margin:16px 0;border-top:1px solid #d0d7de}
h2{font-size:1.2rem;margin:12px 0 8px}
h3{font-size:1rem;margin:8px 0 4px}
h3.sub{color:#424a53}
.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
#flash:empty{display:none}
#flash{padding:8px 12px;border:1px solid #0969da;background:#ddf4ff;border-radius:6px}
ul{padding-left:0;list-style:none;margin:4px 0}
.counts{display:flex;flex-wrap:wrap;gap:4px 16px}
.counts .n{font-weight:600}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px}
.legend{color:#424a53;font-size:.9rem}
.groups li{margin:6px 0}
.gname{font-weight:600}.gtotal{color:#424a53}
.bad{color:#a40e26}
.bar{display:flex;height:12px;margin-top:2px;border-radius:3px;overflow:hidden;background:#eaeef2}
.seg{display:block;height:100%}
${widths}
.cells{display:flex;flex-wrap:wrap;gap:2px}
.c{width:16px;height:16px;border-radius:2px}
${Object.entries(TONES)
  .map(([t, c]) => `.t-${t}{background-color:${c}}`)
  .join('')}
.t-busy{background-image:repeating-linear-gradient(135deg,transparent 0 3px,rgba(255,255,255,.45) 3px 5px)}
.c.t-failed,.c.t-broken{background-image:radial-gradient(circle,#fff 0 2px,transparent 2.5px)}
.ops>li{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:8px 0}
.meta{color:#424a53;margin:2px 0 6px;font-size:.9rem}
.targets{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:2px 20px}
.targets li{display:grid;grid-template-columns:minmax(5em,9em) 1fr;gap:0 8px;align-items:center;padding:3px 0;border-bottom:1px solid #eaeef2}
.targets .st,.targets .msg{grid-column:1/-1;font-size:.9rem}
.targets .st{grid-column:1}.targets .msg{grid-column:2}
.targets progress{width:100%;height:14px;accent-color:#0969da}
.targets .r-succeeded progress{accent-color:#1a7f37}
.targets .r-failed progress,.targets .r-timed_out progress{accent-color:#cf222e}
.targets .r-failed .st,.targets .r-timed_out .st{color:#a40e26;font-weight:600}
.msg{color:#424a53}
.host{font-weight:600;overflow-wrap:anywhere}
.fails li{margin:4px 0}
.decide button,.signout button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid #1f2328;cursor:pointer;min-height:44px}
.decide .approve{background:#1a7f37;color:#fff;border-color:#1a7f37}
.decide .deny{background:#fff;color:#a40e26;border-color:#a40e26}
button:focus-visible,a:focus-visible{outline:3px solid #0969da;outline-offset:2px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eaeef2;vertical-align:top}
footer{color:#424a53;font-size:.85rem;margin-top:24px}
@media (max-width:640px){
  table,thead,tbody,tr,td,th{display:block}
  thead{position:absolute;left:-9999px}
  td{border:0;padding:0 6px}
  tr{border-bottom:1px solid #eaeef2;padding:4px 0}
}
`;

export const PAGE_JS = `
(() => {
  'use strict';
  const conn = document.getElementById('conn');
  const live = document.getElementById('live');
  const flash = document.getElementById('flash');
  const main = document.getElementById('main');
  const ANNOUNCED = new Set(['approvals', 'operations', 'failures']);
  const say = (text) => { if (text) live.textContent = text; };
  const setConn = (on, text) => { conn.dataset.state = on ? 'on' : 'off'; conn.textContent = text; };
  function connect() {
    const q = new URLSearchParams(location.search);
    q.set('v', main.dataset.version || '0');
    const es = new EventSource('/events?' + q.toString());
    es.addEventListener('open', () => setConn(true, 'Live'));
    es.addEventListener('error', () => setConn(false, 'Reconnecting…'));
    es.addEventListener('section', (e) => {
      const d = JSON.parse(e.data);
      const body = document.getElementById(d.id);
      if (!body) return;
      const before = body.dataset.summary;
      body.innerHTML = d.html;
      body.dataset.summary = d.summary;
      if (ANNOUNCED.has(d.id) && d.summary !== before) say(d.summary);
    });
    es.addEventListener('cells', (e) => {
      const d = JSON.parse(e.data);
      main.dataset.version = String(d.version);
      for (const [id, tone, text] of d.cells) {
        for (const el of document.querySelectorAll('#grid [data-id="' + CSS.escape(id) + '"]')) {
          el.className = 'c t-' + tone;
          el.title = text;
          if (el.firstElementChild) el.firstElementChild.textContent = text;
        }
      }
    });
  }
  connect();
  document.addEventListener('submit', async (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains('decide')) return;
    ev.preventDefault();
    const buttons = form.querySelectorAll('button');
    const body = new URLSearchParams(new FormData(form, ev.submitter));
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const res = await fetch(form.action, { method: 'POST', body, headers: { accept: 'application/json' } });
      const out = await res.json();
      flash.textContent = out.message;
      if (!res.ok) buttons.forEach((b) => { b.disabled = false; });
    } catch {
      flash.textContent = 'Could not reach maas-mcp: nothing was decided. Try again.';
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
})();
`;
