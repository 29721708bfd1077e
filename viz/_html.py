"""The step-through page: one picture per step, prev/next buttons, a slider and ← → keys.

Self-contained: the SVGs are inline, the style and script are in the page,
nothing is fetched. Without JavaScript every step is shown one below the other.
"""

from __future__ import annotations

import html

__all__ = ["stepper_page"]

_STYLE = """<style>
.bp-stepper { font-family: Helvetica, Arial, sans-serif; outline: none; }
.bp-stepper svg { max-width: 100%; height: auto; }
.bp-controls { margin: 0.5em 0; display: flex; gap: 0.5em; align-items: center; }
.bp-controls input[type=range] { width: 50%; }
.bp-caption { font-size: 13px; white-space: pre-wrap; }
.bp-hint { color: #6b7280; font-size: 12px; }
</style>"""

# __UID__ and __KEYS__ are replaced; __KEYS__ is "document" on a page of its
# own (the arrow keys work at once) and "root" inside a notebook (they work once
# the stepper has the focus, so two steppers never move together).
_SCRIPT = """<script>
(function () {
  "use strict";
  var root = document.getElementById("__UID__");
  var steps = root.querySelectorAll(".bp-step");
  var range = root.querySelector(".bp-range");
  var pos = root.querySelector(".bp-pos");
  var prev = root.querySelector(".bp-prev"), next = root.querySelector(".bp-next");
  var k = 0;
  function show(i) {
    k = Math.max(0, Math.min(steps.length - 1, i));
    for (var j = 0; j < steps.length; j++) { steps[j].hidden = j !== k; }
    range.value = String(k);
    pos.textContent = "step " + (k + 1) + " / " + steps.length;
    prev.disabled = k === 0;
    next.disabled = k === steps.length - 1;
    root.setAttribute("data-step", String(k));
  }
  prev.addEventListener("click", function () { show(k - 1); });
  next.addEventListener("click", function () { show(k + 1); });
  range.addEventListener("input", function () { show(parseInt(range.value, 10)); });
  var keys = __KEYS__;
  keys.addEventListener("keydown", function (e) {
    if (e.target === range) { return; }  // the slider moves itself with the arrow keys
    if (e.key === "ArrowLeft") { show(k - 1); e.preventDefault(); }
    if (e.key === "ArrowRight") { show(k + 1); e.preventDefault(); }
  });
  show(0);
})();
</script>"""


def _body(uid: str, title: str, svgs: list[str], captions: list[str], note: str) -> str:
    n = len(captions)
    parts = [
        f'<div id="{uid}" class="bp-stepper" tabindex="0">',
        f"<h3>{html.escape(title)}</h3>",
    ]
    if note:
        parts.append(f"<p><b>{html.escape(note)}</b></p>")
    parts.append(
        '<div class="bp-controls">'
        '<button type="button" class="bp-prev">◀ prev</button>'
        f'<input type="range" class="bp-range" min="0" max="{max(n - 1, 0)}" value="0" '
        'aria-label="step">'
        '<button type="button" class="bp-next">next ▶</button>'
        f'<span class="bp-pos">step 1 / {n}</span>'
        '<span class="bp-hint">← → keys</span></div>'
    )
    for k, (svg, caption) in enumerate(zip(svgs, captions)):
        parts.append(
            f'<div class="bp-step" data-k="{k}"><div class="bp-svg">{svg}</div>'
            f'<pre class="bp-caption">{html.escape(caption)}</pre></div>'
        )
    parts.append("</div>")
    return "\n".join(parts)


def stepper_page(
    uid: str, title: str, svgs: list[str], captions: list[str], note: str, *, standalone: bool
) -> str:
    """The stepper's HTML: a whole page (``standalone``) or a fragment for a notebook cell.

    ``uid`` must be unique on the page (letters and digits); ``svgs`` are
    inline SVG elements (trusted: made by Graphviz from escaped text);
    ``captions`` and ``note`` are plain text and are escaped here.
    """
    if not uid.isalnum():
        raise ValueError(f"uid must be letters and digits, got {uid!r}")
    script = _SCRIPT.replace("__UID__", uid).replace(
        "__KEYS__", "document" if standalone else "root"
    )
    body = f"{_STYLE}\n{_body(uid, title, svgs, captions, note)}\n{script}"
    if not standalone:
        return body
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>\n{body}\n</body></html>\n"
    )
