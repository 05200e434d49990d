import { parseJson, stringifyJson } from '../../src/util/json.js';

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Headers;
}

/** HTTP with lossless JSON on both sides (u64 stay exact). */
export async function http(
  url: string,
  opts: { method?: string; body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = stringifyJson(opts.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(url, { method: opts.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  if (text && (res.headers.get('content-type') ?? '').includes('json'))
    parsed = parseJson(text) as Record<string, unknown>;
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export const hex32 = (b: number) => b.toString(16).padStart(2, '0').repeat(32);
