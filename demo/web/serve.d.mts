export const MOUNTS: Record<string, string>;
export function startDemoServer(opts?: { host?: string; port?: number; logLevel?: 'info' | 'warn' | 'error' | 'silent' }): Promise<{ url: string; close(): Promise<void> }>;
