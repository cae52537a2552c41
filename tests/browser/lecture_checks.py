"""Checks a lecturer needs of every page in a real browser: text contrast (WCAG AA), the way out of
presentation view, a figure inside the viewport. Used by the deck walk and the page tests."""

from __future__ import annotations

# For every visible element that has text of its own: its colour against the first opaque background
# found walking up its ancestors (semi-transparent layers composited on the way), WCAG contrast.
CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const over = (top, under) => {  // composite a colour with alpha over an opaque one
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    const r = el.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
    for (let e = el; e; e = e.parentElement) {
      const box = e.getBoundingClientRect();  // a label drawn outside its parent (a slider's value) is not on it
      if (e !== el && e !== document.body && e !== document.documentElement &&
          (x < box.left || x > box.right || y < box.top || y > box.bottom)) continue;
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    }
    let colour = [255, 255, 255, 1];  // the canvas
    for (let i = layers.length - 1; i >= 0; i--) colour = layers[i][3] >= 1 ? layers[i] : over(layers[i], colour);
    return colour;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.right <= 0 || r.bottom <= 0) return false;  // e.g. a skip link parked off-screen
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0) return false;
    }
    return true;
  };
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg, canvas, [disabled], [aria-disabled="true"], .modebar, iframe, [data-testid="stTooltipIcon"], [data-testid="stIconMaterial"]')) continue;  // icons: graphics, not text
    const own = Array.from(el.childNodes).filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent.trim()).join(' ');
    if (!/[\\p{L}\\p{N}]/u.test(own) || !visible(el)) continue;  // emoji keep their own colours
    const s = getComputedStyle(el);
    const fg = parse(s.color);
    if (fg[3] === 0) continue;  // invisible text (e.g. KaTeX's MathML copy for screen readers)
    const bg = background(el);
    const colour = over(fg, bg);
    const [l1, l2] = [lum(colour), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    checked++;
    if (ratio < 4.5) bad.push({text: own.slice(0, 60), ratio: Math.round(ratio * 100) / 100, color: s.color,
                               background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')',
                               tag: el.tagName, testid: (el.closest('[data-testid]') || {}).dataset?.testid});
  }
  return {checked, bad};
}
"""


def low_contrast(page) -> list[dict]:
    """Texts on the page below WCAG AA (4.5:1); asserts that some text was checked at all."""
    result = page.evaluate(CONTRAST_JS)
    assert result["checked"] > 5, "no text found to check"
    return result["bad"]


def assert_readable(page, where: str = "") -> None:
    bad = low_contrast(page)
    assert not bad, f"{where}: {len(bad)} texts below 4.5:1, e.g. " + "; ".join(
        f"{b['text']!r} {b['ratio']} ({b['color']} on {b['background']}, {b['testid']})" for b in bad[:6]
    )


# A widget's label sits on the page, not on a box: the dark theme's input surfaces must stop at the control
# (a selectbox's label once showed a grey box behind it, its help icon and the empty space beside them).
LABEL_BOXES_JS = """
() => Array.from(document.querySelectorAll('[data-testid="stWidgetLabel"], [data-testid="stWidgetLabel"] *'))
  .filter((e) => { const bg = getComputedStyle(e).backgroundColor; return bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent'; })
  .map((e) => (e.textContent || e.tagName).trim().slice(0, 40))
"""


def assert_labels_bare(page) -> None:
    boxed = page.evaluate(LABEL_BOXES_JS)
    assert not boxed, f"widget labels drawn on a box: {boxed[:6]}"


def assert_way_out_visible(page) -> None:
    """Presentation view: the 'Exit presentation' control is on screen, inside the viewport."""
    # Streamlit may still hold a retained copy of the page's first element while a rerun settles (a loaded
    # machine): wait until exactly one link is on screen (checkVisibility: the link is fixed-position, so
    # its offsetParent is null)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stApp] a.convatlas-exit')]"
        ".filter((e) => e.checkVisibility()).length === 1",
        timeout=30_000,
    )
    exit_link = page.locator("[data-testid='stApp'] a.convatlas-exit >> visible=true")
    box = exit_link.bounding_box()
    size = page.viewport_size
    assert box and box["width"] > 10 and box["height"] > 10
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"]
    assert "present=true" not in (exit_link.get_attribute("href") or "")


def inside_viewport(page, selector: str) -> dict:
    """The element's box on screen and whether it lies inside the viewport (1 px tolerance)."""
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    assert box, f"{selector} not rendered"
    box["inside"] = (
        box["x"] >= -1
        and box["y"] >= -1
        and box["x"] + box["width"] <= size["width"] + 1
        and box["y"] + box["height"] <= size["height"] + 1
    )
    return box
