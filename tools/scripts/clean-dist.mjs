// Removes the calling project's dist/ so a build never ships files whose sources were deleted.
import { rmSync } from 'node:fs';
rmSync('dist', { recursive: true, force: true });
