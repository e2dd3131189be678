/**
 * Signed, expiring links to files under DATA_DIR, so a provider can fetch a
 * character clip from the bot's HTTP server without any other file being
 * reachable. Token = base64url(payload) "." base64url(HMAC-SHA256(key, that
 * base64url text)); the payload holds the path relative to DATA_DIR and an
 * expiry taken from the injected clock. Only files inside the named media
 * folders can be signed or served: DATA_DIR also holds the SQLite store,
 * which must never be one link away from a provider or a chat user.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';

const Payload = z.object({ p: z.string().min(1).max(1024), e: z.number().int() });

export interface PathSigner {
  /** The token for `file` (inside a media folder) valid for `ttlMs`, or undefined for any other file. */
  sign(file: string, ttlMs: number): string | undefined;
  /** The absolute path the token names, or undefined when forged, expired or escaping DATA_DIR. */
  verify(token: string): string | undefined;
}

export function createPathSigner(dataDir: string, signingKey: string, clock: Clock, folders: readonly string[]): PathSigner {
  if (signingKey.length < 16) throw new Error('FILE_SIGNING_KEY must be at least 16 characters (32 random bytes, base64url, is a good choice).');
  const root = path.resolve(dataDir);
  const mac = (text: string) => createHmac('sha256', signingKey).update(text).digest();

  /** Relative path inside a media folder of root, or undefined. Lexical check; symlinks are checked in verify(). */
  const inside = (relative: string): string | undefined => {
    if (relative === '' || path.isAbsolute(relative) || relative.includes('\0')) return undefined;
    const segments = relative.split(/[\\/]/);
    if (segments.some((segment) => segment === '..')) return undefined;
    if (segments.length < 2 || !folders.includes(segments[0]!)) return undefined;
    const absolute = path.resolve(root, relative);
    return absolute.startsWith(root + path.sep) ? absolute : undefined;
  };

  return {
    sign(file, ttlMs) {
      const relative = path.relative(root, path.resolve(file));
      if (!inside(relative)) return undefined;
      const payload = Buffer.from(JSON.stringify({ p: relative.split(path.sep).join('/'), e: clock.now() + ttlMs })).toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    verify(token) {
      const parts = token.split('.');
      if (parts.length !== 2) return undefined;
      const [payload, signature] = parts as [string, string];
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      const parsed = Payload.safeParse(decoded);
      if (!parsed.success || parsed.data.e <= clock.now()) return undefined;
      const absolute = inside(parsed.data.p);
      if (!absolute) return undefined;
      // A symlink inside a media folder must not lead out of the media folders.
      try {
        const real = realpathSync(absolute);
        const realRoot = realpathSync(root);
        if (!real.startsWith(realRoot + path.sep) || !inside(path.relative(realRoot, real))) return undefined;
      } catch {
        // Missing file: the HTTP layer answers 404 for it.
      }
      return absolute;
    },
  };
}
