// Build-time rendering of exercise texts (a small Markdown subset): `code`, **bold**, $math$ and $$math$$
// (KaTeX), so the browser gets ready HTML and does not load a Markdown parser or KaTeX's JavaScript.
import katex from 'katex';

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderInline(text) {
  const parts = [];
  const re = /(\$\$[^$]+\$\$|\$[^$\n]+\$|`[^`]+`)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    parts.push(esc(text.slice(last, m.index)).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>'));
    const tok = m[0];
    if (tok.startsWith('$$')) parts.push(katex.renderToString(tok.slice(2, -2), { displayMode: true, throwOnError: true }));
    else if (tok.startsWith('$')) parts.push(katex.renderToString(tok.slice(1, -1), { throwOnError: true }));
    else parts.push(`<code>${esc(tok.slice(1, -1))}</code>`);
    last = m.index + tok.length;
  }
  parts.push(esc(text.slice(last)).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>'));
  return parts.join('');
}
