// Fenced code blocks of a markdown text (README.md), with the `<!-- snippet: … -->` marker above each.

export interface Snippet {
  /** 1-based line of the opening fence in README.md. */
  line: number;
  lang: string;
  mode: 'esm' | 'cjs' | 'types' | 'skip' | undefined;
  reason?: string;
  code: string;
}

/** The fenced code blocks of a markdown text with their markers (the nearest non-blank line above). */
export function snippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    const code = lines
      .slice(i + 1, end)
      .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
      .join('\n');
    let above = i - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    const marker = above >= 0 ? /^\s*<!--\s*snippet:\s*(esm|cjs|types|skip)(?::\s*(.*?))?\s*-->\s*$/.exec(lines[above]!) : null;
    out.push({ line: i + 1, lang: open[2]!, mode: marker?.[1] as Snippet['mode'], reason: marker?.[2], code });
    i = end;
  }
  return out;
}

/** The text of `markdown` from the line equal to `heading` up to the next heading or bold paragraph title. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`no line "${heading}" in the markdown`);
  let end = start + 1;
  while (end < lines.length && !/^(#{1,6} |\*\*)/.test(lines[end]!)) end++;
  return lines.slice(start, end).join('\n');
}
