// Types of cases.mjs (for the package's tsc).
export interface CaseOutcome {
  ok: boolean;
  kind?: 'result' | 'sepconv-error';
  name?: string;
  violation?: string;
  ms: number;
  [k: string]: unknown;
}
export function createCases(sc: unknown, data?: { nsfwDir?: string; zoo?: Record<string, unknown>; build?: string }): { run(c: Record<string, unknown>): Promise<CaseOutcome> };
