// Sections of bench/RESULTS.md that tools other than the full bench write (`run.mjs profile`,
// `run.mjs real-models`, with --results-md): each sits between `<!-- section:NAME -->` and
// `<!-- /section:NAME -->`. A tool replaces its own block; a full bench run (report.ts) rewrites the
// file and carries every such block over at the end, so one does not erase the other.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './engines/index.js';

const FILE = () => join(ROOT, 'bench/RESULTS.md');
const open = (name: string) => `<!-- section:${name} -->`;
const close = (name: string) => `<!-- /section:${name} -->`;
const BLOCK = /<!-- section:([\w-]+) -->[\s\S]*?<!-- \/section:\1 -->/g;

/** Every marked block of `md`, in order, joined by blank lines ('' when there is none). */
export function keptSections(md: string): string {
  return [...md.matchAll(BLOCK)].map((m) => m[0]).join('\n\n');
}

/** `md` with the block `name` set to `body` (replaced in place, else appended at the end). */
export function withSection(md: string, name: string, body: string): string {
  const block = `${open(name)}\n${body.trim()}\n${close(name)}`;
  const re = new RegExp(`${open(name)}[\\s\\S]*?${close(name).replace(/\//g, '\\/')}`);
  return re.test(md) ? md.replace(re, () => block) : `${md.trimEnd()}\n\n${block}\n`;
}

/** Writes the block `name` of bench/RESULTS.md; returns the file's path. */
export function writeSection(name: string, body: string): string {
  const f = FILE();
  const md = existsSync(f) ? readFileSync(f, 'utf8') : '# sepconv benchmark results\n';
  writeFileSync(f, withSection(md, name, body));
  return f;
}

/** The blocks of the current bench/RESULTS.md, for a full run to carry over ('' when none). */
export function currentKeptSections(): string {
  const f = FILE();
  return existsSync(f) ? keptSections(readFileSync(f, 'utf8')) : '';
}
