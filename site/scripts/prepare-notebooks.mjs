// Notebook pages: placeholder until notebooks are rendered.
import fs from 'node:fs';
import path from 'node:path';

export function prepareNotebooks({ site }) {
  const dir = path.join(site, 'docs', 'notebooks');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.mdx'), '---\ntitle: Notebooks\nslug: /notebooks\n---\n\n# Notebooks\n\nComing soon.\n');
}
