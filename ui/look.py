"""How the page looks and is launched: its stylesheet, its script (delegated handlers for copying, opening sources
and following citation links), the theme, and the ``launch()`` keywords."""

from __future__ import annotations

from typing import Any

import gradio as gr

from rag.settings import Settings

CSS = """
.rq-header h1 { margin: 0; font-size: 1.5rem; }
.rq-header p { margin: .15rem 0 0; color: var(--body-text-color-subdued); }
#rq-chat .rq-question { white-space: normal; }
.rq-answer { line-height: 1.6; }
.rq-answer-text { white-space: normal; }
.rq-ref { color: var(--color-accent); font-weight: 600; font-size: .75em; margin: 0 1px; cursor: default; }
.rq-ref a.rq-ref-link { color: inherit; text-decoration: none; cursor: pointer; border-radius: 3px; padding: 0 1px; }
.rq-ref a.rq-ref-link:hover, .rq-ref a.rq-ref-link:focus { text-decoration: underline; outline: none;
  background: var(--background-fill-secondary); }
.rq-caret::after { content: "▍"; animation: rq-blink 1s steps(1) infinite; color: var(--body-text-color-subdued); }
@keyframes rq-blink { 50% { opacity: 0; } }
.rq-refused { border-left: 4px solid #d97706; padding-left: .75rem; }
.rq-refusal-head { font-weight: 600; color: #b45309; margin-bottom: .3rem; display: flex; gap: .4rem;
  align-items: center; }
.rq-refusal-icon { display: inline-flex; width: 1.3em; height: 1.3em; border-radius: 50%; background: #d97706;
  color: #fff; align-items: center; justify-content: center; font-size: .8em; }
.rq-notice { background: var(--background-fill-secondary); border: 1px dashed var(--border-color-primary);
  border-radius: 6px; padding: .25rem .5rem; margin-bottom: .4rem; font-size: .85em; }
.rq-error .rq-answer-text { color: #b91c1c; }
.rq-cards-title { margin-top: .7rem; font-size: .8em; font-weight: 600; text-transform: uppercase;
  color: var(--body-text-color-subdued); letter-spacing: .03em; }
.rq-cards { display: flex; flex-direction: column; gap: .45rem; margin-top: .35rem; }
.rq-card { border: 1px solid var(--border-color-primary); border-radius: 8px; font-size: .88em;
  background: var(--background-fill-primary); }
.rq-card summary { list-style: none; cursor: pointer; padding: .5rem .65rem; display: block; }
.rq-card summary::-webkit-details-marker { display: none; }
.rq-card-head { display: flex; flex-wrap: wrap; gap: .25rem .5rem; align-items: baseline; margin-bottom: .25rem; }
.rq-card-n { font-weight: 700; color: var(--color-accent); }
.rq-card-title { font-weight: 600; }
.rq-card-section, .rq-card-page { color: var(--body-text-color-subdued); }
.rq-card-section::before, .rq-card-page::before { content: "›"; margin-right: .35rem; }
.rq-unsupported { color: #b45309; font-size: .85em; }
/* The passage scrolls inside its card; the page's script fits the box to the whole quote and scrolls to it. */
.rq-passage { color: var(--body-text-color); max-height: 12em; overflow-y: auto; position: relative;
  background: var(--background-fill-secondary); border-radius: 6px; padding: .3rem .55rem; }
.rq-md > :first-child { margin-top: 0; }
.rq-md > :last-child { margin-bottom: 0; }
.rq-md p, .rq-md ul, .rq-md ol, .rq-md table, .rq-md pre, .rq-md blockquote { margin: .3rem 0; }
.rq-md h1, .rq-md h2, .rq-md h3, .rq-md h4, .rq-md h5, .rq-md h6 { font-size: 1em; font-weight: 700;
  margin: .35rem 0 .2rem; }
.rq-md ul, .rq-md ol { padding-left: 1.3em; }
.rq-md ul { list-style: disc; }
.rq-md ol { list-style: decimal; }
.rq-md table { border-collapse: collapse; font-size: .95em; }
.rq-md th, .rq-md td { border: 1px solid var(--border-color-primary); padding: .15rem .4rem; text-align: left; }
.rq-md pre { white-space: pre-wrap; font-size: .9em; }
.rq-card.rq-target { box-shadow: 0 0 0 2px var(--color-accent); }
.rq-details[open] .rq-passage { display: none; }
mark.rq-quote { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.rq-open-hint { margin-top: .3rem; font-size: .85em; color: var(--color-accent); }
.rq-details[open] .rq-when-closed, .rq-details:not([open]) .rq-when-open { display: none; }
.rq-viewer { border-top: 1px solid var(--border-color-primary); padding: .5rem .65rem .65rem; }
.rq-viewer-head { font-size: .8em; color: var(--body-text-color-subdued); margin-bottom: .35rem;
  font-family: var(--font-mono); }
.rq-viewer-main { display: flex; gap: .6rem; align-items: flex-start; }
.rq-viewer-main > .rq-viewer-body { flex: 1 1 55%; min-width: 0; }
.rq-page { flex: 0 1 45%; max-width: 45%; }
.rq-page-head { font-size: .75em; color: var(--body-text-color-subdued); margin-bottom: .2rem; }
.rq-page-sheet { position: relative; width: 100%; background: #fff; border: 1px solid var(--border-color-primary);
  overflow: hidden; }
.rq-page-img { display: block; width: 100%; height: 100%; }
.rq-page-img:not([src]) { visibility: hidden; }
.rq-page-mark { position: absolute; background: rgba(255, 200, 0, .35); outline: 2px solid rgba(230, 140, 0, .9);
  pointer-events: none; }
.rq-page-error { font-size: .75em; color: var(--error-text-color, #b00); }
.rq-viewer-body { position: relative; max-height: 22em; overflow-y: auto; background: var(--background-fill-secondary);
  padding: .5rem .6rem; border-radius: 6px; }
.rq-ctx { color: var(--body-text-color-subdued); }
.rq-ctx-edge { font-size: .75em; color: var(--body-text-color-subdued); font-style: italic; margin: .1rem 0; }
.rq-focus { border-left: 3px solid var(--color-accent); padding: .2rem .5rem; margin: .2rem 0;
  background: var(--background-fill-primary); border-radius: 0 4px 4px 0; }
.rq-footer { display: flex; align-items: center; gap: .6rem; margin-top: .6rem; font-size: .8em;
  color: var(--body-text-color-subdued); }
.rq-copy { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .05rem .5rem;
  background: var(--background-fill-secondary); cursor: pointer; color: var(--body-text-color); }
.rq-plain { display: none !important; }
.rq-progress { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .75rem; }
.rq-progress-track { height: 8px; background: var(--background-fill-secondary); border-radius: 4px; overflow: hidden;
  margin-top: .35rem; }
.rq-progress-fill { height: 100%; background: var(--color-accent); transition: width .4s; }
.rq-message { padding: .45rem .7rem; border-radius: 6px; border: 1px solid var(--border-color-primary); }
.rq-message.rq-error, .rq-has-failures { border-color: #dc2626; }
.rq-message.rq-ok, .rq-report.rq-ok { border-color: #16a34a; }
.rq-report { padding: .45rem .7rem; border-radius: 6px; border: 1px solid var(--border-color-primary); }
.rq-failures { margin: .3rem 0 0 1.1rem; color: #b91c1c; }
.rq-report-note { color: #b45309; }
.rq-table table, .rq-table table * { font-family: var(--font) !important; }
.rq-index-info { font-size: .9em; color: var(--body-text-color-subdued); margin-top: .5rem; }
"""

# Delegated handlers on the document (messages are re-rendered, so per-element handlers would be lost; inline handlers
# are stripped by the chat's sanitizer, as they should be): the copy button, opening a card, following a [n] link.
# An observer of the chat keeps each new answer's first line in view (the chat's own autoscroll is off) and fits
# each card's passage box to its whole quote.
JS = """
() => {
  if (window.__reportqaPage) return;
  window.__reportqaPage = true;
  const scroller = (element) => {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (/(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) return node;
    }
    return null;
  };
  // Scroll a box so that its marks (the quote) are all visible, growing it when the quote is taller than it.
  const fitQuote = (box) => {
    const marks = box ? [...box.querySelectorAll('mark.rq-quote')] : [];
    if (!marks.length || !box.clientHeight) return;
    const boxTop = box.getBoundingClientRect().top;
    const top = Math.min(...marks.map(m => m.getBoundingClientRect().top)) - boxTop + box.scrollTop;
    const bottom = Math.max(...marks.map(m => m.getBoundingClientRect().bottom)) - boxTop + box.scrollTop;
    const pad = 12;
    if (bottom - top + 2 * pad > box.clientHeight) box.style.maxHeight = (bottom - top + 2 * pad) + 'px';
    box.scrollTop = Math.max(0, top - Math.max(pad, (box.clientHeight - (bottom - top)) / 3));
  };
  const openCard = (card) => {
    const details = card.querySelector('details.rq-details');
    if (details && !details.open) details.open = true;
    card.classList.add('rq-target');
    setTimeout(() => card.classList.remove('rq-target'), 1600);
    requestAnimationFrame(() => {
      const body = card.querySelector('.rq-viewer-body');
      fitQuote(body);
      const mark = card.querySelector('.rq-viewer mark.rq-quote') || card.querySelector('.rq-viewer');
      if (mark) mark.scrollIntoView({block: 'center', inline: 'nearest'});
    });
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.rq-ref-link') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    // The chat's sanitizer keeps ids and fragment links (not data- attributes): the link names its card's id.
    const id = (link.getAttribute('href') || '').replace(/^#/, '');
    const answer = link.closest('.rq-answer');
    const card = answer && id ? [...answer.querySelectorAll('.rq-card')].find(c => c.id === id) : null;
    if (card) openCard(card);
  }, true);
  document.addEventListener('click', async (event) => {
    const button = event.target.closest ? event.target.closest('.rq-copy') : null;
    if (!button) return;
    event.preventDefault();
    event.stopPropagation();
    const plain = button.parentElement.querySelector('.rq-plain');
    const text = plain ? plain.textContent : '';
    let ok = false;
    try { await navigator.clipboard.writeText(text); ok = true; } catch (e) {
      const area = document.createElement('textarea');
      area.value = text; area.style.position = 'fixed'; area.style.opacity = '0';
      document.body.appendChild(area); area.select();
      try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
      area.remove();
    }
    button.dataset.copied = ok ? 'yes' : 'no';
    button.textContent = ok ? 'Copied · 已复制' : 'Copy failed · 复制失败';
    setTimeout(() => { button.textContent = 'Copy · 复制'; }, 1600);
  }, true);
  // A cited PDF page: fetched from the page's /page_image endpoint when its card first opens. The figure's id is
  // rq-page-<turn>-<n>-<doc id>-<page> (the chat's sanitizer keeps ids, not data attributes).
  const loadPage = async (figure) => {
    if (!figure || figure.dataset.loading) return;
    figure.dataset.loading = '1';
    const parts = figure.id.split('-');
    const page = Number(parts.pop()), doc = parts.pop();
    const root = ((window.gradio_config && window.gradio_config.root) || '').replace(/[/]$/, '');
    try {
      const start = await fetch(root + '/gradio_api/call/page_image', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({data: [doc, page]})});
      const {event_id} = await start.json();
      const stream = await (await fetch(root + '/gradio_api/call/page_image/' + event_id)).text();
      const done = stream.split('event: complete')[1];
      if (!done) throw new Error((stream.match(/data: (.*)/) || [])[1] || 'no page');
      const result = JSON.parse(done.slice(done.indexOf('data:') + 5).trim())[0];
      figure.querySelector('img.rq-page-img').src = result.image;
    } catch (error) {
      const note = document.createElement('div');
      note.className = 'rq-page-error';
      note.textContent = 'Page image unavailable · 无法显示原页: ' + error.message;
      figure.appendChild(note);
    }
  };
  // Opening a card: scroll its source viewer to the quoted sentence ("toggle" does not bubble; capture it).
  document.addEventListener('toggle', (event) => {
    const details = event.target;
    if (!details.classList || !details.classList.contains('rq-details') || !details.open) return;
    fitQuote(details.querySelector('.rq-viewer-body'));
    loadPage(details.querySelector('.rq-page'));
  }, true);
  // A new answer (streaming or finished): its first line at the top of the chat, the question's end above it.
  let shown = '';
  const settle = () => {
    const chat = document.getElementById('rq-chat');
    if (!chat) return;
    chat.querySelectorAll('.rq-passage:not([data-fitted])').forEach((box) => {
      if (box.clientHeight) { box.dataset.fitted = '1'; fitQuote(box); }
    });
    const answers = chat.querySelectorAll('.rq-answer');
    const last = answers[answers.length - 1];
    if (!last) { shown = ''; return; }
    const key = answers.length + (last.classList.contains('rq-streaming') ? 's' : 'f');
    if (key === shown) return;
    shown = key;
    const box = scroller(last);
    if (box) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 48;
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; settle(); });
  }).observe(document.body, {childList: true, subtree: true});
}
"""


def _theme() -> gr.themes.Base:
    # Local fonts only (no CDN), with the usual Chinese system fonts as fallbacks.
    cjk = ["PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
           "WenQuanYi Micro Hei", "sans-serif"]
    return gr.themes.Default(
        font=[gr.themes.LocalFont("Source Sans Pro"), *cjk],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "Noto Sans Mono CJK SC", "monospace"],
    )


def launch_options(settings: Settings) -> dict[str, Any]:
    """The ``launch()`` keywords that go with the page (look, limits, no telemetry, no share link, nothing fetched
    on a caller's behalf: see ``ui.guard``)."""
    from starlette.middleware import Middleware

    from ui.guard import RefuseFetches
    from ui.logins import LoginThrottle, ThrottleLogins

    guard = Middleware(RefuseFetches, upload_dir=gr.utils.get_upload_folder(),
                       quota_bytes=int(settings.serve.upload_quota_mb * 2**20))
    logins = Middleware(ThrottleLogins, throttle=LoginThrottle.from_settings(settings.serve))
    tls = settings.serve.ssl_certfile is not None
    return {
        "app_kwargs": {"middleware": [logins, guard]},
        "ssl_certfile": str(settings.serve.ssl_certfile) if tls else None,
        "ssl_keyfile": str(settings.serve.ssl_keyfile) if tls else None,
        # Gradio's start-up check of its own URL would refuse a self-signed certificate; it only talks to itself.
        "ssl_verify": not tls,
        "theme": _theme(),
        "css": CSS,
        "js": JS,
        "max_file_size": int(settings.serve.max_upload_mb * 2**20),
        "share": False,
        "footer_links": ["api", "settings"],
        "run_history": False,
        "enable_monitoring": False,
        "mcp_server": False,
        "ssr_mode": False,
        "pwa": False,
        # Exports are written into the data directory, which may lie outside the working and temp folders.
        "allowed_paths": [str(settings.exports_dir.resolve())],
    }

