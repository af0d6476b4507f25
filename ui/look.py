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
.rq-passage { color: var(--body-text-color); max-height: 9.5em; overflow: hidden; }
.rq-details[open] .rq-passage { display: none; }
mark.rq-quote { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.rq-open-hint { margin-top: .3rem; font-size: .85em; color: var(--color-accent); }
.rq-details[open] .rq-when-closed, .rq-details:not([open]) .rq-when-open { display: none; }
.rq-viewer { border-top: 1px solid var(--border-color-primary); padding: .5rem .65rem .65rem; }
.rq-viewer-head { font-size: .8em; color: var(--body-text-color-subdued); margin-bottom: .35rem;
  font-family: var(--font-mono); }
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

# One delegated click handler for every answer's copy button (messages are re-rendered, so per-button handlers would
# be lost; inline handlers are stripped by the chat's sanitizer, as they should be).
JS = """
() => {
  if (window.__reportqaCopy) return;
  window.__reportqaCopy = true;
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
  // Opening a card: scroll its source viewer to the quoted sentence ("toggle" does not bubble; capture it).
  document.addEventListener('toggle', (event) => {
    const details = event.target;
    if (!details.classList || !details.classList.contains('rq-details') || !details.open) return;
    const body = details.querySelector('.rq-viewer-body');
    const target = details.querySelector('.rq-viewer .rq-quote') || details.querySelector('.rq-viewer .rq-focus');
    if (body && target) body.scrollTop = Math.max(0, target.offsetTop - body.clientHeight / 3);
  }, true);
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

