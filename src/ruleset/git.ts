// A rules directory as it was at a git revision, read with git plumbing through child_process
// (`git rev-parse`, `git ls-tree`, `git cat-file --batch`, the batch form of `git show` for many
// blobs): never a checkout, never a write to the work tree or the index. The edge that
// `discounts diff` reads its base side through; the review core (src/review) gets plain texts.

import { execFile, spawn } from 'node:child_process';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { realpath, stat } from 'node:fs/promises';
import { STORE_FILE, RULE_FILE, type LoadedSources } from './load.js';
import type { RuleSource } from '../dsl/compile.js';

/** Not a git repository, an unknown revision, a path outside the repository, git missing: exit 2. */
export class GitError extends Error {}

export interface GitRevision {
  /** The revision as given (`HEAD`, `main`, `origin/main~2`). */
  rev: string;
  /** The full commit id it names. */
  commit: string;
  /** The repository's top-level directory. */
  toplevel: string;
}

export interface GitRulesSnapshot {
  revision: GitRevision;
  /** The rules directory's path inside the repository ('' for the top level), '/'-separated. */
  repoPath: string;
  /** Whether the directory exists at that revision (a rules directory added since reads as empty). */
  exists: boolean;
  sources: LoadedSources;
  /** Files of tests/ (rule test files), paths as displayed. */
  tests: RuleSource[];
}

/** Bytes a git command may print before it is stopped (a rules directory of many thousand files fits easily). */
const MAX_OUTPUT = 512 * 1024 * 1024;

function git(cwd: string, args: string[]): Promise<{ ok: true; stdout: string } | { ok: false; stderr: string; missing: boolean }> {
  return new Promise((done) => {
    execFile('git', args, { cwd, maxBuffer: MAX_OUTPUT, encoding: 'utf8', env: gitEnv() }, (err, stdout, stderr) => {
      if (err) done({ ok: false, stderr: String(stderr || err.message).trim(), missing: (err as NodeJS.ErrnoException).code === 'ENOENT' });
      else done({ ok: true, stdout });
    });
  });
}

/** The environment for git: no pager, no prompts, untranslated messages. */
function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}

/**
 * The repository `cwd` is in and the commit `rev` names. Outside a repository, with git missing,
 * or with a revision that names no commit: a GitError with the reason.
 */
export async function resolveRevision(cwd: string, rev: string): Promise<GitRevision & { prefix: string }> {
  if (rev.startsWith('-')) throw new GitError(`unknown revision '${rev}'`);
  const top = await git(cwd, ['rev-parse', '--show-toplevel', '--show-prefix']);
  if (!top.ok) {
    if (top.missing) throw new GitError('git is not installed (no git on PATH)');
    throw new GitError(`${cwd} is not in a git repository (${firstLine(top.stderr)})`);
  }
  const [toplevel, prefix = ''] = top.stdout.split('\n');
  const commit = await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  if (!commit.ok || !/^[0-9a-f]{40,64}\s*$/.test(commit.stdout)) throw new GitError(`unknown revision '${rev}' (it names no commit in ${toplevel})`);
  return { rev, commit: commit.stdout.trim(), toplevel, prefix };
}

/**
 * The path of `dir` (as the user wrote it, relative to `cwd` or absolute) inside the repository,
 * from `git rev-parse --show-prefix` (where cwd is in the repository); an absolute path is taken
 * relative to --show-toplevel, symbolic links resolved. '' is the top level.
 */
export async function repoPathOf(dir: string, revision: { toplevel: string; prefix: string }): Promise<string> {
  let path: string;
  if (!isAbsolute(dir)) path = posix(joinPosix(revision.prefix, dir.split(sep).join('/')));
  else {
    const real = await realpath(dir).catch(() => resolve(dir));
    const top = await realpath(revision.toplevel).catch(() => revision.toplevel);
    path = relative(top, real).split(sep).join('/');
  }
  if (path === '..' || path.startsWith('../') || isAbsolute(path)) throw new GitError(`${dir} is outside the git repository ${revision.toplevel}`);
  return path;
}

function joinPosix(a: string, b: string): string {
  return a ? `${a.replace(/\/+$/, '')}/${b}` : b;
}

/** Normalises `a/./b/../c/` to `a/c`; '' for the top level; '..' parts left when they climb out. */
function posix(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

interface TreeEntry {
  mode: string;
  type: string;
  object: string;
  name: string;
}

/** The entries of a tree at `commit:path`, or null when there is no such tree. */
async function lsTree(cwd: string, commit: string, path: string): Promise<TreeEntry[] | null> {
  const r = await git(cwd, ['ls-tree', '-z', '--end-of-options', `${commit}:${path}`]);
  if (!r.ok) return null;
  const out: TreeEntry[] = [];
  for (const record of r.stdout.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode, type, object] = record.slice(0, tab).split(' ');
    out.push({ mode, type, object, name: record.slice(tab + 1) });
  }
  return out;
}

/** Blob contents by object id, all through one `git cat-file --batch` process. */
async function readBlobs(cwd: string, objects: string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(objects)];
  const texts = new Map<string, string>();
  if (!wanted.length) return texts;
  const chunks: Buffer[] = [];
  const child = spawn('git', ['cat-file', '--batch'], { cwd, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done(code ?? 1));
  });
  child.stdin.end(wanted.join('\n') + '\n');
  const code = await exited.catch((err: Error) => {
    throw new GitError(`git cat-file failed: ${err.message}`);
  });
  if (code !== 0) throw new GitError(`git cat-file failed: ${firstLine(stderr)}`);
  const all = Buffer.concat(chunks);
  let at = 0;
  for (const object of wanted) {
    const nl = all.indexOf(0x0a, at);
    const header = all.subarray(at, nl).toString('utf8').split(' ');
    if (header[1] !== 'blob') throw new GitError(`git cat-file: ${object} is not a blob (${header.join(' ')})`);
    const size = Number(header[2]);
    texts.set(object, all.subarray(nl + 1, nl + 1 + size).toString('utf8'));
    at = nl + 1 + size + 1;
  }
  return texts;
}

/** Regular files (not symbolic links or submodules) of a tree that `want` accepts, sorted by name. */
function files(entries: TreeEntry[] | null, want: (name: string) => boolean): TreeEntry[] {
  return (entries ?? []).filter((e) => e.type === 'blob' && e.mode !== '120000' && want(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The rules directory at a revision, as the loader would read it from disk: rule files directly
 * in it (not store.yaml), the store policy, and the test files of its tests/ folder. Paths are
 * `displayDir` joined with the file names, as for the work tree, so both sides compare by path.
 */
export async function readRulesAtRevision(
  cwd: string,
  dir: string,
  displayDir: string,
  rev: string,
  testFile: (name: string) => boolean,
): Promise<GitRulesSnapshot> {
  // Git runs in the rules directory when it exists (so an absolute --rules in another repository
  // than the current directory's works, and --show-prefix is its path); else in cwd.
  const abs = resolve(cwd, dir);
  const inDir = await isDir(abs);
  const revision = await resolveRevision(inDir ? abs : cwd, rev);
  const repoPath = inDir ? posix(revision.prefix) : await repoPathOf(dir, revision);
  // From the top level: in a subdirectory, ls-tree would list only what is under it.
  const top = revision.toplevel;
  const root = await lsTree(top, revision.commit, repoPath);
  const testsTree = root?.some((e) => e.name === 'tests' && e.type === 'tree') ? await lsTree(top, revision.commit, joinPosix(repoPath, 'tests')) : null;
  const ruleEntries = files(root, (n) => RULE_FILE.test(n) && n !== STORE_FILE);
  const storeEntry = files(root, (n) => n === STORE_FILE)[0] ?? null;
  const testEntries = files(testsTree, testFile);
  const blobs = await readBlobs(top, [...ruleEntries, ...(storeEntry ? [storeEntry] : []), ...testEntries].map((e) => e.object));
  // The same joins as readRulesDir, so both sides name a file alike.
  const display = (name: string) => join(displayDir, name);
  const storePath = display(STORE_FILE);
  return {
    revision: { rev: revision.rev, commit: revision.commit, toplevel: revision.toplevel },
    repoPath,
    exists: root !== null,
    sources: {
      store: storeEntry ? { path: storePath, text: blobs.get(storeEntry.object)! } : null,
      storePath,
      rules: ruleEntries.map((e) => ({ path: display(e.name), text: blobs.get(e.object)! })),
    },
    tests: testEntries.map((e) => ({ path: join(displayDir, 'tests', e.name), text: blobs.get(e.object)! })),
  };
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

function firstLine(text: string): string {
  return text.split('\n')[0] || 'git failed';
}
