import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root: the nearest folder above this file that holds nx.json. */
export function workspaceRoot(from: string = __dirname): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`no nx.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export interface WorkspaceProject {
  name: string;
  /** Path from the workspace root, e.g. packages/types */
  root: string;
  tags: string[];
  packageName: string;
  packageJson: Record<string, unknown>;
}

/** Every Nx project under packages/, apps/ and tools/ (folders with a project.json). */
export function listProjects(root: string = workspaceRoot()): WorkspaceProject[] {
  const projects: WorkspaceProject[] = [];
  for (const group of ['packages', 'apps', 'tools']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir, { withFileTypes: true })) {
      const projectFile = join(groupDir, entry.name, 'project.json');
      if (!entry.isDirectory() || !existsSync(projectFile)) continue;
      const project = JSON.parse(readFileSync(projectFile, 'utf8')) as { name: string; tags?: string[] };
      const packageJson = JSON.parse(readFileSync(join(groupDir, entry.name, 'package.json'), 'utf8')) as Record<string, unknown>;
      projects.push({
        name: project.name,
        root: `${group}/${entry.name}`,
        tags: project.tags ?? [],
        packageName: String(packageJson['name']),
        packageJson,
      });
    }
  }
  return projects.sort((a, b) => a.root.localeCompare(b.root));
}
