#!/usr/bin/env node
// The `storcon` bin of package.json: loads the TypeScript CLI through tsx, so `npx storcon …`
// works from the repository after `npm ci` without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./storcon.ts');
