"""What a page that scrolls sideways is made of: the width of the document against the window's, and the element
that sticks out furthest (its tag, id, classes and first words), for the failure message of the reflow test."""

# The culprit is the outermost-reaching element whose overflow no ancestor clips: an ancestor with overflow other
# than visible clips its descendants, except absolutely positioned ones whose containing block lies outside it
# (exactly how screen-reader-only texts escaped the table regions).
WIDEST = """() => {
  const limit = window.innerWidth;
  const clipped = (el) => {
    let absolute = getComputedStyle(el).position === 'absolute';
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (absolute && style.position === 'static') continue;
      if (style.overflowX !== 'visible') return true;
      absolute = style.position === 'absolute';
    }
    return false;
  };
  let worst = null;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || getComputedStyle(el).position === 'fixed') continue;
    const style = getComputedStyle(el);
    const spill = style.overflowX === 'visible' ? Math.max(0, el.scrollWidth - el.clientWidth) : 0;
    const right = box.right + spill;
    if (right <= limit + 0.5 || (worst && right < worst.right - 0.5) || clipped(el)) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + [...el.classList].map((c) => '.' + c).join('');
    worst = {right: Math.round(right), element: name, text: (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60)};
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: limit, widest: worst};
}"""
