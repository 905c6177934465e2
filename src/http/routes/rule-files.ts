// The editor's access to the rules directory on disk: file names only from validated ids, every
// path checked with realpath to stay inside the directory (no traversal, no symbolic link that
// leads out), atomic writes (a temporary file in the target's own directory, then rename), the
// revision of a file (SHA-256 of its bytes), and the git HEAD version through `git show` run with
// execFile (never a shell). Writes are serialised so a revision check and its write cannot
// interleave with another save.

import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { lstat, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { RESERVED_IDS } from '../../dsl/compile.js';
import { ApiError } from '../errors.js';

/** The rule schema's id pattern (schemas/rule.schema.json). */
export const RULE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** The extensions a rule file may have, in the order an id is looked up. */
export const RULE_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

export const revisionOf = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** 400 for an id that is not a rule id (this is also what keeps paths out of file names). */
export function checkRuleId(id: string, options: { allowStore?: boolean } = {}): void {
  if (options.allowStore && id === 'store') return;
  if (!RULE_ID.test(id))
    throw new ApiError('invalid_request', `'${id.slice(0, 64)}' is not a rule id (lower-case letters, digits and '-', at most 64)`, { details: [{ path: 'id', message: 'must match ^[a-z0-9][a-z0-9-]{0,63}$' }] });
  if ((RESERVED_IDS as readonly string[]).includes(id))
    throw new ApiError('invalid_request', `'${id}' is reserved for the rules directory's own files and folders`, { details: [{ path: 'id', message: 'reserved id' }] });
}

const inside = (root: string, p: string) => {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !rel.startsWith(sep);
};

export interface RuleFile {
  /** The file name in the rules directory (e.g. flower-20.yaml). */
  name: string;
  /** Where reads and writes go: the file itself, or the target of a symbolic link inside the directory. */
  target: string;
  text: string;
  revision: string;
}

export class RulesDirectory {
  #queue: Promise<unknown> = Promise.resolve();
  #root: string | null = null;

  constructor(readonly dir: string) {}

  /** The directory's real path (symbolic links resolved). */
  async root(): Promise<string> {
    return (this.#root ??= await realpath(this.dir).catch(() => {
      throw new ApiError('unavailable', 'the rules directory cannot be read', { headers: { 'Retry-After': '1' } });
    }));
  }

  /** The real path a name in the directory leads to, refused when it leaves the directory. */
  async #resolve(name: string): Promise<{ path: string; target: string; exists: boolean }> {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new Error(`not a plain file name: ${name}`);
    const root = await this.root();
    const path = join(root, name);
    const link = await lstat(path).catch(() => null);
    if (!link) return { path, target: path, exists: false };
    const target = await realpath(path).catch(() => null);
    if (target === null || !inside(root, target))
      throw new ApiError('forbidden', `${name} is a symbolic link that leads outside the rules directory; the editor does not follow it`, { details: [{ path: 'id', message: 'symbolic link outside the rules directory' }] });
    const s = await stat(target);
    if (!s.isFile()) throw new ApiError('forbidden', `${name} is not a regular file`, { details: [{ path: 'id', message: 'not a file' }] });
    return { path, target, exists: true };
  }

  /** The file of a rule id (<id>.yaml, .yml or .json, the first that exists), or null. */
  async find(id: string): Promise<RuleFile | null> {
    for (const ext of RULE_EXTENSIONS) {
      const file = await this.read(id + ext);
      if (file) return file;
    }
    return null;
  }

  async read(name: string): Promise<RuleFile | null> {
    const r = await this.#resolve(name);
    if (!r.exists) return null;
    const bytes = await readFile(r.target);
    return { name, target: r.target, text: bytes.toString('utf8'), revision: revisionOf(bytes) };
  }

  /** Runs `task` after every earlier one (one write at a time, check and write together). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(task, task);
    this.#queue = p.catch(() => undefined);
    return p;
  }

  /** Writes `name` atomically: a temporary file next to the target, then rename over it. */
  async write(name: string, text: string): Promise<string> {
    const r = await this.#resolve(name);
    const tmp = join(dirname(r.target), `.${basename(r.target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, text, { encoding: 'utf8', flag: 'wx', mode: 0o644 });
      await rename(tmp, r.target);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    return revisionOf(Buffer.from(text, 'utf8'));
  }

  /** Removes `name` (a symbolic link inside the directory is removed, not its target). */
  async remove(name: string): Promise<void> {
    const r = await this.#resolve(name);
    if (r.exists) await rm(r.path);
  }

  /** The file's text in git HEAD: null when the directory is not in a git work tree or HEAD has no such file. */
  async atHead(name: string): Promise<{ text: string; commit: string } | null> {
    const root = await this.root();
    const top = await git(root, ['rev-parse', '--show-toplevel']);
    if (top === null) return null;
    const commit = await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
    if (commit === null) return null;
    // HEAD:./name is relative to the working directory (the rules directory).
    const text = await git(root, ['show', `HEAD:./${name}`]);
    return text === null ? null : { text, commit: commit.trim() };
  }
}

/** Runs git without a shell; its output, or null when it fails. */
function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((done) => {
    execFile('git', ['-c', 'core.quotepath=off', ...args], { cwd, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024, timeout: 10_000, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }, (err, stdout) =>
      done(err ? null : stdout),
    );
  });
}
