#!/usr/bin/env node
// `coinpit-desk`: the wallet command line. The sources are TypeScript, so this launcher registers tsx's loader in
// this same process (signals and exit codes stay ours) and runs main/cli/index.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli/index.ts');
process.exit(await main(process.argv.slice(2)));
