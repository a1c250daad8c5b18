// Once per e2e run: build the renderer (into a temporary directory) and hand its path to the test files.
import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { buildRenderer } from './helpers/renderer-build';

declare module 'vitest' {
  export interface ProvidedContext {
    rendererDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await buildRenderer();
  project.provide('rendererDir', dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
